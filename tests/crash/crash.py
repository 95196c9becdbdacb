"""Crash a server mid-load and retry every request with its key: each applied once.

1. start our own server (WL_SERVER_BIN) on a free port, open a ledger and ten wallets;
2. 16 threads send 400 deposits of 1.00, each with its own Idempotency-Key;
3. once a quarter are answered the server is killed with SIGKILL, then started again;
4. every request is retried with the same key and body until it gets its
   answer (a request whose claim died waits out the 15 s lease, then runs);
5. the ledger must hold exactly one transaction per key, the wallets exactly
   the sum, and a replay must answer the stored transaction.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

KEY = os.environ["WL_API_KEY"]
BIN = os.environ["WL_SERVER_BIN"]
REQUESTS = 400
WALLETS = 10
failures: list[str] = []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PORT = free_port()
BASE = f"http://127.0.0.1:{PORT}"
LOG = open(os.path.join(os.environ.get("TMPDIR", "/tmp"), f"wl-crash-{PORT}.log"), "w")


def start() -> subprocess.Popen:
    env = dict(os.environ, BIND_ADDRESS=f"127.0.0.1:{PORT}", HTTP_WORKERS="2", RUST_LOG="warn")
    proc = subprocess.Popen([BIN, "serve"], env=env, stdout=LOG, stderr=LOG)
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"{BASE}/health/live", timeout=1):
                return proc
        except OSError:
            time.sleep(0.05)
    raise SystemExit("crash: the server did not start")


def call(method: str, path: str, body: dict | None = None, key: str | None = None, timeout: float = 30):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{BASE}{path}", data=data, method=method)
    req.add_header("Authorization", f"Bearer {KEY}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if key:
        req.add_header("Idempotency-Key", key)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read()), {k.lower(): v for k, v in resp.headers.items()}
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null"), {k.lower(): v for k, v in e.headers.items()}


def check(what: str, ok: bool) -> None:
    print(("ok - " if ok else "not ok - ") + what)
    if not ok:
        failures.append(what)


server = start()
try:
    ledger = call("POST", "/v1/ledgers", {"name": "crash"})[1]["id"]
    wallets = [
        call("POST", "/v1/accounts", {"ledger_id": ledger, "name": f"w{i}", "kind": "liability", "currency": "USD"})[1]["id"]
        for i in range(WALLETS)
    ]
    jobs = [
        (f"crash-{uuid.uuid4()}", {"ledger_id": ledger, "wallet_id": wallets[i % WALLETS], "amount": "1.00",
                                    "currency": "USD", "metadata": {"job": str(i)}})
        for i in range(REQUESTS)
    ]
    answered: dict[str, dict] = {}
    lock = threading.Lock()

    def first_attempt(job):
        key, body = job
        try:
            status, reply, _ = call("POST", "/v1/deposits", body, key, timeout=5)
            if status == 201:
                with lock:
                    answered[key] = reply
        except OSError:
            pass  # the server died under this request: retried below

    def kill_mid_load():
        # once a quarter of the deposits are answered (or after 2 s): many are
        # then claimed, posted or in flight — the moment under test
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            with lock:
                if len(answered) >= REQUESTS // 4:
                    break
            time.sleep(0.005)
        os.kill(server.pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_mid_load)
    killer.start()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(first_attempt, jobs))
    killer.join()
    server.wait()
    check(f"the server was killed mid-load: {len(answered)} of {REQUESTS} answered before (some, not all)",
          0 < len(answered) < REQUESTS)

    server = start()
    started = time.monotonic()

    def retry(job):
        key, body = job
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status, reply, headers = call("POST", "/v1/deposits", body, key)
            if status == 201:
                return key, reply, headers.get("idempotent-replayed") == "true"
            if status != 409:  # 409 idempotency_key_in_flight: its lease has not run out yet
                return key, {"unexpected": status, "body": reply}, False
            time.sleep(0.5)
        return key, {"unexpected": "timeout"}, False

    with ThreadPoolExecutor(16) as pool:
        retried = list(pool.map(retry, jobs))
    took = time.monotonic() - started
    bad = [r for r in retried if "unexpected" in r[1]]
    check(f"every retry was answered 201 ({len(bad)} were not: {bad[:3]})", not bad)
    same = all(reply["id"] == answered[key]["id"] for key, reply, _ in retried if key in answered)
    check("a request answered before the crash replays the same transaction", same)
    executed_now = sum(1 for key, _, replayed in retried if not replayed)
    check(f"retries: {len(retried) - executed_now} replayed a stored answer (all {len(answered)} answered before "
          f"the crash among them), {executed_now} executed once now; all answered in {took:.1f} s "
          "(a claim whose request died waits out its 15 s lease, then is taken over)",
          len(retried) - executed_now >= len(answered))

    # exactly once, read back from the ledger
    ids: list[str] = []
    cursor = None
    while True:
        q = f"/v1/transactions?ledger_id={ledger}&limit=100" + (f"&cursor={cursor}" if cursor else "")
        page = call("GET", q)[1]
        ids += [t["id"] for t in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    answered_ids = {reply["id"] for _, reply, _ in retried}
    check(f"the ledger holds {len(ids)} transactions for {REQUESTS} keys, none twice",
          len(ids) == REQUESTS and len(set(ids)) == REQUESTS and set(ids) == answered_ids)
    total = sum(Decimal(call("GET", f"/v1/accounts/{w}")[1]["balances"]["posted"]["amount"]) for w in wallets)
    check(f"the wallets hold {total} = {REQUESTS} × 1.00", total == Decimal(REQUESTS))
finally:
    server.kill()
    server.wait()

print(f"crash: {len(failures) == 0 and 1 or 0} passed, {len(failures) and 1 or 0} failed")
sys.exit(1 if failures else 0)
