"""`harness compare`, `harness show` and `harness triage` on constructed runs."""

import json

from .kit import invoke
from .report_fixtures import add_run


def two_runs(store):
    a = add_run(
        store,
        "base",
        {
            "F1-0001": "correct",
            "F2-0002": "correct",
            "F3-0003": "wrong_result",
            "F4-0004": "syntax_error",
            "F5-0005": "correct",
            "F6-0006": "infra_db",
            "F6-0007": "exec_error",
        },
    )
    b = add_run(
        store,
        "ft",
        {
            "F1-0001": "correct",
            "F2-0002": "wrong_result",
            "F3-0003": "correct",
            "F4-0004": "correct",
            "F5-0005": "correct",
            "F6-0006": "correct",
            "F6-0007": "timeout",
            "F6-0008": "correct",
        },
    )
    return a, b


def test_compare_lists_flips_with_family_and_outcomes(store):
    a, b = two_runs(store)
    result = invoke("compare", a[:18], b[:18])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "## Flips: 1 pass->fail, 2 fail->pass" in out
    lines = out.splitlines()
    flips = [line for line in lines if line.startswith("| F")]
    cells = [cell.strip() for cell in flips[0].strip("|").split("|")]
    assert cells == ["F2-0002", "F2", "correct", "wrong_result", "pass->fail"]  # pass->fail first
    assert any("F4-0004" in line and "syntax_error" in line and "fail->pass" in line for line in flips)
    assert not any("F6-0007" in line for line in flips)  # failed on both sides: not a flip
    assert "1 item(s) failed in both runs with different outcomes" in out
    assert "1 item(s) left out of the pairing: infra error on at least one side (F6-0006)" in out
    assert "0 item(s) only in A, 1 only in B" in out
    # paired on 6 items scored by both: only A 1, only B 2, p = 1
    data = json.loads(invoke("compare", a, b, "--format", "json").output)
    assert (data["paired"]["n_shared"], data["paired"]["only_a"], data["paired"]["only_b"]) == (6, 1, 2)
    assert data["paired"]["mcnemar_p"] == 1.0
    assert [f["item_id"] for f in data["flips"]] == ["F2-0002", "F3-0003", "F4-0004"]


def test_compare_unknown_run_is_an_error(store):
    a, _ = two_runs(store)
    result = invoke("compare", a, "zzz")
    assert result.exit_code == 1 and "Error: no run 'zzz'" in result.output


def test_show_prints_question_gold_generated_and_row_diff(store):
    a, _ = two_runs(store)
    result = invoke("show", a[:18], "F3-0003")
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"# F3-0003 in run {a} (base)" in out
    assert "outcome: wrong_result (scored)" in out
    assert "question: Which therapies target the gene of F3-0003?" in out
    assert "MATCH (t:Therapy)-[:TARGETS]->(g:Gene) RETURN t.name // F3-0003" in out  # gold
    assert "```cypher\nMATCH (n) RETURN n // F3-0003\n```" in out  # extracted
    assert "raw model output (finish: stop):\n````\n```cypher\nMATCH (n) RETURN n // F3-0003\n```\n````" in out
    assert "rows: generated 3, gold 3; mismatch reason: missing_rows" in out
    assert '- {"t.name": "Osimertinib"}' in out and '- {"t.name": "Aspirin"}' in out
    error = invoke("show", a, "F4-0004").output
    assert "error: Neo.ClientError.Statement.SyntaxError: Invalid input 'RETRN'" in error
    infra = invoke("show", a, "F6-0006").output
    assert "outcome: infra_db (infra error, not scored)" in infra
    data = json.loads(invoke("show", a, "F3-0003", "--json").output)
    assert data["detail"]["missing_rows"] == [{"t.name": "Osimertinib"}] and data["outcome"] == "wrong_result"


def test_show_accepts_an_item_prefix_and_suggests_close_ids(store):
    a, _ = two_runs(store)
    assert "# F5-0005 in run" in invoke("show", a, "F5").output
    ambiguous = invoke("show", a, "F6")
    assert ambiguous.exit_code == 1 and "ambiguous" in ambiguous.output
    missing = invoke("show", a, "F3-0030")
    assert missing.exit_code == 1 and "did you mean F3-0003" in missing.output


def test_triage_groups_failures_with_examples(store):
    outcomes = {f"F1-{i:04d}": "wrong_result" for i in range(5)}
    outcomes.update({f"F2-{i:04d}": "syntax_error" for i in range(3)})
    outcomes.update({f"F3-{i:04d}": "correct" for i in range(4)})
    outcomes["F3-0009"] = {"outcome": "wrong_result", "reason": "order"}
    outcomes["F4-0001"] = "infra_model"
    run = add_run(store, "ft", outcomes)
    result = invoke("triage", run[:18], "--examples", "2")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "9 of 13 scored items failed (69.2%); 1 infra error(s), not scored." in out
    rows = {line.split("|")[1].strip(): line for line in out.splitlines() if line.startswith("| ")}
    assert "| 6 " in rows["wrong_result"] and "F1-0000 (missing_rows); F1-0001 (missing_rows)" in rows["wrong_result"]
    assert "F1-0002" not in rows["wrong_result"]  # only 2 examples
    assert "F2-0000 (SyntaxError: Invalid input 'RETRN'" in rows["syntax_error"]
    assert "| 5/5 " in rows["F1"] and "| 1/5 " in rows["F3"] and "20.0" in rows["F3"]
    assert "| 5 " in rows["missing_rows"] and "F3-0009" in rows["order"]
    assert "Neo.ClientError.Statement.SyntaxError" in rows
    assert "F4-0001 (ModelUnavailable: HTTP 429 Too Many Requests)" in rows["infra_model"]
    data = json.loads(invoke("triage", run, "--format", "json").output)
    assert [(g["key"], g["count"]) for g in data["by_outcome"]] == [("wrong_result", 6), ("syntax_error", 3)]
    assert len(data["by_outcome"][0]["examples"]) == 3


def test_triage_of_a_perfect_run(store):
    run = add_run(store, "gold", {"F1-0001": "correct"})
    out = invoke("triage", run).output
    assert "0 of 1 scored items failed (0.0%)" in out and "_(none)_" in out
