"""Modern Treasury's "Digital Wallets" guide, through the official Python SDK
(modern-treasury, pinned in requirements.txt) against the /mt dialect (run by
tests/mt/run.sh from scripts/e2e.sh).

The steps run in order on one ledger of their own and build on each other:

   1  the chart: a ledger; operating cash, two user wallets, fee revenue and
      card-fee expense accounts, with the guide's metadata
   2  deposits (cash debit / wallet credit, posted; one by card with a fee)
   3  a pending ACH deposit: in the wallet's pending balance, not in its posted
      or available one; then posted with update(status="posted")
   4  an in-app transfer user 1 -> user 2
   5  a withdrawal of 100.00 with a 2% fee (computed by the client, as MT users
      do): wallet debit 10000, cash credit 9800, revenue credit 200
   6  a "User balances" category holding both wallets: its balances are their sum
   7  metadata queries (transactions by userId; accounts by accountType)
   8  a back-dated transaction: balances as of before it unchanged, as of after
      it include it
   9  the withdrawal reversed: every balance restored
  10  every account's entries through the SDK's auto-pagination, per_page=2
  11  a partial post: 30.00 of a pending 50.00 posted, the original archived and
      the rest released
  12  lock_version: a current one posts, a stale one is refused with 422;
      each entry carries the account's lock_version it left (created, read
      back, listed), and as_of_lock_version lists what the account had then
  13  a balance bound (available >= 0) that a debit would break: 422
  14  an unbalanced transaction, and posting an archived one: 4xx
  15  a statement whose starting and ending balances are the account's as-of
      balances; retrieve answers the same
  16  ... and still does after a back-dated entry lands in its window (a new
      statement has it)
  17  metadata updates and removing an account from a category
  18  renaming and re-tagging the ledger
  19  every request this ledger does not support (archived creates, ledgerable
      links, rewriting a posted transaction, account updates, as-of-version
      balances, a pending reversal): 422 parameter_invalid naming the parameter,
      nothing written

Every balance is compared in full (amount, credits, debits, their *_string
forms, currency "USD", currency_exponent 2) with a model of the ledger kept
here from the transactions the server accepted (`Book`), and the guide's
numbers are also spelled out. "Nothing written" after a refusal means: every
account (balances and lock_version), the category and the ledger's whole
transaction list read back equal to before.

Amounts are integers in minor units (USD cents), as MT's API has them.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable

import pytest

from modern_treasury import (
    APIStatusError,
    BadRequestError,
    ModernTreasury,
    UnprocessableEntityError,
)

UTC = dt.timezone.utc
CURRENCY = "USD"
EXPONENT = 2


# --------------------------------------------------------------------------
# the client


@pytest.fixture(scope="module")
def mt() -> Iterable[ModernTreasury]:
    base = os.environ["WL_BASE_URL"].rstrip("/")
    client = ModernTreasury(
        organization_id="wallet-ledger",
        api_key=os.environ["WL_API_KEY"],
        base_url=base + "/mt",
        # a response missing a field the SDK's models require fails the test
        _strict_response_validation=True,
    )
    with client:
        yield client


# --------------------------------------------------------------------------
# a model of the ledger, kept from what the server accepted


@dataclass
class Entry:
    id: str
    transaction_id: str
    account_id: str
    direction: str
    amount: int
    effective_at: dt.datetime


@dataclass
class Book:
    normal: dict[str, str] = field(default_factory=dict)  # account id -> normal balance
    status: dict[str, str] = field(default_factory=dict)  # transaction id -> status
    entries: dict[str, list[Entry]] = field(default_factory=dict)  # transaction id -> entries

    def record(self, tx: Any) -> None:
        """Takes a LedgerTransaction as the server answered it."""
        self.status[tx.id] = tx.status
        self.entries[tx.id] = [
            Entry(e.id, tx.id, e.ledger_account_id, e.direction, e.amount, e.effective_at)
            for e in tx.ledger_entries
        ]

    def entries_of(self, account_id: str) -> list[Entry]:
        return [e for es in self.entries.values() for e in es if e.account_id == account_id]

    def balances(
        self, account_ids: Iterable[str], normal: str, as_of: dt.datetime | None = None
    ) -> dict[str, dict[str, Any]]:
        """MT's three balances over the entries of `account_ids`, read with the
        normal balance `normal`; with `as_of`, only entries effective before it.
        posted: posted entries; pending: pending and posted ones; available:
        credit normal posted credits - pending debits, debit normal posted
        debits - pending credits (archived entries count nowhere)."""
        ids = set(account_ids)
        posted = {"credit": 0, "debit": 0}
        pending = {"credit": 0, "debit": 0}
        for tx_id, es in self.entries.items():
            status = self.status[tx_id]
            if status not in ("pending", "posted"):
                continue
            for e in es:
                if e.account_id not in ids or (as_of is not None and e.effective_at >= as_of):
                    continue
                pending[e.direction] += e.amount
                if status == "posted":
                    posted[e.direction] += e.amount
        other = "debit" if normal == "credit" else "credit"
        available = {normal: posted[normal], other: pending[other]}
        return {
            "posted_balance": _balance(posted, normal),
            "pending_balance": _balance(pending, normal),
            "available_balance": _balance(available, normal),
        }

    def account(self, account_id: str, as_of: dt.datetime | None = None) -> dict[str, dict[str, Any]]:
        return self.balances([account_id], self.normal[account_id], as_of)


def _balance(sums: dict[str, int], normal: str) -> dict[str, Any]:
    credits, debits = sums["credit"], sums["debit"]
    amount = credits - debits if normal == "credit" else debits - credits
    return {
        "amount": amount,
        "amount_string": str(amount),
        "credits": credits,
        "credits_string": str(credits),
        "debits": debits,
        "debits_string": str(debits),
        "currency": CURRENCY,
        "currency_exponent": EXPONENT,
    }


def three(balances: Any) -> dict[str, dict[str, Any]]:
    """The three LedgerBalance objects of an account's, a category's or a
    statement's balances, as plain dicts."""
    return {
        name: getattr(balances, name).model_dump(mode="json")
        for name in ("posted_balance", "pending_balance", "available_balance")
    }


