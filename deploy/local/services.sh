#!/usr/bin/env bash
# Makes sure PostgreSQL, Redis and Mosquitto answer on 127.0.0.1; starts an installed but stopped server;
# otherwise names what is missing and how to get it. Idempotent.
#   deploy/local/services.sh [postgres|redis|mosquitto ...]   (default: all three)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"

PGPORT="${PGPORT:-5432}"
REDIS_PORT="${REDIS_PORT:-6379}"
MQTT_PORT="${MQTT_PORT:-1883}"

postgres() {
  if port_open 127.0.0.1 "$PGPORT"; then
    log "PostgreSQL answers on 127.0.0.1:$PGPORT."
    return 0
  fi
  if have pg_ctlcluster && ls /etc/postgresql/ >/dev/null 2>&1; then
    local version
    version="$(ls /etc/postgresql | sort -V | tail -n1)"
    log "Starting PostgreSQL $version (pg_ctlcluster)."
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  elif have pg_ctl && [[ -n "${PGDATA:-}" ]]; then
    log "Starting PostgreSQL from PGDATA=$PGDATA."
    pg_ctl -D "$PGDATA" -l "$PGDATA/server.log" start || true
  else
    die "PostgreSQL is not installed. Install it (Debian: apt-get install postgresql) or point PG* variables at a server."
  fi
  wait_port 127.0.0.1 "$PGPORT" 30 || die "PostgreSQL did not come up on 127.0.0.1:$PGPORT (see its log under /var/log/postgresql)."
  log "PostgreSQL answers on 127.0.0.1:$PGPORT."
}

redis() {
  if port_open 127.0.0.1 "$REDIS_PORT"; then
    log "Redis answers on 127.0.0.1:$REDIS_PORT."
    return 0
  fi
  have redis-server || die "Redis is not installed. Install it (Debian: apt-get install redis-server) or set REDIS_URL."
  log "Starting Redis on 127.0.0.1:$REDIS_PORT."
  local dir=/var/lib/redis logfile=/var/log/redis/ci.log
  [[ -w "$dir" ]] || { dir="$TELLTALE_LOCAL_DIR/redis"; logfile="$dir/redis.log"; mkdir -p "$dir"; }
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no --dir "$dir" --logfile "$logfile"
  wait_port 127.0.0.1 "$REDIS_PORT" 15 || die "Redis did not come up on 127.0.0.1:$REDIS_PORT (log: $logfile)."
  log "Redis answers on 127.0.0.1:$REDIS_PORT."
}

mosquitto() {
  if port_open 127.0.0.1 "$MQTT_PORT"; then
    log "Mosquitto answers on 127.0.0.1:$MQTT_PORT."
    return 0
  fi
  have mosquitto || [[ -x /usr/sbin/mosquitto ]] || die "Mosquitto is not installed. Install it (Debian: apt-get install mosquitto) or set MQTT_URL."
  local bin
  bin="$(command -v mosquitto || echo /usr/sbin/mosquitto)"
  if [[ -f /etc/mosquitto/mosquitto.conf && "$MQTT_PORT" == 1883 ]]; then
    log "Starting Mosquitto with /etc/mosquitto/mosquitto.conf."
    "$bin" -d -c /etc/mosquitto/mosquitto.conf
  else
    local conf="$TELLTALE_LOCAL_DIR/mosquitto-$MQTT_PORT.conf"
    mkdir -p "$TELLTALE_LOCAL_DIR"
    printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$MQTT_PORT" >"$conf"
    log "Starting Mosquitto on 127.0.0.1:$MQTT_PORT ($conf)."
    "$bin" -d -c "$conf"
  fi
  wait_port 127.0.0.1 "$MQTT_PORT" 15 || die "Mosquitto did not come up on 127.0.0.1:$MQTT_PORT."
  log "Mosquitto answers on 127.0.0.1:$MQTT_PORT."
}

targets=("$@")
((${#targets[@]} > 0)) || targets=(postgres redis mosquitto)
for target in "${targets[@]}"; do
  case "$target" in
    postgres | redis | mosquitto) "$target" ;;
    *) die "unknown service \"$target\" (postgres, redis, mosquitto)" ;;
  esac
done
