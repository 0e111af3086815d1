"""The judge plans each generated query (EXPLAIN, nothing runs) and then runs it once; what the text
filter catches never reaches the server."""

from __future__ import annotations

import pytest

from harness.graph.fingerprint import fingerprint
from harness.judge.execute import execute_untrusted, non_read_procedures
from harness.judge.sandbox import needs_plan


class CountingDriver:
    """The real driver, with every query sent through a session recorded (a spy, not a fake)."""

    def __init__(self, driver):
        self.driver = driver
        self.sent: list[str] = []

    def __getattr__(self, name):
        return getattr(self.driver, name)

    def session(self, **kwargs):
        spy = self

        class Session:
            def __init__(self, inner):
                self.inner = inner

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return self.inner.__exit__(*exc)

            def run(self, query, *args, **kwargs):
                spy.sent.append(str(getattr(query, "text", query)))
                return self.inner.run(query, *args, **kwargs)

        return Session(self.driver.session(**kwargs).__enter__())


@pytest.fixture
def counting(neo4j_driver):
    return CountingDriver(neo4j_driver)


def test_a_read_query_without_plan_words_is_sent_once(counting):
    query = "MATCH (g:Gene {symbol: 'EGFR'}) RETURN g.symbol AS gene"
    result = execute_untrusted(counting, query)
    assert result.outcome is None and result.rows == [{"gene": "EGFR"}] and result.syntax_ok and result.exec_ok
    assert counting.sent == [query]


def test_a_query_with_a_plan_word_is_planned_then_run_once(counting):
    query = "CALL db.labels() YIELD label RETURN label ORDER BY label LIMIT 1"
    result = execute_untrusted(counting, query)
    assert result.outcome is None and result.rows and result.syntax_ok and result.exec_ok
    assert counting.sent == ["EXPLAIN " + query, query]


def test_a_syntax_error_is_found_by_the_single_run(counting):
    result = execute_untrusted(counting, "MATCH (g:Gene RETURN g")
    assert result.outcome == "syntax_error" and result.error_class == "Neo.ClientError.Statement.SyntaxError"
    assert not result.syntax_ok and len(counting.sent) == 1


@pytest.mark.parametrize(
    "query",
    [
        "MATCH (g:Gene) RETURN g // LOAD CSV in a comment",
        "MATCH (g:Gene {symbol: 'call'}) RETURN g",
        "MATCH (`use`:Gene) RETURN `use`.symbol",
        "LOAD/**/CSV FROM 'http://x' AS r RETURN r",
        "match (g:Gene) with g limit 1 cAlL { with g return 1 as x } return x",
    ],
)
def test_any_plan_word_anywhere_asks_for_the_plan(query):
    assert needs_plan(query)


@pytest.mark.parametrize(
    "query", ["MATCH (g:Gene) RETURN g.symbol", "MATCH (d:Disease)-[:CAUSES]->(x) RETURN x.used, d.uses"]
)
def test_queries_without_plan_words_cannot_plan_to_a_refused_operator(query):
    assert not needs_plan(query)


@pytest.mark.parametrize(
    "query",
    [
        "CALL db.clearQueryCaches()",
        "CALL `db`.`clearQueryCaches`()",
        "call DB . /* hidden */ clearquerycaches",
        "CALL db // hidden\n.clearQueryCaches()",
        "MATCH (g:Gene) CALL db.clearQueryCaches() YIELD value RETURN value LIMIT 1",
        "CALL dbms.killConnections(['bolt-1'])",
        "CALL tx.setMetaData({who: 'model'})",
        "CALL dbms.listConfig() YIELD name RETURN name",
    ],
)
def test_procedures_that_are_not_read_mode_never_reach_the_server(counting, query):
    result = execute_untrusted(counting, query)
    assert result.outcome == "forbidden" and result.error_class == "harness.NonReadProcedure", result
    assert counting.sent == []


def test_procedure_names_in_strings_and_comments_are_not_calls(neo4j_driver):
    query = "MATCH (g:Gene {symbol: 'EGFR'}) // not CALL dbms.info()\nRETURN 'dbms.killConnections' AS s LIMIT 1"
    result = execute_untrusted(neo4j_driver, query)
    assert result.outcome is None and result.rows == [{"s": "dbms.killConnections"}]


def test_the_server_list_of_non_read_procedures_is_read_once_per_driver(neo4j_driver):
    guard = non_read_procedures(neo4j_driver)
    assert {"db.createLabel", "dbms.killConnections", "db.clearQueryCaches"} <= guard.names
    assert "db.labels" not in guard.names
    assert non_read_procedures(neo4j_driver) is guard


@pytest.mark.parametrize(
    "query", ["EXPLAIN CREATE (:Gene {symbol: 'FAKE4'})", "PROFILE MERGE (:Gene {symbol: 'FAKE5'})"]
)
def test_writes_behind_explain_or_profile_are_forbidden(neo4j_driver, demo_fingerprint, query):
    result = execute_untrusted(neo4j_driver, query)
    assert result.outcome == "forbidden" and result.rows is None, result
    assert fingerprint(neo4j_driver) == demo_fingerprint


def test_a_missing_parameter_is_an_execution_error_of_a_valid_query(neo4j_driver):
    result = execute_untrusted(neo4j_driver, "MATCH (d:Drug) RETURN $p AS x")
    assert result.outcome == "exec_error" and result.syntax_ok and not result.exec_ok
    assert result.error_class == "Neo.ClientError.Statement.ParameterMissing"
    assert any(w.startswith("01N50") for w in result.warnings)


def test_warnings_are_kept_when_the_run_fails_or_hits_the_row_cap(neo4j_driver):
    failed = execute_untrusted(neo4j_driver, "MATCH (g:Gene) WHERE g.nope IS NULL RETURN 1 / 0 AS x")
    assert failed.outcome == "exec_error" and any("`nope` does not exist" in w for w in failed.warnings)
    capped = execute_untrusted(
        neo4j_driver, "UNWIND range(1, 3000) AS x MATCH (g:Gene) WHERE g.nope IS NULL RETURN x, g", row_cap=100
    )
    assert capped.outcome == "too_many_rows" and capped.row_count == 101
    assert any("`nope` does not exist" in w for w in capped.warnings)