def amounts(balances: Any) -> tuple[int, int, int]:
    """(posted, pending, available) amounts."""
    return (
        balances.posted_balance.amount,
        balances.pending_balance.amount,
        balances.available_balance.amount,
    )


# --------------------------------------------------------------------------
# state shared by the steps


class S:
    ledger: Any = None
    acct: dict[str, str] = {}  # role -> account id (cash, w1, w2, revenue, expense)
    category: Any = None
    book = Book()
    tx: dict[str, Any] = {}  # name -> LedgerTransaction as created
    statement: Any = None
    locked: Any = None  # (the transaction posted under a lock_version, the version after it)


def need_chart() -> None:
    if S.ledger is None or len(S.acct) != 5:
        pytest.skip("the chart of step 1 was not created")


def need(*names: str) -> None:
    need_chart()
    missing = [n for n in names if n not in S.tx]
    if missing:
        pytest.skip(f"transactions of earlier steps missing: {missing}")


def entry(role: str, direction: str, amount: int, **extra: Any) -> dict[str, Any]:
    return {"ledger_account_id": S.acct[role], "direction": direction, "amount": amount, **extra}


def post(mt: ModernTreasury, name: str, entries: list[dict[str, Any]], **kw: Any) -> Any:
    kw.setdefault("status", "posted")
    tx = mt.ledger_transactions.create(ledger_entries=entries, **kw)
    S.book.record(tx)
    S.tx[name] = tx
    return tx


def check_accounts(mt: ModernTreasury) -> dict[str, Any]:
    """Reads every account back; each one's balances must equal the book's."""
    got = {role: mt.ledger_accounts.retrieve(aid) for role, aid in S.acct.items()}
    actual = {role: three(a.balances) for role, a in got.items()}
    expected = {role: S.book.account(aid) for role, aid in S.acct.items()}
    assert actual == expected
    return got


def posted_amounts(mt: ModernTreasury) -> dict[str, int]:
    return {role: mt.ledger_accounts.retrieve(aid).balances.posted_balance.amount for role, aid in S.acct.items()}


def all_transactions(mt: ModernTreasury, **filters: Any) -> list[Any]:
    return list(mt.ledger_transactions.list(ledger_id=S.ledger.id, per_page=100, **filters))


def snapshot(mt: ModernTreasury) -> dict[str, Any]:
    """Everything a refused request must leave as it was."""
    accounts = {}
    for role, aid in S.acct.items():
        a = mt.ledger_accounts.retrieve(aid)
        accounts[role] = {"lock_version": a.lock_version, "balances": three(a.balances), "updated_at": a.updated_at}
    txs = sorted((t.model_dump(mode="json") for t in all_transactions(mt)), key=lambda t: t["id"])
    snap: dict[str, Any] = {"accounts": accounts, "transactions": txs}
    if S.category is not None:
        snap["category"] = three(mt.ledger_account_categories.retrieve(S.category.id).balances)
    return snap


def refused(mt: ModernTreasury, errors: tuple[type[APIStatusError], ...], call: Any) -> APIStatusError:
    """`call` must raise one of `errors`, and nothing may have been written."""
    before = snapshot(mt)
    try:
        accepted = call()
    except errors as e:
        after = snapshot(mt)
        assert after == before, f"a refused request ({e.status_code}) changed the ledger"
        return e
    if getattr(accepted, "ledger_entries", None) is not None:
        S.book.record(accepted)  # so that the later steps compare with what is there
    pytest.fail(f"expected one of {[c.__name__ for c in errors]}, the server accepted it: {accepted!r}")


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC).replace(microsecond=0)


# --------------------------------------------------------------------------
# Step 1. the chart of accounts


