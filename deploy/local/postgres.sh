#!/usr/bin/env bash
# Makes a PostgreSQL server available for SampleMind, idempotently, and prints its connection string.
#
#   deploy/local/postgres.sh          ensure installed + running, role and database present
#   deploy/local/postgres.sh stop     stop the project's cluster (leaves every other cluster alone)
#   deploy/local/postgres.sh url      print the connection string only
#
# When SAMPLEMIND_PG is set, that server is used as it is: nothing is installed or started.
# Otherwise the script owns one Debian cluster named "samplemind" on its own port (55432), so the
# machine's default cluster (5432) and anything else on it are never touched.
set -euo pipefail

CLUSTER=samplemind
PORT="${SAMPLEMIND_PG_PORT:-55432}"
ROLE=samplemind
PASSWORD=samplemind
DATABASE=samplemind

log() { echo "postgres: $*" >&2; }
die() { echo "postgres: error: $*" >&2; exit 1; }

url() { echo "Host=127.0.0.1;Port=${PORT};Username=${ROLE};Password=${PASSWORD};Database=${DATABASE}"; }

as_postgres() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else sudo -n -u postgres -- "$@"; fi
}

pg_version() { ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -1; }

ensure_installed() {
  if command -v pg_createcluster >/dev/null 2>&1 && [ -n "$(pg_version)" ]; then return; fi
  [ "$(id -u)" = "0" ] || die "PostgreSQL is not installed and this user cannot install it (run as root, or set SAMPLEMIND_PG)"
  log "installing Debian's postgresql package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq postgresql >/dev/null
  # The package creates and may start the default cluster; we do not use it and leave it as it is.
}

ensure_cluster() {
  local v; v="$(pg_version)"
  if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "$v $CLUSTER"; then
    log "creating cluster $v/$CLUSTER on port $PORT"
    pg_createcluster "$v" "$CLUSTER" --port "$PORT" --start-conf manual -- --auth-local=peer --auth-host=scram-sha-256 >/dev/null
    local conf="/etc/postgresql/$v/$CLUSTER/postgresql.conf"
    cat >>"$conf" <<CONF
# SampleMind local stack
listen_addresses = '127.0.0.1'
max_connections = 500
shared_buffers = 512MB
wal_buffers = 16MB
checkpoint_timeout = 15min
max_wal_size = 4GB
CONF
  fi
  if ! pg_lsclusters -h | awk -v v="$v" -v c="$CLUSTER" '$1==v && $2==c {print $4}' | grep -qx online; then
    log "starting cluster $v/$CLUSTER"
    pg_ctlcluster "$v" "$CLUSTER" start || die "could not start the cluster; see /var/log/postgresql/postgresql-$v-$CLUSTER.log"
  fi
  for _ in $(seq 1 50); do
    if as_postgres psql -p "$PORT" -Atqc 'select 1' >/dev/null 2>&1; then break; fi
    sleep 0.2
  done
  as_postgres psql -p "$PORT" -Atqc 'select 1' >/dev/null 2>&1 || die "the cluster does not answer on port $PORT"
  # Test runs start several clusters and hosts at once; a cluster created by an older version of this script has fewer.
  local max; max="$(as_postgres psql -p "$PORT" -Atqc 'show max_connections')"
  if [ "${max:-0}" -lt 500 ]; then
    log "raising max_connections from $max to 500 (restarts the cluster)"
    as_postgres psql -p "$PORT" -qc "ALTER SYSTEM SET max_connections = 500" >/dev/null
    pg_ctlcluster "$v" "$CLUSTER" restart
    for _ in $(seq 1 50); do
      if as_postgres psql -p "$PORT" -Atqc 'select 1' >/dev/null 2>&1; then break; fi
      sleep 0.2
    done
  fi
}

ensure_role_and_db() {
  as_postgres psql -p "$PORT" -v ON_ERROR_STOP=1 -Atq >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${ROLE}') THEN
    CREATE ROLE ${ROLE} LOGIN CREATEDB PASSWORD '${PASSWORD}';
  END IF;
END \$\$;
SQL
  if ! as_postgres psql -p "$PORT" -Atqc "select 1 from pg_database where datname='${DATABASE}'" | grep -q 1; then
    as_postgres createdb -p "$PORT" -O "$ROLE" "$DATABASE"
  fi
}

case "${1:-up}" in
  url)
    if [ -n "${SAMPLEMIND_PG:-}" ]; then echo "$SAMPLEMIND_PG"; else url; fi ;;
  stop)
    if [ -n "${SAMPLEMIND_PG:-}" ]; then log "SAMPLEMIND_PG is set: nothing of ours to stop"; exit 0; fi
    v="$(pg_version)"
    if [ -n "$v" ] && pg_lsclusters -h 2>/dev/null | awk -v v="$v" -v c="$CLUSTER" '$1==v && $2==c {print $4}' | grep -qx online; then
      pg_ctlcluster "$v" "$CLUSTER" stop >&2
    fi ;;
  up)
    if [ -n "${SAMPLEMIND_PG:-}" ]; then echo "$SAMPLEMIND_PG"; exit 0; fi
    # stdout carries the connection string alone; the tools' chatter (e.g. pg_ctlcluster's
    # "Removed stale pid file") goes to stderr.
    { ensure_installed; ensure_cluster; ensure_role_and_db; } >&2
    url ;;
  *) die "unknown command '$1' (use: up | stop | url)" ;;
esac
