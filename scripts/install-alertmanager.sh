#!/usr/bin/env bash
# Installs Debian's prometheus-alertmanager for the end-to-end suite tests/tests/alertmanager_e2e.rs, unless an
# Alertmanager and amtool are already on PATH. Idempotent. Debian names the server binary
# /usr/bin/prometheus-alertmanager (upstream: `alertmanager`); the test accepts either, or $ALERTMANAGER_BIN.
#
# The package ships a service that would listen on 0.0.0.0:9093 and cluster on :9094. The tests start
# their own Alertmanager on 127.0.0.1 ports, so the packaged service is kept from starting while the
# package is installed (a temporary /usr/sbin/policy-rc.d that answers 101, "action forbidden"; an
# existing one is put back afterwards) and stopped if it runs anyway.
set -euo pipefail

say() { echo "install-alertmanager: $*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "install-alertmanager: need root (or sudo) to run: $*" >&2; exit 1; fi
}

server() { command -v alertmanager 2>/dev/null || command -v prometheus-alertmanager 2>/dev/null; }

if am="$(server)" && command -v amtool >/dev/null 2>&1; then
  say "already installed: $am ($("$am" --version 2>&1 | head -n1))"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-alertmanager: apt-get not found; install Prometheus Alertmanager (alertmanager and amtool on PATH) by hand" >&2
  exit 1
fi

policy=/usr/sbin/policy-rc.d
backup=""
restore_policy() {
  if [ -n "$backup" ]; then
    as_root mv -f "$backup" "$policy"
  else
    as_root rm -f "$policy"
  fi
}
if [ -e "$policy" ]; then
  backup="$(as_root mktemp /usr/sbin/policy-rc.d.versus-backup.XXXXXX)"
  as_root cp -p "$policy" "$backup"
fi
trap restore_policy EXIT
printf '#!/bin/sh\n# Written by versus scripts/install-alertmanager.sh while it installs packages.\nexit 101\n' \
  | as_root tee "$policy" >/dev/null
as_root chmod 0755 "$policy"

say "installing prometheus-alertmanager (apt-get)"
as_root apt-get -o DPkg::Lock::Timeout=300 update -qq
as_root env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
  prometheus-alertmanager >/dev/null

# Belt and braces: if an init system started the packaged service anyway, stop it.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  as_root systemctl stop prometheus-alertmanager >/dev/null 2>&1 || true
fi
as_root service prometheus-alertmanager stop >/dev/null 2>&1 || true

if ! am="$(server)" || ! command -v amtool >/dev/null 2>&1; then
  echo "install-alertmanager: the package installed, but prometheus-alertmanager or amtool is not on PATH" >&2
  exit 1
fi
say "installed: $am ($("$am" --version 2>&1 | head -n1)), $(command -v amtool)"
