#!/usr/bin/env bash
# Makes sure a RabbitMQ broker listens on localhost:5672, starting the local rabbitmq-server
# (Debian package) when none does. Usage: scripts/rabbitmq.sh ensure|stop|start
set -euo pipefail

port_open() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }

pidfile() { echo "/var/lib/rabbitmq/mnesia/rabbit@$(hostname -s).pid"; }

start() {
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    echo "RabbitMQ is not reachable on localhost:5672 and rabbitmq-server is not installed." >&2
    echo "Install it (Debian/Ubuntu: sudo apt-get install -y rabbitmq-server) or point ConnectionStrings__RabbitMq at a broker." >&2
    exit 1
  fi
  echo "Starting local RabbitMQ..."
  rabbitmq-server -detached
  # 'await_startup' fails right after -detached; 'wait' on the pid file does not.
  for _ in $(seq 1 30); do [ -f "$(pidfile)" ] && break; sleep 1; done
  rabbitmqctl wait --timeout 60 "$(pidfile)" >/dev/null
  for _ in $(seq 1 60); do port_open && break; sleep 1; done
  port_open || { echo "RabbitMQ did not open port 5672" >&2; exit 1; }
  echo "RabbitMQ is up."
}

stop() {
  rabbitmqctl stop >/dev/null 2>&1 || true
  for _ in $(seq 1 30); do port_open || break; sleep 1; done
}

case "${1:-ensure}" in
  ensure) port_open || start ;;
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 ensure|start|stop" >&2; exit 2 ;;
esac
