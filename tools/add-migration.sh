#!/usr/bin/env bash
# Adds a migration NAME for both providers and both stores: tools/add-migration.sh AddConsentLedger
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: tools/add-migration.sh NAME}
dotnet tool restore >/dev/null
for provider in Sqlite Postgres; do
  project=src/Konzen.Privacy.Migrations.$provider
  dotnet build "$project" >/dev/null
  for context in PrivacyDbContext:Data KeyStoreDbContext:KeyStore; do
    dotnet ef migrations add "$name" --no-build --project "$project" --startup-project "$project" \
      --context "${context%%:*}" --output-dir "${context##*:}"
  done
done
