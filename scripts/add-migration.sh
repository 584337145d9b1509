#!/usr/bin/env bash
# Adds a migration for both providers: scripts/add-migration.sh <Name>
# Each provider keeps its own folder (Persistence/Migrations/Sqlite, Persistence/Migrations/SqlServer).
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: scripts/add-migration.sh <MigrationName>}"
dotnet tool restore >/dev/null
for provider in Sqlite SqlServer; do
  dotnet ef migrations add "$name" \
    --project src/WeChat.Infrastructure --startup-project src/WeChat.Infrastructure \
    --context "${provider}WeChatDbContext" \
    --output-dir "Persistence/Migrations/${provider}"
done