def test_01_chart_of_accounts(mt: ModernTreasury) -> None:
    suffix = uuid.uuid4().hex[:8]
    ledger = mt.ledgers.create(
        name=f"SendCash {suffix}",
        description="Digital wallets (Modern Treasury guide)",
        metadata={"app": "SendCash"},
    )
    assert ledger.name == f"SendCash {suffix}"
    assert ledger.metadata == {"app": "SendCash"}
    assert mt.ledgers.retrieve(ledger.id).model_dump() == ledger.model_dump()

    chart = {
        "cash": ("SendCash Operating Cash Account", "debit", {"accountType": "Cash Omnibus", "active": "yes"}),
        "w1": (
            "User #1241241 Balance",
            "credit",
            {
                "accountType": "User Balance",
                "userId": "u1",
                "walletID": f"wallet-u1-{suffix}",
                "userFirstName": "Bob",
                "userLastName": "Dylan",
                "userState": "NY",
                "userActive": "yes",
            },
        ),
        "w2": (
            "User #31512 Balance",
            "credit",
            {
                "accountType": "User Balance",
                "userId": "u2",
                "walletID": f"wallet-u2-{suffix}",
                "userFirstName": "Joan",
                "userLastName": "Baez",
                "userState": "CA",
                "userActive": "yes",
            },
        ),
        "revenue": (
            "Revenue from withdrawal fees",
            "credit",
            {"accountType": "revenue", "revenueStream": "withdrawal_fees"},
        ),
        "expense": ("Credit card fees paid", "debit", {"accountType": "expense"}),
    }
    acct: dict[str, str] = {}
    for role, (name, normal, metadata) in chart.items():
        a = mt.ledger_accounts.create(
            ledger_id=ledger.id,
            name=name,
            normal_balance=normal,
            currency=CURRENCY,
            currency_exponent=EXPONENT,
            metadata=metadata,
        )
        assert (a.ledger_id, a.name, a.normal_balance, a.metadata) == (ledger.id, name, normal, metadata)
        assert a.lock_version == 0, "a new account's lock_version"
        zero = Book().balances([], normal)
        assert three(a.balances) == zero
        again = mt.ledger_accounts.retrieve(a.id)
        assert (again.name, again.normal_balance, again.metadata, again.lock_version) == (name, normal, metadata, 0)
        assert three(again.balances) == zero
        acct[role] = a.id
        S.book.normal[a.id] = normal
    assert len(set(acct.values())) == 5
    S.ledger, S.acct = ledger, acct


# --------------------------------------------------------------------------
# Step 2. deposits


def test_02_deposits(mt: ModernTreasury) -> None:
    need_chart()
    d1 = post(
        mt,
        "deposit_u1",
        [entry("cash", "debit", 50000), entry("w1", "credit", 50000)],
        description="User 1 deposits 500.00",
        metadata={"transactionType": "deposit", "userId": "u1"},
    )
    assert d1.status == "posted" and d1.posted_at is not None
    assert d1.ledger_id == S.ledger.id
    assert d1.metadata == {"transactionType": "deposit", "userId": "u1"}
    assert sorted((e.ledger_account_id, e.direction, e.amount, e.amount_string) for e in d1.ledger_entries) == sorted(
        [(S.acct["cash"], "debit", 50000, "50000"), (S.acct["w1"], "credit", 50000, "50000")]
    )
    for e in d1.ledger_entries:
        assert e.ledger_transaction_id == d1.id
        assert (e.ledger_account_currency, e.ledger_account_currency_exponent) == (CURRENCY, EXPONENT)
    assert mt.ledger_transactions.retrieve(d1.id).model_dump() == d1.model_dump()

    # a card deposit: the processor keeps a 3.00 fee, an expense of the app's
    post(
        mt,
        "deposit_u2",
        [entry("cash", "debit", 9700), entry("expense", "debit", 300), entry("w2", "credit", 10000)],
        description="User 2 deposits 100.00 by card",
        metadata={"transactionType": "deposit", "userId": "u2"},
    )
    assert posted_amounts(mt) == {"cash": 59700, "w1": 50000, "w2": 10000, "revenue": 0, "expense": 300}
    check_accounts(mt)


# --------------------------------------------------------------------------
# Step 3. a pending ACH deposit, then posted


def test_03_pending_ach_deposit(mt: ModernTreasury) -> None:
    need("deposit_u1", "deposit_u2")
    ach = post(
        mt,
        "ach_u1",
        [entry("cash", "debit", 25000), entry("w1", "credit", 25000)],
        status="pending",
        description="User 1 ACH deposit of 250.00, not cleared yet",
        metadata={"transactionType": "deposit", "userId": "u1", "rail": "ach"},
    )
    assert ach.status == "pending" and ach.posted_at is None
    w1 = mt.ledger_accounts.retrieve(S.acct["w1"])
    # (posted, pending, available): pending only
    assert amounts(w1.balances) == (50000, 75000, 50000)
    cash = mt.ledger_accounts.retrieve(S.acct["cash"])
    assert amounts(cash.balances) == (59700, 84700, 59700)
    check_accounts(mt)

    cleared = mt.ledger_transactions.update(ach.id, status="posted")
    assert cleared.id == ach.id
    assert cleared.status == "posted" and cleared.posted_at is not None
    assert sorted(e.id for e in cleared.ledger_entries) == sorted(e.id for e in ach.ledger_entries), (
        "posting a pending transaction keeps its entries"
    )
    S.book.record(cleared)
    assert mt.ledger_transactions.retrieve(ach.id).status == "posted"
    w1 = mt.ledger_accounts.retrieve(S.acct["w1"])
    assert amounts(w1.balances) == (75000, 75000, 75000)
    check_accounts(mt)


