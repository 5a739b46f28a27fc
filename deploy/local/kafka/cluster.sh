#!/usr/bin/env bash
# A three-node Apache Kafka cluster (KRaft, each node broker + controller) on this machine, beside the single test
# broker of kafka.sh: replication factor 3, min.insync.replicas 2, separate ports and data directories, small heaps.
# The chaos run (`npm run chaos`) kills and restarts its nodes; nothing here touches the broker on 9092.
#
#   deploy/local/kafka/cluster.sh start           format once (one cluster id), start the three nodes, wait for 3 brokers
#   deploy/local/kafka/cluster.sh stop            graceful stop of every node (SIGTERM, SIGKILL after 30 s)
#   deploy/local/kafka/cluster.sh status          one line per node: running or not, its port; exit 0 when all answer
#   deploy/local/kafka/cluster.sh kill N          SIGKILL node N (1..3): a crash, no controlled shutdown
#   deploy/local/kafka/cluster.sh restart N       start node N again (after kill or stop) and wait until it serves
#   deploy/local/kafka/cluster.sh brokers         prints the bootstrap list (KAFKA_BROKERS)
#   deploy/local/kafka/cluster.sh reset           stop and delete the data directory
#
# Environment: KAFKA_CLUSTER_PORT (19092: node N listens on PORT+N-1, its controller on PORT+100+N-1),
# KAFKA_CLUSTER_DIR (data and logs; default $TELLTALE_LOCAL_DIR/kafka-cluster-<port>), KAFKA_HEAP_OPTS
# (-Xms128m -Xmx384m per node), KAFKA_START_TIMEOUT_S (120).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib.sh
source "$HERE/../lib.sh"

KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$HERE/pom.xml")"
BASE_PORT="${KAFKA_CLUSTER_PORT:-19092}"
CLUSTER_DIR="${KAFKA_CLUSTER_DIR:-$TELLTALE_LOCAL_DIR/kafka-cluster-$BASE_PORT}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms128m -Xmx384m}"
LIB_DIR="$TELLTALE_LOCAL_DIR/kafka-$KAFKA_VERSION/lib"
START_TIMEOUT_S="${KAFKA_START_TIMEOUT_S:-120}"
NODES=(1 2 3)

port_of() { echo $((BASE_PORT + $1 - 1)); }
controller_port_of() { echo $((BASE_PORT + 100 + $1 - 1)); }
node_dir() { echo "$CLUSTER_DIR/node-$1"; }
brokers() {
  local list=() n
  for n in "${NODES[@]}"; do list+=("127.0.0.1:$(port_of "$n")"); done
  (IFS=,; echo "${list[*]}")
}

