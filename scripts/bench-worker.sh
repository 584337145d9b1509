#!/usr/bin/env bash
# Capacity of one warmed worker: posts N callbacks over 64 connections (far faster than one worker
# drains them) and reports the worker's replies/s and its CPU time per message. Run it a few times:
# on a shared 2-core machine single runs scatter by ±10 %.
# Usage: scripts/stack.sh up --workers 1 && scripts/bench-worker.sh [count]      (default 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-10000}
generator="dotnet bench/WeChat.LoadGenerator/bin/Release/net10.0/WeChat.LoadGenerator.dll"
pid=$(cat .stack/worker-1.pid)
kill -0 "$pid" 2>/dev/null || { echo "worker-1 is not running: scripts/stack.sh up --workers 1" >&2; exit 1; }
dotnet build bench/WeChat.LoadGenerator -c Release -v quiet -nologo | { grep -E ": error " | sort -u >&2 || true; }
$generator --simulator http://127.0.0.1:5180 --count 4000 --followers 1500 --label warm-up >/dev/null
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
before=$(cpu_ticks)
$generator --simulator http://127.0.0.1:5180 --count "$count" --followers $((count / 3)) --label "one worker draining $count"
after=$(cpu_ticks)
awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$count" \
  'BEGIN { printf "worker CPU: %.1f s = %.2f ms per message\n", ticks / hz, ticks / hz / n * 1000 }'
