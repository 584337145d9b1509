#!/usr/bin/env bash
# Provokes every symptom of docs/troubleshooting.md against the running process stack and checks that
# the platform logged the line and counted the metric the document names. Prints OK or MISSING for each;
# exits non-zero if anything is missing.
# Usage: scripts/stack.sh up && scripts/troubleshooting-drill.sh
set -uo pipefail
cd "$(dirname "$0")/.."
api=http://127.0.0.1:${STACK_API_PORT:-5000}
sim=http://127.0.0.1:${STACK_SIMULATOR_PORT:-5180}
key=${STACK_API_KEY:-local-stack-api-key}
app=wxdemo1234567890
token=demotoken
missing=0

curl -fs -o /dev/null "$api/health/ready" || { echo "The stack is not up: run scripts/stack.sh up first." >&2; exit 2; }

sign() { python3 -c "import hashlib,sys; print(hashlib.sha1(''.join(sorted(sys.argv[1:])).encode()).hexdigest())" "$@"; }
post_signed() { # app-id token timestamp nonce → HTTP status
  local signature
  signature=$(sign "$2" "$3" "$4")
  curl -s -o /dev/null -w "%{http_code}" -X POST "$api/wechat/$1?signature=$signature&timestamp=$3&nonce=$4" \
    -d "<xml><ToUserName><![CDATA[gh_demo00000001]]></ToUserName><FromUserName><![CDATA[oDrill]]></FromUserName><CreateTime>$3</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content><MsgId>$4</MsgId></xml>"
}
follower_says() { # open-id content → the simulator delivers it as WeChat does
  curl -s -X POST "$sim/_sim/accounts/$app/callbacks" -H 'content-type: application/json' \
    -d "{\"type\":\"text\",\"openId\":\"$1\",\"content\":\"$2\"}"
}
expect() { # what, pattern, files... — waits up to 15 s for the pattern
  local what=$1 pattern=$2
  shift 2
  for _ in $(seq 1 30); do
    if grep -a -q -E "$pattern" "$@" 2>/dev/null; then echo "  OK       $what"; return; fi
    sleep 0.5
  done
  echo "  MISSING  $what  (no /$pattern/ in $*)"
  missing=$((missing + 1))
}
metric() { # what, pattern, base URLs… — found at any of them within 5 s
  local what=$1 pattern=$2 url
  shift 2
  for _ in $(seq 1 10); do # scrapes are cached briefly
    for url in "$@"; do
      if curl -s "$url/metrics" | grep -q -E "$pattern"; then echo "  OK       $what"; return; fi
    done
    sleep 0.5
  done
  echo "  MISSING  $what (no /$pattern/ at $*/metrics)"
  missing=$((missing + 1))
}
logs=(.stack/api.log .stack/worker-*.log)
workers=()
for pidfile in .stack/worker-*.pid; do workers+=("http://127.0.0.1:$((5100 + $(basename "$pidfile" .pid | cut -d- -f2)))"); done

echo "404: a callback URL with an unknown AppID → HTTP $(post_signed wxunknown00000000 $token "$(date +%s)" 101)"
expect "log: rejected: UnknownAppId (HTTP 404)" "Callback for wxunknown00000000 rejected: UnknownAppId \(HTTP 404\)" .stack/api.log
metric 'metric: wechat_callbacks_rejected_total{reason="UnknownAppId"}' 'wechat_callbacks_rejected_total\{.*reason="UnknownAppId"' "$api"

echo "Clock skew: a timestamp an hour old → HTTP $(post_signed $app $token $(( $(date +%s) - 3600 )) 102)"
expect "log: rejected: TimestampOutOfTolerance (HTTP 403)" "rejected: TimestampOutOfTolerance \(HTTP 403\)" .stack/api.log
metric 'metric: wechat_callbacks_rejected_total{reason="TimestampOutOfTolerance"}' 'reason="TimestampOutOfTolerance"' "$api"

echo "Wrong Token → HTTP $(post_signed $app wrongtoken "$(date +%s)" 103)"
expect "log: rejected: InvalidSignature (HTTP 403)" "rejected: InvalidSignature \(HTTP 403\)" .stack/api.log

