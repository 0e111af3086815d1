"""`harness report --format html`: the page's embedded data, escaping and file handling (no browser;
tests/test_report_html_browser.py drives the page in Chromium)."""

import json
import re

from harness.report import queries
from harness.report.html_report import ITEM_FIELDS

from .kit import invoke
from .report_fixtures import add_run

HOSTILE = '</script><script>window.__pwned = 1</script><!-- <img src=x onerror="window.__pwned = 2">\u2028'


QUESTION = f"Which therapies target {HOSTILE}?"
GOLD = "MATCH (t:Therapy)-[:TARGETS]->(g:Gene) RETURN t.name LIMIT 5"


def hostile_runs(store):
    """Three runs over F1-F3; F2-0002's question holds markup and a `</script>`, and ft answers it with
    the same in every text field."""
    suite_detail = {"question": QUESTION, "gold_cypher": GOLD}
    base = add_run(
        store,
        "base",
        {
            "F1-0001": "correct",
            "F1-0002": "wrong_result",
            "F2-0001": "syntax_error",
            "F2-0002": {"outcome": "correct", "detail": suite_detail},
            "F3-0001": "exec_error",
            "F3-0002": "infra_model",
        },
    )
    ft = add_run(
        store,
        "ft",
        {
            "F1-0001": "correct",
            "F1-0002": "correct",
            "F2-0001": "correct",
            "F2-0002": {
                "outcome": "wrong_result",
                "extracted_query": f"MATCH (t:Therapy) RETURN '{HOSTILE}' AS x LIMIT 5",
                "error": HOSTILE,
                "warnings": [HOSTILE],
                "detail": {
                    **suite_detail,
                    "missing_rows": [{"t.name": HOSTILE}],
                    "extra_rows": [{"x": HOSTILE}],
                },
            },
            "F3-0001": "correct",
            "F3-0002": "timeout",
        },
    )
    gold = add_run(
        store,
        "gold",
        {
            **{i: "correct" for i in ("F1-0001", "F1-0002", "F2-0001", "F3-0001")},
            "F2-0002": {"outcome": "correct", "detail": suite_detail},
        },
    )
    return base, ft, gold


