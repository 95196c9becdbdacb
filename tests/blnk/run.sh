#!/usr/bin/env bash
# The Blnk dialect (/blnk) end to end, through clients nobody here wrote:
#
#   curl.test.mjs  every ```bash cURL block of Blnk's wallet tutorial
#                  (../shared/seeds/ beside the checkout, else tests/blnk/seed/, or
#                  $WL_BLNK_TUTORIAL), read at test time and run by bash with the
#                  real curl, only the host, the key and the ids put in
#   sdk.test.mjs   Blnk's TypeScript SDK (@blnkfinance/blnk-typescript, pinned):
#                  the tutorial, inflight holds, refusals, exact amounts
#
# Started by scripts/e2e.sh (which runs the server on a fresh database) with
# WL_BASE_URL and WL_API_KEY; exits non-zero on any failure. The two files run
# one after the other (curl first) on the same database: the tutorial's curl
# references are fixed strings, so the curl test runs once per database; the
# SDK test's references carry a per-run suffix.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"

: "${WL_BASE_URL:?WL_BASE_URL is not set (run this through scripts/e2e.sh blnk)}"
: "${WL_API_KEY:?WL_API_KEY is not set (run this through scripts/e2e.sh blnk)}"

say() { echo "tests/blnk: $*" >&2; }

command -v curl >/dev/null || { say "curl is needed (Debian: apt-get install curl)"; exit 1; }
command -v node >/dev/null && command -v npm >/dev/null || { say "node and npm are needed (Node 20.10 or newer)"; exit 1; }
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 10) ? 0 : 1)' ||
    { say "Node 20.10 or newer is needed (node --test --test-concurrency), found $(node --version)"; exit 1; }

cd "$HERE"
# The exact versions of package-lock.json.
npm ci --no-audit --no-fund --loglevel=error >/dev/null

exec node --test --test-concurrency=1 --test-reporter=spec --test-timeout=120000 curl.test.mjs sdk.test.mjs
