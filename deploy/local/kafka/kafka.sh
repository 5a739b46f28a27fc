#!/usr/bin/env bash
# Runs a real Apache Kafka broker (KRaft, one combined broker/controller) without Docker:
# the jars come from Maven Central through pom.xml, the storage directory is formatted once.
#
#   deploy/local/kafka/kafka.sh start    resolve jars (cached), format, start, wait until it serves metadata
#   deploy/local/kafka/kafka.sh stop     graceful stop (SIGTERM, then SIGKILL after 30 s)
#   deploy/local/kafka/kafka.sh status   exit 0 when the broker answers
#   deploy/local/kafka/kafka.sh reset    stop and delete the data directory
#   deploy/local/kafka/kafka.sh resolve  only resolve the jars (cluster.sh uses them too)
#
# Environment: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_HEAP_OPTS (-Xms256m -Xmx768m),
# KAFKA_DATA_DIR (data and logs of this broker), TELLTALE_LOCAL_DIR (~/.cache/telltale: jars, default data dirs),
# MAVEN_REPO_LOCAL (Maven's local repository, default ~/.m2/repository: a fresh directory measures a cold start).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib.sh
source "$HERE/../lib.sh"

KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$HERE/pom.xml")"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"
LIB_DIR="$TELLTALE_LOCAL_DIR/kafka-$KAFKA_VERSION/lib"
DATA_DIR="${KAFKA_DATA_DIR:-$TELLTALE_LOCAL_DIR/kafka-data-$KAFKA_PORT}"
CONF="$DATA_DIR/server.properties"
PID_FILE="$DATA_DIR/kafka.pid"
START_TIMEOUT_S="${KAFKA_START_TIMEOUT_S:-120}"

need_tools() {
  local missing=()
  have java || missing+=(java)
  have mvn || missing+=(mvn)
  ((${#missing[@]} == 0)) && return 0
  if [[ $(id -u) == 0 ]] && have apt-get && [[ "${TELLTALE_NO_AUTO_INSTALL:-}" != 1 ]]; then
    log "Installing ${missing[*]} from Debian packages (needed to run Kafka from Maven Central)."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless maven >/dev/null
  else
    die "Kafka needs ${missing[*]}: install Java 17+ and Maven (Debian: apt-get install default-jre-headless maven)."
  fi
}

resolve_jars() {
  [[ -f "$LIB_DIR/.complete" ]] && return 0
  log "Resolving Kafka $KAFKA_VERSION and its dependencies from Maven Central into $LIB_DIR ..."
  mkdir -p "$LIB_DIR"
  mvn -B -q -Dstyle.color=never -f "$HERE/pom.xml" ${MAVEN_REPO_LOCAL:+"-Dmaven.repo.local=$MAVEN_REPO_LOCAL"} \
    dependency:copy-dependencies "-Dkafka.lib.dir=$LIB_DIR" \
    || die "mvn could not resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION (see the Maven output above)."
  touch "$LIB_DIR/.complete"
}

format_storage() {
  mkdir -p "$DATA_DIR/logs"
  sed -e "s|@DATA_DIR@|$DATA_DIR|g" -e "s|@PORT@|$KAFKA_PORT|g" -e "s|@CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
    "$HERE/server.properties.template" >"$CONF"
  [[ -f "$DATA_DIR/log/meta.properties" ]] && return 0
  local cluster_id
  cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
  log "Formatting KRaft storage in $DATA_DIR/log (cluster $cluster_id)."
  java -cp "$LIB_DIR/*" -Dlog4j.configuration="file:$HERE/log4j.properties" -Dkafka.logs.dir="$DATA_DIR/logs" \
    kafka.tools.StorageTool format -t "$cluster_id" -c "$CONF" --ignore-formatted >"$DATA_DIR/logs/format.log" 2>&1 \
    || { cat "$DATA_DIR/logs/format.log" >&2; die "formatting the KRaft storage failed."; }
}

running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

wait_ready() {
  local started=$SECONDS deadline=$((SECONDS + START_TIMEOUT_S))
  until port_open 127.0.0.1 "$KAFKA_PORT" && grep -q 'Kafka Server started' "$DATA_DIR/logs/server.log" 2>/dev/null; do
    if ! running_pid >/dev/null; then
      tail -n 40 "$DATA_DIR/logs/stdout.log" "$DATA_DIR/logs/server.log" >&2 2>/dev/null || true
      die "the Kafka process exited during start-up (logs above; all logs in $DATA_DIR/logs)."
    fi
    ((SECONDS < deadline)) || die "Kafka did not start within ${START_TIMEOUT_S}s (logs in $DATA_DIR/logs)."
    sleep 0.25
  done
  # The port and the log line say the server is up; a metadata request says clients can use it.
  if [[ -f "$HERE/wait-kafka.mjs" ]] && have node && [[ -d "$HERE/../../../node_modules/kafkajs" ]]; then
    node "$HERE/wait-kafka.mjs" "127.0.0.1:$KAFKA_PORT" "$((deadline - SECONDS))" \
      || die "Kafka is up but does not answer metadata requests (logs in $DATA_DIR/logs)."
  fi
  log "Kafka $KAFKA_VERSION is ready on 127.0.0.1:$KAFKA_PORT ($((SECONDS - started)) s after launch)."
}

start() {
  if port_open 127.0.0.1 "$KAFKA_PORT"; then
    log "Kafka already answers on 127.0.0.1:$KAFKA_PORT."
    return 0
  fi
  need_tools
  resolve_jars
  format_storage
  log "Starting Kafka $KAFKA_VERSION (KRaft) on 127.0.0.1:$KAFKA_PORT; logs in $DATA_DIR/logs."
  : >"$DATA_DIR/logs/server.log"
  # setsid + closed stdin: the broker must not hold the caller's terminal or pipes open.
  # shellcheck disable=SC2086
  setsid nohup java $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dkafka.logs.dir="$DATA_DIR/logs" -Dlog4j.configuration="file:$HERE/log4j.properties" \
    -cp "$LIB_DIR/*" kafka.Kafka "$CONF" >"$DATA_DIR/logs/stdout.log" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  wait_ready
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    log "No Kafka started by this script is running."
    return 0
  fi
  log "Stopping Kafka (pid $pid)."
  kill -TERM "$pid"
  for _ in $(seq 1 120); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$PID_FILE"; log "Kafka stopped."; return 0; }
    sleep 0.25
  done
  log "Kafka did not stop within 30 s; killing it."
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PID_FILE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) port_open 127.0.0.1 "$KAFKA_PORT" && log "Kafka answers on 127.0.0.1:$KAFKA_PORT." ;;
  reset) stop; rm -rf "$DATA_DIR"; log "Deleted $DATA_DIR." ;;
  resolve) need_tools; resolve_jars ;;
  *) echo "usage: $0 start|stop|status|reset|resolve" >&2; exit 2 ;;
esac
