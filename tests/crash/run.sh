#!/usr/bin/env bash
# kill -9 between the idempotency claim and the posting, for real: a server of
# its own (same binary and database as scripts/e2e.sh) under concurrent
# deposits with Idempotency-Keys is killed mid-load, restarted, and every
# request is retried with its key and body until answered. Each key must be
# applied exactly once. Needs only Python's standard library.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
: "${WL_SERVER_BIN:?set by scripts/e2e.sh}" "${DATABASE_URL:?set by scripts/e2e.sh}" "${WL_API_KEY:?set by scripts/e2e.sh}"
exec python3 "$HERE/crash.py"