# --------------------------------------------------------------------------
# Step 4. an in-app transfer


def test_04_in_app_transfer(mt: ModernTreasury) -> None:
    need_chart()
    post(
        mt,
        "transfer_u1_u2",
        [entry("w1", "debit", 15000), entry("w2", "credit", 15000)],
        description="User 1 sends 150.00 to user 2",
        metadata={"transactionType": "transfer", "userId": "u1", "counterpartyUserId": "u2"},
    )
    assert posted_amounts(mt) == {"cash": 84700, "w1": 60000, "w2": 25000, "revenue": 0, "expense": 300}
    check_accounts(mt)


# --------------------------------------------------------------------------
# Step 5. a withdrawal with a 2% fee


def test_05_withdrawal_with_fee(mt: ModernTreasury) -> None:
    need_chart()
    amount = 10000
    fee = amount * 2 // 100  # the app computes its fee, MT only records it
    assert fee == 200
    w = post(
        mt,
        "withdrawal_u2",
        [entry("w2", "debit", amount), entry("cash", "credit", amount - fee), entry("revenue", "credit", fee)],
        description="User 2 withdraws 100.00, 2% fee",
        metadata={"transactionType": "withdrawal", "userId": "u2"},
    )
    assert sorted((e.ledger_account_id, e.direction, e.amount) for e in w.ledger_entries) == sorted(
        [(S.acct["w2"], "debit", 10000), (S.acct["cash"], "credit", 9800), (S.acct["revenue"], "credit", 200)]
    )
    assert posted_amounts(mt) == {"cash": 74900, "w1": 60000, "w2": 15000, "revenue": 200, "expense": 300}
    check_accounts(mt)


# --------------------------------------------------------------------------
# Step 6. the "User balances" category


def test_06_user_balances_category(mt: ModernTreasury) -> None:
    need_chart()
    cat = mt.ledger_account_categories.create(
        ledger_id=S.ledger.id,
        name="User balances",
        normal_balance="credit",
        currency=CURRENCY,
        currency_exponent=EXPONENT,
        metadata={"categoryType": "user_balances"},
    )
    assert (cat.name, cat.normal_balance, cat.ledger_id, cat.metadata) == (
        "User balances",
        "credit",
        S.ledger.id,
        {"categoryType": "user_balances"},
    )
    assert three(cat.balances) == Book().balances([], "credit")
    for role in ("w1", "w2"):
        assert mt.ledger_account_categories.add_ledger_account(S.acct[role], id=cat.id) is None
    S.category = cat

    got = mt.ledger_account_categories.retrieve(cat.id)
    assert amounts(got.balances) == (75000, 75000, 75000)
    w1 = mt.ledger_accounts.retrieve(S.acct["w1"]).balances
    w2 = mt.ledger_accounts.retrieve(S.acct["w2"]).balances
    for name in ("posted_balance", "pending_balance", "available_balance"):
        a, b, c = getattr(w1, name), getattr(w2, name), getattr(got.balances, name)
        assert (c.amount, c.credits, c.debits) == (a.amount + b.amount, a.credits + b.credits, a.debits + b.debits), name
    assert three(got.balances) == S.book.balances([S.acct["w1"], S.acct["w2"]], "credit")

    members = {a.id for a in mt.ledger_accounts.list(ledger_id=S.ledger.id, ledger_account_category_id=cat.id)}
    assert members == {S.acct["w1"], S.acct["w2"]}


# --------------------------------------------------------------------------
# Step 7. metadata queries


def test_07_metadata_queries(mt: ModernTreasury) -> None:
    need("deposit_u1", "ach_u1", "transfer_u1_u2", "deposit_u2", "withdrawal_u2")
    u1 = all_transactions(mt, metadata={"userId": "u1"})
    assert sorted(t.id for t in u1) == sorted(S.tx[n].id for n in ("deposit_u1", "ach_u1", "transfer_u1_u2"))
    assert all(t.metadata["userId"] == "u1" for t in u1)
    u2 = all_transactions(mt, metadata={"userId": "u2"})
    assert sorted(t.id for t in u2) == sorted(S.tx[n].id for n in ("deposit_u2", "withdrawal_u2"))
    both = all_transactions(mt, metadata={"userId": "u1", "transactionType": "deposit"})
    assert sorted(t.id for t in both) == sorted(S.tx[n].id for n in ("deposit_u1", "ach_u1"))
    assert all_transactions(mt, metadata={"userId": "nobody"}) == []

    wallets = mt.ledger_accounts.list(ledger_id=S.ledger.id, metadata={"accountType": "User Balance"})
    assert sorted(a.id for a in wallets) == sorted([S.acct["w1"], S.acct["w2"]])


# --------------------------------------------------------------------------
# Step 8. a back-dated transaction


