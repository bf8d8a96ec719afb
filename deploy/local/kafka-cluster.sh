#!/usr/bin/env bash
# kafka-cluster.sh start|stop|status|clean|kill N|restart N: a 3-node KRaft Kafka cluster on
# 127.0.0.1 (each node broker and controller; replication factor 3, min.insync.replicas 2), the
# same jars as kafka.sh, for the fault suite. Brokers listen on CRM_KAFKA_CLUSTER_PORT (19192)
# and the next two ports, controllers on CRM_KAFKA_CLUSTER_CONTROLLER_PORT (19292) and the next
# two. start prints the bootstrap list on its last stdout line; kill N is a kill -9 of node N
# (1-3), restart N starts it again. Data survives stop/start; clean deletes it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=deploy/local/lib.sh
. "$ROOT/deploy/local/lib.sh"
BASE=${CRM_KAFKA_CLUSTER_PORT:-19192}
CBASE=${CRM_KAFKA_CLUSTER_CONTROLLER_PORT:-19292}
DIR=$RUN/kafka-cluster
CLUSTER_ID=Q2x1c3RlclRocmVlTm9kZQ  # fixed, so kept data dirs always match
NODES=(1 2 3)

port() { echo $((BASE + $1 - 1)); }
cport() { echo $((CBASE + $1 - 1)); }
pidf() { echo "$DIR/node$1/pid"; }
bootstrap() { local n out=(); for n in "${NODES[@]}"; do out+=("127.0.0.1:$(port "$n")"); done; (IFS=,; echo "${out[*]}"); }
voters() { local n out=(); for n in "${NODES[@]}"; do out+=("$n@127.0.0.1:$(cport "$n")"); done; (IFS=,; echo "${out[*]}"); }
alive() { pid_alive "$(pidf "$1")" kafka.Kafka; }
serving() { alive "$1" && port_open "$(port "$1")"; }

java_cmd() {
  local n=$1
  echo java -Xms128m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true -Dkafka.logs.dir="$DIR/node$n/logs" \
    -Dlog4j2.configurationFile="$K/log4j2.properties" -cp "$K/lib/*"
}

launch() {  # launch N: start node N in the background (its own session), formatting it first
  local n=$1 d=$DIR/node$1
  if serving "$n"; then return; fi
  if alive "$n"; then stop_pid "$(pidf "$n")" kafka.Kafka; fi
  ! port_open "$(port "$n")" || die "port $(port "$n") is already used by another process"
  mkdir -p "$d/data" "$d/logs"
  sed -e "s#@NODE@#$n#g" -e "s#@PORT@#$(port "$n")#g" -e "s#@CPORT@#$(cport "$n")#g" \
    -e "s#@VOTERS@#$(voters)#g" -e "s#@DATA@#$d/data#g" "$K/cluster.properties.tmpl" >"$d/server.properties"
  local java
  read -r -a java <<<"$(java_cmd "$n")"
  if [ ! -f "$d/data/meta.properties" ]; then
    "${java[@]}" kafka.tools.StorageTool format --ignore-formatted -t "$CLUSTER_ID" \
      -c "$d/server.properties" >"$d/logs/format.out" 2>&1 \
      || { cat "$d/logs/format.out" >&2; die "kafka node $n: format failed"; }
  fi
  setsid "${java[@]}" kafka.Kafka "$d/server.properties" </dev/null >"$d/logs/kafka.out" 2>&1 &
  echo $! >"$(pidf "$n")"
}

await() {  # await N...: each node's broker port open, within 120 s
  local n _
  for _ in $(seq 1200); do
    local all=1
    for n in "$@"; do
      alive "$n" || { tail -n 50 "$DIR/node$n/logs/kafka.out" >&2; die "kafka node $n exited"; }
      port_open "$(port "$n")" || all=0
    done
    [ "$all" = 1 ] && return
    sleep 0.1
  done
  die "kafka cluster: brokers not serving after 120 s (logs: $DIR/node*/logs)"
}

start() {
  [ -f "$K/lib/kafka_2.13-$KAFKA_VERSION.jar" ] || "$HERE/install.sh" kafka >&2
  local n
  for n in "${NODES[@]}"; do launch "$n"; done
  await "${NODES[@]}"
  bootstrap
}

stop() { local n; for n in "${NODES[@]}"; do stop_pid "$(pidf "$n")" kafka.Kafka; done; echo "stopped"; }

status() {
  local n rc=0
  for n in "${NODES[@]}"; do
    if serving "$n"; then echo "node $n: running 127.0.0.1:$(port "$n") (pid $(<"$(pidf "$n")"))"
    else echo "node $n: stopped"; rc=3; fi
  done
  return "$rc"
}

node_arg() { case ${1:-} in 1|2|3) echo "$1" ;; *) die "usage: $0 kill|restart 1|2|3" ;; esac; }

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) status ;;
  clean) stop; rm -rf "${DIR:?}"; echo "cleaned $DIR" ;;
  kill) n=$(node_arg "${2:-}"); if alive "$n"; then kill -9 "$(<"$(pidf "$n")")"; fi; echo "killed node $n" ;;
  restart) n=$(node_arg "${2:-}"); launch "$n"; await "$n"; echo "node $n: 127.0.0.1:$(port "$n")" ;;
  *) die "usage: $0 start|stop|status|clean|kill N|restart N" ;;
esac
