# shellcheck shell=bash
# Helpers sourced by the launchers in this directory; the caller sets ROOT first.
# shellcheck disable=SC2034  # used by the sourcing scripts
HERE=$ROOT/deploy/local
# shellcheck disable=SC2034
RUN=${CRM_RUN_DIR:-$ROOT/.run}
# Kafka from Maven Central's jars (install.sh kafka), shared by kafka.sh and kafka-cluster.sh.
# shellcheck disable=SC2034
KAFKA_VERSION=4.4.0
# shellcheck disable=SC2034
K=$HERE/kafka

die() { echo "$*" >&2; exit 1; }

# Newest installed PostgreSQL bin dir (Debian keeps one dir per major version).
pg_bin() { printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1; }

port_open() { timeout 1 bash -c ">/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# pid_alive PIDFILE PATTERN: the pid is alive and its command line contains PATTERN.
# The cmdline check rejects recycled pids and zombies (PID 1 here may not reap orphans).
pid_alive() {
  local pid
  [ -s "$1" ] || return 1
  pid=$(<"$1")
  grep -qaF -- "$2" "/proc/$pid/cmdline" 2>/dev/null
}

# stop_pid PIDFILE PATTERN: SIGTERM, wait up to 30 s, then SIGKILL. Idempotent.
stop_pid() {
  local pid _
  if pid_alive "$1" "$2"; then
    pid=$(<"$1")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 300); do pid_alive "$1" "$2" || break; sleep 0.1; done
    if pid_alive "$1" "$2"; then kill -9 "$pid" 2>/dev/null || true; sleep 0.2; fi
  fi
  rm -f "$1"
}