def test_08_back_dated_transaction(mt: ModernTreasury) -> None:
    need_chart()
    now = utcnow()
    effective = now - dt.timedelta(days=30)
    before_it = effective - dt.timedelta(days=1)
    after_it = effective + dt.timedelta(days=1)

    def as_of(when: dt.datetime) -> dict[str, Any]:
        return three(mt.ledger_accounts.retrieve(S.acct["w1"], balances={"effective_at": when}).balances)

    earlier = as_of(before_it)
    assert earlier == S.book.account(S.acct["w1"], as_of=before_it)
    assert earlier["posted_balance"]["amount"] == 0

    tx = post(
        mt,
        "backdated_u1",
        [entry("cash", "debit", 4000), entry("w1", "credit", 4000)],
        effective_at=effective,
        description="User 1 deposit of 40.00 that cleared a month ago, recorded late",
        metadata={"transactionType": "deposit", "userId": "u1"},
    )
    assert tx.effective_at == effective
    assert tx.effective_date == effective.date()
    assert all(e.effective_at == effective for e in tx.ledger_entries)

    assert as_of(before_it) == earlier, "balances as of before a back-dated transaction changed"
    later = as_of(after_it)
    assert later == S.book.account(S.acct["w1"], as_of=after_it)
    assert (later["posted_balance"]["amount"], later["posted_balance"]["credits"]) == (4000, 4000)
    assert mt.ledger_accounts.retrieve(S.acct["w1"]).balances.posted_balance.amount == 64000
    check_accounts(mt)


# --------------------------------------------------------------------------
# Step 9. the withdrawal reversed


def test_09_reversal(mt: ModernTreasury) -> None:
    need("withdrawal_u2")
    w = S.tx["withdrawal_u2"]
    rev = mt.ledger_transactions.create_reversal(w.id)
    S.book.record(rev)
    S.tx["reversal"] = rev
    assert rev.id != w.id
    assert rev.status == "posted"
    assert rev.reverses_ledger_transaction_id == w.id
    flip = {"debit": "credit", "credit": "debit"}
    assert sorted((e.ledger_account_id, e.direction, e.amount) for e in rev.ledger_entries) == sorted(
        (e.ledger_account_id, flip[e.direction], e.amount) for e in w.ledger_entries
    )
    original = mt.ledger_transactions.retrieve(w.id)
    assert original.status == "posted"
    assert original.reversed_by_ledger_transaction_id == rev.id

    assert posted_amounts(mt) == {"cash": 88700, "w1": 64000, "w2": 25000, "revenue": 0, "expense": 300}
    check_accounts(mt)
    assert three(mt.ledger_account_categories.retrieve(S.category.id).balances) == S.book.balances(
        [S.acct["w1"], S.acct["w2"]], "credit"
    )
    # create_reversal's effective_at: "It defaults to the `effective_at` of the
    # original ledger transaction if not provided."
    assert rev.effective_at == w.effective_at, "a reversal is effective when the original was (MT's default)"


# --------------------------------------------------------------------------
# Step 10. every entry of every account, two to a page


def test_10_entries_paginated(mt: ModernTreasury) -> None:
    need_chart()
    for role, aid in S.acct.items():
        expected = {e.id: e for e in S.book.entries_of(aid)}
        page = mt.ledger_entries.list(ledger_account_id=aid, per_page=2)
        seen: list[str] = []
        for e in page:  # the SDK follows X-After-Cursor
            seen.append(e.id)
            want = expected.get(e.id)
            assert want is not None, f"{role}: entry {e.id} is not one of the account's"
            assert (e.ledger_account_id, e.ledger_transaction_id, e.direction, e.amount, e.amount_string) == (
                aid,
                want.transaction_id,
                want.direction,
                want.amount,
                str(want.amount),
            ), role
            assert e.effective_at == want.effective_at, role
            assert (e.ledger_account_currency, e.ledger_account_currency_exponent) == (CURRENCY, EXPONENT)
        assert len(seen) == len(set(seen)), f"{role}: an entry came twice: {seen}"
        assert set(seen) == set(expected), f"{role}: entries missing or extra"
    # the wallet of user 1: both deposits, the ACH one, the transfer, the back-dated one
    assert len(S.book.entries_of(S.acct["w1"])) == 4
    assert len(S.book.entries_of(S.acct["cash"])) == 6

    # X-After-Cursor only while more follows: the SDK's has_next_page() reads
    # nothing else, so a cursor on the last page costs an empty extra page and
    # tells the caller there is more
    for role, aid in S.acct.items():
        expected = S.book.entries_of(aid)
        sizes = [len(p.items) for p in mt.ledger_entries.list(ledger_account_id=aid, per_page=2).iter_pages()]
        assert all(n <= 2 for n in sizes), f"{role}: per_page=2 gave pages of {sizes}"
        assert len(sizes) == max(1, math.ceil(len(expected) / 2)), f"{role}: {len(expected)} entries in pages {sizes}"


# --------------------------------------------------------------------------
# Step 11. a partial post


