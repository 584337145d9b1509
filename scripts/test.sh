#!/usr/bin/env bash
# The one command that runs every test (unit and integration), as the README says.
# Integration tests need RabbitMQ on localhost:5672; it is started here when none is reachable.
# Prints "N passed, N failed" last. Extra arguments go to `dotnet test` (e.g. --filter).
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/rabbitmq.sh ensure || exit 1

results=TestResults
rm -rf "$results"
dotnet test WeChat.sln -c Release --logger trx --results-directory "$results" "$@"
status=$?

passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; echo "dotnet test failed before reporting test results" >&2; fi
echo "$passed passed, $failed failed"
exit "$status"
