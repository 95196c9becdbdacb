#!/usr/bin/env bash
# End-to-end suites through clients nobody here wrote, against the real server
# binary on a fresh database (part of `make test`):
#
#   tests/browser/run.sh       Swagger UI in headless Chromium (Playwright)
#   tests/pyclient/run.sh      a Python client generated from openapi/openapi.json
#   tests/schemathesis/run.sh  schemathesis --checks all, bounded
#   tests/readme/run.sh        the README's curl walk-through, pasted as is
#   tests/blnk/run.sh          Blnk's TypeScript SDK and the tutorial's curl blocks against /blnk
#   tests/mt/run.sh            Modern Treasury's Python SDK through the digital-wallets guide against /mt
#   tests/crash/run.sh         kill -9 a server of its own mid-load, retry every request: each once
#
#   scripts/e2e.sh             all suites
#   scripts/e2e.sh browser     only the named ones
#
# Each suite gets WL_BASE_URL (http://127.0.0.1:PORT) and WL_API_KEY (an admin
# key) and installs its own pinned dependencies. The server log is kept in
# target/e2e/server.log.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
source "$ROOT/scripts/ports.sh"

suites=("$@")
[[ ${#suites[@]} -gt 0 ]] || suites=(browser readme blnk mt pyclient schemathesis crash)

server="$(scripts/db.sh up)"
db="wl_e2e_$$"
psql "$server/postgres" -qc "CREATE DATABASE $db" >/dev/null
export DATABASE_URL="$server/$db"

# WL_SERVER_BIN: run that binary instead of building this checkout's
if [[ -n "${WL_SERVER_BIN:-}" ]]; then
    bin="$WL_SERVER_BIN"
else
    cargo build --quiet --locked -p ledger-server --bin wallet-ledger
    bin="$ROOT/target/debug/wallet-ledger"
fi
mkdir -p target/e2e
"$bin" migrate 2>>target/e2e/server.log
WL_API_KEY="$("$bin" create-api-key --name e2e --scope admin 2>>target/e2e/server.log)"
port="$(free_port 18080)"
export WL_BASE_URL="http://127.0.0.1:$port" WL_API_KEY
# suites that run a server of their own (tests/crash) use the same binary
export WL_SERVER_BIN="$bin"

BIND_ADDRESS="127.0.0.1:$port" HTTP_WORKERS=2 "$bin" serve >target/e2e/server.log 2>&1 &
pid=$!
cleanup() {
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    psql "$server/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
for _ in $(seq 1 100); do
    port_taken "$port" && break
    sleep 0.1
done
port_taken "$port" || { echo "e2e: the server did not start; its log:" >&2; tail -n 30 target/e2e/server.log >&2; exit 1; }

passed=0
failed=0
for suite in "${suites[@]}"; do
    echo "=== e2e: $suite"
    if bash "tests/$suite/run.sh"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "=== e2e: $suite FAILED (server log: target/e2e/server.log)" >&2
    fi
done
echo "e2e: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
