#!/usr/bin/env bash
# kafka.sh start|stop|status|clean: single-node KRaft Kafka (broker+controller) on 127.0.0.1.
# start prints the bootstrap address on its last stdout line. Data survives stop/start; clean deletes it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=deploy/local/lib.sh
. "$ROOT/deploy/local/lib.sh"
PORT=${CRM_KAFKA_PORT:-19092}
CPORT=${CRM_KAFKA_CONTROLLER_PORT:-19093}
DIR=$RUN/kafka; PIDF=$DIR/pid; LOG=$DIR/logs/kafka.out
CLUSTER_ID=MkU3OEVBNTcwNTJENDM2Qk  # fixed, so a kept data dir always matches
ADDR=127.0.0.1:$PORT

running() { pid_alive "$PIDF" kafka.Kafka && port_open "$PORT"; }

start() {
  if running; then echo "$ADDR"; return; fi
  if pid_alive "$PIDF" kafka.Kafka; then stop >&2; fi  # alive but not serving: restart it
  ! port_open "$PORT" || die "port $PORT is already used by another process"
  [ -f "$K/lib/kafka_2.13-$KAFKA_VERSION.jar" ] || "$HERE/install.sh" kafka >&2
  mkdir -p "$DIR/data" "$DIR/logs"
  sed -e "s#@PORT@#$PORT#g" -e "s#@CPORT@#$CPORT#g" -e "s#@DATA@#$DIR/data#g" \
    "$K/server.properties.tmpl" >"$DIR/server.properties"
  local java=(java -Xms128m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true -Dkafka.logs.dir="$DIR/logs"
    -Dlog4j2.configurationFile="$K/log4j2.properties" -cp "$K/lib/*")
  if [ ! -f "$DIR/data/meta.properties" ]; then
    "${java[@]}" kafka.tools.StorageTool format --ignore-formatted -t "$CLUSTER_ID" \
      -c "$DIR/server.properties" >"$DIR/logs/format.out" 2>&1 \
      || { cat "$DIR/logs/format.out" >&2; die "kafka: format failed"; }
  fi
  # setsid: its own session, so a Ctrl-C or a killed process group of the caller does not take the broker down.
  setsid "${java[@]}" kafka.Kafka "$DIR/server.properties" </dev/null >"$LOG" 2>&1 &
  echo $! >"$PIDF"
  local _
  for _ in $(seq 900); do  # 90 s
    if ! pid_alive "$PIDF" kafka.Kafka; then
      tail -n 50 "$LOG" >&2; die "kafka: broker exited (log: $LOG)"
    fi
    if port_open "$PORT"; then echo "$ADDR"; return; fi
    sleep 0.1
  done
  tail -n 50 "$LOG" >&2; stop >/dev/null; die "kafka: port $PORT not open after 90 s (log: $LOG)"
}

stop() { stop_pid "$PIDF" kafka.Kafka; echo "stopped"; }

status() {
  if running; then echo "running $ADDR (Kafka $KAFKA_VERSION, pid $(<"$PIDF"))"; else echo "stopped"; exit 3; fi
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) status ;;
  clean) stop; rm -rf "${DIR:?}"; echo "cleaned $DIR" ;;
  *) die "usage: $0 start|stop|status|clean" ;;
esac
