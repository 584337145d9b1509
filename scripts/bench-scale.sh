#!/usr/bin/env bash
# Scale-out evidence on the process stack: the same load with 1, 2 and 4 worker processes.
# Reports processing throughput, end-to-end p50/p99 and the exactly-once count for each.
# Usage: scripts/bench-scale.sh [count]   (default 8000 messages from 2000 followers, 64 connections)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-8000}
out=.stack/bench
mkdir -p "$out"
generator="dotnet bench/WeChat.LoadGenerator/bin/Release/net10.0/WeChat.LoadGenerator.dll"
dotnet build bench/WeChat.LoadGenerator -c Release -v quiet -nologo | { grep -E ": error " | sort -u >&2 || true; }  # show only errors
for workers in 1 2 4; do
  scripts/stack.sh down >/dev/null
  rm -f .stack/wechat.db*
  rabbitmqctl purge_queue wechat-inbound >/dev/null 2>&1 || true
  scripts/stack.sh up --workers "$workers" >/dev/null
  $generator --simulator http://127.0.0.1:5180 --follower-prefix oScale --count 2000 --followers 2000 --label warm-up >/dev/null
  $generator --simulator http://127.0.0.1:5180 --follower-prefix oScale --count "$count" --followers 2000 \
    --label "$workers worker(s)" --json "$out/scale-$workers.json" | tee "$out/scale-$workers.txt"
done
scripts/stack.sh down
