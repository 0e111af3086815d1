"""Bounded input (harness/inputs.py): every JSON the harness reads refuses hostile files with one
`Error:` line naming the file and line, never a RecursionError, OverflowError or a message as
long as the value that caused it. Each file here is written by the test."""

from __future__ import annotations

import json

import pytest

from harness.errors import InputError
from harness.inputs import MAX_DEPTH, MAX_ID_CHARS, check_id, parse_json, shown

from .kit import invoke, one_error_line
from .report_fixtures import add_run

DEEP = "[" * 100_000 + "]" * 100_000
HUGE_COUNT = 10**25  # 26 digits


def suite_line(item_id="F1-0001", **extra):
    return {
        "id": item_id,
        "family_id": "F1",
        "template_id": "f1_1",
        "question": "Which therapies target EGFR?",
        "cypher": "MATCH (g:Gene {symbol: 'EGFR'}) RETURN g.symbol AS s",
        "placeholders": {},
        "source": "base",
        "split": "test",
        **extra,
    }


def checkpoint(item_id="F1.1-0001", **extra):
    return {
        "id": item_id,
        "question": "Which therapies target EGFR?",
        "gold_cypher": "MATCH (g:Gene) RETURN g.symbol AS s",
        "generated_cypher": "MATCH (g:Gene) RETURN g.symbol AS s",
        "syntactic_valid": True,
        "execution_success": True,
        "result_match": True,
        "gold_rows": [{"s": "EGFR"}],
        "generated_rows": [{"s": "EGFR"}],
        **extra,
    }


def write_lines(path, *lines):
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


def test_deep_json_is_one_line_naming_the_file_and_line():
    with pytest.raises(InputError, match=rf"f line 3: JSON nested deeper than {MAX_DEPTH} levels"):
        parse_json(DEEP, "f line 3")
    with pytest.raises(InputError, match="nested deeper"):
        parse_json("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "f")
    assert parse_json("[" * MAX_DEPTH + "]" * MAX_DEPTH, "f") is not None


def test_numbers_beyond_64_bits_and_nan_are_refused():
    with pytest.raises(InputError, match="outside 64 bits"):
        parse_json(json.dumps({"output_tokens": HUGE_COUNT}), "f")
    with pytest.raises(InputError, match="outside 64 bits"):
        parse_json('{"n": ' + "9" * 5000 + "}", "f")  # Python's own int() limit would say something else
    with pytest.raises(InputError, match="NaN"):
        parse_json('{"gen_ms": NaN}', "f")
    assert parse_json(json.dumps({"n": 2**63 - 1}), "f") == {"n": 2**63 - 1}


def test_ids_are_printable_and_bounded():
    for bad in ("a\nb", "a\x00b", "a\tb", "", "x" * (MAX_ID_CHARS + 1)):
        with pytest.raises(InputError):
            check_id(bad, "f line 1")
    assert check_id("F1.1-0001~2", "f") == "F1.1-0001~2"


def test_long_values_are_cut_in_messages():
    text = shown("x" * 50_000_000)
    assert len(text) < 120 and "50,000,000 characters" in text


def test_replay_file_limits(tmp_path, tiny_graph):
    """replay: deep JSON, a 26-digit token count (OverflowError before), a 50 MB id, an id with a newline."""
    suite = tmp_path / "suite"
    suite.mkdir()
    write_lines(suite / "items.jsonl", suite_line())
    (suite / "manifest.json").write_text(json.dumps({"name": "s"}))
    cases = {
        "deep": (DEEP, "line 1: JSON nested deeper"),
        "count": ({"id": "F1-0001", "output": "x", "output_tokens": HUGE_COUNT}, "line 1: integer"),
        "long": ({"id": "x" * 50_000_000, "output": "x"}, "longer than 256 characters"),
        "newline": ({"id": "F1\n-0001", "output": "x"}, "control character"),
        "negative": ({"id": "F1-0001", "output": "x", "prompt_tokens": -1}, "prompt_tokens must be a whole number"),
    }
    for name, (line, fragment) in cases.items():
        replay = write_lines(tmp_path / f"{name}.jsonl", line)
        result = invoke("run", "--model", "replay", "--replay", replay, "--suite", suite, "-q")
        error = one_error_line(result, fragment, str(replay))
        assert len(error) < 400, name


def test_suite_file_and_suite_import_limits(tmp_path):
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "manifest.json").write_text(json.dumps({"name": "s"}))
    write_lines(suite / "items.jsonl", suite_line("F1-0000"), DEEP, suite_line())
    one_error_line(invoke("suite", "show", suite, "F1-0001"), "items.jsonl line 2: JSON nested deeper")

    (suite / "manifest.json").write_text(DEEP)
    one_error_line(invoke("suite", "show", suite, "F1-0001"), "manifest.json: JSON nested deeper")

    for name, line, fragment in (
        ("deep", DEEP, "line 1: JSON nested deeper"),
        ("nul", suite_line("F1-\x00"), "control character"),
        ("long", suite_line("F1-" + "9" * 5_000_000), "longer than 256"),
    ):
        source = write_lines(tmp_path / f"{name}.jsonl", line)
        error = one_error_line(invoke("suite", "import", source, "--name", name, "--no-gold"), fragment)
        assert len(error) < 400


