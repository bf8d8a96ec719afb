#!/usr/bin/env bash
# postgres.sh start|stop|status|restart|clean: throwaway PostgreSQL on 127.0.0.1 (trust auth, no fsync),
# database crm. start prints the DSN on its last stdout line. Data survives stop/start; clean deletes
# it. restart is an immediate one (no checkpoint, every connection cut, crash recovery on start),
# for the fault suite; CRM_PG_DIR puts a second server's data elsewhere (with its own CRM_PG_PORT).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=deploy/local/lib.sh
. "$ROOT/deploy/local/lib.sh"
PORT=${CRM_PG_PORT:-55432}
DSN=postgresql://postgres@127.0.0.1:$PORT/crm
AS=(); [ "$(id -u)" = 0 ] && AS=(runuser -u postgres --)  # initdb refuses to run as root

# The data dir's parent must be traversable by the postgres user (not so under a 0700 /root);
# otherwise use a /tmp dir derived from the repo path. The choice is kept in $RUN/pg.dir for stop/status.
pg_dir() {
  if [ -n "${CRM_PG_DIR:-}" ]; then echo "$CRM_PG_DIR"
  elif [ -s "$RUN/pg.dir" ]; then cat "$RUN/pg.dir"
  elif [ ${#AS[@]} -gt 0 ] && ! "${AS[@]}" test -x "$RUN"; then echo "/tmp/crm-pg-$(printf %s "$ROOT" | md5sum | cut -c1-8)"
  else echo "$RUN/pg"; fi
}

mkdir -p "$RUN"
DIR=$(pg_dir)
BIN=$(pg_bin)
running() { [ -x "$BIN/pg_ctl" ] && "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; }
version() { "$BIN/postgres" --version | awk '{print $3}'; }

start() {
  if ! running; then
    [ -x "$BIN/initdb" ] || { "$HERE/install.sh" postgres >&2; BIN=$(pg_bin); }
    mkdir -p "$DIR"; echo "$DIR" >"$RUN/pg.dir"
    [ ${#AS[@]} -eq 0 ] || chown postgres: "$DIR"
    if [ ! -f "$DIR/data/PG_VERSION" ]; then
      "${AS[@]}" "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync \
        >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; die "postgres: initdb failed"; }
    fi
    # No Unix socket: avoids the 107-byte socket path limit; pg_ctl -w still detects readiness over TCP.
    # Fast and not crash-safe, unless CRM_PG_DURABLE=1 (the fault suite: with synchronous_commit
    # off, an immediate restart loses the last commits, which no production server would).
    local durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    [ "${CRM_PG_DURABLE:-0}" = 1 ] && durability="-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
    "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/pg.log" -w -t 60 start -o \
      "-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories='' $durability" \
      >/dev/null || { tail -n 30 "$DIR/pg.log" >&2; die "postgres: start failed (log: $DIR/pg.log)"; }
  fi
  local psql=("$BIN/psql" -X -q -h 127.0.0.1 -p "$PORT" -U postgres)
  if [ "$("${psql[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'crm'")" != 1 ]; then
    "${psql[@]}" -d postgres -c "CREATE DATABASE crm" >/dev/null
  fi
  echo "$DSN"
}

stop() {
  if running; then "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null; fi
  echo "stopped"
}

status() {
  if running; then echo "running $DSN (PostgreSQL $(version))"; else echo "stopped"; exit 3; fi
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) status ;;
  restart)
    if running; then "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null; fi
    start ;;
  clean) stop; rm -rf "${DIR:?}" "$RUN/pg.dir"; echo "cleaned $DIR" ;;
  *) die "usage: $0 start|stop|status|restart|clean" ;;
esac
