"""`harness report`: numbers in markdown, csv and json; infra errors never move a rate."""

import csv
import io
import json

import pytest

from .kit import invoke
from .report_fixtures import add_run, result_row

IDS = [f"F{i % 6 + 1}-{i:04d}" for i in range(80)]


def seed_like(store):
    """ft: 73/80 correct; base: 10/80 correct, all 10 also correct for ft."""
    ft = {item: "correct" if i < 73 else "wrong_result" if i < 78 else "syntax_error" for i, item in enumerate(IDS)}
    base = {
        item: "correct" if i < 10 else "wrong_result" if i < 40 else "exec_error" if i < 60 else "syntax_error"
        for i, item in enumerate(IDS)
    }
    return add_run(store, "ft", ft), add_run(store, "base", base)


def report_json(*args):
    result = invoke("report", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def by_label(records):
    return {record["label"]: record for record in records}


def test_markdown_report_has_every_table_and_the_right_numbers(store):
    ft_id, _base_id = seed_like(store)
    result = invoke("report")
    assert result.exit_code == 0, result.output
    out = result.output
    for title in (
        "## Runs",
        "## Summary (all scored items)",
        "## Conditional rates",
        "## Accuracy by family",
        "## Pairwise comparisons",
    ):
        assert title in out
    ft_line = next(line for line in out.splitlines() if line.startswith("| ft ") and "[" in line)
    # 73/80 = 91.25% with Wilson bounds 83.02 and 95.70 (the labelled item-level column); every item is
    # its own group here, so the clustered interval is Wilson with t on 79 df (1.990 for 1.960): a bit wider
    assert "| [83.0, 95.7] " in ft_line  # 91.25 rounded half up
    assert "91.3 [82.9, 95.7]" in ft_line
    assert "| 80 " in ft_line and "| 1.00 " in ft_line  # 80 clusters, design effect 1
    # manifest: run id, adapter, suite + hash prefix, graph prefix, Neo4j, commit, decoding, status
    manifest = next(line for line in out.splitlines() if line.startswith(f"| {ft_id}"))
    for expected in (
        "llama_cpp",
        "demo@a1b2c3d4",
        "f00dfeedbeef",
        "5.26.12",
        "0123456789",
        "temperature=0.0, max_tokens=512",
        "finished",
        "80/80",
    ):
        assert expected in manifest
    # pairwise: base vs ft (sorted by model): both 10, only base 0, only ft 63, neither 7
    pair_line = next(line for line in out.splitlines() if line.startswith("| base ") and "| ft " in line)
    cells = [cell.strip() for cell in pair_line.strip("|").split("|")]
    assert cells[2:7] == ["80 (80)", "10", "0", "63", "7"]
    assert cells[-2] == "2.2e-19"  # McNemar: 2 / 2^63
    assert cells[-1] == "2.2e-19"  # the sign-flip test over one-item groups is McNemar


def test_json_report_is_one_object_with_all_tables(store):
    ft_id, _base_id = seed_like(store)
    data = report_json()
    assert set(data) == {"runs", "summary", "conditional", "families", "pairs", "cost"}
    ft = by_label(data["summary"])["ft"]
    assert ft["run_id"] == ft_id
    assert (ft["n_scored"], ft["accuracy_k"], ft["accuracy_n"]) == (80, 73, 80)
    assert ft["accuracy_pct"] == 91.25
    assert ft["accuracy_lo"] == pytest.approx(83.0232, abs=1e-4)
    assert ft["accuracy_hi"] == pytest.approx(95.6968, abs=1e-4)
    assert ft["strict_pct"] == 91.25
    assert ft["f1_mean"] == pytest.approx((73 + 5 * 0.5) / 80, abs=1e-4)
    assert ft["infra_errors"] == 0
    base = by_label(data["summary"])["base"]
    # 10 correct, 30 wrong, 20 exec errors, 20 syntax errors: every rate over all 80 scored
    assert (base["syntax_pct"], base["execution_pct"], base["accuracy_pct"]) == (75.0, 50.0, 12.5)
    cond = by_label(data["conditional"])["base"]
    assert (cond["exec_given_syntax_k"], cond["exec_given_syntax_n"]) == (40, 60)
    assert cond["accuracy_given_exec_pct"] == 25.0
    pair = data["pairs"][0]
    assert (pair["a"], pair["b"], pair["n_shared"], pair["only_a"], pair["only_b"]) == ("base", "ft", 80, 0, 63)
    assert pair["delta_points"] == pytest.approx(78.75)
    manifest = by_label(data["runs"])["ft"]
    assert manifest["decoding"] == {"temperature": 0.0, "max_tokens": 512}  # not where the weights are
    assert manifest["model_options"]["model_path"] == "ft.gguf"
    assert manifest["graph_fingerprint"] == "f00dfeedbeef0123456789"


def test_per_family_table(store):
    seed_like(store)
    families = [r for r in report_json()["families"] if r["label"] == "ft"]
    assert [r["family"] for r in families] == ["F1", "F2", "F3", "F4", "F5", "F6"]
    # ids 0..79 cycle through F1..F6; ft misses ids 73..79 = F2,F3,F4,F5,F6,F1,F2
    counts = {r["family"]: (r["k"], r["n"]) for r in families}
    assert counts == {"F1": (13, 14), "F2": (12, 14), "F3": (12, 13), "F4": (12, 13), "F5": (12, 13), "F6": (12, 13)}
    md = invoke("report", "--table", "families").output
    assert "92.9 (13/14)" in md


def test_csv_tables_parse(store):
    seed_like(store)
    result = invoke("report", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = {row["label"]: row for row in csv.DictReader(io.StringIO(result.output))}
    assert rows["ft"]["accuracy_k"] == "73" and rows["ft"]["accuracy_pct"] == "91.25"
    assert rows["base"]["execution_pct"] == "50.0"
    pairs = list(csv.DictReader(io.StringIO(invoke("report", "--format", "csv", "--table", "pairs").output)))
    assert pairs[0]["only_b"] == "63" and float(pairs[0]["mcnemar_p"]) == 0.0
    runs = list(csv.DictReader(io.StringIO(invoke("report", "--format", "csv", "--table", "runs").output)))
    assert json.loads(runs[0]["decoding"]) == {"temperature": 0.0, "max_tokens": 512}


def test_infra_errors_are_shown_but_never_change_a_rate(store):
    clean = {item: "correct" if i < 60 else "wrong_result" if i < 70 else "exec_error" for i, item in enumerate(IDS)}
    add_run(store, "clean", clean)
    infra = {
        f"F1-9{i:03d}": outcome
        for i, outcome in enumerate(["infra_model"] * 12 + ["infra_db"] * 5 + ["harness_error"] * 3)
    }
    add_run(store, "flaky", {**clean, **infra})
    summary = by_label(report_json()["summary"])
    rates = [key for key in summary["clean"] if key.endswith(("_k", "_n", "_pct", "_lo", "_hi"))] + [
        "f1_mean",
        "n_scored",
    ]
    assert len(rates) > 20
    for key in rates:
        assert summary["flaky"][key] == summary["clean"][key], key
    assert summary["flaky"]["accuracy_pct"] == 75.0
    assert (
        summary["flaky"]["infra_errors"],
        summary["flaky"]["infra_model"],
        summary["flaky"]["infra_db"],
        summary["flaky"]["harness_error"],
    ) == (20, 12, 5, 3)
    assert summary["flaky"]["infra_rate"] == 0.2
    md = invoke("report").output
    flaky_line = next(line for line in md.splitlines() if line.startswith("| flaky ") and "[" in line)
    assert "20 (infra_model 12, infra_db 5, harness_error 3)" in flaky_line
    assert "75.0 [" in flaky_line
    # the pair is compared only on items both scored: the 80 shared, none discordant
    pair = report_json()["pairs"][0]
    assert (pair["n_shared"], pair["only_a"], pair["only_b"], pair["mcnemar_p"]) == (80, 0, 0, 1.0)


def test_latency_and_tokens_per_second(store):
    outcomes = {
        f"F1-{i:04d}": {"outcome": "correct", "gen_ms": 100.0 * (i + 1), "output_tokens": 10 * (i + 1)}
        for i in range(20)
    }
    outcomes["F1-0099"] = {"outcome": "infra_model", "gen_ms": 99999.0, "output_tokens": 0}
    add_run(store, "timed", outcomes)
    timed = report_json()["summary"][0]
    assert timed["latency_median_ms"] == 1050.0  # (1000 + 1100) / 2
    assert timed["latency_p95_ms"] == 1905.0  # 1900 + 0.05 * 100 (linear interpolation)
    assert timed["tokens_per_s"] == 100.0  # 2100 tokens / 21 s
    md = invoke("report").output
    assert "1.05 s / 1.91 s" in md and "| 100.0 " in md


def test_default_is_latest_run_per_model_and_run_prefixes_select(store):
    old, new = "20260101T101010123-aaaaaa", "20260102T090909456-bbbbbb"  # run ids: creation time, then randomness
    add_run(store, "ft", {"F1-0001": "wrong_result"}, id=old)
    add_run(store, "ft", {"F1-0001": "correct"}, id=new)
    summary = report_json()["summary"]
    assert [(r["label"], r["run_id"]) for r in summary] == [("ft", new)]
    both = report_json("--run", "20260101T101010123", "--run", new)["summary"]
    # two runs of one model: each labelled with its start time to the second
    assert [r["label"] for r in both] == ["ft@20260101T101010", "ft@20260102T090909"]
    assert [r["accuracy_pct"] for r in both] == [0.0, 100.0]


def test_pending_items_of_an_interrupted_run_are_reported(store):
    add_run(store, "ft", {"F1-0001": "correct", "F1-0002": "wrong_result"}, status="interrupted", n_planned=10)
    data = report_json()
    assert data["summary"][0]["pending"] == 8
    assert data["runs"][0]["status"] == "interrupted"
    assert "2/10" in invoke("report", "--table", "runs").output


def test_errors_are_one_line_and_exit_1(tmp_path, store):
    missing = invoke("report", "--db", str(tmp_path / "nope.db"))
    assert missing.exit_code == 1 and "Error: no results database" in missing.output
    assert not (tmp_path / "nope.db").exists()
    empty = invoke("report")  # the store fixture created an empty database
    assert empty.exit_code == 1 and "Error: no runs in" in empty.output
    add_run(store, "ft", {"F1-0001": "correct"})
    unknown = invoke("report", "--run", "nosuchrun")
    assert unknown.exit_code == 1 and "no run 'nosuchrun'" in unknown.output


def test_result_row_helper_is_consistent():
    row = result_row("F2-0001", "exec_error")
    assert (row["scored"], row["syntax_ok"], row["exec_ok"], row["match"], row["family_id"]) == (1, 1, 0, 0, "F2")


def test_an_unknown_outcome_is_counted_as_unscored_not_hidden(store):
    add_run(store, "ft", {"F1-0001": "correct", "F1-0002": "from_the_future"})
    summary = report_json()["summary"][0]
    assert (summary["n_scored"], summary["accuracy_pct"], summary["infra_errors"]) == (1, 100.0, 1)
    assert summary["from_the_future"] == 1
    assert "1 (from_the_future 1)" in invoke("report", "--table", "summary").output
