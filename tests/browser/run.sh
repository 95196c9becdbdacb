#!/usr/bin/env bash
# Swagger UI end to end: headless Chromium (Debian's package, driven by a pinned
# playwright-core) opens $WL_BASE_URL/docs/, authorizes with $WL_API_KEY and
# runs operations with "Try it out" / "Execute" as a person would, checking the
# requests the page really sends and what it shows. Started by scripts/e2e.sh,
# which runs the server; exits non-zero on any failure. The screenshot is left
# in target/e2e/swagger.png.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(cd "$HERE/../.." && pwd -P)"

: "${WL_BASE_URL:?WL_BASE_URL is not set (run this through scripts/e2e.sh browser)}"
: "${WL_API_KEY:?WL_API_KEY is not set (run this through scripts/e2e.sh browser)}"

say() { echo "tests/browser: $*" >&2; }

CHROMIUM="$("$ROOT/scripts/install-chromium.sh")"
export CHROMIUM

command -v node >/dev/null && command -v npm >/dev/null || { say "node and npm are needed (Node 20 or newer)"; exit 1; }
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[[ "$node_major" -ge 20 ]] || { say "Node 20 or newer is needed, found $(node --version)"; exit 1; }

cd "$HERE"
# The exact versions of package-lock.json (playwright-core only; no browser download).
npm ci --no-audit --no-fund --loglevel=error >/dev/null

mkdir -p "$ROOT/target/e2e"
export WL_SCREENSHOT="$ROOT/target/e2e/swagger.png"
exec node --test --test-timeout=120000 swagger.test.mjs
