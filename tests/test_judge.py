"""The judge: extraction, comparison rules, and safe execution of untrusted Cypher on the real graph."""

from __future__ import annotations

import time

import pytest

from harness.graph.fingerprint import fingerprint
from harness.judge import compare, extract_query
from harness.judge.execute import execute_untrusted
from harness.judge.limits import Limits
from harness.judge.outcome import judge_output

# --- extraction ---------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("MATCH (n) RETURN n LIMIT 1", "MATCH (n) RETURN n LIMIT 1"),
        ("```cypher\nMATCH (n)\nRETURN n LIMIT 1;\n```\nThis returns one node.", "MATCH (n)\nRETURN n LIMIT 1"),
        (
            "<think>the user wants genes</think>\nMATCH (g:Gene) RETURN g.symbol LIMIT 5",
            "MATCH (g:Gene) RETURN g.symbol LIMIT 5",
        ),
        ("Cypher: MATCH (g:Gene) RETURN g LIMIT 5\n\nThis query lists genes.", "MATCH (g:Gene) RETURN g LIMIT 5"),
        (
            "Here is the query:\n```\nMATCH (g:Gene)\nWHERE g.symbol = 'a;b'\nRETURN g LIMIT 5\n```",
            "MATCH (g:Gene)\nWHERE g.symbol = 'a;b'\nRETURN g LIMIT 5",
        ),
        ("MATCH (a) RETURN a LIMIT 1; MATCH (b) RETURN b", "MATCH (a) RETURN a LIMIT 1"),
        ("I cannot answer that question.", None),
        ("<think>MATCH (n) RETURN n", None),
        ("", None),
        (None, None),
    ],
)
def test_extract_query(raw, expected):
    assert extract_query(raw) == expected


# --- comparison ---------------------------------------------------------------

GOLD = [{"therapy": "Osimertinib", "gene": "EGFR"}, {"therapy": "Sotorasib", "gene": "KRAS"}]


def test_renamed_and_reordered_columns_match_but_are_not_strict():
    generated = [{"g": "KRAS", "name": "Sotorasib"}, {"g": "EGFR", "name": "Osimertinib"}]
    result = compare(GOLD, generated)
    assert result.match and not result.strict and result.f1 == 1.0
    assert result.mapping == {"therapy": "name", "gene": "g"}


def test_same_names_in_another_order_are_strict():
    result = compare(GOLD, [{"gene": "KRAS", "therapy": "Sotorasib"}, {"gene": "EGFR", "therapy": "Osimertinib"}])
    assert result.match and result.strict


def test_extra_generated_columns_are_ignored():
    generated = [dict(row, moa="x") for row in GOLD]
    assert compare(GOLD, generated).match


def test_order_matters_only_when_the_gold_is_totally_ordered():
    reversed_rows = list(reversed(GOLD))
    assert compare(GOLD, reversed_rows, ordered=False).match
    ordered = compare(GOLD, reversed_rows, ordered=True)
    assert not ordered.match and ordered.reason == "order"


def test_missing_and_extra_rows_give_partial_credit_and_a_reason():
    result = compare(GOLD, [GOLD[0], {"therapy": "Gefitinib", "gene": "EGFR"}])
    assert not result.match and result.reason == "missing_and_extra_rows"
    assert result.f1 == pytest.approx(0.5)
    assert result.missing_rows == [GOLD[1]] and result.extra_rows == [{"therapy": "Gefitinib", "gene": "EGFR"}]
    assert compare(GOLD, GOLD[:1]).reason == "missing_rows"
    assert compare(GOLD[:1], GOLD).reason == "extra_rows"


def test_ints_and_integral_floats_are_equal_and_lists_are_multisets():
    assert compare([{"n": 3, "ids": ["a", "b"]}], [{"n": 3.0, "ids": ["b", "a"]}]).match
    assert not compare([{"n": 3}], [{"n": 3.5}]).match


def test_types_reason_when_only_the_types_differ():
    assert compare([{"n": 3}], [{"n": "3"}]).reason == "types"


