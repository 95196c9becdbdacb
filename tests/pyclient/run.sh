#!/usr/bin/env bash
# A Python client generated from the committed openapi/openapi.json, driving both
# seed flows of the README against a running server (part of scripts/e2e.sh).
#
#   WL_BASE_URL=http://127.0.0.1:8080 WL_API_KEY=wlk_… bash tests/pyclient/run.sh [pytest args]
#
# 1. a venv in tests/pyclient/.venv with the hash-pinned requirements.txt;
# 2. openapi-python-client generates the client into tests/pyclient/generated
#    (git-ignored); ANY warning fails the run — generators skip what they cannot
#    parse (duplicate operationIds once made it drop GET /v1/transactions with
#    "duplicate models with name ListMetadata") and still exit 0;
# 3. the generated package is installed into the venv, and pytest runs
#    test_flows.py, which talks to the server only through that client.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(cd "$HERE/../.." && pwd -P)"
: "${WL_BASE_URL:?WL_BASE_URL must be set (e.g. http://127.0.0.1:8080)}"
: "${WL_API_KEY:?WL_API_KEY must be set (an admin API key)}"

say() { echo "pyclient: $*" >&2; }

source "$ROOT/scripts/venv.sh"
pinned_venv "$HERE"
GEN="$HERE/generated"
export PATH="$VENV/bin:$PATH"    # the generator's post-hooks call `ruff` by name


# Generate from the committed document, not the served one.
rm -rf "$GEN"
mkdir -p "$GEN"
log="$GEN/generate.log"
set +e
"$VENV/bin/openapi-python-client" generate \
    --path "$ROOT/openapi/openapi.json" \
    --config "$HERE/generator.yaml" \
    --meta setup \
    --output-path "$GEN/wallet-ledger-client" >"$log" 2>&1
rc=$?
set -e
if [[ $rc -ne 0 ]] || grep -Eiq 'warn|error|skipping|will not be generated|not in PATH' "$log"; then
    say "client generation from openapi/openapi.json was not clean (exit $rc):"
    cat "$log" >&2
    exit 1
fi
say "generated $(find "$GEN/wallet-ledger-client/wallet_ledger_client/api" -name '*.py' ! -name '__init__.py' | wc -l) operations, $(find "$GEN/wallet-ledger-client/wallet_ledger_client/models" -name '*.py' ! -name '__init__.py' | wc -l) models"

# The lock holds the generated package's dependencies (httpx, attrs); pip check
# proves it.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    --no-deps --no-build-isolation "$GEN/wallet-ledger-client"
"$VENV/bin/python" -m pip check >/dev/null || { "$VENV/bin/python" -m pip check >&2; exit 1; }

cd "$HERE"
export PYTHONDONTWRITEBYTECODE=1
exec "$VENV/bin/python" -m pytest -p no:cacheprovider -q -rA "$HERE/test_flows.py" "$@"
