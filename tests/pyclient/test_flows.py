"""Both seed flows of the README, through a client generated from the committed
openapi/openapi.json and nothing else (run by tests/pyclient/run.sh).

Every amount is compared as the exact decimal string the API returns ("700.00",
never 700.0): a string compare checks the value and the currency's scale.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from decimal import Decimal
from http import HTTPStatus
from typing import Any

import pytest

from wallet_ledger_client import AuthenticatedClient
from wallet_ledger_client.api.accounts import (
    create_account,
    get_account,
    list_account_entries,
    list_accounts,
)
from wallet_ledger_client.api.categories import (
    add_category_member,
    create_category,
    get_category,
    list_categories,
)
from wallet_ledger_client.api.identities import (
    create_identity,
    get_identity,
    list_identities,
)
from wallet_ledger_client.api.ledgers import create_ledger, get_ledger, list_ledgers
from wallet_ledger_client.api.transactions import (
    get_transaction,
    list_transactions,
    post_transaction,
    reverse_transaction,
)
from wallet_ledger_client.api.wallet_operations import (
    create_deposit,
    create_transfer,
    create_withdrawal,
)
from wallet_ledger_client.models import (
    Currency,
    AccountKindDto,
    AccountResponse,
    CategoryMemberDto,
    CategoryResponse,
    CreateAccountRequest,
    CreateAccountRequestMetadataType0,
    CreateCategoryRequest,
    CreateIdentityRequest,
    CreateLedgerRequest,
    DepositRequest,
    DirectionDto,
    IdentityKindDto,
    IdentityResponse,
    InitialStatusDto,
    LedgerResponse,
    ListTransactionsMetadata,
    MemberType,
    NormalBalanceDto,
    DepositRequestMetadataType0,
    Problem,
    StatementLineResponse,
    TransactionResponse,
    TransactionStatusDto,
    TransferRequest,
    WithdrawalRequest,
)
from wallet_ledger_client.types import Response


@pytest.fixture(scope="session")
def client() -> AuthenticatedClient:
    base_url = os.environ["WL_BASE_URL"]
    token = os.environ["WL_API_KEY"]
    return AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)


def ok(resp: Response[Any], status: int = HTTPStatus.OK) -> Any:
    """The parsed body of a response that must have `status`."""
    assert resp.status_code == status, (
        f"expected {status}, got {resp.status_code}: {resp.content.decode(errors='replace')}"
    )
    assert resp.parsed is not None
    assert not isinstance(resp.parsed, Problem), resp.parsed
    return resp.parsed


def created(resp: Response[Any]) -> Any:
    return ok(resp, HTTPStatus.CREATED)


def problem(resp: Response[Any], status: int, type_: str) -> Problem:
    assert resp.status_code == status, resp.content.decode(errors="replace")
    assert isinstance(resp.parsed, Problem), resp.parsed
    assert resp.parsed.type_ == type_, resp.parsed
    assert resp.parsed.status == status
    return resp.parsed


def amount(value: str, expected: str) -> None:
    """Exact decimal string; Decimal equality as well, never float."""
    assert isinstance(value, str), f"amount {value!r} is not a string"
    assert Decimal(value) == Decimal(expected), f"{value} != {expected}"
    assert value == expected, f"{value!r} != {expected!r} (scale)"


def balances(
    acct: AccountResponse | CategoryResponse,
    posted: str,
    pending: str | None = None,
    available: str | None = None,
) -> None:
    """Assert the three balance amounts (pending/available default to posted)."""
    b = acct.balances
    amount(b.posted.amount, posted)
    amount(b.pending.amount, posted if pending is None else pending)
    amount(b.available.amount, posted if available is None else available)


def account(client: AuthenticatedClient, account_id: uuid.UUID, **kw: Any) -> AccountResponse:
    acct = ok(get_account.sync_detailed(account_id, client=client, **kw))
    assert isinstance(acct, AccountResponse)
    return acct


def transaction(client: AuthenticatedClient, tx_id: uuid.UUID) -> TransactionResponse:
    tx = ok(get_transaction.sync_detailed(tx_id, client=client))
    assert isinstance(tx, TransactionResponse)
    return tx


def new_ledger(client: AuthenticatedClient, name: str) -> LedgerResponse:
    ledger = created(create_ledger.sync_detailed(client=client, body=CreateLedgerRequest(name=name)))
    assert isinstance(ledger, LedgerResponse)
    amount(ledger.withdrawal_fee_rate, "0.02")
    return ledger


def wallet(
    client: AuthenticatedClient,
    ledger_id: uuid.UUID,
    name: str,
    identity_id: uuid.UUID | None = None,
    metadata: dict[str, Any] | None = None,
) -> AccountResponse:
    body = CreateAccountRequest(
        ledger_id=ledger_id, name=name, kind=AccountKindDto.LIABILITY, currency=Currency.USD
    )
    if identity_id is not None:
        body.identity_id = identity_id
    if metadata is not None:
        body.metadata = CreateAccountRequestMetadataType0.from_dict(metadata)
    acct = created(create_account.sync_detailed(client=client, body=body))
    assert isinstance(acct, AccountResponse)
    assert acct.kind == AccountKindDto.LIABILITY
    assert acct.normal_balance == NormalBalanceDto.CREDIT
    assert isinstance(acct.overdraft_limit, str), f"a wallet's limit defaults to 0: {acct.overdraft_limit!r}"
    amount(acct.overdraft_limit, "0.00")
    balances(acct, "0.00")
    return acct


def accounts_by_code(client: AuthenticatedClient, ledger_id: uuid.UUID) -> dict[str, Any]:
    page = ok(list_accounts.sync_detailed(client=client, ledger_id=ledger_id, limit=100))
    assert page.next_cursor is None
    return {a.code: a for a in page.data if isinstance(a.code, str)}


def entries_of(tx: TransactionResponse) -> set[tuple[str, str, str]]:
    """The entries as a set of (account, direction, amount); no duplicates hidden."""
    lines = [(str(e.account_id), e.direction.value, e.amount) for e in tx.entries]
    assert len(set(lines)) == len(lines), f"duplicate entries in {tx.id}: {lines}"
    return set(lines)


def test_flow_a_alices_wallets(client: AuthenticatedClient) -> None:
    ledger = new_ledger(client, "Acme wallets")
    alice = created(
        create_identity.sync_detailed(
            client=client,
            body=CreateIdentityRequest(
                ledger_id=ledger.id,
                kind=IdentityKindDto.INDIVIDUAL,
                first_name="Alice",
                last_name="Johnson",
            ),
        )
    )
    assert isinstance(alice, IdentityResponse)
    assert ok(get_identity.sync_detailed(alice.id, client=client)).first_name == "Alice"
    main = wallet(client, ledger.id, "Alice main", identity_id=alice.id)
    assert main.identity_id == alice.id

    # deposit 1000.00: debit cash:USD (created on first use), credit the wallet;
    # the same Idempotency-Key and body returns the first answer, creates nothing
    key = f"dep-1-{uuid.uuid4()}"
    dep_body = DepositRequest(ledger_id=ledger.id, wallet_id=main.id, amount="1000.00", currency=Currency.USD)
    dep = created(create_deposit.sync_detailed(client=client, body=dep_body, idempotency_key=key))
    assert isinstance(dep, TransactionResponse)
    assert dep.status == TransactionStatusDto.POSTED
    assert dep.metadata["transaction_type"] == "deposit"
    again = created(create_deposit.sync_detailed(client=client, body=dep_body, idempotency_key=key))
    assert again.id == dep.id
    balances(account(client, main.id), "1000.00")
    house = accounts_by_code(client, ledger.id)
    cash = house["cash:USD"]
    assert cash.kind == AccountKindDto.ASSET and cash.normal_balance == NormalBalanceDto.DEBIT
    assert entries_of(dep) == {(str(cash.id), "debit", "1000.00"), (str(main.id), "credit", "1000.00")}
    balances(account(client, cash.id), "1000.00")

    # a different body under the same key is refused
    problem(
        create_deposit.sync_detailed(
            client=client,
            body=DepositRequest(ledger_id=ledger.id, wallet_id=main.id, amount="1.00", currency=Currency.USD),
            idempotency_key=key,
        ),
        422,
        "idempotency_key_reused",
    )

    # withdraw 100.00 with the 2% fee: wallet -100.00, cash -98.00, fee revenue +2.00
    wd = created(
        create_withdrawal.sync_detailed(
            client=client,
            body=WithdrawalRequest(ledger_id=ledger.id, wallet_id=main.id, amount="100.00", currency=Currency.USD),
        )
    )
    assert isinstance(wd, TransactionResponse)
    assert wd.metadata["transaction_type"] == "withdrawal"
    house = accounts_by_code(client, ledger.id)
    revenue = house["revenue:withdrawal_fees:USD"]
    assert revenue.kind == AccountKindDto.REVENUE and revenue.normal_balance == NormalBalanceDto.CREDIT
    assert entries_of(wd) == {
        (str(main.id), "debit", "100.00"),
        (str(cash.id), "credit", "98.00"),
        (str(revenue.id), "credit", "2.00"),
    }

    card = wallet(client, ledger.id, "Alice card", identity_id=alice.id, metadata={"card_last4": "4242"})
    assert card.metadata["card_last4"] == "4242"
    tr = created(
        create_transfer.sync_detailed(
            client=client,
            body=TransferRequest(
                ledger_id=ledger.id, from_wallet_id=main.id, to_wallet_id=card.id, amount="200.00", currency=Currency.USD
            ),
        )
    )
    assert tr.metadata["transaction_type"] == "transfer"
    assert entries_of(tr) == {(str(main.id), "debit", "200.00"), (str(card.id), "credit", "200.00")}

    # overdrawing a wallet is refused and changes nothing
    problem(
        create_transfer.sync_detailed(
            client=client,
            body=TransferRequest(
                ledger_id=ledger.id, from_wallet_id=card.id, to_wallet_id=main.id, amount="200.01", currency=Currency.USD
            ),
        ),
        422,
        "insufficient_funds",
    )

    # all of Alice's wallets with balances: main 700.00, card 200.00
    page = ok(list_accounts.sync_detailed(client=client, identity_id=alice.id))
    assert page.next_cursor is None
    by_name = {a.name: a for a in page.data}
    assert set(by_name) == {"Alice main", "Alice card"}
    balances(by_name["Alice main"], "700.00")
    balances(by_name["Alice card"], "200.00")
    balances(account(client, main.id), "700.00")
    balances(account(client, card.id), "200.00")
    balances(account(client, cash.id), "902.00")
    balances(account(client, revenue.id), "2.00")
    # the ledger's invariant: cash = the user wallets + fee revenue, and every
    # account of the ledger sums to a zero trial balance (debits = credits)
    every = ok(list_accounts.sync_detailed(client=client, ledger_id=ledger.id, limit=100)).data
    posted = {a.id: Decimal(a.balances.posted.amount) for a in every}
    assert posted[cash.id] == posted[main.id] + posted[card.id] + posted[revenue.id]
    assert sum(Decimal(a.balances.posted.debits) for a in every) == sum(
        Decimal(a.balances.posted.credits_) for a in every
    )
    assert ok(get_ledger.sync_detailed(ledger.id, client=client)).name == "Acme wallets"


def test_flow_b_wallet_platform(client: AuthenticatedClient) -> None:
    ledger = new_ledger(client, "Wallet platform")
    op_cash = created(
        create_account.sync_detailed(
            client=client,
            body=CreateAccountRequest(
                ledger_id=ledger.id, name="Operating cash", code="bank:operating",
                kind=AccountKindDto.ASSET, currency=Currency.USD,
            ),
        )
    )
    assert op_cash.code == "bank:operating" and op_cash.normal_balance == NormalBalanceDto.DEBIT
    u1 = wallet(client, ledger.id, "User 1")
    u2 = wallet(client, ledger.id, "User 2")

    # a pending ACH deposit: counts in `pending`, not in `posted` or `available`
    ach = created(
        create_deposit.sync_detailed(
            client=client,
            body=DepositRequest(
                ledger_id=ledger.id, wallet_id=u1.id, amount="500.00", currency=Currency.USD,
                cash_account_id=op_cash.id, status=InitialStatusDto.PENDING,
                metadata=DepositRequestMetadataType0.from_dict({"user": "u1"}),
            ),
        )
    )
    assert ach.status == TransactionStatusDto.PENDING and ach.posted_at is None
    assert entries_of(ach) == {(str(op_cash.id), "debit", "500.00"), (str(u1.id), "credit", "500.00")}
    b = account(client, u1.id).balances
    amount(b.posted.amount, "0.00")
    amount(b.pending.amount, "500.00")
    amount(b.pending.credits_, "500.00")  # `credits` is a builtin: the generator appends _
    amount(b.available.amount, "0.00")
    balances(account(client, op_cash.id), "0.00", pending="500.00", available="0.00")

    # the ACH cleared
    posted = ok(post_transaction.sync_detailed(ach.id, client=client))
    assert posted.id == ach.id and posted.status == TransactionStatusDto.POSTED
    balances(account(client, u1.id), "500.00")
    balances(account(client, op_cash.id), "500.00")
    problem(post_transaction.sync_detailed(ach.id, client=client), 409, "invalid_transition")

    tr = created(
        create_transfer.sync_detailed(
            client=client,
            body=TransferRequest(
                ledger_id=ledger.id, from_wallet_id=u1.id, to_wallet_id=u2.id, amount="150.00", currency=Currency.USD
            ),
        )
    )
    assert entries_of(tr) == {(str(u1.id), "debit", "150.00"), (str(u2.id), "credit", "150.00")}
    w = created(
        create_withdrawal.sync_detailed(
            client=client,
            body=WithdrawalRequest(ledger_id=ledger.id, wallet_id=u2.id, amount="50.00", currency=Currency.USD),
        )
    )
    house = accounts_by_code(client, ledger.id)
    cash, revenue = house["cash:USD"], house["revenue:withdrawal_fees:USD"]
    assert entries_of(w) == {
        (str(u2.id), "debit", "50.00"),
        (str(cash.id), "credit", "49.00"),
        (str(revenue.id), "credit", "1.00"),
    }
    balances(account(client, u1.id), "350.00")
    balances(account(client, u2.id), "100.00")
    balances(account(client, cash.id), "-49.00")  # house cash has no limit
    balances(account(client, revenue.id), "1.00")
    balances(account(client, op_cash.id), "500.00")

    # "User balances": a category aggregating the wallets
    cat = created(
        create_category.sync_detailed(
            client=client,
            body=CreateCategoryRequest(
                ledger_id=ledger.id, name="User balances", currency=Currency.USD, normal_balance=NormalBalanceDto.CREDIT
            ),
        )
    )
    assert isinstance(cat, CategoryResponse)
    balances(cat, "0.00")
    ok(add_category_member.sync_detailed(cat.id, client=client, body=CategoryMemberDto(type_=MemberType.ACCOUNT, id=u1.id)))
    cat = ok(add_category_member.sync_detailed(cat.id, client=client, body=CategoryMemberDto(type_=MemberType.ACCOUNT, id=u2.id)))
    assert {(m.type_, m.id) for m in cat.members} == {(MemberType.ACCOUNT, u1.id), (MemberType.ACCOUNT, u2.id)}
    balances(cat, "450.00")
    balances(ok(get_category.sync_detailed(cat.id, client=client)), "450.00")

    # one user's transactions: metadata[user]=u1. openapi-python-client does not
    # implement `style: deepObject` (it sends a free-form parameter's keys bare,
    # `?user=u1`, which the server rejects as an unknown field), so the key is
    # spelled out as the server expects it.
    naive = list_transactions.sync_detailed(
        client=client, ledger_id=ledger.id, metadata=ListTransactionsMetadata.from_dict({"user": "u1"})
    )
    assert naive.status_code == 422  # `?user=u1`: refused, not silently unfiltered
    page = ok(
        list_transactions.sync_detailed(
            client=client, ledger_id=ledger.id, metadata=ListTransactionsMetadata.from_dict({"metadata[user]": "u1"})
        )
    )
    assert [t.id for t in page.data] == [ach.id]
    assert page.data[0].metadata["user"] == "u1"
    assert page.data[0].metadata["transaction_type"] == "deposit"

    # a back-dated deposit counts "as of" its effective time
    back = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30)).replace(microsecond=0)
    late = created(
        create_deposit.sync_detailed(
            client=client,
            body=DepositRequest(ledger_id=ledger.id, wallet_id=u2.id, amount="25.00", currency=Currency.USD, effective_at=back),
        )
    )
    assert late.effective_at == back
    then = account(client, u2.id, as_of=back)
    assert then.as_of == back
    balances(then, "25.00")
    balances(account(client, u1.id, as_of=back), "0.00")
    balances(account(client, u2.id, as_of=back - dt.timedelta(seconds=1)), "0.00")
    balances(account(client, u2.id), "125.00")

    # the reversal restores every balance the withdrawal moved
    rev = created(reverse_transaction.sync_detailed(w.id, client=client))
    assert isinstance(rev, TransactionResponse)
    assert rev.id != w.id and rev.status == TransactionStatusDto.POSTED
    assert rev.reverses_id == w.id
    swapped = {"debit": "credit", "credit": "debit"}
    assert entries_of(rev) == {(a, swapped[d], m) for a, d, m in entries_of(w)}
    problem(reverse_transaction.sync_detailed(w.id, client=client), 409, "already_reversed")
    balances(account(client, u2.id), "175.00")
    balances(account(client, u1.id), "350.00")
    balances(account(client, cash.id), "25.00")  # -49.00 + 25.00 + 49.00
    balances(account(client, revenue.id), "0.00")
    balances(ok(get_category.sync_detailed(cat.id, client=client)), "525.00")

    # the statement: posted entries in effective order with the running balance
    lines = ok(list_account_entries.sync_detailed(u2.id, client=client)).data
    assert [(l.transaction_id, l.direction, l.amount, l.running_balance) for l in lines] == [
        (late.id, DirectionDto.CREDIT, "25.00", "25.00"),
        (tr.id, DirectionDto.CREDIT, "150.00", "175.00"),
        (w.id, DirectionDto.DEBIT, "50.00", "125.00"),
        (rev.id, DirectionDto.CREDIT, "50.00", "175.00"),
    ]

    # read back: the reversal and the original are linked both ways
    original = transaction(client, w.id)
    assert original.status == TransactionStatusDto.POSTED
    assert original.reversed_by_id == rev.id, "GET original: reversed_by_id"
    reversal = transaction(client, rev.id)
    assert reversal.reversed_by_id is None
    assert reversal.reverses_id == w.id, f"GET reversal: reverses_id is {reversal.reverses_id!r}, want {w.id}"


def _seed(client: AuthenticatedClient) -> dict[str, Any]:
    ledger = new_ledger(client, "Typed models")
    ident = created(
        create_identity.sync_detailed(
            client=client,
            body=CreateIdentityRequest(ledger_id=ledger.id, kind=IdentityKindDto.ORGANIZATION, organization_name="Acme"),
        )
    )
    acct = wallet(client, ledger.id, "W", identity_id=ident.id)
    tx = created(
        create_deposit.sync_detailed(
            client=client, body=DepositRequest(ledger_id=ledger.id, wallet_id=acct.id, amount="1.00", currency=Currency.USD)
        )
    )
    cat = created(
        create_category.sync_detailed(
            client=client,
            body=CreateCategoryRequest(ledger_id=ledger.id, name="C", currency=Currency.USD, normal_balance=NormalBalanceDto.CREDIT),
        )
    )
    return {"ledger": ledger, "identity": ident, "account": acct, "transaction": tx, "category": cat}


@pytest.fixture(scope="module")
def seeded(client: AuthenticatedClient) -> dict[str, Any]:
    return _seed(client)


# A list's items must be the very model a single read returns: a client user
# passes either to the same code. (A page schema that inlines its item schema
# instead of referencing T's component makes generators emit a second,
# unrelated class, e.g. PageAccountResponseDataItem.)
LISTS = {
    "listLedgers": (lambda c, s: list_ledgers.sync_detailed(client=c, limit=100), LedgerResponse),
    "listIdentities": (lambda c, s: list_identities.sync_detailed(client=c, ledger_id=s["ledger"].id), IdentityResponse),
    "listAccounts": (lambda c, s: list_accounts.sync_detailed(client=c, ledger_id=s["ledger"].id), AccountResponse),
    "listTransactions": (
        lambda c, s: list_transactions.sync_detailed(client=c, ledger_id=s["ledger"].id),
        TransactionResponse,
    ),
    "listCategories": (lambda c, s: list_categories.sync_detailed(client=c, ledger_id=s["ledger"].id), CategoryResponse),
    "listAccountEntries": (
        lambda c, s: list_account_entries.sync_detailed(s["account"].id, client=c),
        StatementLineResponse,
    ),
}


@pytest.mark.parametrize("operation", list(LISTS))
def test_list_items_are_the_single_read_model(
    client: AuthenticatedClient, seeded: dict[str, Any], operation: str
) -> None:
    call, model = LISTS[operation]
    page = ok(call(client, seeded))
    assert page.data, f"{operation} returned no items"
    kinds = {type(item).__name__ for item in page.data}
    assert all(isinstance(item, model) for item in page.data), (
        f"{operation} items are {kinds}, not {model.__name__}"
    )
