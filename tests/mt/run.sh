#!/usr/bin/env bash
# The Modern Treasury Ledgers dialect (/mt) end to end, through the official
# Python SDK (modern-treasury, pinned in requirements.txt) and nothing else:
# test_guide.py walks MT's "Digital Wallets" guide (../shared/seeds/
# modern-treasury-digital-wallets-guide.txt) and checks every balance exactly.
#
#   WL_BASE_URL=http://127.0.0.1:8080 WL_API_KEY=wlk_… bash tests/mt/run.sh [pytest args]
#
# Started by scripts/e2e.sh (which runs the server on a fresh database); the
# client is strict (_strict_response_validation=True), so a response missing a
# field the SDK requires fails the test. Exits non-zero on any failure.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(cd "$HERE/../.." && pwd -P)"
: "${WL_BASE_URL:?WL_BASE_URL must be set (run this through scripts/e2e.sh mt)}"
: "${WL_API_KEY:?WL_API_KEY must be set (run this through scripts/e2e.sh mt)}"

source "$ROOT/scripts/venv.sh"
pinned_venv "$HERE"

cd "$HERE"
export PYTHONDONTWRITEBYTECODE=1
exec "$VENV/bin/python" -m pytest -p no:cacheprovider -q -rA "$HERE/test_guide.py" "$@"
