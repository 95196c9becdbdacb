# Wallet Ledger — the two commands that matter: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

DB_SERVER = $(shell scripts/db.sh up)
APP_DB ?= wallet_ledger
NEXTEST := $(shell command -v cargo-nextest >/dev/null 2>&1 && echo "nextest run" || echo "test")

.PHONY: help run test lint db-up db-stop openapi schema bench clean-db

help:
	@echo "make run      start PostgreSQL, migrate, serve (prints the Swagger UI address and an API key)"
	@echo "make test     fmt check, clippy (warnings denied), the whole test suite on a real PostgreSQL"
	@echo "make bench    the benchmark (release build, own database) — not part of make test"
	@echo "make openapi  regenerate openapi/openapi.json from the code"
	@echo "make schema   regenerate crates/ledger-postgres/src/schema.rs with the diesel CLI"
	@echo "make db-stop  stop the private PostgreSQL cluster"

db-up:
	@scripts/db.sh up

db-stop:
	@scripts/db.sh stop

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

test: lint
	@server="$$(scripts/db.sh up)" && echo "test database server: $$server" && \
	LEDGER_TEST_DATABASE_SERVER="$$server" cargo $(NEXTEST) --workspace --locked
	@scripts/e2e.sh

run:
	@scripts/run.sh

openapi:
	cargo run --quiet -p ledger-server --bin wallet-ledger -- openapi native > openapi/openapi.json
	cargo run --quiet -p ledger-server --bin wallet-ledger -- openapi blnk > openapi/blnk.json
	cargo run --quiet -p ledger-server --bin wallet-ledger -- openapi mt > openapi/mt.json
	@echo "wrote openapi/openapi.json, openapi/blnk.json and openapi/mt.json"

# Needs the diesel CLI: cargo install diesel_cli --no-default-features --features postgres
schema:
	@server="$$(scripts/db.sh up)" && \
	psql "$$server/postgres" -qc "DROP DATABASE IF EXISTS wl_schema" -c "CREATE DATABASE wl_schema" && \
	diesel migration run --database-url "$$server/wl_schema" && \
	psql "$$server/postgres" -qc "DROP DATABASE wl_schema"
	cargo fmt --all

bench:
	@scripts/bench.sh

clean-db: db-stop
	rm -rf .pgdata
