"""Seed fixtures for the schemathesis run and print the TOML that binds them.

Schemathesis draws ledger_id, wallet_id, … at random, so on its own every
chained write ends in 404. Until the OpenAPI document carries links for the
stateful phase to follow, this script opens a ledger with funded wallets,
pending and posted transactions and a category, and prints dictionaries that
make most generated requests (not all: random ids still get their 404s) use
those ids. run.sh appends the output to a copy of schemathesis.toml.

    python seed.py BASE_URL OUT_DIR        (WL_API_KEY in the environment)
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import requests

base, out = sys.argv[1].rstrip("/"), sys.argv[2]
session = requests.Session()
session.headers["Authorization"] = f"Bearer {os.environ['WL_API_KEY']}"
session.trust_env = False  # loopback only: no proxies from the environment


def post(path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    resp = session.post(f"{base}{path}", json=body, timeout=10)
    if resp.status_code not in (200, 201):
        sys.exit(f"seed: POST {path} -> {resp.status_code}: {resp.text}")
    return resp.json()


ledger = post("/v1/ledgers", {"name": "schemathesis fixtures"})["id"]
identity = post("/v1/identities", {"ledger_id": ledger, "kind": "individual", "first_name": "Alice"})["id"]


def account(name: str, kind: str, **extra: Any) -> str:
    return post("/v1/accounts", {"ledger_id": ledger, "name": name, "kind": kind, "currency": "USD", **extra})["id"]


wallets = [account(f"wallet {i}", "liability", identity_id=identity) for i in range(3)]
reserve = account("bank reserve", "asset", code="bank:reserve")
expense = account("card fees", "expense")
for wallet in wallets:
    post("/v1/deposits", {"ledger_id": ledger, "wallet_id": wallet, "amount": "1000000.00", "currency": "USD"})


def deposit(status: str) -> str:
    body = {"ledger_id": ledger, "wallet_id": wallets[1], "amount": "5.00", "currency": "USD", "status": status}
    return post("/v1/deposits", body)["id"]


# separate pending holds for post and archive, so that neither uses up the other's
to_post = [deposit("pending") for _ in range(10)]
to_archive = [deposit("pending") for _ in range(10)]
posted = [deposit("posted") for _ in range(10)]


def hold() -> str:
    # a generic pending transaction whose lines partial posts can name: debit
    # the reserve, credit the expense account, 1000.00 (posts of 10.00 fit)
    entries = [
        {"account_id": reserve, "direction": "debit", "amount": "1000.00"},
        {"account_id": expense, "direction": "credit", "amount": "1000.00"},
    ]
    return post("/v1/transactions", {"ledger_id": ledger, "status": "pending", "entries": entries})["id"]


to_partial = [hold() for _ in range(10)]
category = post(
    "/v1/categories", {"ledger_id": ledger, "name": "User balances", "currency": "USD", "normal_balance": "credit"}
)["id"]
post(f"/v1/categories/{category}/members", {"type": "account", "id": wallets[0]})

# spare API keys for revokeApiKey to revoke (never the key this run uses)
revocable = [post("/v1/api-keys", {"name": f"spare {i}", "scope": "read"})["id"] for i in range(10)]

dictionaries = {
    "revocable": revocable,
    "ledger": [ledger],
    "identity": [identity],
    "wallet": wallets,
    "reserve": [reserve],
    "account": [*wallets, reserve, expense],
    "category": [category],
    "to_post": to_post,
    "to_archive": to_archive,
    "to_partial": to_partial,
    "hold_account": [reserve, expense],
    "posted": posted,
    "transaction": to_post + to_archive + posted,
    "currency": ["USD"],
    "amount": ["1.00", "0.01", "12.34", "250"],
    "entry_amount": ["10.00"],
}


def binding(name: str, probability: float) -> str:
    return f'{{ dictionary = "{name}", probability = {probability} }}'


print("# --- appended by tests/schemathesis/run.sh: this run's fixtures (seed.py) ---")
print("[cache]")
print(f"directory = {json.dumps(os.path.join(out, 'cache'))}")
print()
for name, values in dictionaries.items():
    print(f"[dictionaries.{name}]")
    print(f"values = {json.dumps(values)}")
print()
print("[parameters]")
for key, name, probability in [
    ("body.ledger_id", "ledger", 0.9),
    ("query.ledger_id", "ledger", 0.7),
    ("body.identity_id", "identity", 0.7),
    ("query.identity_id", "identity", 0.5),
    ("query.account_id", "account", 0.5),
    ("body.wallet_id", "wallet", 0.9),
    ("body.from_wallet_id", "wallet", 0.9),
    ("body.to_wallet_id", "wallet", 0.9),
    ("body.cash_account_id", "reserve", 0.5),
    ("body.currency", "currency", 0.8),
    ("query.currency", "currency", 0.5),
    ("body.amount", "amount", 0.6),
    ("body.entries[*].account_id", "account", 0.9),
    ("body.entries[*].amount", "entry_amount", 0.9),
    ("body.entries[*].currency", "currency", 0.8),
]:
    print(f'"{key}" = {binding(name, probability)}')
for operation_ids, params in [
    (["getLedger"], {"path.id": ("ledger", 0.8)}),
    (["getIdentity"], {"path.id": ("identity", 0.8)}),
    (["getAccount", "listAccountEntries"], {"path.id": ("account", 0.8)}),
    (["getCategory"], {"path.id": ("category", 0.8)}),
    (["addCategoryMember"], {"path.id": ("category", 0.8), "body.id": ("account", 0.8)}),
    (["getTransaction"], {"path.id": ("transaction", 0.8)}),
    (["revokeApiKey"], {"path.id": ("revocable", 0.9)}),
    (["postTransaction"], {"path.id": ("to_post", 0.9)}),
    (["archiveTransaction"], {"path.id": ("to_archive", 0.9)}),
    (["reverseTransaction"], {"path.id": ("posted", 0.9)}),
    (
        ["partialPostTransaction"],
        {
            "path.id": ("to_partial", 0.9),
            "body.entries[*].account_id": ("hold_account", 0.95),
            "body.entries[*].amount": ("entry_amount", 0.95),
        },
    ),
]:
    print()
    print("[[operations]]")
    print(f"include-operation-id = {json.dumps(operation_ids)}")
    inline = ", ".join(f'"{key}" = {binding(name, p)}' for key, (name, p) in params.items())
    print(f"parameters = {{ {inline} }}")
