#!/usr/bin/env bash
# What CI can check of the container deployment without a Docker engine: the compose file is valid
# (with the example settings), and the Release publish output each Dockerfile copies builds.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v docker-compose >/dev/null 2>&1; then
  echo "docker-compose is not installed (Debian: apt-get install -y --no-install-recommends docker-compose)" >&2
  exit 1
fi
docker-compose --env-file .env.example -f docker-compose.yml config -q
echo "docker-compose.yml is valid"
for project in src/WeChat.Api src/WeChat.Worker tools/WeChat.Simulator; do
  name=$(basename "$project")
  grep -q "dotnet publish $project/$name.csproj -c Release" "$project/Dockerfile"
  dotnet publish "$project/$name.csproj" -c Release -o "artifacts/publish/$name" -p:UseAppHost=false -v quiet -nologo >/dev/null
  test -f "artifacts/publish/$name/$name.dll"
  echo "published $name (what $project/Dockerfile copies)"
done