def test_11_partial_post(mt: ModernTreasury) -> None:
    need_chart()
    pending = post(
        mt,
        "pending_withdrawal_u1",
        [entry("w1", "debit", 5000), entry("cash", "credit", 5000)],
        status="pending",
        description="User 1 card authorisation of 50.00",
        metadata={"transactionType": "withdrawal", "userId": "u1"},
    )
    w1 = mt.ledger_accounts.retrieve(S.acct["w1"]).balances
    assert amounts(w1) == (64000, 59000, 59000)
    check_accounts(mt)

    part = mt.ledger_transactions.create_partial_post(
        pending.id,
        posted_ledger_entries=[
            {"ledger_account_id": S.acct["w1"], "direction": "debit", "amount": 3000},
            {"ledger_account_id": S.acct["cash"], "direction": "credit", "amount": 3000},
        ],
        description="captured 30.00 of the 50.00",
    )
    assert part.id != pending.id
    assert part.status == "posted"
    assert part.partially_posts_ledger_transaction_id == pending.id
    assert sorted((e.ledger_account_id, e.direction, e.amount) for e in part.ledger_entries) == sorted(
        [(S.acct["w1"], "debit", 3000), (S.acct["cash"], "credit", 3000)]
    )
    S.book.record(part)
    S.tx["partial_post"] = part

    original = mt.ledger_transactions.retrieve(pending.id)
    assert original.status == "archived", "the partially posted transaction is archived"
    S.book.record(original)
    # the 20.00 not captured is released: no longer held from the wallet
    w1 = mt.ledger_accounts.retrieve(S.acct["w1"]).balances
    assert amounts(w1) == (61000, 61000, 61000)
    listed = all_transactions(mt, partially_posts_ledger_transaction_id=pending.id)
    assert [t.id for t in listed] == [part.id]
    check_accounts(mt)


# --------------------------------------------------------------------------
# Step 12. lock_version


def test_12_lock_version(mt: ModernTreasury) -> None:
    need_chart()
    version = mt.ledger_accounts.retrieve(S.acct["w1"]).lock_version
    assert isinstance(version, int)
    ok = post(
        mt,
        "locked_transfer",
        [entry("w1", "debit", 1000, lock_version=version), entry("w2", "credit", 1000)],
        description="User 1 sends 10.00 to user 2, only if nothing posted to the wallet meanwhile",
        metadata={"transactionType": "transfer", "userId": "u1"},
    )
    now = mt.ledger_accounts.retrieve(S.acct["w1"]).lock_version
    assert now > version
    check_accounts(mt)

    err = refused(
        mt,
        (UnprocessableEntityError,),
        lambda: mt.ledger_transactions.create(
            ledger_entries=[entry("w1", "debit", 1000, lock_version=version), entry("w2", "credit", 1000)],
            status="posted",
            metadata={"transactionType": "transfer", "userId": "u1"},
        ),
    )
    assert err.status_code == 422
    S.locked = (ok, now)


def test_12b_entries_carry_the_lock_version_they_left(mt: ModernTreasury) -> None:
    ok, now = S.locked
    w1 = S.acct["w1"]
    (w1_entry,) = [e for e in ok.ledger_entries if e.ledger_account_id == w1]
    assert w1_entry.ledger_account_lock_version == now, "the entry carries the account's lock_version after it"
    again = mt.ledger_entries.retrieve(w1_entry.id)
    assert again.ledger_account_lock_version == now, "read back, the entry has the same lock_version"
    assert again.amount == w1_entry.amount == 1000 and again.direction == "debit"

    everything = list(mt.ledger_entries.list(ledger_account_id=w1, per_page=100))
    versions = [e.ledger_account_lock_version for e in everything]
    assert all(isinstance(v, int) and 0 < v <= now for v in versions), versions
    assert len(set(versions)) == len(versions), f"one posting, one version: {versions}"
    # what the account had at a version: the entries whose posting came at or before it
    at_now = list(mt.ledger_entries.list(ledger_account_id=w1, as_of_lock_version=now, per_page=2))
    assert sorted(e.id for e in at_now) == sorted(e.id for e in everything)
    before = list(mt.ledger_entries.list(ledger_account_id=w1, as_of_lock_version=now - 1, per_page=2))
    assert sorted(e.id for e in before) == sorted(e.id for e in everything if e.id != w1_entry.id)
    assert list(mt.ledger_entries.list(ledger_account_id=w1, as_of_lock_version=0)) == []
    err = refused(mt, (UnprocessableEntityError,), lambda: mt.ledger_entries.list(as_of_lock_version=now))
    assert (err.body or {}).get("errors", {}).get("parameter") == "as_of_lock_version", err.body
    for bad in ("-1", "two", "1.5"):
        err = refused(
            mt,
            (UnprocessableEntityError,),
            lambda: mt.ledger_entries.list(ledger_account_id=w1, extra_query={"as_of_lock_version": bad}),
        )
        assert (err.body or {}).get("errors", {}).get("parameter") == "as_of_lock_version", (bad, err.body)


# --------------------------------------------------------------------------
# Step 13. a balance bound


