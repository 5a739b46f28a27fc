#!/usr/bin/env bash
# CI check of `npm start`, run from the repository it is in: the whole pipeline must come up, store a signal of a
# simulated vehicle, raise the first alert, and stop cleanly (exit 0) within 15 s of SIGINT. Prints the timings.
#
#   bash test/start/npm-start.sh            (.ci/run runs it after `npm test`)
#
# Isolated from the tests and from a developer's own `npm start`: instance ci_start (schema telltale_ci_start,
# topics ci_start.*, Redis keys telltale:ci_start:*, MQTT topics ci_start/tbox/+/telemetry), its own data directory
# and ports. One van by default (START_VEHICLES): on a shared 2-core machine one process cannot also carry an
# Aurora's 5,400 frames/s reliably. Environment: START_READY_LIMIT_S (120), START_ALERT_LIMIT_S (180),
# START_API_PORT (18480), START_OPS_PORT_BASE (19480), START_VEHICLES (1).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

READY_LIMIT_S="${START_READY_LIMIT_S:-120}"
ALERT_LIMIT_S="${START_ALERT_LIMIT_S:-180}"
STOP_LIMIT_S=15
API_PORT="${START_API_PORT:-18480}"
API="http://127.0.0.1:$API_PORT"
INSTANCE=ci_start
DATA_DIR="$(mktemp -d -t telltale-start-XXXXXX)"
LOG="$DATA_DIR/npm-start.log"

fail() {
  printf 'npm start check FAILED: %s\n--- last lines of the npm start output (%s) ---\n' "$*" "$LOG" >&2
  tail -n 60 "$LOG" >&2 || true
  exit 1
}

# A clean slate for this instance: its tables, and its topics (a backlog of an earlier run would otherwise be
# replayed first and delay this run's signals).
if command -v psql >/dev/null 2>&1; then
  psql -q -h 127.0.0.1 -U postgres -c "DROP SCHEMA IF EXISTS telltale_$INSTANCE CASCADE" >/dev/null 2>&1 || true
fi
node --input-type=module -e '
  import { Kafka, logLevel } from "kafkajs";
  const brokers = [process.env.KAFKA_BROKERS || "127.0.0.1:9092"];
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(process.argv[1]));
  if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10000 });
  await admin.disconnect();
' "$INSTANCE." 2>/dev/null || true

t0=$(date +%s%N)
elapsed() { echo $((($(date +%s%N) - t0) / 1000000)); }
seconds() { awk -v ms="$1" 'BEGIN { printf "%.1f s", ms / 1000 }'; }

TELLTALE_INSTANCE=$INSTANCE TELLTALE_DATA_DIR="$DATA_DIR" API_PORT="$API_PORT" \
  TELLTALE_OPS_PORT_BASE="${START_OPS_PORT_BASE:-19480}" \
  npm start -- --vehicles "${START_VEHICLES:-1}" --fault-after 2 >"$LOG" 2>&1 </dev/null &
npm_pid=$!
cleanup() {
  local pid
  pid="$(cat "$DATA_DIR/start.pid" 2>/dev/null || true)"
  if kill -0 "$npm_pid" 2>/dev/null; then
    [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null
    kill -KILL "$npm_pid" 2>/dev/null || true
  fi
  rm -rf "$DATA_DIR"
}
trap cleanup EXIT

# wait_for LIMIT_S DESCRIPTION COMMAND...: polls COMMAND every 0.5 s.
wait_for() {
  local limit_s=$1 what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    kill -0 "$npm_pid" 2>/dev/null || fail "npm start exited before $what"
    (($(elapsed) < limit_s * 1000)) || fail "no $what within $limit_s s"
    sleep 0.5
  done
}

api_up() { curl -sf "$API/healthz"; }
wait_for "$READY_LIMIT_S" "API answer at $API/healthz" api_up
api_ms=$(elapsed)

KEY_FILE="$DATA_DIR/admin-api-key"
wait_for "$READY_LIMIT_S" "admin key file" test -s "$KEY_FILE"
perm="$(stat -c %a "$KEY_FILE")"
[[ "$perm" == 600 ]] || fail "the admin key file has mode $perm, not 600"
AUTH="Authorization: Bearer $(cat "$KEY_FILE")"

# A signal stored for one of the simulated vehicles, read through the API.
stored_signal() {
  local vins vin
  vins="$(curl -sf -H "$AUTH" "$API/v1/vehicles" | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      for (const v of JSON.parse(s).vehicles) console.log(v.vin);
    });')" || return 1
  for vin in $vins; do
    curl -sf -H "$AUTH" "$API/v1/vehicles/$vin/signals?names=vehicleSpeed" | node -e '
      let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
        const since = Number(process.argv[1]) / 1e6;
        const ok = JSON.parse(s).signals.some((x) => x.receiveTimeMs >= since);
        process.exit(ok ? 0 : 1);
      });' "$t0" && return 0
  done
  return 1
}
wait_for "$READY_LIMIT_S" "stored signal of a simulated vehicle (GET /v1/vehicles/<vin>/signals)" stored_signal
signal_ms=$(elapsed)

since_ms=$((t0 / 1000000))
first_alert() {
  curl -sf -H "$AUTH" "$API/v1/alerts?limit=1&from=$since_ms" | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const a = JSON.parse(s).alerts[0];
      if (!a) process.exit(1);
      console.error(`first alert: ${a.severity} ${a.ruleId} on ${a.vin}: ${a.message}`);
    });'
}
wait_for "$ALERT_LIMIT_S" "alert (GET /v1/alerts)" first_alert
alert_ms=$(elapsed)
first_alert 2>&1 | sed 's/^/  /' || true

# SIGINT to the start command itself, as Ctrl-C would (npm passes its exit status on).
start_pid="$(cat "$DATA_DIR/start.pid")"
stop_t0=$(date +%s%N)
kill -INT "$start_pid"
status=0
deadline=$((SECONDS + STOP_LIMIT_S))
while kill -0 "$npm_pid" 2>/dev/null; do
  ((SECONDS < deadline)) || fail "still running $STOP_LIMIT_S s after SIGINT"
  sleep 0.2
done
wait "$npm_pid" || status=$?
stop_ms=$((($(date +%s%N) - stop_t0) / 1000000))
((status == 0)) || fail "npm start exited with status $status after SIGINT"
[[ ! -e "$DATA_DIR/start.pid" ]] || fail "the pid file outlived the process"

printf 'npm start: API answering after %s, first stored signal after %s, first alert after %s; ' \
  "$(seconds "$api_ms")" "$(seconds "$signal_ms")" "$(seconds "$alert_ms")"
printf 'stopped %s after SIGINT with exit status 0.\n' "$(seconds "$stop_ms")"
grep -E '^\[ *[0-9.]+ s\] (Ready|First alert|Stopped)' "$LOG" | sed 's/^/  /' || true
