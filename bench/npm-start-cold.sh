#!/usr/bin/env bash
# `npm start` → ready with a cold Maven cache (nothing downloaded yet: a fresh Maven repository and jar cache, so
# Kafka and the Maven plugin come from Maven Central) or warm (the jars already cached), without touching the shared
# infrastructure: its own Kafka broker (port 19092, controller 19093, data in a temporary directory), its own
# instance (schema telltale_coldstart, topics coldstart.*, Redis keys telltale:coldstart:*), API and ops ports and
# data directory. PostgreSQL, Redis and Mosquitto are the running ones (only answered, never restarted). Prints the
# ready time `npm start` reports and the wall time to it, then Ctrl-C's it (which stops the Kafka it started) and
# removes everything it made.
#
#   bash bench/npm-start-cold.sh [cold|warm]      (default cold)
#
# Environment: COLD_KAFKA_PORT (19092), COLD_API_PORT (18580), COLD_OPS_PORT_BASE (19580), COLD_READY_LIMIT_S (600).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
MODE="${1:-cold}"
[[ "$MODE" == cold || "$MODE" == warm ]] || { echo "usage: $0 [cold|warm]" >&2; exit 2; }
KAFKA_PORT="${COLD_KAFKA_PORT:-19092}"
API_PORT="${COLD_API_PORT:-18580}"
OPS_BASE="${COLD_OPS_PORT_BASE:-19580}"
LIMIT_S="${COLD_READY_LIMIT_S:-600}"
INSTANCE=coldstart
WORK="$(mktemp -d -t telltale-npm-start-XXXXXX)"
LOG="$WORK/npm-start.log"
PID=""

# Ctrl-C goes to the start command itself (its pid file; npm does not pass a signal sent to it alone on), which
# stops its services and the Kafka broker it started; then npm exits.
stop_start() {
  local pid
  pid="$(cat "$WORK/data/start.pid" 2>/dev/null || true)"
  [[ -n "$pid" ]] && kill -INT "$pid" 2>/dev/null
  for _ in $(seq 1 60); do kill -0 "$PID" 2>/dev/null || return 0; sleep 0.5; done
  [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null
  kill -KILL "$PID" 2>/dev/null || true
}

cleanup() {
  if [[ -n "$PID" ]] && kill -0 "$PID" 2>/dev/null; then stop_start; fi
  # The private broker, should Ctrl-C not have stopped it.
  KAFKA_PORT="$KAFKA_PORT" KAFKA_DATA_DIR="$WORK/kafka-data" TELLTALE_LOCAL_DIR="$WORK/local" \
    bash deploy/local/kafka/kafka.sh stop >/dev/null 2>&1 || true
  psql -q -h 127.0.0.1 -U postgres -c "DROP SCHEMA IF EXISTS telltale_$INSTANCE CASCADE" >/dev/null 2>&1 || true
  if command -v redis-cli >/dev/null 2>&1; then
    redis-cli -h 127.0.0.1 --scan --pattern "telltale:$INSTANCE:*" | xargs -r redis-cli -h 127.0.0.1 del >/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

for port in "$KAFKA_PORT" "$((KAFKA_PORT + 1))" "$API_PORT" $(seq $((OPS_BASE + 1)) $((OPS_BASE + 6))); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "port $port is in use" >&2; exit 1; fi
done

env_vars=(
  KAFKA_PORT="$KAFKA_PORT" KAFKA_CONTROLLER_PORT="$((KAFKA_PORT + 1))" KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT"
  KAFKA_DATA_DIR="$WORK/kafka-data" TELLTALE_DATA_DIR="$WORK/data" TELLTALE_OPS_PORT_BASE="$OPS_BASE"
  MQTT_CLEAN_SESSION=true
)
if [[ "$MODE" == cold ]]; then
  env_vars+=(TELLTALE_LOCAL_DIR="$WORK/local" MAVEN_REPO_LOCAL="$WORK/m2")
fi

echo "uptime: $(uptime)"
T0=$(date +%s.%N)
env "${env_vars[@]}" npm start --silent -- --instance "$INSTANCE" --vehicles 1 --api-port "$API_PORT" >"$LOG" 2>&1 &
PID=$!
READY=""
while [[ -z "$READY" ]]; do
  kill -0 "$PID" 2>/dev/null || { echo "npm start exited:" >&2; tail -n 40 "$LOG" >&2; exit 1; }
  READY="$(grep -m1 -o 'Ready in [0-9.]* s' "$LOG" || true)"
  (($(date +%s) - ${T0%.*} < LIMIT_S)) || { echo "not ready within ${LIMIT_S} s" >&2; tail -n 40 "$LOG" >&2; exit 1; }
  sleep 0.2
done
T1=$(date +%s.%N)
grep -E 'Resolving|Formatting|Kafka (started|answers)|download|\] (Database schema|Services|Ready)' "$LOG" \
  | sed -e 's/\x1b\[[0-9;]*m//g' -e 's/^ */  /' || true
printf '%s Maven cache: npm start printed "%s"; wall time from the command to it %.1f s\n' \
  "$MODE" "$READY" "$(echo "$T1 - $T0" | bc)"
T2=$(date +%s.%N)
stop_start
printf 'Ctrl-C → exit %.1f s\n' "$(echo "$(date +%s.%N) - $T2" | bc)"
echo "uptime: $(uptime)"
echo "command: bash bench/npm-start-cold.sh $MODE"
