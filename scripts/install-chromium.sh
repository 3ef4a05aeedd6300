#!/usr/bin/env bash
# Installs Debian's Chromium for the web board's browser tests (Playwright drives it headless) when it is missing,
# and prints the path of the browser binary. Playwright's own browser download is never used.
#   usage: scripts/install-chromium.sh
set -euo pipefail

find_chromium() {
  local p
  for p in /usr/lib/chromium/chromium /usr/bin/chromium; do
    [ -x "$p" ] && { echo "$p"; return 0; }
  done
  return 1
}

if ! BIN=$(find_chromium); then
  echo "Chromium not found; installing Debian's chromium package…" >&2
  "$(dirname "$0")/apt-install.sh" chromium
  BIN=$(find_chromium)
fi
echo "$BIN"
