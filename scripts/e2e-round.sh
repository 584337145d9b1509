#!/usr/bin/env bash
# One measured round of 500 callbacks/s against the running stack (scripts/stack.sh, worker 1): the
# generator's report (ack and end-to-end latency), then the CPU each process used over the round
# (scripts/cpu-use.py) and worker 1's SQLite writer (scripts/write-gate.py), all in .stack/bench/NAME.txt.
# The "before" snapshots are taken by the generator once it has warmed up, as its clock starts, so
# the figures cover the round alone. Shared by bench.sh step 3 and bench-e2e.sh.
# Usage: scripts/e2e-round.sh NAME COUNT FOLLOWERS LABEL [more generator options]
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1 count=$2 followers=$3 label=$4
shift 4
out=.stack/bench
generator="dotnet bench/WeChat.LoadGenerator/bin/Release/net10.0/WeChat.LoadGenerator.dll"

rm -f "$out/$name-worker-metrics-before.txt" "$out/$name-cpu-before.json" "$out/$name-started.txt"
snapshot=$(printf 'curl -sf http://127.0.0.1:5101/metrics >%q && scripts/cpu-use.py snapshot %q && date +%%s.%%N >%q' \
  "$out/$name-worker-metrics-before.txt" "$out/$name-cpu-before.json" "$out/$name-started.txt")
$generator --simulator http://127.0.0.1:5180 --follower-prefix oBench --rate 500 --count "$count" --followers "$followers" \
  --label "$label" --json "$out/$name.json" --before-clock "$snapshot" "$@" | tee "$out/$name.txt"
curl -s http://127.0.0.1:5101/metrics >"$out/$name-worker-metrics-after.txt"
scripts/cpu-use.py snapshot "$out/$name-cpu-after.json"
scripts/cpu-use.py report "$out/$name-cpu-before.json" "$out/$name-cpu-after.json" | tee -a "$out/$name.txt"
scripts/write-gate.py "$out/$name-worker-metrics-before.txt" "$out/$name-worker-metrics-after.txt" \
  "$(awk -v started="$(cat "$out/$name-started.txt")" -v now="$(date +%s.%N)" 'BEGIN { print now - started }')" | tee -a "$out/$name.txt"
