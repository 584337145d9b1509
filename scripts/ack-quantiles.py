#!/usr/bin/env python3
"""The API's own ack latency over one run: the difference of two scrapes of its /metrics histogram
wechat_callback_ack_duration_milliseconds (successful acks), p50/p90/p99 interpolated within buckets.
It times a callback from the endpoint's start to its answer, so the gap to the load generator's figures
is what lies outside the API's handler: sockets, Kestrel, and the generator itself on a shared machine.
Usage: ack-quantiles.py BEFORE AFTER   (each a saved `curl -s http://…/metrics`)"""
import re
import sys

BUCKET = re.compile(r'^wechat_callback_ack_duration_milliseconds_bucket\{[^}]*status_code="200"[^}]*le="([^"]+)"[^}]*\} (\d+)', re.M)


def buckets(path):
    with open(path, encoding="utf-8") as scrape:
        return {float(le): int(count) for le, count in BUCKET.findall(scrape.read())}


before, after = buckets(sys.argv[1]), buckets(sys.argv[2])
bounds = sorted(after)
counts = [after[b] - before.get(b, 0) for b in bounds]
total = counts[-1] if counts else 0
if total == 0:
    sys.exit("no successful acks between the two scrapes")


def quantile(q):
    rank = q * total
    lower_bound, lower_count = 0.0, 0
    for bound, count in zip(bounds, counts):
        if count >= rank:
            if bound == float("inf"):
                return f"> {lower_bound:.0f}"
            return f"{lower_bound + (bound - lower_bound) * (rank - lower_count) / max(count - lower_count, 1):.1f}"
        lower_bound, lower_count = bound, count
    return "?"


print(f"  API-side ack ms (its own histogram, {total} acks): p50 {quantile(0.5)}  p90 {quantile(0.9)}  p99 {quantile(0.99)}")
