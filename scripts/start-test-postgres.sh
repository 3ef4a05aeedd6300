#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on 127.0.0.1 for the test suite (installing Debian's
# postgresql package first when it is missing) and prints the connection string on stdout.
# Idempotent: a server already started by this script (same port) is reused.
#   usage: scripts/start-test-postgres.sh [PORT]     (default 54329)
set -euo pipefail
PORT="${1:-54329}"
PASSWORD="ak-test"
DATA="${AK_TEST_PG_DIR:-/tmp/ak-test-pg-$PORT}"
CONN="Host=127.0.0.1;Port=$PORT;Username=postgres;Password=$PASSWORD"

find_pgbin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

if ! PGBIN=$(find_pgbin); then
  echo "PostgreSQL not found; installing Debian's postgresql package…" >&2
  "$(dirname "$0")/apt-install.sh" postgresql
  PGBIN=$(find_pgbin)
fi

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if as_postgres "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  echo "$CONN"
  exit 0
fi

rm -rf "$DATA"
mkdir -p "$DATA"
[ "$(id -u)" -eq 0 ] && chown postgres: "$DATA"
chmod 700 "$DATA"
PWFILE="$DATA.pw"
echo "$PASSWORD" > "$PWFILE"; chmod 644 "$PWFILE"
as_postgres "$PGBIN/initdb" -D "$DATA" -U postgres --auth=scram-sha-256 --pwfile="$PWFILE" -E UTF8 --no-locale -N >/dev/null
as_postgres "$PGBIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w start \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=/tmp -c fsync=off -c max_connections=300 -c synchronous_commit=off" >/dev/null
echo "$CONN"
