#!/usr/bin/env bash
# Brings up everything Telltale needs on this machine, without Docker: PostgreSQL, Redis, Mosquitto (system
# services, started if stopped) and Apache Kafka (from Maven Central, KRaft). Idempotent; safe to run repeatedly.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$HERE/services.sh"
"$HERE/kafka/kafka.sh" start
