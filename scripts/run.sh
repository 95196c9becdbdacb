#!/usr/bin/env bash
# make run: database, migrations, server; prints the Swagger UI address and a key.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

if [[ -z "${DATABASE_URL:-}" ]]; then
    server="$(scripts/db.sh up)"
    db="${APP_DB:-wallet_ledger}"
    psql "$server/postgres" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 \
        || psql "$server/postgres" -qc "CREATE DATABASE $db"
    export DATABASE_URL="$server/$db"
fi

source "$ROOT/scripts/ports.sh"
if [[ -z "${BIND_ADDRESS:-}" ]]; then
    export BIND_ADDRESS="127.0.0.1:$(free_port "${PORT:-8080}")"
fi

cargo build --quiet -p ledger-server --bin wallet-ledger
bin="$ROOT/target/debug/wallet-ledger"
"$bin" migrate
mkdir -p .pgdata
key="$("$bin" dev-key .pgdata/dev-api-key)"
chmod 600 .pgdata/dev-api-key

cat <<MSG

  Wallet Ledger is starting on http://$BIND_ADDRESS
  Swagger UI:  http://$BIND_ADDRESS/docs/
  OpenAPI:     http://$BIND_ADDRESS/openapi.json
  API key:     $key   (admin scope; "Authorize" in Swagger UI, or -H "Authorization: Bearer \$KEY")

MSG
exec "$bin" serve
