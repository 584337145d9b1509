#!/usr/bin/env bash
# Step 3 of bench.sh on its own: a fresh stack with one worker, its warm-up (3,000 followers, then
# 12,000 messages), then N rounds of 10,000 callbacks at 500/s, each with the end-to-end latency and
# the worker's SQLite writer (busy share, messages per commit). Quicker than the whole bench.sh when
# comparing two builds of the worker: alternate them, several runs each, this machine scatters.
# Usage: scripts/bench-e2e.sh [rounds]       (default 3; extra worker settings via STACK_WORKER_ENV)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
mkdir -p .stack/bench
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
  scripts/e2e-round.sh "e2e-$round" 10000 "$followers" "end-to-end at 500/s, round $round"
done
