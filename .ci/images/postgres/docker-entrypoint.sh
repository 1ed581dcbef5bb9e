#!/usr/bin/env bash
# The first start initialises $PGDATA: the superuser $POSTGRES_USER with
# $POSTGRES_PASSWORD (SCRAM over TCP), the database $POSTGRES_DB, then the
# scripts in /docker-entrypoint-initdb.d run against a temporary server that
# logs to standard output. The real server then logs to standard error: as
# with the official image, "ready to accept connections" appears on both.
set -euo pipefail

# As the official image: bare options are the server's.
if [ $# -eq 0 ] || [ "${1:0:1}" = - ]; then
  set -- postgres "$@"
fi
if [ "$1" != postgres ]; then
  exec "$@"
fi
shift

user="${POSTGRES_USER:-postgres}"
database="${POSTGRES_DB:-$user}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "${POSTGRES_HOST_AUTH_METHOD:-}" != trust ]; then
    echo "POSTGRES_PASSWORD is not set (or set POSTGRES_HOST_AUTH_METHOD=trust)" >&2
    exit 1
  fi
  auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
  initdb --username="$user" --pwfile=<(printf '%s\n' "${POSTGRES_PASSWORD:-}") \
    --auth-local=trust --auth-host="$auth" -E UTF8 --locale=C.UTF-8
  printf 'host all all all %s\n' "$auth" >> "$PGDATA/pg_hba.conf"
  printf "listen_addresses = '*'\n" >> "$PGDATA/postgresql.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -k /tmp" -w start
  if [ "$database" != postgres ]; then
    psql -h /tmp -U "$user" -d postgres -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$database\""
  fi
  for script in /docker-entrypoint-initdb.d/*; do
    case "$script" in
      *.sql) psql -h /tmp -U "$user" -d "$database" -v ON_ERROR_STOP=1 -f "$script" ;;
      *.sh) . "$script" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop
fi
exec postgres -k /tmp "$@"
