"""`harness suite audit` and lint's trivial-query check, on a hand-written suite over the demo graph."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from harness.cli.main import cli
from harness.graph.fingerprint import fingerprint

from .conftest import FIXTURES

SUITE = FIXTURES / "suites" / "audit_mixed"


def invoke(*args):
    return CliRunner().invoke(cli, [*map(str, args)])


def test_audit_flags_empty_trivial_and_non_discriminating_items(use_neo4j, neo4j_driver, demo_fingerprint):
    result = invoke("suite", "audit", SUITE, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    items = {row["id"]: row for row in report["items"]}
    assert items["a1"]["empty_gold"] and items["a1"]["trivial_match"] == ["empty"]
    assert items["a4"]["trivial_match"] == ["all genes"] and not items["a4"]["discriminating"]
    # dropping `size(t.name) > 0` returns the same rows: a filter that changes nothing
    assert "drop_conjunct" in items["a2"]["surviving_rules"] and not items["a2"]["discriminating"]
    survivor_texts = [m["cypher"] for m in items["a2"]["survivor_mutants"]]
    assert any("size(t.name)" not in text for text in survivor_texts)
    # a3's one filter matters; LIMIT cut to the 7 rows it has here survives, as it should
    assert items["a3"]["discriminating"] and items["a3"]["mutants"] > 5
    assert "change_limit" in items["a3"]["surviving_rules"] and "drop_conjunct" not in items["a3"]["surviving_rules"]
    shares = {row["template"]: row["discriminating_share"] for row in report["templates"]}
    assert shares == {"all_genes": 0.0, "clean": 1.0, "empty_gold": 0.0, "redundant_filter": 0.0}
    assert report["totals"]["trivial_match_items"] == 2 and report["totals"]["discriminating_items"] == 1
    assert fingerprint(neo4j_driver) == demo_fingerprint  # mutants ran read-only


def test_audit_table_output(use_neo4j):
    result = invoke("suite", "audit", SUITE)
    assert result.exit_code == 0, result.output
    assert re.search(r"^\| clean\s+\|\s+1 \|\s+1 \| 100%", result.stdout, re.M)
    assert re.search(r"^\| a1\s+\|.*\| yes\s+\| empty\s+\| no", result.stdout, re.M)
    assert "4 items (4 distinct golds)" in result.stdout and "2 matched by a trivial query" in result.stdout


def test_lint_fails_on_items_a_trivial_query_matches(use_neo4j):
    result = invoke("suite", "lint", SUITE)
    assert result.exit_code == 1
    flagged = set(re.findall(r"^ERROR (\S+) \[trivial\]", result.stdout, re.M))
    assert flagged == {"a1", "a4"}
    assert "a trivial query matches the gold (empty)" in result.stdout
    assert "failed lint: 2 trivial" in result.stderr


def test_audit_of_a_missing_suite_is_one_error_line(use_neo4j, tmp_path):
    result = invoke("suite", "audit", tmp_path / "nope")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and len(result.stderr.strip().splitlines()) == 1


def test_generator_preference_tells_redundant_filters_from_ones_that_matter(neo4j_driver):
    from harness.suitegen.discriminating import filters_matter
    from harness.suitegen.gold import GoldRunner

    items = {json.loads(line)["id"]: json.loads(line) for line in (SUITE / "items.jsonl").read_text().splitlines()}
    with GoldRunner(neo4j_driver) as runner:
        verdicts = {
            i: filters_matter(runner, items[i]["cypher"], runner.rows(items[i]["cypher"])) for i in ("a2", "a3")
        }
    assert verdicts == {"a2": False, "a3": True}
