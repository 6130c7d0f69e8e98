#!/usr/bin/env bash
# Load over loopback against a fresh konzen (see bench/README.md):
#   bench/load.sh [--connections N] [--seconds S] [--postgres "Host=...;Username=...;Password=..."]
# Builds Release, starts konzen on a free port with a new data folder (SQLite, or two new PostgreSQL
# databases on the given server, dropped afterwards), registers one subject by phone, reads its code
# from the SMS outbox with `konzen sms outbox`, and runs bench/Konzen.Privacy.Load.
set -euo pipefail
cd "$(dirname "$0")/.."
connections=16
seconds=20
postgres=
while [[ $# -gt 0 ]]; do
  case "$1" in
    --connections) connections=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --postgres) postgres=$2; shift 2 ;;
    *) echo "usage: $0 [--connections N] [--seconds S] [--postgres CONNECTION]" >&2; exit 2 ;;
  esac
done

database_prefix=konzen_load
source bench/konzen.sh
"$load" run --url "$url" --registration "$registration" --phone "$phone" --code "$code" --connections "$connections" --seconds "$seconds"

# The answers' counts, checked against the store itself (warm-up batches included).
if [[ -n $database ]]; then
  rows=$(psql "$(libpq "$database")" -tAc "SELECT count(*) FROM log_events")
elif command -v sqlite3 >/dev/null; then
  rows=$(sqlite3 "$data/privacy.db" "SELECT count(*) FROM log_events")
fi
echo "rows in log_events after the run (with the warm-up): ${rows:-unknown (no sqlite3 client)}"
