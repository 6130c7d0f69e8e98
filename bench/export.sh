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

dotnet build -c Release src/Konzen.Privacy.Host >/dev/null
dotnet build -c Release bench/Konzen.Privacy.Load >/dev/null
konzen=src/Konzen.Privacy.Host/bin/Release/net10.0/konzen
load=bench/Konzen.Privacy.Load/bin/Release/net10.0/Konzen.Privacy.Load

data=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
settings=(--Storage:DataDirectory="$data")
database=

# psql takes libpq keywords: Host=…;Username=…;Password=… becomes host=… user=… password=… dbname=$1.
libpq() {
  python3 -c 'import sys; print(" ".join(p.replace("Host=", "host=").replace("Username=", "user=").replace("Password=", "password=").replace("Port=", "port=") for p in sys.argv[1].split(";") if p) + " dbname=" + sys.argv[2])' "$postgres" "$1"
}

if [[ -n $postgres ]]; then
  database=konzen_export_$RANDOM$RANDOM
  psql "$(libpq postgres)" -q -c "CREATE DATABASE $database" -c "CREATE DATABASE ${database}_keys"
  settings+=(--Storage:Database="$postgres;Database=$database" --Storage:KeyStore="$postgres;Database=${database}_keys")
fi

cleanup() {
  [[ -n ${pid:-} ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  if [[ -n $database ]]; then
    psql "$(libpq postgres)" -q -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" -c "DROP DATABASE IF EXISTS ${database}_keys WITH (FORCE)" || true
  fi
  rm -rf "$data"
}
trap cleanup EXIT

"$konzen" --urls "$url" "${settings[@]}" --Logging:LogLevel:Default=Warning >"${KONZEN_LOAD_LOG:-$data/konzen.log}" 2>&1 &
pid=$!
for _ in $(seq 100); do
  curl -fs "$url/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done

phone=+8613800138000
registration=$("$load" register --url "$url" --phone "$phone")
code=$("$konzen" sms outbox --limit 1 "${settings[@]}" 2>/dev/null | grep -oE '\b[0-9]{6}\b' | tail -1)
if [[ -n $database ]]; then store="PostgreSQL (database $database)"; else store="SQLite (synchronous=FULL)"; fi
echo "konzen on $url, store: $store, $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$load" seed --url "$url" --registration "$registration" --phone "$phone" --code "$code" --events "$events" --connections 8

# A new server process on the same stores, so its memory is the export's and not what seeding left behind.
kill "$pid" && wait "$pid" 2>/dev/null || true
"$konzen" --urls "$url" "${settings[@]}" --Logging:LogLevel:Default=Warning >>"${KONZEN_LOAD_LOG:-$data/konzen.log}" 2>&1 &
pid=$!
for _ in $(seq 100); do
  curl -fs "$url/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
echo "konzen restarted: resident $(grep VmRSS /proc/$pid/status | awk '{print int($2/1024)}') MiB before signing in"
"$load" export --url "$url" --phone "$phone" --pid "$pid" --runs 2
