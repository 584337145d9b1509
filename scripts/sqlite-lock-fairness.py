#!/usr/bin/env python3
"""Two processes writing one SQLite file (WAL, 30 s busy timeout) in 16-row transactions, each
transaction's rows 1 ms apart: how many commits each makes and its longest wait for BEGIN.
SQLite's busy handler is not fair between processes; --flock takes turns the way the platform's
SqliteProcessTurn does (a writer lock plus a turnstile held while waiting). docs/adr/0009.

    scripts/sqlite-lock-fairness.py [--seconds 30] [--gap-ms 0] [--flock]
"""
import argparse, fcntl, multiprocessing, os, sqlite3, tempfile, time


def writer(name, path, seconds, gap_ms, turns, results):
    lock = open(path + "-writer", "w") if turns else None
    queue = open(path + "-writer-queue", "w") if turns else None
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    waits, failures, end = [], 0, time.time() + seconds
    while time.time() < end:
        started = time.perf_counter()
        if turns:
            try:
                fcntl.flock(queue, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fcntl.flock(queue, fcntl.LOCK_EX)
                fcntl.flock(lock, fcntl.LOCK_EX)
            fcntl.flock(queue, fcntl.LOCK_UN)
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            failures += 1
            continue
        waits.append(time.perf_counter() - started)
        for _ in range(16):
            db.execute("INSERT INTO writes(writer, pad) VALUES (?, ?)", (name, "x" * 300))
            spin = time.perf_counter()
            while time.perf_counter() - spin < 0.001:
                pass
        db.execute("COMMIT")
        if turns:
            fcntl.flock(lock, fcntl.LOCK_UN)
        if gap_ms:
            time.sleep(gap_ms / 1000)
    results[name] = (len(waits), max(waits, default=0), failures)


def main():
    options = argparse.ArgumentParser()
    options.add_argument("--seconds", type=float, default=30)
    options.add_argument("--gap-ms", type=float, default=0)
    options.add_argument("--flock", action="store_true")
    args = options.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "fairness.db")
        setup = sqlite3.connect(path)
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE writes(id INTEGER PRIMARY KEY, writer TEXT, pad TEXT)")
        setup.close()
        results = multiprocessing.Manager().dict()
        processes = [multiprocessing.Process(target=writer, args=(name, path, args.seconds, args.gap_ms, args.flock, results)) for name in "AB"]
        for process in processes:
            process.start()
        for process in processes:
            process.join()
        for name in "AB":
            commits, longest, failures = results[name]
            print(f"{name}: {commits} commits, longest wait for BEGIN {longest:.2f} s, {failures} failed with 'database is locked'")


if __name__ == "__main__":
    main()
