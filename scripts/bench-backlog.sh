#!/usr/bin/env bash
# New traffic while a backlog of due replies drains, as after a WeChat outage: a fresh stack with one
# worker, N pending customer-service rows that are already due written straight into the outbox, then
# 6,000 callbacks at 300/s from new followers. Reports their end-to-end latency, the worker's SQLite
# writer (scripts/write-gate.py) and how much of the backlog was worked off meanwhile.
# Usage: scripts/bench-backlog.sh [N]   (default 30000)
set -euo pipefail
cd "$(dirname "$0")/.."
backlog=${1:-30000}
generator="dotnet bench/WeChat.LoadGenerator/bin/Release/net10.0/WeChat.LoadGenerator.dll"
dotnet build bench/WeChat.LoadGenerator -c Release -v quiet -nologo | { grep -E ": error " | sort -u >&2 || true; }
scripts/stack.sh down >/dev/null
rm -f .stack/wechat.db*
scripts/stack.sh up --workers 1 >/dev/null
$generator --simulator http://127.0.0.1:5180 --follower-prefix oBacklog --count 9000 --followers 3000 --label warm-up >/dev/null
python3 - "$backlog" <<'PY'
import sqlite3, sys, uuid
count = int(sys.argv[1])
db = sqlite3.connect(".stack/wechat.db", timeout=30)
# A sent reply of the warm-up as the model: same account, kind, payload and time formats, due at once.
app, kind, payload, created, due = db.execute(
    'SELECT "AppId", "Kind", "Payload", "CreatedAt", "NextAttemptAt" FROM "OutboxMessages" WHERE "Kind" = 1 LIMIT 1').fetchone()
db.executemany(
    'INSERT INTO "OutboxMessages" ("Id", "AppId", "Kind", "ToUser", "Payload", "Status", "Attempts", "CreatedAt", "NextAttemptAt") '
    'VALUES (?, ?, ?, ?, ?, 0, 1, ?, ?)',
    [(str(uuid.uuid4()).upper(), app, kind, f"oBacklog{i % 3000:05d}", payload, created, due) for i in range(count)])
db.commit()
PY
pending() { python3 -c 'import sqlite3; print(sqlite3.connect("file:.stack/wechat.db?mode=ro", uri=True).execute("SELECT COUNT(*) FROM \"OutboxMessages\" WHERE \"Status\" = 0").fetchone()[0])'; }
echo "due backlog: $(pending) rows"
curl -s http://127.0.0.1:5101/metrics >/tmp/bench-backlog-before.txt
started=$(date +%s.%N)
$generator --simulator http://127.0.0.1:5180 --follower-prefix oBacklogNew --rate 300 --count 6000 --followers 2000 \
  --label "300/s while $backlog due replies drain"
curl -s http://127.0.0.1:5101/metrics >/tmp/bench-backlog-after.txt
scripts/write-gate.py /tmp/bench-backlog-before.txt /tmp/bench-backlog-after.txt \
  "$(awk -v started="$started" -v now="$(date +%s.%N)" 'BEGIN { print now - started }')"
echo "due backlog left: $(pending) rows"
scripts/stack.sh down >/dev/null
