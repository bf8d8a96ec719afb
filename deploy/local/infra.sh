#!/usr/bin/env bash
# infra.sh up|down|status [kafka postgres stripe-mock]  (default: all three)
# `up` prints one NAME=value line per started part on stdout, e.g.:  set -a; eval "$(deploy/local/infra.sh up)"; set +a
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=deploy/local/lib.sh
. "$ROOT/deploy/local/lib.sh"
cmd=${1:-}; shift || true
parts=("$@"); [ ${#parts[@]} -gt 0 ] || parts=(kafka postgres stripe-mock)

for p in "${parts[@]}"; do
  case $p in kafka|postgres|stripe-mock) ;; *) die "unknown part: $p (kafka, postgres, stripe-mock)" ;; esac
done

up() {
  local p out env=()
  for p in "${parts[@]}"; do
    out=$("$HERE/$p.sh" start) || die "$p: start failed"
    sed '$d' <<<"$out" >&2  # anything before the address line is informational
    out=$(tail -n 1 <<<"$out")
    case $p in
      kafka) env+=("KAFKA_BOOTSTRAP_SERVERS=$out")
        echo "kafka: Kafka $(basename "$HERE"/kafka/lib/kafka_2.13-*.jar .jar | sed 's/^kafka_2.13-//') at $out" >&2 ;;
      postgres) env+=("CRM_TEST_DATABASE_URL=$out")
        echo "postgres: $("$(pg_bin)/postgres" --version) at $out" >&2 ;;
      stripe-mock) env+=("STRIPE_API_BASE=$out")
        echo "stripe-mock: $("$HERE/stripe-mock.sh" status)" >&2 ;;
    esac
  done
  printf '%s\n' "${env[@]}"
}

down() {
  local p i
  for ((i = ${#parts[@]} - 1; i >= 0; i--)); do p=${parts[i]}; echo "$p: $("$HERE/$p.sh" stop)"; done
}

status() {
  local p out rc=0
  for p in "${parts[@]}"; do
    out=$("$HERE/$p.sh" status) || rc=3
    echo "$p: $out"
  done
  return "$rc"
}

case $cmd in
  up) up ;;
  down) down ;;
  status) status ;;
  *) die "usage: $0 up|down|status [kafka postgres stripe-mock]" ;;
esac
