# Shared helpers for deploy/local scripts (sourced, not run).
# shellcheck shell=bash

TELLTALE_LOCAL_DIR="${TELLTALE_LOCAL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/telltale}"

log() { printf '[telltale-local] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# port_open HOST PORT: true when something accepts TCP connections there.
port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# wait_port HOST PORT SECONDS
wait_port() {
  local host=$1 port=$2 deadline=$((SECONDS + $3))
  until port_open "$host" "$port"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

have() { command -v "$1" >/dev/null 2>&1; }
