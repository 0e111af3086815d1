"""OncoGraph's files as published: dataset import with repeated ids and a fixed split, and
recorded per-item results (checkpoint files) imported as runs the harness judges itself.

Every file here is written by the tests, in OncoGraph's formats."""

from __future__ import annotations

import json
import sqlite3

from click.testing import CliRunner

from harness.cli.main import cli
from harness.graph.fingerprint import fingerprint
from harness.suitegen.model import open_suite

GENE_QUERY = "MATCH (g:Gene) WHERE g.symbol = 'EGFR' RETURN g.symbol AS gene_symbol LIMIT 100\n"
THERAPY_QUERY = "MATCH (t:Therapy)-[:TARGETS]->(g:Gene {symbol: 'BRAF'}) RETURN t.name AS therapy_name LIMIT 100\n"
NESTED_GOLD = [
    {"therapy_name": "O'Brien's \"drug\"", "pmids": ["2", "1"], "refs": [["a", 1], ["b", None]], "moa": None},
    {"therapy_name": "Plain", "pmids": [], "refs": [], "moa": "inhibitor"},
]
# the same rows, another column order, list order and alias: equal by content, not strictly
NESTED_GENERATED = [
    {"name": "Plain", "moa": "inhibitor", "refs": [], "pmids": []},
    {"moa": None, "pmids": ["1", "2"], "refs": [["b", None], ["a", 1]], "name": "O'Brien's \"drug\""},
]
RATE_LIMIT = (
    "Evaluation error: ClientError: 429 RESOURCE_EXHAUSTED. {'error': {'code': 429, "
    "'message': 'Resource has been exhausted (e.g. check quota).', 'status': 'RESOURCE_EXHAUSTED'}}"
)
SYNTAX_FAILURE = (
    "PipelineError: Neo4j execution failed: CypherSyntaxError: {neo4j_code: Neo.ClientError.Statement.SyntaxError} "
    "{message: Invalid input 'DISTINCT': expected an expression (line 1, column 8 (offset: 7))}"
)
RUNTIME_FAILURE = "PipelineError: Neo4j execution failed: {neo4j_code: Neo.ClientError.Statement.ArithmeticError} {message: / by zero}"


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def dataset_record(record_id, question, cypher, family="F1.1", **extra):
    return {
        "id": record_id,
        "family_id": family,
        "template_id": "f1_1_targets_gene",
        "question": question,
        "cypher": cypher,
        "placeholders": {},
        "source": "base",
        "paraphrase_of": None,
        **extra,
    }


