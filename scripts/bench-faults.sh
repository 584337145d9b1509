#!/usr/bin/env bash
# Fault drills under load on the process stack (2 workers, 120 callbacks/s for 60 s, a rate this
# machine keeps up with, so that a backlog is the fault's doing): a worker killed with SIGKILL, RabbitMQ
# restarted, a burst of errcode -1, the access token revoked. For each: callbacks accepted vs replies
# (they must match, without duplicates) and the time from the end of the fault until replies are prompt
# (within a second of the callback) again.
# Usage: scripts/bench-faults.sh [kill] [broker] [burst] [revoke]   (default: all four)
set -euo pipefail
cd "$(dirname "$0")/.."
out=.stack/bench
mkdir -p "$out"
generator="dotnet bench/WeChat.LoadGenerator/bin/Release/net10.0/WeChat.LoadGenerator.dll"
sim=http://127.0.0.1:5180
app=wxdemo1234567890
dotnet build bench/WeChat.LoadGenerator -c Release -v quiet -nologo | { grep -E ": error " | sort -u >&2 || true; }  # show only errors

drill() { # name fault-command recover-at recover-command
  scripts/stack.sh down >/dev/null
  rm -f .stack/wechat.db*
  rabbitmqctl purge_queue wechat-inbound >/dev/null 2>&1 || true
  scripts/stack.sh up --workers 2 >/dev/null
  $generator --simulator $sim --follower-prefix oFault --count 3000 --followers 3000 --label warm-up >/dev/null
  $generator --simulator $sim --follower-prefix oFault --rate 120 --count 7200 --followers 3000 --e2e-timeout 180 \
    --fault-at 15 --fault "$2" --recover-at "$3" --recover "$4" --label "$1" --json "$out/fault-${1// /-}.json" | tee "$out/fault-${1// /-}.txt"
}

# Worker 1 dies at 15 s and is started again at 20 s; the broker is down from 15 s to 25 s; the -1 burst
# (2,000 failed sends) and the revocation happen at 15 s, and recovery is counted from there.
selected() { [ ${#drills[@]} -eq 0 ] || [[ " ${drills[*]} " == *" $1 "* ]]; }
drills=("$@")
selected kill && drill "worker killed" "scripts/stack.sh kill-worker 1" 20 "scripts/stack.sh start-worker 1"
selected broker && drill "broker restarted" "rabbitmqctl stop_app" 25 "rabbitmqctl start_app"
selected burst && drill "errcode -1 burst" "curl -s -X POST $sim/_sim/faults -H 'content-type: application/json' -d '{\"pathContains\":\"custom/send\",\"errorBurst\":2000}'" 15 "true"
selected revoke && drill "token revoked" "curl -s -X POST $sim/_sim/accounts/$app/revoke-token" 15 "true"
scripts/stack.sh down
