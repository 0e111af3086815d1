"""`harness report --format html`: one self-contained page (inline CSS and JS, no network) with the
report tables, Wilson bars, an item browser and the flips between every pair of runs.

The data is the report library's own (summaries, tables, compare, stored item details), embedded
as JSON in a `<script type="application/json">` block and drawn by a small script that only ever
sets `textContent`: questions and model outputs are untrusted text, never markup. A Content
Security Policy with the hashes of the page's own script and style forbids every other script,
and any network request, even if something did slip into the markup.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

from .. import __version__
from .._util.files import atomic_write
from ..errors import HarnessError
from ..outputs import check_output
from ..store import Store
from ..verdict import SCORED
from . import queries
from .compare import compare_summaries, to_dict
from .summary import RunSummary
from .tables import Table

ASSETS = resources.files("harness.report") / "html_assets"

# Per-item fields sent to the page, in this order (a list per item keeps the file small).
ITEM_FIELDS = (
    "run",
    "id",
    "outcome",
    "reason",
    "error_class",
    "error",
    "warnings",
    "query",
    "output",
    "missing",
    "extra",
    "gen_ms",
    "judge_ms",
    "prompt_tokens",
    "output_tokens",
    "f1",
    "row_count",
    "gold_row_count",
    "finish_reason",
    "infra_error",
    "attempts",
)
# Largest missing/extra row sample kept per item (the judge stores at most 5 of each).
ROW_SAMPLE = 5


def item_payload(store: Store, summaries: list[RunSummary]) -> tuple[dict, list[list]]:
    """Questions and gold Cypher once per item id (they are the same in every run), and one row of
    ITEM_FIELDS per (run, item). Raw output is kept only when it differs from the extracted query."""
    questions: dict[str, list] = {}
    rows = []
    for index, summary in enumerate(summaries):
        for row in queries.item_details(store, summary.run.id):
            detail = queries.parse_json(row.get("detail"), {}) or {}
            item_id = row["item_id"]
            if item_id not in questions or not questions[item_id][0]:
                questions[item_id] = [
                    detail.get("question") or "",
                    detail.get("gold_cypher") or "",
                    row.get("family_id") or "?",
                    row.get("template_id") or "?",
                ]
            query, output = row.get("extracted_query"), row.get("output")
            values = {
                "run": index,
                "id": item_id,
                "query": query,
                "output": None
                if output is not None and query is not None and output.strip() == query.strip()
                else output,
                "warnings": queries.parse_json(row.get("warnings"), []) or [],
                "missing": (detail.get("missing_rows") or [])[:ROW_SAMPLE],
                "extra": (detail.get("extra_rows") or [])[:ROW_SAMPLE],
            }
            rows.append([values[f] if f in values else row.get(f) for f in ITEM_FIELDS])
    return questions, rows


def table_payload(table: Table) -> dict:
    return {"title": table.title, "note": table.note, "headers": table.md_headers, "rows": table.md_rows}


def build_payload(store: Store, summaries: list[RunSummary], tables: dict[str, Table]) -> dict:
    questions, rows = item_payload(store, summaries)
    comparisons = [to_dict(compare_summaries(a, b)) for i, a in enumerate(summaries) for b in summaries[i + 1 :]]
    return {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "harness_version": __version__,
        "scored_outcomes": [outcome.value for outcome in SCORED],
        "runs": [{"label": s.label, "run_id": s.run.id, "model": s.run.model} for s in summaries],
        "tables": {name: table_payload(table) for name, table in tables.items()},
        "summary": tables["summary"].records,
        "questions": questions,
        "item_fields": list(ITEM_FIELDS),
        "items": rows,
        "comparisons": comparisons,
    }


def script_json(data: dict) -> str:
    """JSON that is safe inside a <script> element: no `<` at all (so no `</script>` or `<!--`),
    and no U+2028/U+2029."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def render_html(payload: dict) -> str:
    """The page: template with the style, the data and the script inlined."""
    style = (ASSETS / "report.css").read_text(encoding="utf-8")
    script = (ASSETS / "report.js").read_text(encoding="utf-8")
    policy = (
        f"default-src 'none'; script-src {csp_hash(script)}; style-src {csp_hash(style)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    page = (ASSETS / "page.html").read_text(encoding="utf-8")
    for key, value in (("CSP", policy), ("STYLE", style), ("SCRIPT", script)):
        page = page.replace("{{" + key + "}}", value, 1)
    return page.replace("{{DATA}}", script_json(payload), 1)


def build_html(store: Store, summaries: list[RunSummary], tables: dict[str, Table]) -> str:
    return render_html(build_payload(store, summaries, tables))


def write_report_file(text: str, path: str | Path) -> str:
    """Write a report atomically (never half-written); returns a line saying where and how big."""
    target = check_output(path, "report")
    try:
        atomic_write(target, text)
    except OSError as exc:
        raise HarnessError(f"cannot write {target}: {exc.strerror or exc}") from None
    return f"{target} ({target.stat().st_size / 1024:.0f} KiB)"
