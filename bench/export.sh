#!/usr/bin/env bash
# A 1,000,000-event export over loopback against a fresh konzen (see bench/README.md):
#   bench/export.sh [--events N] [--postgres "Host=...;Username=...;Password=..."]
# Builds Release, starts konzen on a free port with a new data folder (SQLite, or two new PostgreSQL
# databases on the given server, dropped afterwards), registers one subject by phone, reads its code
# from the SMS outbox, posts N events for it through the API, then streams GET /api/v1/me/data and
# reports elapsed time, bytes and the server process's peak resident memory during the export.
set -euo pipefail
cd "$(dirname "$0")/.."
events=1000000
postgres=
while [[ $# -gt 0 ]]; do
  case "$1" in
    --events) events=$2; shift 2 ;;
    --postgres) postgres=$2; shift 2 ;;
    *) echo "usage: $0 [--events N] [--postgres CONNECTION]" >&2; exit 2 ;;
  esac
done

database_prefix=konzen_export
source bench/konzen.sh
"$load" seed --url "$url" --registration "$registration" --phone "$phone" --code "$code" --events "$events" --connections 8

# A new server process on the same stores, so its memory is the export's and not what seeding left behind.
kill "$pid" && wait "$pid" 2>/dev/null || true
start_konzen
echo "konzen restarted: resident $(grep VmRSS /proc/$pid/status | awk '{print int($2/1024)}') MiB before signing in"
"$load" export --url "$url" --phone "$phone" --pid "$pid" --runs 2
