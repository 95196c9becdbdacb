#!/usr/bin/env bash
# make bench: release build, its own databases on the private cluster, the
# server started as in production, the pgbench baseline and the load
# generator in the same run. Results: bench/results/ (JSON + markdown).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

command -v pgbench >/dev/null || { echo "bench.sh: pgbench is missing (Debian: apt-get install postgresql-client)" >&2; exit 1; }
cargo build --release --locked -p ledger-server -p ledger-bench

server="$(scripts/db.sh up)"
for db in wl_bench wl_pgbench; do
    psql "$server/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
done

source "$ROOT/scripts/ports.sh"
port="$(free_port 18400)"

export DATABASE_URL="$server/wl_bench"
export BIND_ADDRESS="127.0.0.1:$port"
export DB_POOL_SIZE="${DB_POOL_SIZE:-64}" HTTP_WORKERS="${HTTP_WORKERS:-2}" LOG_FORMAT=json RUST_LOG="${RUST_LOG:-error}"
bin="$ROOT/target/release/wallet-ledger"
"$bin" migrate
key="$("$bin" create-api-key --name bench --scope admin)"
"$bin" serve &
pid=$!
# two more server processes on the same database, for scenario (j)
extra_pids=() extra_urls=()
for i in 1 2; do
    p="$(free_port $((18400 + 10 * i)))"
    BIND_ADDRESS="127.0.0.1:$p" "$bin" serve &
    extra_pids+=($!) extra_urls+=("http://127.0.0.1:$p")
done
trap 'kill $pid "${extra_pids[@]}" 2>/dev/null || true' EXIT
for url in "http://$BIND_ADDRESS" "${extra_urls[@]}"; do
    for _ in $(seq 1 100); do
        curl -fsS "$url/health/ready" >/dev/null 2>&1 && break
        sleep 0.2
    done
done
export BENCH_EXTRA_SERVER_URLS="$(IFS=,; echo "${extra_urls[*]}")"

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
mem="$(free -g | awk '/Mem:/ {print $2}')"
pgv="$(psql "$server/postgres" -Atc 'show server_version')"
export BENCH_MACHINE="$(nproc) cores ($cpu), ${mem} GiB, PostgreSQL $pgv (fsync on, synchronous_commit on), server + load generator + PostgreSQL on the same machine"
export BENCH_SERVER_URL="http://$BIND_ADDRESS" BENCH_API_KEY="$key" BENCH_SERVER_PID="$pid"
export BENCH_DATABASE_URL="$server/wl_bench" BENCH_PGBENCH_URL="$server/wl_pgbench"
"$ROOT/target/release/ledger-bench"
