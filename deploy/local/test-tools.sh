#!/usr/bin/env bash
# The two programs the integration tests drive besides the infrastructure: Debian's Chromium (the web console's
# browser tests, through playwright-core, which cannot download browsers here) and Debian's Prometheus (the
# dashboard and alert-rule test; its promtool checks the configuration in CI). Installs what is missing with
# apt-get when it can (root, apt-get present); otherwise says what to install and leaves the tests that need it to
# fail with the same message. Idempotent; returns at once when both are there.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
{ [[ -x /usr/bin/prometheus ]] && have promtool; } || missing+=(prometheus)
((${#missing[@]} == 0)) && exit 0

if [[ $(id -u) -ne 0 ]] || ! have apt-get; then
  log "Missing for the browser and dashboard tests: ${missing[*]} (Debian: apt-get install ${missing[*]})."
  exit 0
fi
log "Installing ${missing[*]} from Debian for the browser and dashboard tests (once) ..."
export DEBIAN_FRONTEND=noninteractive
# Chromium with its recommended packages (fonts among them), Prometheus without (it recommends node exporters).
install() {
  if [[ $1 == chromium ]]; then apt-get install -y -qq chromium; else apt-get install -y -qq --no-install-recommends "$1"; fi
}
updated=0
for package in "${missing[@]}"; do
  if ! install "$package" >/dev/null 2>&1; then
    ((updated)) || { apt-get update -qq >/dev/null 2>&1 || true; updated=1; }
    install "$package" >/dev/null || log "apt-get could not install $package; the tests that need it will fail saying so."
  fi
done
