#!/usr/bin/env bash
# The README's curl walk-through, run as a reader would paste it: every ```sh
# block of "A walk through the API with curl", unchanged except the `export`
# line (host and key), then the balances the README promises are checked.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
: "${WL_BASE_URL:?set by scripts/e2e.sh}" "${WL_API_KEY:?set by scripts/e2e.sh}"

if ! command -v jq >/dev/null; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
        echo "readme: installing jq (Debian package)" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null
    else
        echo "readme: jq is needed (Debian: apt-get install jq)" >&2; exit 1
    fi
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 - "$ROOT/README.md" > "$work/walk.sh" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
section = text.split("## A walk through the API with curl", 1)[1].split("\n## ", 1)[0]
blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
assert len(blocks) >= 3, f"expected the setup and two flows, found {len(blocks)} sh blocks"
out = []
for b in blocks:
    lines = [l for l in b.splitlines() if not l.startswith("export API=")]
    out.append("\n".join(lines))
print("\n".join(out))
PY
grep -q 'metadata\[user\]=u1' "$work/walk.sh" || { echo "readme: the walk-through lost its metadata query" >&2; exit 1; }

cat > "$work/check.sh" <<'SH'
set -euo pipefail
export API="$WL_BASE_URL" KEY="$WL_API_KEY"
source "$WORK/walk.sh" > "$WORK/out.txt" 2> "$WORK/err.txt"
if [[ -s "$WORK/err.txt" ]]; then echo "readme: the walk-through wrote to stderr:" >&2; cat "$WORK/err.txt" >&2; exit 1; fi
passes=0
fails=0
expect() { # description, actual, expected
    if [[ "$2" == "$3" ]]; then
        echo "ok - $1"; passes=$((passes + 1))
    else
        echo "not ok - $1: got '$2', expected '$3'"; fails=$((fails + 1))
    fi
}
posted() { j "$API/v1/accounts/$1" | jq -r .balances.posted.amount; }
expect "Flow A: Alice's main wallet" "$(posted "$MAIN")" "700.00"
expect "Flow A: Alice's card wallet" "$(posted "$CARD")" "200.00"
expect "Flow B: user 1 after the ACH deposit and the transfer" "$(posted "$U1")" "350.00"
expect "Flow B: user 2 after the reversal of its withdrawal (150.00 + back-dated 25.00)" "$(posted "$U2")" "175.00"
meta="$(j "$API/v1/transactions?ledger_id=$LEDGER&metadata[user]=u1")"
expect "Flow B: the metadata query finds only user 1's ACH deposit" "$(jq -r '[.data[].id] | join(",")' <<<"$meta")" "$ACH"
expect "Flow B: the reversal restored the withdrawal's fee revenue" \
    "$(j "$API/v1/accounts?ledger_id=$LEDGER" | jq -r '.data[] | select(.code == "revenue:withdrawal_fees:USD") | .balances.posted.amount')" "2.00"
expect "Flow B: user 2's statement has its four entries" "$(j "$API/v1/accounts/$U2/entries" | jq '.data | length')" "4"
echo "readme: $passes passed, $fails failed"
[[ $fails -eq 0 ]]
SH
WORK="$work" bash "$work/check.sh"