def test_empty_results_match_each_other_only():
    assert compare([], []).match
    assert not compare([], [{"a": 1}]).match and not compare([{"a": 1}], []).match


def test_a_column_cannot_be_used_twice():
    gold = [{"a": 1, "b": 1}, {"a": 2, "b": 2}]
    assert not compare(gold, [{"x": 1}, {"x": 2}]).match
    assert compare(gold, [{"x": 1, "y": 1}, {"x": 2, "y": 2}]).match


def test_duplicate_rows_count_as_a_bag():
    assert not compare([{"a": 1}, {"a": 1}], [{"a": 1}, {"a": 2}]).match


# --- execution against the real graph ----------------------------------------

WRITES = [
    "CREATE (:Gene {symbol: 'FAKE1'})",
    "MERGE (g:Gene {symbol: 'FAKE2'}) RETURN g",
    "MATCH (g:Gene) SET g.hacked = true RETURN count(g)",
    "MATCH (g:Gene {symbol: 'EGFR'})-[r:TARGETS]-() DELETE r",
    "MATCH (g:Gene {symbol: 'EGFR'}) DETACH DELETE g",
    "MATCH (g:Gene) REMOVE g.synonyms RETURN g",
    "LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line",
    "CALL db.createLabel('Hacked')",
    "CREATE INDEX hack FOR (n:Gene) ON (n.hgnc_id)",
    "CREATE USER mallory SET PASSWORD 'x'",
    "MATCH (g:Gene) WITH g LIMIT 1 CALL { WITH g SET g.x = 1 } RETURN g",
]


@pytest.mark.parametrize("query", WRITES)
def test_writes_are_forbidden_and_never_change_the_graph(neo4j_driver, demo_fingerprint, query):
    result = execute_untrusted(neo4j_driver, query, timeout_s=5)
    assert result.outcome == "forbidden", (result.outcome, result.error)
    assert fingerprint(neo4j_driver) == demo_fingerprint


ADMIN_COMMANDS = [
    "STOP DATABASE neo4j",
    "START DATABASE neo4j",
    "DROP DATABASE neo4j",
    "CREATE OR REPLACE DATABASE neo4j",
    "TERMINATE TRANSACTIONS 'neo4j-transaction-1'",
    "ALTER USER neo4j SET PASSWORD 'x'",
    "GRANT ROLE admin TO mallory",
    "SHOW USERS",
]


@pytest.mark.parametrize("command", ADMIN_COMMANDS)
def test_administration_commands_in_model_output_are_forbidden(neo4j_driver, demo_fingerprint, command):
    verdict = judge_output(
        neo4j_driver, f"{command};", [{"x": 1}], ordered=False, limits=Limits(timeout_s=5, row_cap=10)
    )
    assert verdict.outcome == "forbidden", (verdict.outcome, verdict.error)
    assert verdict.extracted_query == command and verdict.scored
    assert fingerprint(neo4j_driver) == demo_fingerprint  # and the database still answers


def test_runaway_cartesian_product_times_out_within_its_limit(neo4j_driver):
    started = time.monotonic()
    result = execute_untrusted(
        neo4j_driver, "MATCH (a), (b), (c), (d), (e) WHERE a <> b AND c <> d RETURN count(*) AS n", timeout_s=1.0
    )
    elapsed = time.monotonic() - started
    assert result.outcome == "timeout" and result.syntax_ok and not result.exec_ok
    assert elapsed < 8, elapsed


def test_unbounded_variable_length_path_times_out(neo4j_driver):
    result = execute_untrusted(neo4j_driver, "MATCH p = (a)-[*]-(b) RETURN count(p) AS n", timeout_s=1.0)
    assert result.outcome == "timeout"


def test_millions_of_rows_stop_at_the_row_cap(neo4j_driver):
    started = time.monotonic()
    result = execute_untrusted(neo4j_driver, "UNWIND range(1, 5000000) AS x RETURN x", timeout_s=20, row_cap=1000)
    assert result.outcome == "too_many_rows" and result.row_count == 1001
    assert result.rows is None
    assert time.monotonic() - started < 15