running_pid() {
  local pid_file pid
  pid_file="$(node_dir "$1")/kafka.pid"
  [[ -f "$pid_file" ]] || return 1
  pid="$(cat "$pid_file")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

check_node() {
  [[ "$1" =~ ^[123]$ ]] || die "node must be 1, 2 or 3 (got '${1:-}')."
}

configure() {
  local voters=() n
  for n in "${NODES[@]}"; do voters+=("$n@127.0.0.1:$(controller_port_of "$n")"); done
  voters="$(IFS=,; echo "${voters[*]}")"
  for n in "${NODES[@]}"; do
    local dir
    dir="$(node_dir "$n")"
    mkdir -p "$dir/logs"
    sed -e "s|@DATA_DIR@|$dir|g" -e "s|@PORT@|$(port_of "$n")|g" -e "s|@CONTROLLER_PORT@|$(controller_port_of "$n")|g" \
      -e "s|@NODE_ID@|$n|g" -e "s|@VOTERS@|$voters|g" "$HERE/cluster.properties.template" >"$dir/server.properties"
  done
  [[ -f "$CLUSTER_DIR/cluster.id" ]] && return 0
  # All three nodes must be formatted with the same cluster id.
  local cluster_id
  cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
  log "Formatting KRaft storage of three nodes in $CLUSTER_DIR (cluster $cluster_id)."
  for n in "${NODES[@]}"; do
    local dir
    dir="$(node_dir "$n")"
    java -cp "$LIB_DIR/*" -Dlog4j.configuration="file:$HERE/log4j.properties" -Dkafka.logs.dir="$dir/logs" \
      kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" --ignore-formatted \
      >"$dir/logs/format.log" 2>&1 || { cat "$dir/logs/format.log" >&2; die "formatting node $n failed."; }
  done
  echo "$cluster_id" >"$CLUSTER_DIR/cluster.id"
}

launch() {
  local n=$1 dir
  dir="$(node_dir "$n")"
  if running_pid "$n" >/dev/null; then
    log "Node $n is already running."
    return 0
  fi
  port_open 127.0.0.1 "$(port_of "$n")" && die "port $(port_of "$n") is taken by another process; set KAFKA_CLUSTER_PORT."
  : >"$dir/logs/server.log"
  # setsid + closed stdin: the node must not hold the caller's terminal or pipes open.
  # shellcheck disable=SC2086
  setsid nohup java $HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:TieredStopAtLevel=1 \
    -Djava.awt.headless=true -Dkafka.logs.dir="$dir/logs" -Dlog4j.configuration="file:$HERE/log4j.properties" \
    -cp "$LIB_DIR/*" kafka.Kafka "$dir/server.properties" >"$dir/logs/stdout.log" 2>&1 </dev/null &
  echo $! >"$dir/kafka.pid"
}

wait_node() {
  local n=$1 dir deadline=$((SECONDS + START_TIMEOUT_S))
  dir="$(node_dir "$n")"
  until port_open 127.0.0.1 "$(port_of "$n")" && grep -q 'Kafka Server started' "$dir/logs/server.log" 2>/dev/null; do
    if ! running_pid "$n" >/dev/null; then
      # The cause is logged before the shutdown's own lines: show the errors first, then the end.
      grep -E -m 20 'ERROR|FATAL' "$dir/logs/server.log" "$dir/logs/stdout.log" >&2 2>/dev/null || true
      tail -n 15 "$dir/logs/server.log" >&2 2>/dev/null || true
      die "node $n exited during start-up (logs in $dir/logs)."
    fi
    ((SECONDS < deadline)) || die "node $n did not start within ${START_TIMEOUT_S}s (logs in $dir/logs)."
    sleep 0.25
  done
}

# wait_brokers COUNT: until a metadata request lists COUNT brokers.
wait_brokers() {
  [[ -f "$HERE/wait-kafka.mjs" ]] && have node && [[ -d "$HERE/../../../node_modules/kafkajs" ]] || return 0
  node "$HERE/wait-kafka.mjs" "$(brokers)" "$START_TIMEOUT_S" "$1" \
    || die "the cluster did not list $1 brokers within ${START_TIMEOUT_S}s (logs in $CLUSTER_DIR/node-*/logs)."
}

start() {
  local started=$SECONDS n
  [[ -f "$LIB_DIR/.complete" ]] || "$HERE/kafka.sh" resolve
  configure
  log "Starting a three-node Kafka $KAFKA_VERSION cluster on $(brokers); data and logs in $CLUSTER_DIR."
  # The controllers need each other for a quorum: launch all three before waiting for any.
  for n in "${NODES[@]}"; do launch "$n"; done
  for n in "${NODES[@]}"; do wait_node "$n"; done
  wait_brokers 3
  log "Kafka cluster ready on $(brokers) ($((SECONDS - started)) s)."
}

stop_node() {
  local n=$1 pid
  pid="$(running_pid "$n")" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 120); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$(node_dir "$n")/kafka.pid"; return 0; }
    sleep 0.25
  done
  log "Node $n did not stop within 30 s; killing it."
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$(node_dir "$n")/kafka.pid"
}

stop() {
  local n
  # In parallel: the last node standing waits for a quorum that stopping nodes no longer give it.
  for n in "${NODES[@]}"; do stop_node "$n" & done
  wait
  log "Kafka cluster on $(brokers) stopped."
}

kill_node() {
  local n=$1 pid
  check_node "$n"
  pid="$(running_pid "$n")" || die "node $n is not running."
  kill -KILL "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  rm -f "$(node_dir "$n")/kafka.pid"
  log "Killed node $n (pid $pid, SIGKILL)."
}

restart_node() {
  local n=$1 started=$SECONDS
  check_node "$n"
  stop_node "$n"
  launch "$n"
  wait_node "$n"
  wait_brokers 3
  log "Node $n serves again on 127.0.0.1:$(port_of "$n") ($((SECONDS - started)) s)."
}

status() {
  local n ok=0
  for n in "${NODES[@]}"; do
    if running_pid "$n" >/dev/null && port_open 127.0.0.1 "$(port_of "$n")"; then
      echo "node $n: running on 127.0.0.1:$(port_of "$n")"
    else
      echo "node $n: not running (127.0.0.1:$(port_of "$n"))"
      ok=1
    fi
  done
  return $ok
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  kill) kill_node "${2:-}" ;;
  restart) restart_node "${2:-}" ;;
  brokers) brokers ;;
  reset) stop; rm -rf "$CLUSTER_DIR"; log "Deleted $CLUSTER_DIR." ;;
  *) echo "usage: $0 start|stop|status|kill N|restart N|brokers|reset" >&2; exit 2 ;;
esac
