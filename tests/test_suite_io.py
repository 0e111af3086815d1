"""Suite import (OncoGraph format), SFT export, list/show, and bad input naming file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.suitegen.model import open_suite

from .kit import invoke

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "suites"
SAMPLE = FIXTURES / "oncograph_sample.jsonl"
PROMPT = ROOT / "harness" / "adapters" / "prompts" / "ft_system_prompt.txt"


def test_import_keeps_every_record_and_field_and_computes_gold(use_neo4j, tmp_path, demo_fingerprint):
    result = invoke("suite", "import", SAMPLE, "--name", "onco", "--out", tmp_path / "onco")
    assert result.exit_code == 0, result.output
    suite = open_suite(str(tmp_path / "onco"))
    records = [json.loads(line) for line in SAMPLE.read_text().splitlines()]
    items = {i.id: i for i in suite.items(split=None)}
    assert list(items) == [r["id"] for r in records]
    for record in records:
        kept = items[record["id"]].to_record()
        assert {k: kept[k] for k in record} == record  # every original field, unchanged (extra ones too)
        assert kept["gold"]["row_count"] > 0
    assert items["F1.1-000130"].extra == {"difficulty": "easy"}
    assert items["F1.1-000130-S1"].extra["annotator"] == {"name": "ib", "checked": True}
    assert suite.manifest["graph_fingerprint"] == demo_fingerprint
    assert suite.manifest["source_file"] == SAMPLE.name
    groups = {}
    for item in items.values():  # no split in the file: assigned by group, never straddling
        assert groups.setdefault(item.group_id, item.split) == item.split
    assert items["F5.1-000096"].split == items["F5.1-000096-S2-P1"].split  # same gold query, same split
    assert invoke("suite", "lint", tmp_path / "onco").exit_code == 0


def test_import_without_neo4j_keeps_records_and_warns(tmp_path):
    result = invoke("suite", "import", SAMPLE, "--name", "onco", "--out", tmp_path / "onco")
    assert result.exit_code == 0, result.output
    assert "warning: gold expectations not computed" in result.stderr
    suite = open_suite(str(tmp_path / "onco"))
    assert len(list(suite.items(split=None))) == 10
    assert suite.manifest["graph_fingerprint"] is None
    assert all(not i.gold for i in suite.items(split=None))


def test_import_keeps_explicit_splits_and_refuses_to_overwrite(tmp_path):
    source = tmp_path / "split.jsonl"
    records = [json.loads(line) for line in SAMPLE.read_text().splitlines()]
    records[0]["split"] = "train"  # its group follows it
    source.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert invoke("suite", "import", source, "--name", "s", "--out", tmp_path / "s", "--no-gold").exit_code == 0
    items = {i.id: i for i in open_suite(str(tmp_path / "s")).items(split=None)}
    assert items["F1.1-000130"].split == items["F1.1-000130-P1"].split == items["F1.1-000130-S1"].split == "train"
    result = invoke("suite", "import", source, "--name", "s", "--out", tmp_path / "s", "--no-gold")
    assert result.exit_code == 1 and "--force" in result.stderr


@pytest.mark.parametrize(
    "lines, line_number, message",
    [
        (
            ['{"id": "a", "family_id": "F1", "question": "q?", "cypher": "RETURN 1 AS x LIMIT 1"}', "", "{oops"],
            3,
            "bad JSON",
        ),
        (
            [
                '{"id": "a", "family_id": "F1", "question": "q?", "cypher": "RETURN 1 AS x LIMIT 1"}',
                '{"id": "b", "family_id": "F1", "question": "q2?"}',
            ],
            2,
            "missing field cypher",
        ),
        (
            [
                '{"id": "a", "family_id": "F1", "question": "q?", "cypher": "RETURN 1 AS x LIMIT 1"}',
                '{"id": "b", "family_id": "F1", "question": "q2?", "cypher": "RETURN 2 AS x LIMIT 1"}',
                '{"id": "a", "family_id": "F1", "question": "q3?", "cypher": "RETURN 3 AS x LIMIT 1"}',
            ],
            3,
            "duplicate id 'a'",
        ),
        (
            [
                '{"id": "a", "family_id": "F1", "question": "q?", "cypher": "RETURN 1 AS x LIMIT 1"}',
                '{"id": "b", "family_id": "F9", "question": "q2?", "cypher": "RETURN 2 AS x LIMIT 1"}',
            ],
            2,
            "unknown family 'F9'",
        ),
        (
            [
                '{"id": "a", "family_id": "F1", "question": "q?", "cypher": "RETURN 1 AS x LIMIT 1", "placeholders": "x"}'
            ],
            1,
            "field placeholders must be a JSON object",
        ),
    ],
)
def test_bad_input_names_file_and_line_and_writes_nothing(tmp_path, lines, line_number, message):
    source = tmp_path / "bad.jsonl"
    source.write_text("\n".join(lines) + "\n")
    result = invoke("suite", "import", source, "--name", "bad", "--out", tmp_path / "out", "--duplicates", "error")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {source} line {line_number}: {message}")
    assert not (tmp_path / "out").exists()


def test_failed_import_leaves_an_existing_suite_untouched(tmp_path):
    out = tmp_path / "kept"
    assert invoke("suite", "import", SAMPLE, "--name", "kept", "--out", out, "--no-gold").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = tmp_path / "bad.jsonl"
    bad.write_text(SAMPLE.read_text() + "{oops\n")
    result = invoke("suite", "import", bad, "--name", "kept", "--out", out, "--force", "--no-gold")
    assert result.exit_code == 1 and "line 11: bad JSON" in result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_sft_export_uses_the_packaged_prompt_byte_for_byte_and_only_train_items(tmp_path):
    suite = open_suite(str(ROOT / "suites" / "demo"))
    train = list(suite.items(split="train"))
    out = tmp_path / "train.jsonl"
    result = invoke("suite", "export", ROOT / "suites" / "demo", "--format", "sft", "-o", out)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == len(train) > 0
    prompt = PROMPT.read_bytes()
    for record, item in zip(records, train):
        system, user, assistant = record["messages"]
        assert system == {"role": "system", "content": prompt.decode("utf-8")}  # the packaged prompt, byte for byte
        assert user == {"role": "user", "content": item.question}
        assert assistant == {"role": "assistant", "content": item.cypher}
    test_questions = {i.question for i in suite.items(split="test")}
    assert not test_questions & {r["messages"][1]["content"] for r in records}
    stdout = invoke("suite", "export", ROOT / "suites" / "demo")
    assert stdout.exit_code == 0 and stdout.stdout == out.read_text(encoding="utf-8")


def test_list_and_show(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_SUITES_DIR", str(tmp_path))
    assert invoke("suite", "import", SAMPLE, "--name", "onco", "--no-gold").exit_code == 0
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "manifest.json").write_text("{nope")
    listed = json.loads(invoke("suite", "list", "--json").stdout)
    assert [s["name"] for s in listed] == ["junk", "onco"]
    assert listed[1]["items"] == 10 and listed[1]["test"] + listed[1]["train"] == 10
    assert "unreadable manifest" in listed[0]["error"]
    table = invoke("suite", "list").stdout
    assert "| onco " in table and "F1 F2 F5" in table
    shown = invoke("suite", "show", "onco", "F2.4-000061")
    assert shown.exit_code == 0
    assert "question: What is the consequence of BRAF V600E?" in shown.stdout
    assert "MATCH (v:Variant {name: 'BRAF V600E'})" in shown.stdout
    as_json = json.loads(invoke("suite", "show", "onco", "F2.4-000061", "--json").stdout)
    assert as_json["family_id"] == "F2.4" and as_json["placeholders"] == {"variant_name": "BRAF V600E"}
    missing = invoke("suite", "show", "onco", "nope")
    assert missing.exit_code == 1 and "has no item 'nope'" in missing.stderr
    unknown = invoke("suite", "show", "no-such-suite", "x")
    assert unknown.exit_code == 1 and "suite 'no-such-suite' not found" in unknown.stderr
