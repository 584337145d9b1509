#!/usr/bin/env python3
"""How busy a worker's one SQLite writer was over a run: the difference of two scrapes of its /metrics
histograms wechat_db_write_gate_hold/wait_milliseconds (SerializedWriteGate). Every write transaction
of the process (a group of messages' units of work, a batch of outbox claims or outcomes) holds it in
turn, so a share near 100 % means the writer, not the CPU, sets the worker's pace. Also how many
messages shared each commit (wechat_db_group_commit_units, SqliteGroupCommit).
Usage: write-gate.py BEFORE AFTER SECONDS   (each scrape a saved `curl -s http://…/metrics`)"""
import re
import sys


def totals(path, name, unit="_milliseconds"):
    """Sum and count of the histogram wechat_db_<name><unit> (e.g. write_gate_hold_milliseconds)."""
    with open(path, encoding="utf-8") as scrape:
        text = scrape.read()
    sums = re.findall(rf"^wechat_db_{name}{unit}_sum(?:\{{[^}}]*\}})? ([0-9.e+-]+)", text, re.M)
    counts = re.findall(rf"^wechat_db_{name}{unit}_count(?:\{{[^}}]*\}})? ([0-9.e+-]+)", text, re.M)
    return sum(map(float, sums)), sum(map(float, counts))


before, after, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
(hold_before, entries_before), (hold_after, entries_after) = totals(before, "write_gate_hold"), totals(after, "write_gate_hold")
wait_before, wait_after = totals(before, "write_gate_wait")[0], totals(after, "write_gate_wait")[0]
entries = entries_after - entries_before
if entries == 0:
    sys.exit("no write-gate entries between the two scrapes (is the worker on SQLite?)")
held = hold_after - hold_before
units_before, units_after = totals(before, "group_commit_units", ""), totals(after, "group_commit_units", "")
commits = units_after[1] - units_before[1]
grouped = f"; {units_after[0] - units_before[0]:.0f} messages in {commits:.0f} commits" if commits else ""
print(f"  worker's SQLite writer: busy {held / (seconds * 1000):.0%} of the {seconds:.0f} s; {entries:.0f} turns, "
      f"mean hold {held / entries:.2f} ms, mean wait {(wait_after - wait_before) / entries:.2f} ms{grouped}")
