#!/usr/bin/env bash
# How fast the API drains callbacks it stored while RabbitMQ was down: the broker is stopped, N callbacks
# are posted (each acknowledged from the database fallback), the broker is started again, and the time
# until the last stored callback is confirmed by RabbitMQ gives the relay rate. No worker runs, so the
# relay has the machine to itself with the API.
# Usage: scripts/bench-relay.sh [count]      (default 5000; needs the sqlite3 command)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5000}
generator="dotnet bench/WeChat.LoadGenerator/bin/Release/net10.0/WeChat.LoadGenerator.dll"
dotnet build bench/WeChat.LoadGenerator -c Release -v quiet -nologo | { grep -E ": error " | sort -u >&2 || true; }
pending() { sqlite3 .stack/wechat.db "PRAGMA busy_timeout=5000; SELECT count(*) FROM PendingInboundMessages;" | tail -1; }

scripts/stack.sh down >/dev/null
rm -f .stack/wechat.db*
scripts/rabbitmq.sh ensure >/dev/null
rabbitmqctl purge_queue wechat-inbound >/dev/null 2>&1 || true
scripts/stack.sh up --workers 0 >/dev/null
$generator --mode plain --count 2000 --label warm-up >/dev/null
rabbitmqctl purge_queue wechat-inbound >/dev/null 2>&1 || true

rabbitmqctl stop_app >/dev/null
trap 'rabbitmqctl start_app >/dev/null 2>&1 || true' EXIT
$generator --mode plain --rate 250 --count "$count" --label "$count callbacks while RabbitMQ is down"
stored=$(pending)
rabbitmqctl start_app >/dev/null
started=$(date +%s.%N)
while [ "$(pending)" -gt 0 ]; do sleep 0.2; done
finished=$(date +%s.%N)
queue_depth() { rabbitmqctl list_queues -q name messages | awk '$1 == "wechat-inbound" { print $2 }'; }
# A quorum queue reports its depth a few seconds late.
for _ in $(seq 1 20); do [ "$(queue_depth)" -ge "$stored" ] && break; sleep 0.5; done
queued=$(queue_depth)
awk -v s="$started" -v f="$finished" -v n="$stored" -v q="$queued" \
  'BEGIN { printf "relay: %d stored callbacks relayed in %.1f s after the broker came back (%.0f /s, includes reconnecting); %d in the queue\n", n, f - s, n / (f - s), q }'
rabbitmqctl purge_queue wechat-inbound >/dev/null
scripts/stack.sh down >/dev/null
