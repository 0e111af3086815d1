"""`harness baseline save` and `harness gate`: the four exit codes on constructed runs, JUnit XML."""

import json
import xml.etree.ElementTree as ET

import pytest

from .kit import invoke
from .report_fixtures import add_run

IDS = [f"F{i % 6 + 1}-{i:04d}" for i in range(100)]
BASE = {item: "correct" if i < 90 else "wrong_result" for i, item in enumerate(IDS)}


@pytest.fixture
def baseline(store, tmp_path):
    run_id = add_run(store, "ft", BASE)
    path = tmp_path / "baselines" / "ft.json"
    result = invoke("baseline", "save", run_id[:12], path)
    assert result.exit_code == 0, result.output
    assert "100 items, accuracy 90.0% of 100 scored" in result.output
    return path


def flipped(n_down: int, n_up: int = 0, **extra):
    """BASE with the first n_down correct items wrong and the first n_up wrong items correct."""
    outcomes = dict(BASE)
    for item in IDS[:n_down]:
        outcomes[item] = "wrong_result"
    for item in IDS[90 : 90 + n_up]:
        outcomes[item] = "correct"
    outcomes.update(extra)
    return outcomes


def test_baseline_file_has_summary_items_and_must_pass(store, tmp_path):
    run_id = add_run(store, "ft", BASE)
    must = tmp_path / "must.txt"
    must.write_text("# key questions\nF1-0000\nF1-0096  # not correct in the run\n")
    path = tmp_path / "b.json"
    result = invoke("baseline", "save", run_id, path, "--must-pass", must)
    assert result.exit_code == 0, result.output
    assert "warning: must-pass item 'F1-0096' is wrong_result" in result.output
    data = json.loads(path.read_text())
    assert data["format"] == "harness-baseline/1"
    assert data["run"]["id"] == run_id and data["run"]["model"] == "ft"
    assert data["summary"]["accuracy_pct"] == 90.0 and data["summary"]["n_scored"] == 100
    assert data["must_pass"] == ["F1-0000", "F1-0096"]
    assert len(data["items"]) == 100
    assert data["items"]["F1-0000"] == {"outcome": "correct", "family_id": "F1", "match": 1}
    assert data["items"]["F5-0094"]["match"] == 0


def test_identical_run_passes(store, baseline):
    run_id = add_run(store, "ft", BASE)
    result = invoke("gate", "--run", run_id, "--baseline", baseline)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"gate PASS: ft run {run_id}")
    assert "warning" not in result.output
    assert "[ok] accuracy" in result.output and "0 pass->fail" in result.output
    assert "drop +0.0 points" in result.output


def test_small_drop_is_noise_and_passes_but_lists_flips(store, baseline):
    # 3 points down: more than --max-drop 2, but 3 discordant pairs give p = 0.25
    run_id = add_run(store, "ft", flipped(3, **{"F1-0100": "wrong_result"}), suite_hash="0ther")
    result = invoke("gate", "--run", run_id, "--baseline", baseline)
    assert result.exit_code == 0, result.output
    assert "drop +3.0 points" in result.output and "p = 0.25" in result.output
    assert "pass->fail: F1-0000 [F1] correct -> wrong_result" in result.output
    assert "warning: 1 item(s) of the run are not in the baseline" in result.output
    assert "warning: suite hash differs from the baseline's (a1b2c3d4e5f6 vs 0ther)" in result.output


def test_significant_drop_is_a_regression(store, baseline, tmp_path):
    # 10 down, 1 up: drop 9 points, p = 2 * (1 + 11) / 2^11 = 0.01172
    run_id = add_run(store, "ft", flipped(10, 1))
    junit = tmp_path / "junit" / "gate.xml"
    result = invoke("gate", "--run", run_id, "--baseline", baseline, "--junit", junit)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("gate REGRESSION")
    assert "drop +9.0 points" in result.output and "p = 0.01172" in result.output
    assert "[FAIL] accuracy" in result.output
    assert sum(line.startswith("  pass->fail: ") for line in result.output.splitlines()) == 10
    assert "fail->pass: F1-0090 [F1] wrong_result -> correct" in result.output
    root = ET.parse(junit).getroot()
    checks, items = root.findall("testsuite")
    assert [case.get("name") for case in checks] == ["accuracy", "must_pass", "infra_rate", "completeness"]
    assert checks.find("testcase[@name='accuracy']/failure") is not None
    assert len(items.findall("testcase")) == 100
    assert items.get("failures") == "10" and root.get("failures") == "11"
    assert items.find("testcase[@name='F1-0000']/failure").get("type") == "regression"
    assert items.find("testcase[@name='F1-0090']/failure") is None
    # a stricter alpha turns the same drop into noise
    assert invoke("gate", "--run", run_id, "--baseline", baseline, "--alpha", "0.01").exit_code == 0
    # and a generous --max-drop too
    assert invoke("gate", "--run", run_id, "--baseline", baseline, "--max-drop", "10").exit_code == 0


