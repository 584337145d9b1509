#!/usr/bin/env bash
# Step 3 of bench.sh on its own: a fresh stack with one worker, its warm-up (3,000 followers, then
# 12,000 messages), then N rounds of 10,000 callbacks at 500/s, each with the end-to-end latency and
# the worker's SQLite writer (busy share, messages per commit). Quicker than the whole bench.sh when
# comparing two builds of the worker: alternate them, several runs each, this machine scatters.
# Usage: scripts/bench-e2e.sh [rounds]       (default 3; extra worker settings via STACK_WORKER_ENV)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
out=.stack/bench
mkdir -p "$out"
generator="dotnet bench/WeChat.LoadGenerator/bin/Release/net10.0/WeChat.LoadGenerator.dll"
followers=3000

scripts/rabbitmq.sh ensure
dotnet build bench/WeChat.LoadGenerator -c Release -v quiet -nologo | { grep -E ": error " | sort -u >&2 || true; }
scripts/stack.sh down >/dev/null
rm -f .stack/wechat.db*
scripts/stack.sh up --workers 1 >/dev/null
trap 'scripts/stack.sh down >/dev/null' EXIT
$generator --simulator http://127.0.0.1:5180 --follower-prefix oBench --count "$followers" --followers "$followers" --label "warm-up (creates followers)" >/dev/null
$generator --simulator http://127.0.0.1:5180 --follower-prefix oBench --count 12000 --followers "$followers" --label "warm-up" >/dev/null
for round in $(seq 1 "$rounds"); do
  curl -s http://127.0.0.1:5101/metrics >"$out/e2e-worker-metrics-before.txt"
  scripts/cpu-use.py snapshot "$out/e2e-cpu-before.json"
  started=$(date +%s.%N)
  $generator --simulator http://127.0.0.1:5180 --follower-prefix oBench --rate 500 --count 10000 --followers "$followers" \
    --label "end-to-end at 500/s, round $round" --json "$out/e2e-$round.json" | tee "$out/e2e-$round.txt"
  curl -s http://127.0.0.1:5101/metrics >"$out/e2e-worker-metrics-after.txt"
  scripts/cpu-use.py snapshot "$out/e2e-cpu-after.json"
  scripts/cpu-use.py report "$out/e2e-cpu-before.json" "$out/e2e-cpu-after.json" | tee -a "$out/e2e-$round.txt"
  scripts/write-gate.py "$out/e2e-worker-metrics-before.txt" "$out/e2e-worker-metrics-after.txt" \
    "$(awk -v started="$started" -v now="$(date +%s.%N)" 'BEGIN { print now - started }')" | tee -a "$out/e2e-$round.txt"
done
