"""`harness report` with groups: clustered intervals, clusters and design effect in every format,
paired clustered differences, Holm with three models, cost estimates, and `harness suite power`."""

from __future__ import annotations

import json

import pytest

from harness.report.clustered import clustered_rate, paired_difference
from harness.report.power import mdd, z_sum
from harness.report.stats import holm

from .kit import invoke, one_error_line
from .report_fixtures import MODEL_SPEC, add_run

# 20 groups of 4 items (paraphrases of one question each)
IDS = [f"F{g % 6 + 1}-{g:02d}{i}" for g in range(20) for i in range(4)]
GROUP = {item: f"g{item.split('-')[1][:2]}" for item in IDS}


def outcomes(correct_groups: set[int], extra_wrong: set[str] = frozenset()) -> dict:
    """Whole groups right or wrong, as paraphrases tend to be, plus a few single misses."""
    return {
        item: {
            "outcome": "correct"
            if int(GROUP[item][1:]) in correct_groups and item not in extra_wrong
            else "wrong_result",
            "group_id": GROUP[item],
        }
        for item in IDS
    }


def three_runs(store):
    price = {"input_per_million": 0.1, "output_per_million": 0.4, "per_hour": 0.0}
    strong = add_run(
        store, "strong", outcomes(set(range(16)), {IDS[0]}), model_spec={**MODEL_SPEC, "name": "strong", "price": price}
    )
    middle = add_run(store, "middle", outcomes(set(range(4, 16))))
    weak = add_run(store, "weak", outcomes(set(range(6)), {IDS[20]}))
    return strong, middle, weak


def report_json():
    result = invoke("report", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_summary_has_clustered_intervals_clusters_and_design_effect(store):
    three_runs(store)
    data = report_json()
    strong = next(r for r in data["summary"] if r["label"] == "strong")
    correct = {item: GROUP[item][1:] and int(GROUP[item][1:]) < 16 and item != IDS[0] for item in IDS}
    expected = clustered_rate((GROUP[item], correct[item]) for item in IDS)
    assert strong["accuracy_k"] == 63 and strong["clusters"] == 20 and strong["accuracy_clusters"] == 20
    assert strong["accuracy_cluster_lo"] == pytest.approx(100 * expected.low, abs=1e-4)
    assert strong["accuracy_cluster_hi"] == pytest.approx(100 * expected.high, abs=1e-4)
    assert strong["accuracy_deff"] == pytest.approx(expected.deff, abs=1e-3) and expected.deff > 3
    # the Wilson interval over items stays, under its own keys, and is much narrower here
    assert strong["accuracy_hi"] - strong["accuracy_lo"] < strong["accuracy_cluster_hi"] - strong["accuracy_cluster_lo"]
    md = invoke("report").output
    assert "| clusters " in md and "| design effect " in md and "accuracy Wilson (items)" in md
    line = next(row for row in md.splitlines() if row.startswith("| strong ") and "[" in row)
    assert "| 80 " in line and "| 20 " in line
    csv_text = invoke("report", "--format", "csv").output
    assert "accuracy_cluster_lo" in csv_text.splitlines()[0]


def test_three_models_get_clustered_differences_and_holm(store):
    three_runs(store)
    pairs = report_json()["pairs"]
    assert len(pairs) == 3
    by_pair = {(p["a"], p["b"]): p for p in pairs}
    # middle vs strong: strong adds groups 0-3 and loses one item
    record = by_pair[("middle", "strong")]
    a = {item: 4 <= int(GROUP[item][1:]) < 16 for item in IDS}
    b = {item: int(GROUP[item][1:]) < 16 and item != IDS[0] for item in IDS}
    expected = paired_difference(a, b, GROUP)
    assert record["clusters"] == 20
    assert record["clustered_p"] == pytest.approx(expected.p_value, abs=1e-6)
    assert record["delta_cluster_lo"] == pytest.approx(100 * expected.low, abs=1e-4)
    # 15 discordant items look decisive to McNemar; four groups are four coins
    assert record["mcnemar_p"] < 0.001 < record["clustered_p"]
    ordered = [by_pair[key] for key in by_pair]
    assert [p["clustered_p_holm"] for p in ordered] == pytest.approx(holm([p["clustered_p"] for p in ordered]))
    assert [p["mcnemar_p_holm"] for p in ordered] == pytest.approx(holm([p["mcnemar_p"] for p in ordered]))
    md = invoke("report", "--table", "pairs").output
    assert "clustered p (Holm)" in md and "McNemar p (Holm)" in md and "Holm's step-down" in md


def test_two_models_have_no_holm_columns(store):
    add_run(store, "one", outcomes(set(range(10))))
    add_run(store, "two", outcomes(set(range(12))))
    md = invoke("report", "--table", "pairs").output
    assert "clustered p" in md and "Holm" not in md


def test_cost_estimates_in_every_format(store):
    three_runs(store)
    cost = {r["label"]: r for r in report_json()["cost"]}
    # 80 calls x (300 in x $0.1 + 50 out x $0.4) per million = 80 x $0.00005 = $0.004
    assert cost["strong"]["cost_usd"] == pytest.approx(0.004)
    assert cost["strong"]["cost_per_1000_queries_usd"] == pytest.approx(0.05)
    assert cost["strong"]["cost_per_correct_usd"] == pytest.approx(0.004 / 63, abs=1e-6)
    assert cost["strong"]["estimate"] is True and cost["strong"]["price"]["input_per_million"] == 0.1
    assert cost["middle"]["cost_usd"] is None and cost["middle"]["price"] is None
    md = invoke("report", "--table", "cost").output
    strong = next(line for line in md.splitlines() if line.startswith("| strong "))
    middle = next(line for line in md.splitlines() if line.startswith("| middle "))
    assert "$0.1 in / $0.4 out per 1M tokens" in strong and "$0.0500" in strong and "Estimates" in md
    assert middle.count("–") >= 4
    html = invoke("report", "--format", "html").output
    assert "Cost (estimates" in html


def test_power_of_two_stored_runs(store):
    first, second = add_run(store, "one", outcomes(set(range(10)))), add_run(store, "two", outcomes(set(range(12))))
    result = invoke("suite", "power", "--run", first, "--run", second, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["n"], data["clusters"], data["discordance"]) == (80, 20, 0.1)
    # clustered SE of B - A: 2 groups of +4 among 20; residual totals 4 - 0.4, -0.4 x 18 ->
    # V = 20/19 * (2 * 3.6^2 + 18 * 0.4^2) / 80^2 = 20/19 * 28.8 / 6400 = 0.0047368
    se = (20 / 19 * 28.8 / 6400) ** 0.5
    assert data["se_clustered_points"] == pytest.approx(100 * se, abs=1e-3)
    assert data["mdd_points"] == pytest.approx(100 * z_sum() * se, abs=1e-2)
    text = invoke("suite", "power", "--run", first, "--run", second).output
    assert "Minimum detectable difference" in text


def test_power_of_the_demo_suite():
    result = invoke("suite", "power", "demo", "--format", "json", "--difference", "10")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["n"] == 800 and data["clusters"] == 175
    row = data["rows"][1]  # 20% discordant
    assert row["mdd_points_independent"] == pytest.approx(100 * mdd(800, 0.2), abs=0.01)
    assert row["mdd_points"] > row["mdd_points_independent"]


def test_power_bad_input_is_one_error_line(tmp_path):
    ids = tmp_path / "ids.txt"
    ids.write_text("no-such-item\n")
    one_error_line(invoke("suite", "power", "demo", "--items", ids), "not in the test split")
    one_error_line(invoke("suite", "power"), "SUITE", exit_code=2)
