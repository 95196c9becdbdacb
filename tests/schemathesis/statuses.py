"""Summarise a schemathesis run from its NDJSON report:

* per documented operation, the status codes received (`!` marks an operation
  that never answered 2xx);
* every distinct 422 `validation` answer to schema-valid (positive) data, with
  the request count — schemathesis itself reports one failure per operation and
  check, which hides the others behind the first.

    python statuses.py BASE_URL REPORT.ndjson…
"""

from __future__ import annotations

import base64
import collections
import json
import os
import re
import sys

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hooks import _allowed  # noqa: E402

base, reports = sys.argv[1].rstrip("/"), sys.argv[2:]
session = requests.Session()
session.trust_env = False
doc = session.get(f"{base}/openapi.json", timeout=10).json()
documented = {
    f"{method.upper()} {path}"
    for path, item in doc.get("paths", {}).items()
    for method in item
    if method in {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
}
templates = [
    (re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)) + "$"), path) for path in doc.get("paths", {})
]


def template(url: str) -> str:
    path = re.sub(r"^https?://[^/]+", "", url).split("?")[0]
    for pattern, name in templates:
        if pattern.match(path):
            return name
    return path


def decode(content: dict) -> str:
    if "$base64" in content:
        return base64.b64decode(content["$base64"]).decode("utf-8", errors="replace")
    return str(content.get("string", ""))


counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
refusals: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
for report in reports:
    with open(report, encoding="utf-8") as fd:
        for line in fd:
            event = json.loads(line).get("ScenarioFinished")
            if not event:
                continue
            recorder = event["recorder"]
            for case_id, interaction in recorder.get("interactions", {}).items():
                label = f"{interaction['request']['method'].upper()} {template(interaction['request']['uri'])}"
                if label not in documented:
                    continue  # unsupported-method probes
                response = interaction.get("response") or {}
                status = response.get("status_code", "error")
                counts[label][status] += 1
                case = recorder.get("cases", {}).get(case_id, {}).get("value", {})
                mode = case.get("meta", {}).get("generation", {}).get("mode")
                if status != 422 or mode != "positive":
                    continue
                try:
                    problem = json.loads(decode(response.get("content", {})))
                except ValueError:
                    continue
                if problem.get("type") != "validation":
                    continue
                for error in problem.get("errors") or [{"field": "?", "message": problem.get("detail")}]:
                    field, message = str(error.get("field")), str(error.get("message"))
                    mark = "allowed" if _allowed(field, message) else "REFUSED"
                    message = re.sub(r"`[^`]*`", "`…`", message)
                    refusals[label][f"{mark}  {field}: {message}"] += 1

print("statuses received per documented operation (! = never 2xx):")
for label in sorted(documented, key=lambda l: (l.split()[1], l.split()[0])):
    statuses = counts.get(label, collections.Counter())
    ok = any(isinstance(s, int) and 200 <= s < 300 for s in statuses)
    row = " ".join(f"{s}×{n}" for s, n in sorted(statuses.items(), key=lambda kv: str(kv[0]))) or "not tested"
    print(f"  {'  ' if ok else '! '}{label:40} {row}")
print()
print("422 `validation` answers to schema-valid data (REFUSED = a document/server mismatch):")
if not refusals:
    print("  none")
for label in sorted(refusals, key=lambda l: (l.split()[1], l.split()[0])):
    print(f"  {label}")
    for text, n in refusals[label].most_common():
        print(f"    {n:4}× {text}")