def checkpoint_line(record_id, question, gold_cypher, generated, *, ok=True, error=None, gold=(), rows=(), **extra):
    return {
        "syntactic_valid": True,
        "execution_success": ok,
        "result_match": False,
        "generated_cypher": generated,
        "error": error,
        "latency_ms": 1500.0,
        "input_tokens": 216,
        "output_tokens": 40,
        "gold_rows": list(gold),
        "generated_rows": list(rows),
        "id": record_id,
        "question": question,
        "gold_cypher": gold_cypher,
        **extra,
    }


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def checkpoint_records():
    gene_rows = [{"gene_symbol": "EGFR"}]
    return [
        # nested lists, nulls and quotes, matched by content under another alias: correct, not strict
        checkpoint_line(
            "F1.1-000001",
            "Which therapies?",
            THERAPY_QUERY,
            THERAPY_QUERY.replace("therapy_name", "name"),
            gold=NESTED_GOLD,
            rows=NESTED_GENERATED,
            tokens_per_second=26.7,
        ),
        # the same published id on a different record (OncoGraph numbers ids per family)
        checkpoint_line("F1.1-000001", "Which gene is EGFR?", GENE_QUERY, GENE_QUERY, gold=gene_rows, rows=gene_rows),
        # ran, but returned one of two rows
        checkpoint_line(
            "F1.1-000002", "Two rows?", THERAPY_QUERY, THERAPY_QUERY, gold=NESTED_GOLD, rows=NESTED_GOLD[:1]
        ),
        # the server's parser rejects it, whatever the recording said about syntax
        checkpoint_line(
            "F2.2-000003",
            "Bad syntax?",
            GENE_QUERY,
            "SELECT DISTINCT t.name FROM therapies",
            ok=False,
            error=SYNTAX_FAILURE,
            gold=gene_rows,
        ),
        # parses, failed when it ran: an execution failure with the recorded Neo4j code
        checkpoint_line(
            "F2.2-000004",
            "Runtime failure?",
            GENE_QUERY,
            "MATCH (g:Gene) RETURN 1 / 0 AS x LIMIT 1",
            ok=False,
            error=RUNTIME_FAILURE,
            gold=gene_rows,
        ),
        # a rate limit: never reached the graph, never scored
        checkpoint_line(
            "F3.1-000005",
            "Rate limited?",
            GENE_QUERY,
            "",
            ok=False,
            error=RATE_LIMIT,
            gold=gene_rows,
            latency_ms=0,
            input_tokens=0,
            output_tokens=0,
        ),
        # a write: the plan is not read-only
        checkpoint_line(
            "F3.1-000006",
            "A write?",
            GENE_QUERY,
            "CREATE (g:Gene {symbol: 'ZZZ'}) RETURN g.symbol AS s",
            ok=False,
            error="PipelineError: write clauses are not allowed",
            gold=gene_rows,
        ),
        # both empty: correct
        checkpoint_line(
            "F5.1-000007", "Nothing?", GENE_QUERY.replace("EGFR", "NONE"), GENE_QUERY.replace("EGFR", "NONE")
        ),
    ]


def test_dataset_import_renames_repeated_ids_keeps_every_record_and_fixes_the_split(tmp_path):
    records = [
        dataset_record("F2.2-000008-P3", "Does KRAS affect cetuximab?", GENE_QUERY, family="F2.2"),
        dataset_record("F1.1-000001", "Which therapies target EGFR?", GENE_QUERY),
        dataset_record("F2.2-000008-P3", "Does NRAS affect panitumumab?", THERAPY_QUERY, family="F2.2"),
        dataset_record("F2.2-000008-P3", "Does BRAF affect vemurafenib?", THERAPY_QUERY, family="F2.2"),
        {"id": "F6.1-000002", "question": "Raw pair without family?", "cypher": THERAPY_QUERY},  # raw generated pair
        {"id": "x-1", "template_id": "f4_2_alternative", "question": "Family from template?", "cypher": GENE_QUERY},
    ]
    source = write_jsonl(tmp_path / "test_sample.jsonl", records)
    result = invoke(
        "suite", "import", source, "--name", "onco", "--out", tmp_path / "onco", "--split", "test", "--no-gold"
    )
    assert result.exit_code == 0, result.output
    assert "renamed 2 repeated ids" in result.stderr
    assert "imported 6 items (6 test, 0 train)" in result.stderr
    items = list(open_suite(str(tmp_path / "onco")).items(split=None))
    assert [i.id for i in items] == [
        "F2.2-000008-P3",
        "F1.1-000001",
        "F2.2-000008-P3~2",
        "F2.2-000008-P3~3",
        "F6.1-000002",
        "x-1",
    ]
    assert [i.question for i in items] == [r["question"] for r in records]  # every record kept, in order
    assert [i.extra.get("original_id") for i in items[2:4]] == ["F2.2-000008-P3"] * 2
    assert "original_id" not in items[0].extra
    assert {i.split for i in items} == {"test"}
    assert [i.family_id for i in items[4:]] == ["F6.1", "F4.2"]
    again = invoke(
        "suite", "import", source, "--name", "onco", "--out", tmp_path / "again", "--split", "test", "--no-gold"
    )
    assert again.exit_code == 0  # the same file gives the same bytes
    assert (tmp_path / "again" / "items.jsonl").read_bytes() == (tmp_path / "onco" / "items.jsonl").read_bytes()
    strict = invoke("suite", "import", source, "--name", "s", "--out", tmp_path / "s", "--duplicates", "error")
    assert strict.exit_code == 1 and strict.stderr.startswith(f"Error: {source} line 3: duplicate id 'F2.2-000008-P3'")
    train = invoke("suite", "import", source, "--name", "t", "--out", tmp_path / "t", "--split", "train", "--no-gold")
    assert train.exit_code == 0 and {i.split for i in open_suite(str(tmp_path / "t")).items(None)} == {"train"}