echo "AES key mismatch: a second simulator encrypts with another EncodingAESKey (safe mode)"
(cd tools/WeChat.Simulator/bin/Release/net10.0 && exec env Simulator__Accounts__0__AppId=$app Simulator__Accounts__0__AppSecret=unused \
  Simulator__Accounts__0__Token=$token Simulator__Accounts__0__EncodingAESKey=ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkj \
  Simulator__Accounts__0__OriginalId=gh_demo00000001 Simulator__Accounts__0__CallbackUrl="$api/wechat/$app" \
  Simulator__Accounts__0__CallbackMode=Safe dotnet WeChat.Simulator.dll --urls http://127.0.0.1:5190 >/dev/null 2>&1) &
other=$!
for _ in $(seq 1 60); do curl -fs -o /dev/null http://127.0.0.1:5190/_sim/accounts && break; sleep 0.5; done
curl -s -X POST "http://127.0.0.1:5190/_sim/accounts/$app/callbacks" -H 'content-type: application/json' -d '{"type":"text","openId":"oDrillAes","content":"hi"}' >/dev/null
kill "$other"
expect "log: rejected: MalformedCiphertext (HTTP 400)" "rejected: MalformedCiphertext \(HTTP 400\)" .stack/api.log

echo "40001: the access token is revoked, as when another system force-refreshes it"
follower_says oDrill40001 帮助 >/dev/null
sleep 2
curl -s -X POST "$sim/_sim/accounts/$app/revoke-token"
follower_says oDrill40001 菜单 >/dev/null
expect "log: AccessTokenProvider[4002] WeChat refused the AccessToken … invalidated: True" "WeChat refused the AccessToken of $app \(version [0-9]+\); invalidated: True" "${logs[@]}"
expect "log: AccessTokenProvider[4001] Fetched a new AccessToken" "Fetched a new AccessToken for $app \(version [2-9]" "${logs[@]}"
metric 'metric: wechat_api_errors_total{errcode="40001"} (a worker)' 'wechat_api_errors_total\{.*errcode="40001"' "${workers[@]}"

echo "45015: a message to a follower whose customer-service window is closed"
curl -s -o /dev/null -X POST "$api/api/accounts/$app/messages" -H "X-Api-Key: $key" -H 'content-type: application/json' \
  -d '{"toUser":"oDrillNeverWrote","content":{"type":"text","content":"hello"}}'
expect "log: OutboxSender[6001] … is Failed after attempt 1: OutsideServiceWindow, errcode 45015" "is Failed after attempt 1: OutsideServiceWindow, errcode 45015" "${logs[@]}"
metric 'metric: wechat_api_errors_total{errcode="45015"}' 'wechat_api_errors_total\{.*errcode="45015"' "$api" "${workers[@]}"

echo "Broker unavailable: callbacks go to the fallback store and are relayed"
rabbitmqctl stop_app >/dev/null
follower_says oDrillBroker 帮助 >/dev/null
expect "log: BusInboundMessagePublisher[2003] Broker unavailable … stored in the database for relay" "stored in the database for relay" .stack/api.log
rabbitmqctl start_app >/dev/null
expect "log: PendingInboundRelay[2101] Relayed … stored callback(s) to the broker" "Relayed [0-9]+ stored callback\(s\) to the broker" .stack/api.log
metric 'metric: wechat_callbacks_accepted_total{outcome="StoredForRelay"}' 'outcome="StoredForRelay"' "$api"

echo "The inbound queue deleted: callbacks come back unroutable, are stored, and the API declares the queue again"
declared_before=$(grep -a -c "InboundQueueDeclaration\[2201\]" .stack/api.log)
rabbitmqctl delete_queue wechat-inbound >/dev/null
follower_says oDrillNoQueue 帮助 >/dev/null
expect "log: BusInboundMessagePublisher[2006] The broker returned callback … no queue is bound" "The broker returned callback $app msg\|oDrillNoQueue.*no queue is bound to exchange wechat-inbound" .stack/api.log
for _ in $(seq 1 30); do [ "$(grep -a -c "InboundQueueDeclaration\[2201\]" .stack/api.log)" -gt "$declared_before" ] && break; sleep 0.5; done
if [ "$(grep -a -c "InboundQueueDeclaration\[2201\]" .stack/api.log)" -gt "$declared_before" ]; then
  echo "  OK       log: InboundQueueDeclaration[2201] Inbound queue wechat-inbound declared (quorum) (again)"
else
  echo "  MISSING  log: InboundQueueDeclaration[2201] declared again"
  missing=$((missing + 1))
fi

echo "Replies late: the lag and, on SQLite, the writer's busy time are measured on the workers"
follower_says oDrillLag 帮助 >/dev/null
metric 'metric: wechat_inbound_queue_lag_milliseconds (a worker)' 'wechat_inbound_queue_lag_milliseconds_count\{[^}]*\} [1-9]' "${workers[@]}"
metric 'metric: wechat_db_write_gate_hold_milliseconds (a worker, SQLite)' 'wechat_db_write_gate_hold_milliseconds_count\{[^}]*\} [1-9]' "${workers[@]}"
metric 'metric: wechat_db_group_commit_units (a worker, SQLite)' 'wechat_db_group_commit_units_count\{[^}]*\} [1-9]' "${workers[@]}"

echo "$missing missing"
[ "$missing" -eq 0 ]
