#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the dashboard's browser tests (test/web). Playwright's own browser
# download cannot work on machines without outside network, so the tests drive the distribution's package instead.
set -euo pipefail
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then exit 0; fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then as_root=(sudo -n); else
    echo "chromium.sh: $chromium is missing and installing it needs root: apt-get install chromium, or set CHROMIUM_PATH" >&2
    exit 1
  fi
fi
echo "chromium.sh: installing Debian's chromium for the browser tests …" >&2
export DEBIAN_FRONTEND=noninteractive
if ! "${as_root[@]}" apt-get install -y --no-install-recommends chromium >/dev/null; then
  "${as_root[@]}" apt-get update >/dev/null
  "${as_root[@]}" apt-get install -y --no-install-recommends chromium >/dev/null
fi
"$chromium" --version >&2
