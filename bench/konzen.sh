# Shared by bench/load.sh and bench/export.sh, sourced after their options are read ($postgres,
# $database_prefix): builds Release, starts konzen on a free port with a new data folder (SQLite, or
# two new PostgreSQL databases on the given server, dropped on exit), registers one subject by phone
# and reads its code from the SMS outbox. Leaves $konzen, $load, $url, $settings, $database, $data,
# $pid, $phone, $registration, $code, libpq() and start_konzen() to the caller.

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
  database=${database_prefix}_$RANDOM$RANDOM
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

# Starts konzen on the stores (again, after a stop) and waits until it answers /healthz.
start_konzen() {
  "$konzen" --urls "$url" "${settings[@]}" --Logging:LogLevel:Default=Warning >>"${KONZEN_LOAD_LOG:-$data/konzen.log}" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    curl -fs "$url/healthz" >/dev/null 2>&1 && break
    sleep 0.2
  done
}
start_konzen

phone=+8613800138000
registration=$("$load" register --url "$url" --phone "$phone")
code=$("$konzen" sms outbox --limit 1 "${settings[@]}" 2>/dev/null | grep -oE '\b[0-9]{6}\b' | tail -1)
if [[ -n $database ]]; then store="PostgreSQL (database $database)"; else store="SQLite (synchronous=FULL)"; fi
echo "konzen on $url, store: $store, $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
