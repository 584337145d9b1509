#!/usr/bin/env python3
"""CPU used over a benchmark round, by the machine and by each process of the stack (the API, the
workers, the simulator from .stack/*.pid, and RabbitMQ's Erlang VM): on this machine they all share
the same cores, so a round's latency depends on what the others take. Everything else (the load
generator, the kernel's own threads) is the remainder of the machine's busy time.
Usage: cpu-use.py snapshot FILE          (before and after the round)
       cpu-use.py report BEFORE AFTER"""
import glob
import json
import os
import sys

STACK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".stack")
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def process_ticks(pid):
    """User + system clock ticks of one process, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))


def command_line(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def rabbitmq_pid():
    for path in glob.glob("/proc/[0-9]*"):
        args = command_line(path[6:]).split(b"\0")
        if args[0].endswith(b"beam.smp") and any(b"rabbit" in arg for arg in args):
            return int(path[6:])
    return None


def snapshot(path):
    with open("/proc/stat", encoding="ascii") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    pids = {}
    for pidfile in sorted(glob.glob(os.path.join(STACK, "*.pid"))):
        with open(pidfile, encoding="ascii") as f:
            pid = int(f.read().strip())
        if b"WeChat" in command_line(pid):  # a stopped process's pid may belong to another by now
            pids[os.path.basename(pidfile)[:-4]] = pid
    broker = rabbitmq_pid()
    if broker:
        pids["RabbitMQ"] = broker
    processes = {name: process_ticks(pid) for name, pid in pids.items()}
    with open(path, "w", encoding="utf-8") as out:
        json.dump({"busy": sum(ticks) - idle, "total": sum(ticks), "processes": {k: v for k, v in processes.items() if v is not None}}, out)


def report(before_path, after_path):
    with open(before_path, encoding="utf-8") as f:
        before = json.load(f)
    with open(after_path, encoding="utf-8") as f:
        after = json.load(f)
    cores = os.cpu_count()
    total = after["total"] - before["total"]  # ticks of all cores
    seconds = total / cores / TICKS_PER_SECOND
    busy = after["busy"] - before["busy"]
    used = {name: (after["processes"][name] - ticks) / TICKS_PER_SECOND / seconds
            for name, ticks in before["processes"].items() if name in after["processes"]}
    rest = busy / total * cores - sum(used.values())
    parts = ", ".join(f"{name} {share:.2f}" for name, share in sorted(used.items(), key=lambda item: -item[1]))
    print(f"  CPU over {seconds:.0f} s: the machine {100 * busy / total:.0f} % busy of {cores} cores; in cores: {parts}, everything else {rest:.2f}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "snapshot":
        snapshot(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
