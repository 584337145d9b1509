#!/usr/bin/env bash
# The production topology as local processes, for machines without Docker (and for the benchmarks):
# RabbitMQ, the WeChat simulator, the API (RabbitMQ transport) and N workers, with SQLite standing
# in for SQL Server. Same configuration keys as docker-compose.yml, passed as environment variables.
#
#   scripts/stack.sh up [--workers N]   build (Release) and start everything, wait until ready
#   scripts/stack.sh down               stop everything (graceful, then forced)
#   scripts/stack.sh status             what runs, and its readiness
#   scripts/stack.sh kill-worker N      SIGKILL worker N (fault drills)
#   scripts/stack.sh start-worker N     start worker N again
#
# Ports: API 5000, simulator 5180, workers 5101… (override with STACK_API_PORT, STACK_SIMULATOR_PORT).
# Logs and the database live in .stack/. STACK_WORKER_ENV adds settings to the workers.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dir="$root/.stack"
configuration=${STACK_CONFIGURATION:-Release}
api_port=${STACK_API_PORT:-5000}
sim_port=${STACK_SIMULATOR_PORT:-5180}
worker_base_port=5100
app_id=wxdemo1234567890

bin() { echo "$root/$1/bin/$configuration/net10.0/$2.dll"; }

platform_env() {
  export ASPNETCORE_ENVIRONMENT=Production
  # Several processes share few cores here: idle thread-pool threads should sleep, not spin.
  export DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=${DOTNET_ThreadPool_UnfairSemaphoreSpinLimit:-0}
  export WeChat__ApiBaseUrl="http://127.0.0.1:$sim_port"
  export WeChat__OAuthAuthorizeUrl="http://127.0.0.1:$sim_port/connect/oauth2/authorize"
  export WeChat__Accounts__0__AppId=$app_id
  export WeChat__Accounts__0__AppSecret=demo-app-secret-0123456789abcdef
  export WeChat__Accounts__0__Token=demotoken
  export WeChat__Accounts__0__EncodingAESKey=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG
  export WeChat__Accounts__0__DisplayName="Demo account (simulator)"
  export Database__Provider=Sqlite
  export ConnectionStrings__WeChat="Data Source=$dir/wechat.db"
  export ConnectionStrings__RabbitMq=${STACK_RABBITMQ:-amqp://guest:guest@localhost:5672/}
  export Messaging__Transport=RabbitMq
  export Api__Keys__0=${STACK_API_KEY:-local-stack-api-key}
}

start_process() { # name dll url [env...]
  local name=$1 dll=$2 url=$3
  shift 3
  # Run from the output folder (the content root, where appsettings.json lives); exec, so that the
  # recorded pid is the process itself and nothing keeps this script's output open.
  (cd "$(dirname "$dll")" && exec env "$@" ASPNETCORE_URLS="$url" dotnet "$dll" >"$dir/$name.log" 2>&1 </dev/null) &
  echo $! >"$dir/$name.pid"
}

wait_ready() { # name url
  for _ in $(seq 1 120); do
    if curl -fsS "$2" >/dev/null 2>&1; then echo "  $1 ready ($2)"; return 0; fi
    if ! kill -0 "$(cat "$dir/$1.pid")" 2>/dev/null; then echo "$1 exited; see $dir/$1.log" >&2; tail -20 "$dir/$1.log" >&2; return 1; fi
    sleep 0.5
  done
  echo "$1 not ready after 60 s; see $dir/$1.log" >&2
  return 1
}

start_worker() {
  local n=$1 port=$((worker_base_port + $1))
  # STACK_WORKER_ENV: extra KEY=VALUE settings for workers (e.g. Messaging__ConcurrentMessageLimit=8).
  # The GC settings are the worker's Dockerfile's (see WeChat.Worker.csproj).
  # shellcheck disable=SC2086
  (platform_env; start_process "worker-$n" "$(bin src/WeChat.Worker WeChat.Worker)" "http://127.0.0.1:$port" \
    DOTNET_GCgen0size=0x4000000 DOTNET_GCHeapCount=2 ${STACK_WORKER_ENV:-})
  wait_ready "worker-$n" "http://127.0.0.1:$port/health/ready"
}

up() {
  local workers=1
  if [ "${1:-}" = "--workers" ]; then workers=${2:?--workers needs a number}; fi
  mkdir -p "$dir"
  scripts/rabbitmq.sh ensure
  echo "Building ($configuration)..."
  for project in src/WeChat.Api src/WeChat.Worker tools/WeChat.Simulator; do
    dotnet build "$project" -c "$configuration" -v quiet -nologo | { grep -E ": error " | sort -u >&2 || true; }  # show only errors
  done

  start_process simulator "$(bin tools/WeChat.Simulator WeChat.Simulator)" "http://127.0.0.1:$sim_port" \
    Simulator__Accounts__0__CallbackUrl="http://127.0.0.1:$api_port/wechat/$app_id"
  wait_ready simulator "http://127.0.0.1:$sim_port/"
  (platform_env; start_process api "$(bin src/WeChat.Api WeChat.Api)" "http://127.0.0.1:$api_port")
  wait_ready api "http://127.0.0.1:$api_port/health/ready"
  for n in $(seq 1 "$workers"); do start_worker "$n"; done
  echo "Stack up: API http://127.0.0.1:$api_port, simulator http://127.0.0.1:$sim_port, $workers worker(s). Logs in .stack/."
}

down() {
  [ -d "$dir" ] || return 0
  for pidfile in "$dir"/*.pid; do
    [ -f "$pidfile" ] || continue
    kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
  done
  for pidfile in "$dir"/*.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
  echo "Stack down."
}

status() {
  for pidfile in "$dir"/*.pid; do
    [ -f "$pidfile" ] || { echo "nothing runs"; return 0; }
    name=$(basename "$pidfile" .pid)
    if kill -0 "$(cat "$pidfile")" 2>/dev/null; then echo "$name: running (pid $(cat "$pidfile"))"; else echo "$name: stopped"; fi
  done
}

case "${1:-}" in
  up) shift; up "$@" ;;
  down) down ;;
  status) status ;;
  kill-worker) kill -KILL "$(cat "$dir/worker-${2:?worker number}.pid")"; echo "worker-$2 killed (SIGKILL)" ;;
  start-worker) start_worker "${2:?worker number}" ;;
  *) sed -n '2,16p' "$0"; exit 2 ;;
esac
