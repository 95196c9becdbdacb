"""Schemathesis hooks for the Wallet Ledger API (loaded through `hooks` in
schemathesis.toml, a path relative to the repository root).

One request hook:

* `before_call` gives each schema-valid request its own Idempotency-Key and
  external_id. Schemathesis draws strings from a tiny space ("0", "00", …), so
  most writes would repeat an earlier key with another body, or an earlier
  external_id, and get the (correct) 422 `idempotency_key_reused` or 409
  `conflict` instead of reaching the ledger. Values that are not 1-255
  characters are left alone, so their rejection is still tested; so is every
  negative case. Replays and duplicates are tested in tests/api.

Two checks, both on by `--checks all`:

* `valid_data_passes_validation` refines `positive_data_acceptance`. That check
  judges by status alone, and this API answers 422 both for business rules (no
  JSON Schema can say "insufficient funds" or "this Idempotency-Key was used with
  another body") and for field validation. schemathesis.toml therefore lets
  `positive_data_acceptance` accept 422, and this check looks at the problem
  `type`: a schema-valid request refused with `type: validation` means the
  document promises more than the server accepts, unless every refused field is
  one whose rule JSON Schema cannot state (ALLOWED below, each with its reason).

* `write_routes_reach_2xx` fails the run when a POST under /v1 never answered
  2xx: a run that only ever sees 404s and 422s tests validation, not the ledger.
"""

from __future__ import annotations

import re
import uuid

import schemathesis

# (fields, message pattern, why JSON Schema cannot express it). A field matches
# by its last path segment, so `entries[1].amount` counts as `amount`. Rules
# about what an id refers to (its ledger, its kind) depend on stored state, not
# on the request's shape; the others relate two fields or are server-issued.
ALLOWED: list[tuple[frozenset[str], re.Pattern[str], str]] = [
    (
        frozenset({"cursor"}),
        re.compile(r"^not a cursor this API issued$"),
        "cursors are opaque tokens the server issues; any other string is refused",
    ),
    (
        frozenset({"amount", "overdraft_limit"}),
        re.compile(r"^[A-Z]{3} allows at most \d+ fractional digits$"),
        "the decimals allowed depend on the currency, another field or the account's",
    ),
    (
        frozenset({"to_wallet_id"}),
        re.compile(r"^sender and receiver must differ$"),
        "JSON Schema cannot compare two fields' values",
    ),
    (
        frozenset({"body", "query"}),
        re.compile(r"^(text|parameters) must not contain NUL\b"),
        "PostgreSQL text cannot hold U+0000; saying so takes a pattern on every string",
    ),
    (
        frozenset({"wallet_id", "from_wallet_id", "to_wallet_id", "cash_account_id", "identity_id", "member"}),
        re.compile(r"^the (account|identity|member) belongs to another ledger$"),
        "which ledger an id belongs to is stored state",
    ),
    (
        frozenset({"entries"}),
        re.compile(r"^an entry names an account of another ledger$"),
        "which ledger an id belongs to is stored state",
    ),
    (
        frozenset({"cash_account_id"}),
        re.compile(r"^a cash account must be an asset$"),
        "an account's kind is stored state",
    ),
    (
        frozenset({"member"}),
        re.compile(r"^adding this category would create a cycle$"),
        "the category graph is stored state",
    ),
    (
        frozenset({"lock_version"}),
        re.compile(r"^two entries on one account expect different lock versions$"),
        "JSON Schema cannot compare values across array items",
    ),
    (
        frozenset({"entries"}),
        re.compile(r"^not an account and direction of the pending transaction$"),
        "which lines a pending transaction has is stored state",
    ),
    (
        frozenset({"amount"}),
        re.compile(r"^more than the pending transaction holds on that account$"),
        "how much a pending transaction still holds is stored state",
    ),
]


def _allowed(field: str, message: str) -> bool:
    leaf = re.sub(r"\[\d+\]$", "", field.rsplit(".", 1)[-1])  # entries[3] → entries
    return any(leaf in names and pattern.search(message) for names, pattern, _ in ALLOWED)


@schemathesis.hook
def before_call(context, case, kwargs):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return
    for name, value in list((case.headers or {}).items()):
        if name.lower() == "idempotency-key" and _fits(value):
            case.headers[name] = f"st-{uuid.uuid4()}"
    if isinstance(case.body, dict) and _fits(case.body.get("external_id")):
        case.body["external_id"] = f"st-{uuid.uuid4()}"


def _fits(value: object) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= 255


@schemathesis.check
def valid_data_passes_validation(ctx, response, case):
    """A schema-valid request must not be refused as invalid (422 `validation`)."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    try:
        problem = response.json()
    except Exception:  # not JSON: content_type_conformance and the schema checks report it
        return None
    if not isinstance(problem, dict) or problem.get("type") != "validation":
        return None  # a business rule: insufficient_funds, currency_mismatch, idempotency_key_reused, …
    errors = problem.get("errors") or []
    refused = [
        (str(e.get("field", "")), str(e.get("message", ""))) for e in errors if isinstance(e, dict)
    ]
    if refused and all(_allowed(field, message) for field, message in refused):
        return None
    raise AssertionError(
        "Schema-valid data was refused as invalid (422 `validation`): "
        + (problem.get("detail") or str(problem))
        + "\nThe OpenAPI document should state this constraint, or the server should accept the value."
    )


@schemathesis.check
class write_routes_reach_2xx:
    """Every POST under /v1 must answer 2xx at least once in the run."""

    def __init__(self):
        self.tested: set[str] = set()
        self.reached: set[str] = set()

    def after_response(self, ctx, response, case):
        operation = case.operation
        if operation.method.upper() != "POST" or not operation.path.startswith("/v1/"):
            return None
        self.tested.add(operation.label)
        if 200 <= response.status_code < 300:
            self.reached.add(operation.label)
        return None

    def after_run(self, ctx):
        never = sorted(self.tested - self.reached)
        if never:
            raise AssertionError("These write routes never answered 2xx: " + ", ".join(never))