def test_13_balance_bound(mt: ModernTreasury) -> None:
    need_chart()
    available = mt.ledger_accounts.retrieve(S.acct["w2"]).balances.available_balance.amount
    assert available == S.book.account(S.acct["w2"])["available_balance"]["amount"] == 26000

    def send(amount: int) -> Any:
        return mt.ledger_transactions.create(
            ledger_entries=[
                entry("w2", "debit", amount, available_balance_amount={"gte": 0}),
                entry("w1", "credit", amount),
            ],
            status="posted",
            metadata={"transactionType": "transfer", "userId": "u2"},
        )

    err = refused(mt, (UnprocessableEntityError,), lambda: send(available + 1))
    assert err.status_code == 422

    # the bound is inclusive: the whole balance may go
    tx = send(available)
    S.book.record(tx)
    S.tx["drain_u2"] = tx
    assert amounts(mt.ledger_accounts.retrieve(S.acct["w2"]).balances) == (0, 0, 0)
    check_accounts(mt)


# --------------------------------------------------------------------------
# Step 14. an unbalanced transaction; posting an archived one


def test_14_unbalanced_and_archived(mt: ModernTreasury) -> None:
    need_chart()
    refused(
        mt,
        (UnprocessableEntityError, BadRequestError),
        lambda: mt.ledger_transactions.create(
            ledger_entries=[entry("w1", "debit", 1000), entry("cash", "credit", 999)],
            status="posted",
        ),
    )
    need("pending_withdrawal_u1")
    archived = S.tx["pending_withdrawal_u1"]
    assert mt.ledger_transactions.retrieve(archived.id).status == "archived"
    err = refused(
        mt,
        (APIStatusError,),
        lambda: mt.ledger_transactions.update(archived.id, status="posted"),
    )
    assert 400 <= err.status_code < 500, f"posting an archived transaction answered {err.status_code}"
    check_accounts(mt)


# --------------------------------------------------------------------------
# Step 15. a statement


def test_15_statement(mt: ModernTreasury) -> None:
    need("backdated_u1")
    w1 = S.acct["w1"]
    # a deposit still pending, so that the statement has a pending balance too
    post(
        mt,
        "ach_u1_pending",
        [entry("cash", "debit", 2000), entry("w1", "credit", 2000)],
        status="pending",
        metadata={"transactionType": "deposit", "userId": "u1", "rail": "ach"},
    )
    lower = S.tx["backdated_u1"].effective_at + dt.timedelta(days=1)
    upper = utcnow() + dt.timedelta(minutes=5)

    st = mt.ledger_account_statements.create(
        ledger_account_id=w1,
        effective_at_lower_bound=lower,
        effective_at_upper_bound=upper,
        description="User 1, last month",
        metadata={"userId": "u1"},
    )
    S.statement = st
    account = mt.ledger_accounts.retrieve(w1)
    assert (st.ledger_account_id, st.ledger_id, st.ledger_account_normal_balance) == (w1, S.ledger.id, "credit")
    assert (st.effective_at_lower_bound, st.effective_at_upper_bound) == (lower, upper)
    assert st.ledger_account_lock_version == account.lock_version

    start = three(mt.ledger_accounts.retrieve(w1, balances={"effective_at": lower}).balances)
    end = three(mt.ledger_accounts.retrieve(w1, balances={"effective_at": upper}).balances)
    assert three(st.starting_balance) == start == S.book.account(w1, as_of=lower)
    assert three(st.ending_balance) == end == S.book.account(w1, as_of=upper)
    # only the back-dated deposit is older than the window; everything is in it by now
    assert amounts(st.starting_balance) == (4000, 4000, 4000)
    assert amounts(st.ending_balance) == (86000, 88000, 86000)
    assert three(st.ending_balance) == three(account.balances)

    again = mt.ledger_account_statements.retrieve(st.id)
    assert again.model_dump() == st.model_dump()
    assert (st.description, st.metadata) == ("User 1, last month", {"userId": "u1"})


def test_16_statement_is_kept(mt: ModernTreasury) -> None:
    """A statement is what the account was when it was generated (its
    ledger_account_lock_version is "Lock version of the ledger account at the
    time of statement generation"): a later back-dated entry inside its window
    changes a new statement, not the one already made."""
    if S.statement is None:
        pytest.skip("no statement from step 15")
    st = S.statement
    w1 = S.acct["w1"]
    post(
        mt,
        "backdated_in_window",
        [entry("cash", "debit", 500), entry("w1", "credit", 500)],
        effective_at=st.effective_at_lower_bound + dt.timedelta(days=1),
        metadata={"transactionType": "deposit", "userId": "u1"},
    )
    fresh = mt.ledger_account_statements.create(
        ledger_account_id=w1,
        effective_at_lower_bound=st.effective_at_lower_bound,
        effective_at_upper_bound=st.effective_at_upper_bound,
    )
    assert fresh.id != st.id
    assert amounts(fresh.ending_balance) == (86500, 88500, 86500)
    assert three(fresh.ending_balance) == S.book.account(w1, as_of=st.effective_at_upper_bound)
    assert fresh.ledger_account_lock_version == mt.ledger_accounts.retrieve(w1).lock_version
    assert fresh.ledger_account_lock_version > st.ledger_account_lock_version

    again = mt.ledger_account_statements.retrieve(st.id)
    assert again.model_dump() == st.model_dump(), "a statement read back later is not the one generated"


# --------------------------------------------------------------------------
# Step 17. a pending transaction's metadata changes; a category member leaves


