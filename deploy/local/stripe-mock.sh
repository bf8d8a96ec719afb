#!/usr/bin/env bash
# stripe-mock.sh start|stop|status: stripe-mock on 127.0.0.1; start prints its base URL on the last stdout line.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=deploy/local/lib.sh
. "$ROOT/deploy/local/lib.sh"
PORT=${CRM_STRIPE_PORT:-12111}
BIN=$ROOT/.bin/stripe-mock
PIDF=$RUN/stripe-mock.pid; LOG=$RUN/stripe-mock.log
URL=http://127.0.0.1:$PORT

running() { pid_alive "$PIDF" stripe-mock && port_open "$PORT"; }
answers() { [ "$(curl -s -o /dev/null -m 1 -w '%{http_code}' "$URL/" || true)" != 000 ]; }  # 401 counts

start() {
  if running; then echo "$URL"; return; fi
  if pid_alive "$PIDF" stripe-mock; then stop >&2; fi
  ! port_open "$PORT" || die "port $PORT is already used by another process"
  [ -x "$BIN" ] || "$HERE/install.sh" stripe-mock >&2
  mkdir -p "$RUN"
  # -http-addr alone still opens HTTPS on [::]:12112; pin it to a loopback, system-chosen port.
  setsid "$BIN" -http-addr "127.0.0.1:$PORT" -https-addr 127.0.0.1:0 </dev/null >"$LOG" 2>&1 &
  echo $! >"$PIDF"
  local _
  for _ in $(seq 300); do  # 30 s
    pid_alive "$PIDF" stripe-mock || { tail -n 20 "$LOG" >&2; die "stripe-mock exited (log: $LOG)"; }
    if answers; then echo "$URL"; return; fi
    sleep 0.1
  done
  tail -n 20 "$LOG" >&2; stop >/dev/null; die "stripe-mock: no HTTP answer on $URL after 30 s (log: $LOG)"
}

stop() { stop_pid "$PIDF" stripe-mock; echo "stopped"; }

# `stripe-mock -version` says "master" for go-installed builds; the module version is in the build info.
version() {
  command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
  go version -m "$BIN" 2>/dev/null | awk '$1 == "mod" {print $3}' || true
}

status() {
  if running; then echo "running $URL (stripe-mock $(version), pid $(<"$PIDF"))"; else echo "stopped"; exit 3; fi
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $0 start|stop|status" ;;
esac
