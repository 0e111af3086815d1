"""`harness suite lint` on the committed suite and on small suites made for each problem class."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli.main import cli
from harness.graph.fingerprint import fingerprint

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "suites"


def lint(*args):
    return CliRunner().invoke(cli, ["suite", "lint", *map(str, args)])


def hard_kinds(output: str) -> set[str]:
    return set(re.findall(r"^ERROR \S+ \[(\w+)\]", output, re.M))


def test_committed_demo_suite_lints_clean(use_neo4j):
    result = lint(ROOT / "suites" / "demo")  # how long it takes is a benchmark's business, not a test's
    assert result.exit_code == 0, result.output
    table = result.stdout.splitlines()
    assert table[0].split("|")[1:4] == [" family   ", "   items ", "   empty golds "]
    assert {line.split("|")[1].strip() for line in table[2:8]} == {"F1", "F2", "F3", "F4", "F5", "F6"}
    assert "0 hard problems" in result.stderr
    assert "ERROR" not in result.stdout


@pytest.mark.parametrize(
    "case, kinds",
    [
        ("lint_bad_gold", {"error"}),
        ("lint_exact_limit", {"exact_limit"}),
        ("lint_nondeterministic", {"nondeterministic"}),
        ("lint_clock", {"clock"}),
        ("lint_duplicate_question", {"duplicate_question"}),
        ("lint_leakage", {"leakage"}),
    ],
)
def test_lint_catches_each_hard_problem_class(case, kinds, use_neo4j, neo4j_driver, demo_fingerprint):
    result = lint(FIXTURES / case)
    assert result.exit_code == 1, result.output
    assert hard_kinds(result.stdout) == kinds
    assert f"Error: suite '{case}' failed lint" in result.stderr
    assert fingerprint(neo4j_driver) == demo_fingerprint  # golds run read-only: the write attempt changed nothing


def test_lint_names_the_offending_items(use_neo4j):
    output = lint(FIXTURES / "lint_exact_limit").stdout
    assert re.search(r"^ERROR x1 \[exact_limit\] .*LIMIT 3", output, re.M)
    assert re.search(r"^ERROR x2 \[exact_limit\]", output, re.M)
    assert not re.search(r"^ERROR x3", output, re.M)  # totally ordered: exactly LIMIT rows is fine
    output = lint(FIXTURES / "lint_nondeterministic").stdout
    assert re.search(r"^ERROR n1 \[nondeterministic\] two runs of the gold gave different results", output, re.M)
    assert {m for m in re.findall(r"^ERROR (\S+)", output, re.M)} == {"n1", "n2", "n3", "n4"}
    output = lint(FIXTURES / "lint_leakage").stdout
    assert {m for m in re.findall(r"^ERROR (\S+)", output, re.M)} == {"l1-P1", "l3"}


def test_clean_suite_passes_and_an_empty_gold_fails_as_trivial(use_neo4j):
    result = lint(FIXTURES / "lint_clean")
    assert result.exit_code == 0, result.output
    assert "warnings: 5 no_gold" in result.stdout
    result = lint(FIXTURES / "lint_empty", "-v")
    assert result.exit_code == 1, result.output  # an empty gold is matched by an empty answer: a hard problem
    assert hard_kinds(result.stdout) == {"trivial"}
    assert re.search(r"^ERROR e1 \[trivial\] a trivial query matches the gold \(empty\)", result.stdout, re.M)
    assert re.search(r"^warn  e1 \[empty\] gold result is empty", result.stdout, re.M)
    row = next(line for line in result.stdout.splitlines() if line.startswith("| F1"))
    family, items, empty, _, hard = (cell.strip() for cell in row.split("|")[1:6])
    assert (family, items, empty, hard) == ("F1", "2", "1", "1")


def test_stale_gold_is_a_hard_problem(use_neo4j, tmp_path):
    folder = tmp_path / "stale"
    result = CliRunner().invoke(
        cli, ["suite", "import", str(FIXTURES / "oncograph_sample.jsonl"), "--name", "stale", "--out", str(folder)]
    )
    assert result.exit_code == 0, result.output
    assert lint(folder).exit_code == 0
    lines = (folder / "items.jsonl").read_text().splitlines()
    record = json.loads(lines[0])
    record["gold"]["row_count"] += 1
    record["gold"]["result_hash"] = "0" * 64
    (folder / "items.jsonl").write_text("\n".join([json.dumps(record), *lines[1:]]) + "\n")
    result = lint(folder)
    assert result.exit_code == 1
    assert hard_kinds(result.stdout) == {"stale", "manifest"}  # items.jsonl was edited behind the manifest's back
    assert re.search(rf"^ERROR {re.escape(record['id'])} \[stale\]", result.stdout, re.M)


def test_lint_json_output(use_neo4j):
    result = lint(FIXTURES / "lint_clock", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["hard_problems"] == 2 and report["counts"]["clock"] == 2
    assert report["families"][0]["family"] == "F1"


def test_lint_of_a_malformed_suite_names_file_and_line(tmp_path):
    folder = tmp_path / "broken"
    shutil.copytree(FIXTURES / "lint_clean", folder)
    with open(folder / "items.jsonl", "a") as handle:
        handle.write("{not json\n")
    result = lint(folder)
    assert result.exit_code == 1
    assert f"{folder / 'items.jsonl'} line 6: bad JSON" in result.stderr
