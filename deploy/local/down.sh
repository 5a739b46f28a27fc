#!/usr/bin/env bash
# Stops what deploy/local started for the project (Kafka). System services (PostgreSQL, Redis, Mosquitto) are left
# running: other projects on the machine may use them.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$HERE/kafka/kafka.sh" stop
