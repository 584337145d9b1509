#!/usr/bin/env bash
# Fault drills under load on the process stack (2 workers, 300 callbacks/s for 40 s): a worker killed
# with SIGKILL, RabbitMQ restarted, a burst of errcode -1, the access token revoked. For each: callbacks
# accepted vs replies (they must match, without duplicates) and the time until replies are prompt again.
# Usage: scripts/bench-faults.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=.stack/bench
mkdir -p "$out"
generator="dotnet bench/WeChat.LoadGenerator/bin/Release/net10.0/WeChat.LoadGenerator.dll"
sim=http://127.0.0.1:5180
app=wxdemo1234567890
dotnet build bench/WeChat.LoadGenerator -c Release -v quiet -nologo >/dev/null

drill() { # name fault-command recover-at recover-command
  scripts/stack.sh down >/dev/null
  rm -f .stack/wechat.db*
  rabbitmqctl purge_queue wechat-inbound >/dev/null 2>&1 || true
  scripts/stack.sh up --workers 2 >/dev/null
  $generator --simulator $sim --follower-prefix oFault --count 3000 --followers 3000 --label warm-up >/dev/null
  $generator --simulator $sim --follower-prefix oFault --rate 300 --count 12000 --followers 3000 --e2e-timeout 180 \
    --fault-at 10 --fault "$2" --recover-at "$3" --recover "$4" --label "$1" --json "$out/fault-${1// /-}.json" | tee "$out/fault-${1// /-}.txt"
}

# Worker 1 dies at 10 s and is back at 15 s; the broker is down from 10 s to 20 s; the -1 burst and the
# revocation happen at 10 s (recovery is counted from there).
drill "worker killed" "scripts/stack.sh kill-worker 1" 15 "scripts/stack.sh start-worker 1"
drill "broker restarted" "rabbitmqctl stop_app" 20 "rabbitmqctl start_app"
drill "errcode -1 burst" "curl -s -X POST $sim/_sim/faults -H 'content-type: application/json' -d '{\"pathContains\":\"custom/send\",\"errorBurst\":2000}'" 10 "true"
drill "token revoked" "curl -s -X POST $sim/_sim/accounts/$app/revoke-token" 10 "true"
scripts/stack.sh down