def test_results_import_limits(tmp_path):
    """Checked before any database or server is touched: no run is left behind."""
    for name, line, fragment in (
        ("deep", DEEP, "line 1: JSON nested deeper"),
        ("count", checkpoint(input_tokens=HUGE_COUNT), "line 1: integer"),
        ("rows", checkpoint(gold_rows=json.loads("[" * 70 + "]" * 70)), "line 1: JSON nested deeper"),
        ("newline", checkpoint("F1.1-\n0001"), "control character"),
        ("negative", checkpoint(output_tokens=-3), "must not be negative"),
    ):
        source = write_lines(tmp_path / f"{name}.jsonl", line)
        one_error_line(invoke("results", "import", source, "--model", "m", "-q"), str(source), fragment)
    assert not (tmp_path / "results.db").exists()


@pytest.mark.parametrize(
    "change, fragment",
    [
        (lambda b: b.__setitem__("run", ["not", "an", "object"]), '"run" must be an object'),
        (lambda b: b["items"].__setitem__("F1-0000", "correct"), "must be an object"),
        (lambda b: b["items"]["F1-0000"].__setitem__("outcome", ["correct"]), "outcome"),
        (lambda b: b["items"]["F1-0000"].__setitem__("family_id", 7), "family_id must be a string"),
        (lambda b: b["items"].__setitem__("bad\nid", {"outcome": "correct"}), "control character"),
    ],
)
def test_gate_baselines_with_wrong_field_types_are_one_line(store, tmp_path, change, fragment):
    run_id = add_run(store, "m", {"F1-0000": "correct", "F2-0001": "wrong_result"})
    path = tmp_path / "b.json"
    assert invoke("baseline", "save", run_id[:12], path).exit_code == 0
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    one_error_line(invoke("gate", "--run", run_id[:12], "--baseline", path), str(path), fragment)


def test_gate_baseline_nested_deep_is_one_line(store, tmp_path):
    run_id = add_run(store, "m", {"F1-0000": "correct"})
    path = tmp_path / "b.json"
    path.write_text(DEEP)
    one_error_line(invoke("gate", "--run", run_id[:12], "--baseline", path), "JSON nested deeper")
    must = tmp_path / "must.json"
    must.write_text(DEEP)
    one_error_line(invoke("gate", "--run", run_id[:12], "--baseline", path, "--must-pass", must), "JSON nested deeper")


def test_results_db_that_is_a_directory_says_so(tmp_path, monkeypatch):
    """The default results.db (no --db, no HARNESS_DB) was "no results database" although it exists."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HARNESS_DB")
    (tmp_path / "results.db").mkdir()
    one_error_line(invoke("report"), "results.db is a directory, not a results database")


def test_every_error_line_is_cut():
    """The net under every message: even one that quotes a huge value whole stays short."""
    error = one_error_line(invoke("suite", "show", "suites/demo", "x" * 1_000_000), "more characters cut")
    assert len(error) < 2100


def test_results_import_shows_progress(tmp_path, tiny_graph):
    """A 100,000-line import was silent for over a minute; off a terminal it prints progress lines."""
    source = write_lines(tmp_path / "c.jsonl", *(checkpoint(f"F1.1-000{n}") for n in range(3)))
    result = invoke("results", "import", source, "--model", "m")
    assert result.exit_code == 0, result.output
    assert "[import m] 3/3 judged" in result.output
    quiet = invoke("results", "import", source, "--model", "m2", "-q")
    assert quiet.exit_code == 0 and "judged" not in quiet.output