def test_17_metadata_update_and_category_removal(mt: ModernTreasury) -> None:
    need_chart()
    if S.category is None:
        pytest.skip("the category of step 6 was not created")
    held = mt.ledger_transactions.create(
        ledger_entries=[entry("cash", "debit", 700), entry("w1", "credit", 700)],
        status="pending",
        metadata={"userId": "u1", "stage": "initiated"},
    )
    updated = mt.ledger_transactions.update(held.id, metadata={"stage": "cleared"})
    assert updated.metadata == {"userId": "u1", "stage": "cleared"}
    assert mt.ledger_transactions.retrieve(held.id).metadata == {"userId": "u1", "stage": "cleared"}
    gone = mt.ledger_transactions.update(held.id, metadata={"stage": ""})
    assert gone.metadata == {"userId": "u1"}, "an empty value removes the key"
    archived = mt.ledger_transactions.update(held.id, status="archived")
    assert archived.status == "archived"
    # a final transaction keeps its metadata (this ledger's journal is immutable once final)
    with pytest.raises(UnprocessableEntityError):
        mt.ledger_transactions.update(held.id, metadata={"stage": "late"})
    assert mt.ledger_transactions.retrieve(held.id).metadata == {"userId": "u1"}

    cat = S.category.id
    w1 = mt.ledger_accounts.retrieve(S.acct["w1"]).balances.posted_balance.amount
    w2 = mt.ledger_accounts.retrieve(S.acct["w2"]).balances.posted_balance.amount
    assert mt.ledger_account_categories.retrieve(cat).balances.posted_balance.amount == w1 + w2
    mt.ledger_account_categories.remove_ledger_account(S.acct["w2"], id=cat)
    assert mt.ledger_account_categories.retrieve(cat).balances.posted_balance.amount == w1
    mt.ledger_account_categories.add_ledger_account(S.acct["w2"], id=cat)
    assert mt.ledger_account_categories.retrieve(cat).balances.posted_balance.amount == w1 + w2


def test_18_ledger_update(mt: ModernTreasury) -> None:
    need_chart()
    lid = S.ledger.id
    before = mt.ledgers.retrieve(lid)
    updated = mt.ledgers.update(lid, description="Wallets of the guide", metadata={"team": "payments"})
    assert updated.description == "Wallets of the guide"
    assert updated.metadata == {**before.metadata, "team": "payments"}
    assert mt.ledgers.retrieve(lid).model_dump() == updated.model_dump()
    cleared = mt.ledgers.update(lid, metadata={"team": ""})
    assert cleared.metadata == before.metadata
    assert [l.id for l in mt.ledgers.list(metadata={"team": "payments"})] == []


# --------------------------------------------------------------------------
# Step 19. what this ledger does not do is refused, clearly, and writes nothing


def test_19_unsupported_requests_are_refused_cleanly(mt: ModernTreasury) -> None:
    need_chart()
    need("deposit_u1")
    posted = S.tx["deposit_u1"]
    w1 = S.acct["w1"]
    pair = [entry("w1", "debit", 100), entry("w2", "credit", 100)]
    cases: list[tuple[str, str, Any]] = [  # (parameter, what, call)
        ("status", "creating an archived transaction",
         lambda: mt.ledger_transactions.create(ledger_entries=pair, status="archived")),
        ("ledgerable_id", "ledgerable_id",
         lambda: mt.ledger_transactions.create(ledger_entries=pair, status="posted",
                                               ledgerable_id=str(uuid.uuid4()), ledgerable_type="expected_payment")),
        ("ledgerable_id", "ledgerable_id",
         lambda: mt.ledger_accounts.create(ledger_id=S.ledger.id, name="linked", currency=CURRENCY,
                                           normal_balance="credit", ledgerable_id=str(uuid.uuid4()),
                                           ledgerable_type="counterparty")),
        ("request", "changing a transaction other than its status and metadata",
         lambda: mt.ledger_transactions.update(posted.id, description="rewritten")),
        ("request", "changing or removing this resource",
         lambda: mt.ledger_accounts.update(w1, name="renamed")),
        ("balances[as_of_lock_version]", "balances[as_of_lock_version]",
         lambda: mt.ledger_accounts.retrieve(w1, extra_query={"balances[as_of_lock_version]": 1})),
        ("status", "a reversal that is not posted",
         lambda: mt.ledger_transactions.create_reversal(posted.id, status="pending")),
    ]
    for parameter, what, call in cases:
        err = refused(mt, (UnprocessableEntityError,), call)
        body = err.body if isinstance(err.body, dict) else {}
        errors = body.get("errors", {})
        assert errors.get("code") == "parameter_invalid", (what, err.body)
        assert errors.get("parameter") == parameter, (what, err.body)
        assert str(errors.get("message")).endswith(f"{what} is not supported by this ledger"), (what, err.body)
    # the account and the transaction read back as they were
    assert mt.ledger_accounts.retrieve(w1).name != "renamed"
    assert mt.ledger_transactions.retrieve(posted.id).description == posted.description
    assert mt.ledger_transactions.retrieve(posted.id).status == "posted"
    check_accounts(mt)
