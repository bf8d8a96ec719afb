#!/usr/bin/env bash
# install.sh [kafka|postgres|stripe-mock|promtool|chromium|all]: installs whatever is missing, quietly; tool output goes to .run/install.log.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=deploy/local/lib.sh
. "$ROOT/deploy/local/lib.sh"
STRIPE_MOCK_VERSION=v0.203.0
mkdir -p "$RUN"; LOG=$RUN/install.log

# quiet CMD...: run with output to the log; on failure show the log's tail.
quiet() {
  printf '\n== %s %s\n' "$(date -Is)" "$*" >>"$LOG"
  "$@" >>"$LOG" 2>&1 || { tail -n 40 "$LOG" >&2; die "install failed: $* (log: $LOG)"; }
}

install_kafka() {
  local k=$HERE/kafka
  if [ ! -f "$k/lib/kafka_2.13-$KAFKA_VERSION.jar" ]; then
    rm -rf "${k:?}/lib"  # a half-copied lib/ from an interrupted run
    # Pinned plugin: Maven 3.8.7's default dependency plugin (2.8) is too old.
    quiet mvn -B -q -f "$k/pom.xml" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
      -DoutputDirectory=lib -DincludeScope=runtime
  fi
  echo "kafka $KAFKA_VERSION: $k/lib"
}

install_postgres() {
  if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    [ "$(id -u)" = 0 ] || die "PostgreSQL is not installed; run as root: apt-get install postgresql"
    export DEBIAN_FRONTEND=noninteractive
    quiet apt-get update -qq
    quiet apt-get install -y -qq postgresql
  fi
  echo "postgresql: $(pg_bin)"
}

install_stripe_mock() {
  if [ ! -x "$ROOT/.bin/stripe-mock" ]; then
    command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
    GOBIN=$ROOT/.bin quiet go install "github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION"
  fi
  echo "stripe-mock $STRIPE_MOCK_VERSION: $ROOT/.bin/stripe-mock"
}

# promtool checks the Prometheus config, rules and rule unit tests, and the dashboard's PromQL
# (tests/integration/test_operations.py). Debian's `prometheus` package ships it; without
# Recommends it does not pull in node-exporter, and no daemon is started.
install_promtool() {
  if [ ! -x /usr/bin/promtool ]; then
    [ "$(id -u)" = 0 ] || die "promtool is not installed; run as root: apt-get install --no-install-recommends prometheus"
    export DEBIAN_FRONTEND=noninteractive
    quiet apt-get update -qq
    quiet apt-get install -y -qq --no-install-recommends prometheus
  fi
  echo "promtool: $(/usr/bin/promtool --version 2>&1 | head -n 1)"
}

# Chromium drives the dashboards' end-to-end tests (tests/e2e, Playwright). Debian's package, never
# `playwright install`: tests pass its path as executable_path (CHROMIUM_PATH, default below).
install_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    [ "$(id -u)" = 0 ] || die "Chromium is not installed; run as root: apt-get install chromium"
    export DEBIAN_FRONTEND=noninteractive
    quiet apt-get update -qq
    quiet apt-get install -y -qq chromium
  fi
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
}

case ${1:-all} in
  kafka) install_kafka ;;
  postgres) install_postgres ;;
  stripe-mock) install_stripe_mock ;;
  promtool) install_promtool ;;
  chromium) install_chromium ;;
  all) install_kafka; install_postgres; install_stripe_mock; install_promtool; install_chromium ;;
  *) die "usage: $0 [kafka|postgres|stripe-mock|promtool|chromium|all]" ;;
esac