def test_syntax_and_execution_errors_are_told_apart(neo4j_driver):
    syntax = execute_untrusted(neo4j_driver, "MATCH (g:Gene RETURN g")
    assert syntax.outcome == "syntax_error" and not syntax.syntax_ok
    assert "SyntaxError" in syntax.error_class
    semantic = execute_untrusted(neo4j_driver, "MATCH (g:Gene) RETURN h")
    assert semantic.outcome == "syntax_error"
    runtime = execute_untrusted(
        neo4j_driver, "MATCH (g:Gene) WITH g LIMIT 1 RETURN 1 / (size(g.symbol) - size(g.symbol)) AS x"
    )
    assert runtime.outcome == "exec_error" and runtime.syntax_ok, runtime
    division = execute_untrusted(neo4j_driver, "RETURN 1 / 0 AS x")
    assert division.outcome == "exec_error" and division.syntax_ok and not division.exec_ok


def test_unknown_labels_are_recorded_as_warnings(neo4j_driver):
    result = execute_untrusted(neo4j_driver, "MATCH (d:Drug) RETURN d.name AS name LIMIT 5")
    assert result.outcome is None and result.rows == []
    assert any(w.startswith("01N50") and "`Drug` does not exist" in w for w in result.warnings)


def test_judge_output_end_to_end(neo4j_driver):
    gold_query = "MATCH (v:Variant)-[:VARIANT_OF]->(g:Gene {symbol: 'EGFR'}) RETURN v.name AS variant ORDER BY variant"
    gold = execute_untrusted(neo4j_driver, gold_query).rows
    assert gold
    renamed = judge_output(
        neo4j_driver,
        "```cypher\nMATCH (g:Gene {symbol:'EGFR'})<-[:VARIANT_OF]-(x) RETURN x.name AS name\n```",
        gold,
        ordered=False,
        limits=Limits(timeout_s=5, row_cap=100),
    )
    assert renamed.outcome == "correct" and renamed.match is True and renamed.strict_match is False
    wrong = judge_output(
        neo4j_driver,
        "MATCH (v:Variant) RETURN v.name AS variant",
        gold,
        ordered=False,
        limits=Limits(timeout_s=5, row_cap=5000),
    )
    assert wrong.outcome == "wrong_result" and wrong.reason == "extra_rows" and 0 < wrong.f1 < 1
    nothing = judge_output(
        neo4j_driver, "Sorry, I don't know.", gold, ordered=False, limits=Limits(timeout_s=5, row_cap=100)
    )
    assert nothing.outcome == "no_query" and nothing.scored


def test_the_read_transaction_refuses_writes_even_without_the_plan_check(neo4j_driver, demo_fingerprint):
    result = execute_untrusted(neo4j_driver, "CREATE (:Gene {symbol: 'FAKE3'})", explain=False)
    assert result.outcome == "forbidden", (result.outcome, result.error_class)
    assert fingerprint(neo4j_driver) == demo_fingerprint


def test_a_query_identical_to_the_gold_reuses_the_gold_rows(neo4j_driver):
    gold_query = "MATCH (g:Gene {symbol: 'EGFR'}) RETURN g.symbol AS gene"
    gold = execute_untrusted(neo4j_driver, gold_query).rows
    reused = judge_output(
        neo4j_driver,
        f"```cypher\n{gold_query}\n```",
        gold,
        ordered=False,
        limits=Limits(timeout_s=5, row_cap=10),
        gold_query=gold_query,
    )
    assert reused.outcome == "correct" and reused.detail["reused_gold_rows"] and reused.db_ms == 0
    other = judge_output(
        neo4j_driver,
        gold_query + " LIMIT 1",
        gold,
        ordered=False,
        limits=Limits(timeout_s=5, row_cap=10),
        gold_query=gold_query,
    )
    assert other.outcome == "correct" and "reused_gold_rows" not in other.detail
