# Sourced by CI scripts: a throwaway PostgreSQL from the machine's server
# binaries on a free loopback port, stopped and removed when the script exits.
# Sets DATABASE_URL (superuser "postgres", trust auth on 127.0.0.1 only).

pg_bindir() {
  if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir
  else
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
  fi
}

# initdb and postgres refuse to run as root: run them as the postgres user then.
as_pg_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local bindir port
  bindir=$(pg_bindir)
  if [ -z "$bindir" ]; then
    echo "no PostgreSQL server binaries found: apt-get install postgresql" >&2
    return 1
  fi
  PG_CI_DIR=$(mktemp -d)
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_CI_DIR"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_pg_owner "$bindir/initdb" -D "$PG_CI_DIR/data" -U postgres --auth=trust --no-sync \
    -E UTF8 --locale=C.UTF-8 >/dev/null
  as_pg_owner "$bindir/pg_ctl" -D "$PG_CI_DIR/data" -l "$PG_CI_DIR/log" -w \
    -o "-p $port -k $PG_CI_DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  PG_CI_BINDIR=$bindir
  trap stop_postgres EXIT
  export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

stop_postgres() {
  as_pg_owner "$PG_CI_BINDIR/pg_ctl" -D "$PG_CI_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_CI_DIR"
}