def test_a_must_pass_item_that_fails_is_a_regression(store, baseline, tmp_path):
    run_id = add_run(store, "ft", flipped(1))
    assert invoke("gate", "--run", run_id, "--baseline", baseline).exit_code == 0
    must = tmp_path / "must.json"
    must.write_text(json.dumps(["F1-0000"]))
    junit = tmp_path / "gate.xml"
    result = invoke("gate", "--run", run_id, "--baseline", baseline, "--must-pass", must, "--junit", junit)
    assert result.exit_code == 2, result.output
    assert "[FAIL] must_pass: 1 must-pass item(s), 1 not correct: F1-0000" in result.output
    assert "must-pass failed: F1-0000 [F1] correct -> wrong_result" in result.output
    case = ET.parse(junit).getroot().find(".//testcase[@name='F1-0000']")
    assert case.find("failure").get("type") == "must_pass"


def test_infra_errors_above_the_threshold_make_the_run_incomplete(store, baseline):
    infra = {item: "infra_db" for item in IDS[90:96]}  # 6 of 100 = 6% > 5%
    run_id = add_run(store, "ft", flipped(0, **infra))
    result = invoke("gate", "--run", run_id, "--baseline", baseline)
    assert result.exit_code == 3, result.output
    assert result.output.startswith("gate INCOMPLETE")
    assert "[FAIL] infra_rate: infra errors 6/100 = 6.0% (allowed 5%)" in result.output
    assert "not judged: F1-0090 [F1] wrong_result -> infra_db" in result.output
    # infra errors never count as failures: accuracy on the 94 shared items is unchanged (90/94)
    assert "accuracy on 94 shared items 95.7% -> 95.7%" in result.output
    assert invoke("gate", "--run", run_id, "--baseline", baseline, "--max-infra-rate", "0.1").exit_code == 0


def test_missing_items_make_the_run_incomplete(store, baseline):
    run_id = add_run(store, "ft", dict(list(BASE.items())[:60]), status="interrupted", n_planned=100)
    result = invoke("gate", "--run", run_id, "--baseline", baseline)
    assert result.exit_code == 3, result.output
    assert "40 baseline item(s) missing from the run" in result.output


def test_regression_outranks_incompleteness(store, baseline):
    outcomes = flipped(15, **{item: "infra_model" for item in IDS[90:100]})
    run_id = add_run(store, "ft", outcomes)
    result = invoke("gate", "--run", run_id, "--baseline", baseline)
    assert result.exit_code == 2, result.output
    assert "[FAIL] infra_rate" in result.output and "[FAIL] accuracy" in result.output


def test_gate_defaults_to_the_latest_run_of_the_baseline_model(store, baseline):
    add_run(store, "other", flipped(50))
    latest = add_run(store, "ft", flipped(20))
    result = invoke("gate", "--baseline", baseline)
    assert result.exit_code == 2, result.output
    assert f"ft run {latest}" in result.output


def test_harness_errors_exit_1(store, baseline, tmp_path):
    run_id = add_run(store, "ft", BASE)
    missing = invoke("gate", "--run", run_id, "--baseline", tmp_path / "none.json")
    assert missing.exit_code == 1 and "Error: no baseline file" in missing.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"items": [}')
    assert invoke("gate", "--run", run_id, "--baseline", bad).exit_code == 1
    bad.write_text('{"format": "harness-baseline/1", "items": {}, "must_pass": "F1-0000"}')
    assert "must be a list of item ids" in invoke("gate", "--run", run_id, "--baseline", bad).output
    bad.write_text('{"some": "json"}')
    wrong = invoke("gate", "--run", run_id, "--baseline", bad)
    assert wrong.exit_code == 1 and "not a harness baseline" in wrong.output
    no_run = invoke("gate", "--run", "nosuchrun", "--baseline", baseline)
    assert no_run.exit_code == 1 and "Error: no run 'nosuchrun'" in no_run.output
    no_db = invoke("gate", "--run", run_id, "--baseline", baseline, "--db", tmp_path / "none.db")
    assert no_db.exit_code == 1 and "no results database" in no_db.output


def test_usage_errors_exit_2_as_documented():
    result = invoke("gate", "--run", "x")
    assert result.exit_code == 2 and "Missing option '--baseline'" in result.output
    help_text = invoke("gate", "--help").output
    assert "usage error" in help_text and "exits 2" in help_text


def test_gate_json_verdict(store, baseline):
    run_id = add_run(store, "ft", flipped(10))
    result = invoke("gate", "--run", run_id, "--baseline", baseline, "--json")
    assert result.exit_code == 2
    data = json.loads(result.output)
    assert data["verdict"] == "REGRESSION" and data["exit_code"] == 2
    assert data["stats"]["only_baseline_correct"] == 10 and data["stats"]["mcnemar_p"] == pytest.approx(2 / 1024)
    assert sorted(v["item_id"] for v in data["items"] if v["status"] == "flip_down") == sorted(IDS[:10])
