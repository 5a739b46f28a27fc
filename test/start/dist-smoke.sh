#!/usr/bin/env bash
# CI check of the production build (what the Docker image runs): `npm run build` compiles every package to
# JavaScript in dist/; the compiled `telltale` command must answer --help and run a service — the store, on its own
# schema, topics and ops port — until /healthz is 200 and /metrics carries the consumer metrics; SIGTERM stops it.
# No TypeScript loader is involved (dist/services/cli/bin/telltale.js imports the compiled CLI).
#
#   bash test/start/dist-smoke.sh          (.ci/run runs it; DIST_SMOKE_OPS_PORT, default 19590)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

npm run --silent build >/dev/null
node dist/services/cli/bin/telltale.js --help | head -1

run="distsmoke_$(date +%s)_$$"
port="${DIST_SMOKE_OPS_PORT:-19590}"
log="$(mktemp -t telltale-dist-XXXXXX.log)"
DATABASE_SCHEMA="telltale_$run" KAFKA_TOPIC_PREFIX="$run." OPS_PORT="$port" OPS_HOST=127.0.0.1 LOG_LEVEL=warn \
  node dist/services/cli/bin/telltale.js store >"$log" 2>&1 &
pid=$!
cleanup() {
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  psql -q -h 127.0.0.1 -U postgres -c "DROP SCHEMA IF EXISTS telltale_$run CASCADE" >/dev/null 2>&1 || true
  node --input-type=module -e '
    import { Kafka, logLevel } from "kafkajs";
    const admin = new Kafka({ brokers: [process.env.KAFKA_BROKERS || "127.0.0.1:9092"], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(process.argv[1]));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10000 });
    await admin.disconnect();
  ' "$run." 2>/dev/null || true
  rm -f "$log"
}
trap cleanup EXIT

for _ in $(seq 1 240); do
  if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "dist smoke FAILED: the compiled store exited" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/healthz"
echo
# Read whole, then searched: `curl | grep -q` fails under pipefail when grep exits at its match before curl wrote
# the rest (curl: (23) Failed writing body).
metrics="$(curl -fsS "http://127.0.0.1:$port/metrics")"
grep -q '^# TYPE telltale_consumer_lag_records gauge' <<<"$metrics" ||
  { echo "dist smoke FAILED: no consumer lag metric" >&2; exit 1; }
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
if [[ $status != 0 ]]; then
  echo "dist smoke FAILED: the compiled store exited with $status on SIGTERM" >&2
  cat "$log" >&2
  exit 1
fi
echo "dist smoke: compiled telltale ran the store, healthy, metrics exported, clean stop"
