# Sourced by the Python test suites: a venv per suite from its hash-pinned
# requirements.txt, rebuilt when the requirements or the Python change.
#
#   pinned_venv DIR    → $DIR/.venv ready, $VENV set, `pip check` clean
pinned_venv() {
    local dir="$1" stamp want
    PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || { echo "needs Python >= 3.11 (found $("$PYTHON" --version 2>&1))" >&2; return 1; }
    VENV="$dir/.venv"
    stamp="$VENV/.requirements.sha256"
    want="$(cat "$dir/requirements.txt" <("$PYTHON" --version 2>&1) | sha256sum | cut -d' ' -f1)"
    if [[ ! -x "$VENV/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
        echo "creating $VENV" >&2
        rm -rf "$VENV"
        "$PYTHON" -m venv "$VENV"
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
            --require-hashes --no-deps -r "$dir/requirements.txt"
        echo "$want" >"$stamp"
    fi
    "$VENV/bin/python" -m pip check >/dev/null || { "$VENV/bin/python" -m pip check >&2; return 1; }
}
