#!/usr/bin/env bash
# The system Chromium that the HTML report's browser tests drive (Debian's `chromium` package, run by
# Playwright with executable_path: no browser is ever downloaded). Installed with apt-get when missing,
# as the project installs its other system needs; a clear error when that is not possible.
set -euo pipefail

if [ -n "${HARNESS_CHROMIUM:-}" ]; then
  [ -x "$HARNESS_CHROMIUM" ] && exit 0
  echo "error: HARNESS_CHROMIUM=$HARNESS_CHROMIUM is not an executable" >&2
  exit 1
fi
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  exit 0
fi

as_root() {  # run a command as root: directly, or through passwordless sudo
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi
}
if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }; then
  echo "installing Debian's chromium with apt-get (for the browser tests of the HTML report)..." >&2
  if as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
    && command -v chromium >/dev/null 2>&1; then
    exit 0
  fi
fi
echo "error: no system Chromium for the browser tests (needed by \`make test\`): install Debian's" \
  "\`chromium\` package as root (apt-get install chromium), or set HARNESS_CHROMIUM to a Chromium binary" >&2
exit 1
