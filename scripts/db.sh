#!/usr/bin/env bash
# Private PostgreSQL for development, tests and benchmarks.
#
#   scripts/db.sh up      start (initdb on first use) and print the server URL
#   scripts/db.sh stop    stop the private cluster
#   scripts/db.sh status  say whether it runs
#
# With DATABASE_URL set, nothing is started: `up` prints that URL's server part.
# Otherwise a cluster lives in .pgdata/ (git-ignored) on a port derived from this
# checkout's path, so two clones on one machine do not collide; a taken port is
# skipped. As root the server runs as the `postgres` user (PostgreSQL refuses
# root); as a normal user, as that user.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
STATE="$ROOT/.pgdata"
cmd="${1:-up}"

say() { echo "db.sh: $*" >&2; }

if [[ -n "${DATABASE_URL:-}" ]]; then
    case "$cmd" in
        up|url) echo "${DATABASE_URL%/*}"; exit 0 ;;
        stop|status) say "DATABASE_URL is set; no private cluster is managed"; exit 0 ;;
    esac
fi

find_bin() {
    local name="$1"
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
    local candidate
    for candidate in /usr/lib/postgresql/*/bin/"$name"; do
        [[ -x "$candidate" ]] && { echo "$candidate"; return; }
    done
    return 1
}

if ! find_bin initdb >/dev/null && [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    say "installing the PostgreSQL server (Debian package postgresql)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && \
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-client >/dev/null || true
fi
INITDB="$(find_bin initdb)" || { say "PostgreSQL server binaries (initdb, pg_ctl, postgres) are missing."; say "Install them (Debian: apt-get install postgresql) or set DATABASE_URL to a server of yours."; exit 1; }
PG_CTL="$(find_bin pg_ctl)" || { say "pg_ctl is missing (install the PostgreSQL server package)"; exit 1; }
PSQL="$(find_bin psql)" || { say "psql is missing (Debian: apt-get install postgresql-client)"; exit 1; }

# Who runs the server, and where its data lives. As root, the data directory must
# be reachable by `postgres` even when the checkout is under a private (0700)
# directory, so it lives under /var/tmp and .pgdata/data links to it.
if [[ "$(id -u)" == 0 ]]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    as_pg() { runuser -u postgres -- "$@"; }
    key="$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)"
    REAL="/var/tmp/wallet-ledger-pg/$key"
    mkdir -p "$STATE" /var/tmp/wallet-ledger-pg
    chmod 755 /var/tmp/wallet-ledger-pg
    if [[ ! -e "$STATE/data" ]]; then
        mkdir -p "$REAL"
        chown postgres: "$REAL"
        chmod 700 "$REAL"
        ln -sfn "$REAL/data" "$STATE/data"
    fi
    DATA="$(readlink -f "$STATE/data" || echo "$REAL/data")"
    RUN="$(dirname "$DATA")"
    LOG="$RUN/server.log"
else
    as_pg() { "$@"; }
    mkdir -p "$STATE"
    DATA="$STATE/data"
    RUN="$STATE"
    LOG="$STATE/server.log"
fi

source "$ROOT/scripts/ports.sh"

running() { as_pg "$PG_CTL" -D "$DATA" status >/dev/null 2>&1; }

choose_port() {
    if [[ -f "$STATE/port" ]]; then cat "$STATE/port"; return; fi
    local base sum p
    sum="$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)"
    base=$(( 20000 + sum % 20000 ))
    for (( p = base; p < base + 200; p++ )); do
        if ! port_taken "$p"; then echo "$p" > "$STATE/port"; echo "$p"; return; fi
    done
    say "no free port found near $base"; exit 1
}

up() {
    if [[ ! -f "$DATA/PG_VERSION" ]]; then
        say "initialising a private cluster in $DATA"
        as_pg "$INITDB" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C >/dev/null
    fi
    local port
    port="$(choose_port)"
    if ! running; then
        if port_taken "$port"; then
            rm -f "$STATE/port"; port="$(choose_port)"
        fi
        as_pg "$PG_CTL" -D "$DATA" -l "$LOG" -w -t 60 start -o "-p $port -k $RUN -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB -c fsync=on" >/dev/null \
            || { say "PostgreSQL did not start; its log:"; tail -n 30 "$LOG" >&2; exit 1; }
    fi
    local i
    for i in $(seq 1 50); do
        "$PSQL" -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1 && break
        sleep 0.2
    done
    echo "postgres://postgres@127.0.0.1:$port"
}

case "$cmd" in
    up|url) up ;;
    stop)
        if [[ -f "$DATA/PG_VERSION" ]] && running; then as_pg "$PG_CTL" -D "$DATA" -m fast -w stop >/dev/null; say "stopped"; else say "not running"; fi ;;
    status)
        if [[ -f "$DATA/PG_VERSION" ]] && running; then say "running on port $(cat "$STATE/port")"; else say "not running"; exit 3; fi ;;
    *) say "usage: $0 up|stop|status"; exit 2 ;;
esac
