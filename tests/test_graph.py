"""The graph layer against a real Neo4j: loading, idempotence, fingerprint, constraints, bad input."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from click.testing import CliRunner

from harness.cli.main import cli
from harness.errors import InputError
from harness.graph.csv_source import demo_graph_dir, read_graph_folder
from harness.graph.fingerprint import GraphState, fingerprint, fingerprint_since, graph_state, last_commit
from harness.graph.loader import graph_counts, load_graph
from harness.graph.schema import existing_constraints

from .conftest import TINY_GRAPH


def copy_graph(tmp_path, source=TINY_GRAPH):
    target = tmp_path / "graph"
    shutil.copytree(source, target)
    return target


def rewrite_csv(path, change):
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    change(rows)
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)


def test_demo_graph_counts_match_its_csv_files(neo4j_driver):
    data = read_graph_folder()
    counts = graph_counts(neo4j_driver)
    expected = data.counts()
    for label in ("Gene", "Variant", "Therapy", "Disease"):
        assert counts["nodes"][label] == expected[label]
    for rel_type in ("VARIANT_OF", "TARGETS", "AFFECTS_RESPONSE_TO"):
        assert counts["relationships"][rel_type] == expected[rel_type]
    evidence_genes = {row["biomarker_name"] for row in data.affects_response if row["biomarker_type"] == "gene"}
    assert counts["nodes"]["Biomarker"] == len(data.variants) + len(evidence_genes)


def test_demo_graph_meets_the_documented_minimums():
    counts = read_graph_folder().counts()
    assert counts["Gene"] >= 60 and counts["Variant"] >= 150 and counts["Therapy"] >= 80
    assert counts["Disease"] >= 30 and counts["TARGETS"] >= 150 and counts["AFFECTS_RESPONSE_TO"] >= 400


def test_uniqueness_constraints_exist(neo4j_driver):
    constraints = {(c["label"], c["key"]) for c in existing_constraints(neo4j_driver) if c["type"] == "UNIQUENESS"}
    assert {("Gene", "symbol"), ("Variant", "name"), ("Therapy", "name"), ("Disease", "name")} <= constraints


def test_loading_twice_gives_the_same_fingerprint_and_a_change_alters_it(scratch_driver, tmp_path):
    data = read_graph_folder(TINY_GRAPH)
    load_graph(scratch_driver, data, replace=True)
    first = fingerprint(scratch_driver)
    load_graph(scratch_driver, data)  # again, without --replace: idempotent
    assert fingerprint(scratch_driver) == first
    assert graph_counts(scratch_driver)["relationships"]["AFFECTS_RESPONSE_TO"] == len(data.affects_response)

    changed = copy_graph(tmp_path)
    rewrite_csv(changed / "nodes/genes.csv", lambda rows: rows[1].__setitem__(1, "HGNC:9999"))
    load_graph(scratch_driver, read_graph_folder(changed))
    assert fingerprint(scratch_driver) != first

    load_graph(scratch_driver, data)
    assert fingerprint(scratch_driver) == first  # and back


def test_relationship_property_change_alters_fingerprint(scratch_driver):
    load_graph(scratch_driver, read_graph_folder(TINY_GRAPH), replace=True)
    before = fingerprint(scratch_driver)
    scratch_driver.execute_query("MATCH ()-[r:TARGETS]->() WITH r LIMIT 1 SET r.moa = 'changed'")
    assert fingerprint(scratch_driver) != before


def test_a_fingerprint_is_reused_until_a_write_is_committed(scratch_driver):
    load_graph(scratch_driver, read_graph_folder(TINY_GRAPH), replace=True)
    state = graph_state(scratch_driver)
    assert state.fingerprint == fingerprint(scratch_driver) and state.bookmark == last_commit(scratch_driver)
    marked = GraphState("not read again", state.bookmark)  # so the test sees which path answered
    scratch_driver.execute_query("MATCH (g:Gene) RETURN count(g)")  # reads leave the bookmark alone
    assert fingerprint_since(scratch_driver, marked) == "not read again"
    scratch_driver.execute_query("MATCH (g:Gene) WITH g LIMIT 1 SET g.hgnc_id = 'HGNC:0'")
    assert last_commit(scratch_driver) != state.bookmark
    assert fingerprint_since(scratch_driver, marked) == fingerprint(scratch_driver) != state.fingerprint
    assert fingerprint_since(scratch_driver, GraphState(state.fingerprint, None)) == fingerprint(scratch_driver)


def test_fingerprint_is_independent_of_load_order(scratch_driver):
    data = read_graph_folder(TINY_GRAPH)
    load_graph(scratch_driver, data, replace=True)
    forward = fingerprint(scratch_driver)
    data.genes.reverse()
    data.affects_response.reverse()
    load_graph(scratch_driver, data, replace=True)
    assert fingerprint(scratch_driver) == forward


def test_graph_load_and_info_json_through_the_cli(use_scratch_neo4j):
    runner = CliRunner()
    loaded = runner.invoke(cli, ["graph", "load", "--source", str(TINY_GRAPH), "--replace"])
    assert loaded.exit_code == 0, loaded.output
    info = runner.invoke(cli, ["graph", "info", "--json"])
    assert info.exit_code == 0, info.output
    details = json.loads(info.stdout)
    assert details["nodes"]["Gene"] == 3 and details["relationships"]["VARIANT_OF"] == 4
    assert details["neo4j_version"].startswith("5.26")
    assert details["fingerprint"] == loaded.stdout.strip()


@pytest.mark.parametrize(
    "breakage, message",
    [
        (
            lambda g: rewrite_csv(
                g / "nodes/genes.csv",
                lambda rows: rows.__setitem__(0, ["hgnc_id", "synonyms"]) or [r.__delitem__(0) for r in rows[1:]],
            ),
            "missing column 'symbol'",  # a key; columns OncoGraph's own folders omit are optional (test_graph_layouts)
        ),
        (
            lambda g: rewrite_csv(
                g / "relationships/variant_of.csv", lambda rows: rows.append(["EGFR L858R", "NOPE1"])
            ),
            "unknown gene 'NOPE1'",
        ),
        (
            lambda g: rewrite_csv(
                g / "relationships/affects_response.csv",
                lambda rows: rows.append(
                    ["variant", "KRAS G13D", "Cetuximab", "resistance", "colorectal cancer", "", "", "", "", ""]
                ),
            ),
            "unknown variant 'KRAS G13D'",
        ),
        (lambda g: (g / "nodes/diseases.csv").unlink(), "file not found"),
        (
            lambda g: rewrite_csv(g / "nodes/genes.csv", lambda rows: rows.append(["EGFR", "", ""])),
            "duplicate symbol 'EGFR'",
        ),
    ],
)
def test_bad_graph_folders_give_one_error_line_and_load_nothing(
    use_scratch_neo4j, scratch_driver, tmp_path, breakage, message
):
    scratch_driver.execute_query("MATCH (n) DETACH DELETE n")
    folder = copy_graph(tmp_path)
    breakage(folder)
    result = CliRunner().invoke(cli, ["graph", "load", "--source", str(folder)])
    assert result.exit_code == 1
    assert message in result.stderr and result.stderr.startswith("Error: ")
    assert "Traceback" not in result.output
    assert sum(graph_counts(scratch_driver)["nodes"].values()) == 0  # nothing half-loaded


def test_unreadable_folder_is_reported(tmp_path):
    with pytest.raises(InputError, match="not a readable folder"):
        read_graph_folder(tmp_path / "missing")


def test_unreachable_neo4j_is_one_error_line(monkeypatch):
    monkeypatch.setenv("HARNESS_NEO4J", "uri")
    monkeypatch.setenv("NEO4J_URI", "bolt://127.0.0.1:9")
    result = CliRunner().invoke(cli, ["graph", "info"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Neo4j at bolt://127.0.0.1:9 is unreachable")
    assert "Traceback" not in result.output


def test_no_running_neo4j_names_the_fix():
    result = CliRunner().invoke(cli, ["graph", "info"])
    assert result.exit_code == 1
    assert "harness db up" in result.stderr


def test_demo_graph_is_packaged_with_the_layout():
    folder = demo_graph_dir()
    assert (folder / "nodes/genes.csv").is_file() and (folder / "relationships/affects_response.csv").is_file()
