#!/usr/bin/env bash
# Runs every test: the library's, and the service's over HTTP, the CLI and a real Chromium, on
# SQLite and on PostgreSQL. On a fresh machine it installs and starts what they need first (as
# root); set KONZEN_TEST_POSTGRES to an admin connection string to use a server of your own, and
# KONZEN_TEST_CHROMIUM to another Chromium.
# Extra arguments go to `dotnet test`, for example: ./test.sh --filter Clause=S1.3
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if [ -z "${KONZEN_TEST_POSTGRES:-}" ]; then
  [ "$(id -u)" -eq 0 ] || { echo "test.sh: run as root to set up PostgreSQL, or set KONZEN_TEST_POSTGRES" >&2; exit 1; }
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "== installing PostgreSQL"
    apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
  fi
  cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $1" "$2}')
  if [ -z "$cluster" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    pg_createcluster "$version" main >/dev/null
    cluster="$version main"
  fi
  pg_ctlcluster $cluster start 2>/dev/null || true
  pg_isready -q -t 30 -h 127.0.0.1 || { echo "test.sh: PostgreSQL did not start" >&2; exit 1; }
  # A role of the tests' own with a fresh password each run: nothing secret lives in the
  # repository, and other users of the server (and their passwords) are left alone.
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  su postgres -c "psql -q -v ON_ERROR_STOP=1" >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'konzen_test') THEN CREATE ROLE konzen_test LOGIN CREATEDB; END IF;
END \$\$;
ALTER ROLE konzen_test PASSWORD '$password';
-- DROP DATABASE ... WITH (FORCE) at the end of each test must also end an autovacuum worker that
-- happens to be in that database, which a role without this membership may not signal.
GRANT pg_signal_backend TO konzen_test;
SQL
  export KONZEN_TEST_POSTGRES="Host=127.0.0.1;Username=konzen_test;Password=$password;Database=postgres"
fi

if [ -z "${KONZEN_TEST_CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
  [ "$(id -u)" -eq 0 ] || { echo "test.sh: run as root to install Chromium, or set KONZEN_TEST_CHROMIUM" >&2; exit 1; }
  echo "== installing Chromium"
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi

dotnet test Konzen.Privacy.slnx "$@"