def embedded(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
    assert match, "no data block"
    return json.loads(match.group(1))


def write_report(tmp_path, *args):
    out = tmp_path / "report.html"
    result = invoke("report", "--format", "html", "-o", out, *args)
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    return out.read_text(encoding="utf-8")


def test_html_report_is_one_offline_file_with_every_table(store, tmp_path):
    hostile_runs(store)
    html = write_report(tmp_path)
    # no external resources of any kind, and a policy that forbids loading them
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "default-src 'none'" in html and "script-src 'sha256-" in html
    data = embedded(html)
    assert [r["label"] for r in data["runs"]] == ["base", "ft", "gold"]
    assert set(data["tables"]) == {"runs", "summary", "conditional", "families", "pairs", "cost"}
    assert data["tables"]["conditional"]["title"].startswith("Conditional rates (seed-style")
    assert "Seed-style conditional rates" in html  # its own labelled section
    summary = {r["label"]: r for r in data["summary"]}
    assert summary["base"]["accuracy_k"] == 2 and summary["base"]["accuracy_n"] == 5
    assert summary["base"]["accuracy_lo"] < summary["base"]["accuracy_pct"] < summary["base"]["accuracy_hi"]


def test_items_carry_question_gold_query_rows_and_timings(store, tmp_path):
    hostile_runs(store)
    data = embedded(write_report(tmp_path))
    assert data["item_fields"] == list(ITEM_FIELDS)
    items = [dict(zip(ITEM_FIELDS, row)) for row in data["items"]]
    assert len(items) == 6 + 6 + 5
    base_wrong = next(i for i in items if i["run"] == 0 and i["id"] == "F1-0002")
    assert base_wrong["outcome"] == "wrong_result" and base_wrong["reason"] == "missing_rows"
    assert base_wrong["missing"] == [{"t.name": "Osimertinib"}] and base_wrong["extra"] == [{"t.name": "Aspirin"}]
    assert base_wrong["gen_ms"] == 1000.0 and base_wrong["output_tokens"] == 50 and base_wrong["prompt_tokens"] == 300
    assert base_wrong["output"] == "```cypher\nMATCH (n) RETURN n // F1-0002\n```"  # differs from the query: kept
    question, gold_cypher, family, template = data["questions"]["F1-0002"]
    assert question == "Which therapies target the gene of F1-0002?" and "RETURN t.name" in gold_cypher
    assert (family, template) == ("F1", "F1.t1")
    infra = next(i for i in items if i["run"] == 0 and i["id"] == "F3-0002")
    assert infra["outcome"] == "infra_model" and infra["query"] is None


def test_flips_for_every_pair_are_the_compare_data(store, tmp_path):
    hostile_runs(store)
    data = embedded(write_report(tmp_path))
    assert [(c["a"]["label"], c["b"]["label"]) for c in data["comparisons"]] == [
        ("base", "ft"),
        ("base", "gold"),
        ("ft", "gold"),
    ]
    # read off hostile_runs: pass->fail first, then by family and item; infra outcomes and items one run lacks never flip
    assert data["comparisons"][0]["flips"] == [
        flip("F2-0002", "correct", "wrong_result"),
        flip("F1-0002", "wrong_result", "correct"),
        flip("F2-0001", "syntax_error", "correct"),
        flip("F3-0001", "exec_error", "correct"),
    ]
    assert data["comparisons"][1]["flips"] == [
        flip("F1-0002", "wrong_result", "correct"),
        flip("F2-0001", "syntax_error", "correct"),
        flip("F3-0001", "exec_error", "correct"),
    ]
    assert data["comparisons"][2]["flips"] == [flip("F2-0002", "wrong_result", "correct")]


def flip(item_id: str, outcome_a: str, outcome_b: str) -> dict:
    direction = "pass->fail" if outcome_a == "correct" else "fail->pass"
    return {
        "item_id": item_id,
        "family_id": item_id.split("-")[0],
        "outcome_a": outcome_a,
        "outcome_b": outcome_b,
        "direction": direction,
    }


def test_untrusted_text_cannot_close_the_data_block(store, tmp_path):
    hostile_runs(store)
    html = write_report(tmp_path)
    assert html.count("<script") == 2  # the data block and the page's own script: nothing injected
    assert "window.__pwned" not in html.split('id="report-data">', 1)[0]
    data = embedded(html)
    question = data["questions"]["F2-0002"][0]
    assert question == QUESTION  # exactly the stored text, after escaping
    item = next(dict(zip(ITEM_FIELDS, r)) for r in data["items"] if r[0] == 1 and r[1] == "F2-0002")
    assert item["error"] == HOSTILE and item["warnings"] == [HOSTILE] and item["extra"] == [{"x": HOSTILE}]


def test_run_selection_is_the_same_as_the_markdown_report(store, tmp_path):
    base, ft, _ = hostile_runs(store)
    data = embedded(write_report(tmp_path, "--run", ft, "--run", base))
    assert [r["run_id"] for r in data["runs"]] == [ft, base]
    assert {row[0] for row in data["items"]} == {0, 1}


def test_md_to_a_file_is_what_stdout_gets(store, tmp_path):
    hostile_runs(store)
    out = tmp_path / "report.md"
    assert invoke("report", "-o", out).exit_code == 0
    assert out.read_text() == invoke("report").output


def test_table_does_not_apply_to_html(store, tmp_path):
    hostile_runs(store)
    result = invoke("report", "--format", "html", "--table", "summary", "-o", tmp_path / "r.html")
    assert result.exit_code == 2 and "--table applies to md, csv and json" in result.output
    assert not (tmp_path / "r.html").exists()


def test_unwritable_output_is_one_error_line(store, tmp_path):
    hostile_runs(store)
    target = tmp_path / "not-a-folder"
    target.write_text("x")
    result = invoke("report", "--format", "html", "-o", target / "report.html")
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot write") and "Traceback" not in result.output
    assert list(tmp_path.glob("not-a-folder*")) == [target]


def test_no_database_is_an_error_and_writes_nothing(tmp_path):
    result = invoke("report", "--format", "html", "-o", tmp_path / "r.html", "--db", tmp_path / "none.db")
    assert result.exit_code == 1 and result.output.startswith("Error: no results database")
    assert not (tmp_path / "r.html").exists()


def test_item_details_join_outputs_and_verdicts(store):
    base, *_ = hostile_runs(store)
    rows = {r["item_id"]: r for r in queries.item_details(store, base)}
    assert rows["F1-0002"]["output"].startswith("```cypher") and rows["F3-0002"]["infra_error"]


def test_the_page_script_never_parses_text_as_markup():
    from harness.report.html_report import ASSETS

    script = (ASSETS / "report.js").read_text()
    code = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("//"))
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in code, sink
