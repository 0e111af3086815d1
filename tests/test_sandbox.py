"""The judge as a sandbox: no spelling of LOAD CSV reaches outside, by the plan and by the server's configuration.

Each layer is tested on its own: the judge refuses every generated spelling from the server's plan
(whatever the server's configuration), and the harness-started server refuses the same statements
sent directly, without the judge; the JVM's network flags refuse outbound connections by themselves.
"""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import pytest

from harness.graph.jvm import SAFETY_FLAGS, find_java
from harness.judge.execute import execute_untrusted
from harness.judge.extract import extract_query
from harness.judge.limits import Limits
from harness.judge.outcome import judge_output

from .kit import QuietHandler

SECRET = "sandbox-secret-7f3a9c"
KEYWORDS = [
    "LOAD CSV",
    "load csv",
    "LoAd\tCsV",
    "LOAD/**/CSV",
    "LOAD /* hidden */ CSV",
    "LOAD // hidden\nCSV",
    "LOAD\n\n  CSV",
    "LOAD CSV WITH HEADERS",
]
# where the clause sits: {load} is a LOAD CSV clause that binds `row`
CONTEXTS = [
    "{load} AS row RETURN row",
    "/* a comment first */ {load} AS row RETURN row",
    "CALL {{ {load} AS row RETURN row }} RETURN row",
    "CALL () {{ {load} AS row RETURN row }} RETURN row",
    "RETURN 1 AS row UNION ALL {load} AS row RETURN row",
    "MATCH (g:Gene) RETURN g.symbol AS row UNION {load} AS row RETURN row",
    "WITH 1 AS x {load} AS row RETURN row",
    "MATCH (g:Gene) WITH g LIMIT 1 CALL (g) {{ {load} AS row RETURN row }} RETURN row",
    "UNWIND [1] AS x CALL {{ WITH x {load} AS row RETURN row }} RETURN row",
]


def spellings(urls: list[str]) -> list[str]:
    """The generated family: every keyword spelling in every context, for every URL."""
    return [
        context.format(load=f"{keyword} FROM '{url}'")
        for keyword, context, url in itertools.product(KEYWORDS, CONTEXTS, urls)
    ]


@pytest.fixture
def listener(loopback):
    """An HTTP server that records every request it gets and answers with a CSV."""
    hits: list[str] = []

    class Recording(QuietHandler):
        def do_GET(self):
            hits.append(self.path)
            body = f"{SECRET},b\n".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = loopback(Recording)
    return server, hits


@pytest.fixture
def secret_file(tmp_path) -> Path:
    path = tmp_path / "secret.csv"
    path.write_text(f"{SECRET},b\n")
    return path


def test_the_judge_refuses_every_spelling_of_load_csv_from_the_plan(neo4j_driver, listener, secret_file):
    server, hits = listener
    queries = spellings([f"{server.url}/judge", f"file://{secret_file}", "file:///etc/hostname"])
    assert len(queries) >= 200
    allowed = []
    for query in queries:
        verdict = judge_output(neo4j_driver, query, [{"row": 1}], ordered=False, limits=Limits(timeout_s=5, row_cap=10))
        stored = " ".join(str(part) for part in (verdict.error, verdict.detail, verdict.warnings))
        assert SECRET not in stored, query
        if verdict.outcome.value != "forbidden" or verdict.extracted_query != extract_query(query):
            allowed.append((query, verdict.outcome.value, verdict.error))
    assert not allowed, allowed[:5]
    assert hits == []


def test_the_harness_server_refuses_load_csv_without_the_judge(neo4j_driver, listener, secret_file):
    """The same statements sent straight to the server (no judge, no plan check): its configuration refuses them."""
    server, hits = listener
    for query in spellings([f"{server.url}/direct", f"file://{secret_file}", "file:///neo4j.conf"])[::7]:
        with neo4j_driver.session() as session:
            try:
                rows = session.run(query).data()
            except Exception as exc:  # the refusal: ExternalResourceFailed, or a file that is not there
                assert SECRET not in str(exc)
                continue
        assert SECRET not in str(rows), query
    assert hits == []


def test_the_jvm_flags_refuse_outbound_connections(listener, tmp_path):
    """A JVM with the server's network flags cannot open a URL on this host, whatever the server settings."""
    server, hits = listener
    java, _ = find_java()
    source = tmp_path / "Fetch.java"
    source.write_text(
        "public class Fetch { public static void main(String[] a) throws Exception {"
        " try (var in = new java.net.URL(a[0]).openStream()) { System.out.print(new String(in.readAllBytes())); } } }"
    )
    plain = subprocess.run([java, str(source), f"{server.url}/plain"], capture_output=True, text=True, timeout=120)
    assert SECRET in plain.stdout and hits == ["/plain"]  # the listener works for a JVM without the flags
    for url in (f"{server.url}/flags", server.url.replace("127.0.0.1", "localhost") + "/flags"):
        fenced = subprocess.run([java, *SAFETY_FLAGS, str(source), url], capture_output=True, text=True, timeout=120)
        assert fenced.returncode != 0 and SECRET not in fenced.stdout, fenced.stdout
    assert hits == ["/plain"]


@pytest.mark.parametrize(
    "query",
    [
        "SHOW/**/PROCEDURES YIELD name RETURN name",
        "SHOW SETTINGS YIELD name RETURN name",
        "TERMINATE /* x */ TRANSACTIONS 'neo4j-transaction-1'",
        "CALL { CALL dbms.listConfig() YIELD name RETURN name } RETURN name",
        "MATCH (g:Gene) WITH g LIMIT 1 CALL `dbms`.`listConfig`() YIELD name RETURN name",
    ],
)
def test_commands_and_non_read_procedures_are_refused_however_spelt(neo4j_driver, query):
    result = execute_untrusted(neo4j_driver, query)
    assert result.outcome == "forbidden" and result.rows is None, result


@pytest.mark.parametrize(
    "prefix",
    ["/* a block comment */ ", "/* a\nMATCH (nothing) RETURN 1\n*/\n", "// a line comment\n", "Here it is:\n/* c */\n"],
)
def test_comments_do_not_change_a_verdict(neo4j_driver, prefix):
    gold = "MATCH (g:Gene) RETURN g.symbol AS symbol ORDER BY symbol LIMIT 3"
    rows = [record.data() for record in neo4j_driver.execute_query(gold).records]
    comment = prefix.replace("Here it is:\n", "")  # inside a fence: the comment only, no prose
    for raw in (
        prefix + gold,
        prefix + gold.replace(" RETURN", " /* inside */\n\n RETURN"),
        f"```cypher\n{comment}{gold}\n```",
    ):
        verdict = judge_output(
            neo4j_driver, raw, rows, ordered=True, limits=Limits(timeout_s=10, row_cap=100), gold_query=gold
        )
        assert verdict.outcome.value == "correct", (raw, verdict.outcome, verdict.error)