def report_json(*runs):
    result = invoke("report", "--format", "json", *[a for run in runs for a in ("--run", run)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_checkpoint_import_judges_each_level_itself_and_marks_the_run_imported(use_neo4j, neo4j_driver, tmp_path):
    before = fingerprint(neo4j_driver)
    source = write_jsonl(tmp_path / "model_checkpoint.jsonl", checkpoint_records())
    result = invoke("results", "import", source, "--model", "seed-model")
    assert result.exit_code == 0, result.output
    run_id = result.stdout.strip()
    assert "imported 8 recorded items of seed-model" in result.stderr
    assert fingerprint(neo4j_driver) == before  # the write was only EXPLAINed

    db = sqlite3.connect(tmp_path / "results.db")
    db.row_factory = sqlite3.Row
    rows = {r["item_id"]: r for r in db.execute("select * from results where run_id = ?", [run_id])}
    outcomes = {item: (r["outcome"], r["scored"], r["syntax_ok"], r["exec_ok"], r["match"]) for item, r in rows.items()}
    assert outcomes == {
        "F1.1-000001": ("correct", 1, 1, 1, 1),
        "F1.1-000001~2": ("correct", 1, 1, 1, 1),
        "F1.1-000002": ("wrong_result", 1, 1, 1, 0),
        "F2.2-000003": ("syntax_error", 1, 0, 0, 0),
        "F2.2-000004": ("exec_error", 1, 1, 0, 0),
        "F3.1-000005": ("infra_model", 0, None, None, None),
        "F3.1-000006": ("forbidden", 1, 1, 0, 0),
        "F5.1-000007": ("correct", 1, 1, 1, 1),
    }
    first = rows["F1.1-000001"]
    assert first["strict_match"] == 0 and first["f1"] == 1.0 and first["family_id"] == "F1.1"
    assert json.loads(first["detail"])["mapping"] == {
        "therapy_name": "name",
        "pmids": "pmids",
        "refs": "refs",
        "moa": "moa",
    }
    assert first["gen_ms"] == 1500.0 and first["prompt_tokens"] == 216 and first["output_tokens"] == 40
    assert rows["F1.1-000001~2"]["gen_ms"] is None  # no tokens_per_second: latency_ms did not time the model
    assert rows["F1.1-000002"]["reason"] == "missing_rows" and 0 < rows["F1.1-000002"]["f1"] < 1
    assert rows["F2.2-000004"]["error_class"] == "Neo.ClientError.Statement.ArithmeticError"
    assert rows["F3.1-000005"]["error_class"] == "recorded.RateLimit"
    generation = db.execute("select * from generations where run_id = ? and item_id = ?", [run_id, "F1.1-000001~2"])
    assert json.loads(generation.fetchone()["meta"])["published_id"] == "F1.1-000001"
    run = db.execute("select * from runs where id = ?", [run_id]).fetchone()
    assert run["status"] == "imported" and json.loads(run["imported_from"])["records"] == 8

    report = report_json(run_id)
    summary = report["summary"][0]
    assert (summary["n_scored"], summary["infra_errors"], summary["infra_model"]) == (7, 1, 1)
    rates = [summary[f"{level}_pct"] for level in ("syntax", "execution", "accuracy")]
    assert rates == [round(100 * k / 7, 4) for k in (6, 4, 3)] and summary["accuracy_lo"] > 0
    assert report["runs"][0]["adapter"] == "imported" and report["runs"][0]["imported_from"]["format"]
    markdown = invoke("report", "--run", run_id).stdout
    assert "Imported from recorded rows (adapter `imported`: seed-model)" in markdown
    assert invoke("rescore", run_id).exit_code == 1
    shown = invoke("show", run_id, "F1.1-000001~2")
    assert shown.exit_code == 0 and "Which gene is EGFR?" in shown.output
    triage = invoke("triage", run_id)
    assert triage.exit_code == 0 and "1 infra error" in triage.output and "429 RESOURCE_EXHAUSTED" in triage.output
    baseline = invoke("baseline", "save", run_id, tmp_path / "seed.json")
    assert baseline.exit_code == 0, baseline.output
    gate = ("gate", "--run", run_id, "--baseline", tmp_path / "seed.json")
    assert invoke(*gate).exit_code == 3  # 1 rate limit in 8 items is above the default 5% infra rate
    assert invoke(*gate, "--max-infra-rate", "0.2").exit_code == 0


def test_two_imported_models_are_paired_and_a_suite_gives_ids_and_families(use_neo4j, tmp_path):
    records = checkpoint_records()
    dataset = [dataset_record(r["id"], r["question"], r["gold_cypher"], family=r["id"][:4]) for r in records]
    write_jsonl(tmp_path / "test_sample.jsonl", dataset)
    assert (
        invoke(
            "suite",
            "import",
            tmp_path / "test_sample.jsonl",
            "--name",
            "onco",
            "--out",
            tmp_path / "onco",
            "--split",
            "test",
        ).exit_code
        == 0
    )
    first = invoke(
        "results", "import", write_jsonl(tmp_path / "a.jsonl", records), "-m", "a", "--suite", tmp_path / "onco"
    )
    assert first.exit_code == 0, first.output
    worse = [
        dict(r, execution_success=False, error=RUNTIME_FAILURE) if r["id"] == "F5.1-000007" else r for r in records
    ]
    second = invoke(
        "results", "import", write_jsonl(tmp_path / "b.jsonl", worse), "-m", "b", "--suite", tmp_path / "onco"
    )
    assert second.exit_code == 0, second.output
    report = report_json(first.stdout.strip(), second.stdout.strip())
    pair = report["pairs"][0]
    assert (pair["n_shared"], pair["only_a"], pair["only_b"]) == (7, 1, 0)
    assert not pair["suites_differ"]
    families = {(f["label"], f["family"]) for f in report["families"]}
    assert ("a", "F5.1") in families and ("b", "F2.2") in families
    unknown = write_jsonl(tmp_path / "c.jsonl", [records[0], dict(records[2], question="Not in the suite?")])
    result = invoke("results", "import", unknown, "-m", "c", "--suite", tmp_path / "onco")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {unknown} line 2: item 'F1.1-000002' ('Not in the suite?') is not in")


def test_a_bad_checkpoint_line_is_one_error_naming_the_line_and_writes_no_run(use_neo4j, tmp_path):
    records = checkpoint_records()
    cases = [
        (dict(records[1], generated_rows="[{'gene_symbol': 'EGFR'}]"), "field generated_rows must be a JSON list"),
        (dict(records[1], gold_rows=[["EGFR"]]), "field gold_rows must be a JSON list of row objects"),
        (dict(records[1], execution_success="yes"), "field execution_success must be true or false"),
        ({k: v for k, v in records[1].items() if k != "gold_cypher"}, "missing field gold_cypher"),
    ]
    for number, (bad, message) in enumerate(cases):
        source = write_jsonl(tmp_path / f"bad{number}.jsonl", [records[0], records[2], bad])
        result = invoke("results", "import", source, "--model", "m")
        assert result.exit_code == 1
        assert result.stderr.startswith(f"Error: {source} line 3: {message}")
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps(records[0]) + "\n\n{oops\n")
    result = invoke("results", "import", broken, "--model", "m")
    assert result.exit_code == 1 and result.stderr.startswith(f"Error: {broken} line 3: bad JSON")
    db = tmp_path / "results.db"
    assert not db.exists() or sqlite3.connect(db).execute("select count(*) from runs").fetchone()[0] == 0
