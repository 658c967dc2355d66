#!/usr/bin/env bash
# Installs what the real-browser test of the ack page (tests/tests/ack_browser.rs) needs: Debian's
# Chromium and ChromeDriver (/usr/bin/chromium, /usr/bin/chromedriver). Idempotent: does nothing when
# both are present. Never downloads a browser any other way.
#
#   scripts/install-browser.sh           install when missing
#   scripts/install-browser.sh --check   only report; exit 1 when something is missing
set -euo pipefail

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "install-browser: need root (or sudo) to run: $*" >&2; exit 1; fi
}

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)

if [ "${#missing[@]}" = 0 ]; then
  echo "install-browser: present: $(chromium --version 2>/dev/null | head -1); $(chromedriver --version 2>/dev/null | head -1)"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "install-browser: missing Debian packages: ${missing[*]} (run scripts/install-browser.sh)" >&2
  exit 1
fi

echo "install-browser: installing ${missing[*]} (apt-get)"
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null

for tool in chromium chromedriver; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install-browser: $tool is still missing after apt-get install" >&2
    exit 1
  fi
done
echo "install-browser: installed $(chromium --version 2>/dev/null | head -1); $(chromedriver --version 2>/dev/null | head -1)"
