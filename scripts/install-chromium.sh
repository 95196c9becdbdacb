#!/usr/bin/env bash
# Headless Chromium for the browser end-to-end test (tests/browser/run.sh).
#
#   scripts/install-chromium.sh   make sure /usr/bin/chromium exists; print its path
#
# Uses Debian's package `chromium` (Playwright's own browser download cannot be
# used: only package registries are reachable). Quiet and quick when it is
# already there; as root with apt-get it installs it, otherwise it says what
# to do and fails.
set -euo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
say() { echo "install-chromium.sh: $*" >&2; }

if [[ ! -x "$CHROMIUM" ]] && [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    say "installing Chromium (Debian package chromium)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && \
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            chromium fonts-liberation >/dev/null || true
fi
[[ -x "$CHROMIUM" ]] || { say "$CHROMIUM is missing."; say "Install it (Debian: apt-get install chromium) or set CHROMIUM to a Chromium binary."; exit 1; }
echo "$CHROMIUM"
