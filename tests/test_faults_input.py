"""Bad input, second pass: each case ends in one `Error:` line and the right exit code, nothing overwritten."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli.main import cli
from harness.errors import InputError
from harness.names import plain_name
from harness.store import Store
from harness.suitegen.io import write_suite
from harness.suitegen.model import iter_jsonl_items

from .report_fixtures import add_run
from .test_runner import TINY_SUITE

DEMO = Path(__file__).resolve().parents[1] / "suites" / "demo"


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def only_error(result, exit_code: int = 1) -> str:
    """The one non-empty stderr line of a failed command."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == exit_code and "Traceback" not in result.output, result.output
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


@pytest.fixture
def suites_dir(tmp_path, monkeypatch):
    root = tmp_path / "suites"
    root.mkdir()
    monkeypatch.setenv("HARNESS_SUITES_DIR", str(root))
    return root


def test_a_malformed_grammar_is_one_error_naming_the_file_not_a_crash(use_neo4j, tiny_gguf, tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    grammar = models / "bad.gbnf"
    grammar.write_text("root ::= ((( bad\n")
    (models / "tiny.toml").write_text(
        f'adapter = "llama_cpp"\n[options]\nmodel_path = "{tiny_gguf}"\ngrammar_file = "bad.gbnf"\nn_threads = 1\n'
    )
    env = {**os.environ, "HARNESS_MODELS_DIR": str(models), "HARNESS_DB": str(tmp_path / "r.db")}
    done = subprocess.run(  # a child process: before the fix llama.cpp killed its process with SIGSEGV
        [sys.executable, "-m", "harness.cli.main", "run", "--model", "tiny", "--suite", "suites/demo", "--limit", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert errors == [f"Error: {grammar}: not a valid GBNF grammar (llama.cpp cannot parse it: parse error)"], (
        done.stderr
    )
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "r.db").exists() or Store(tmp_path / "r.db").runs() == []


def test_suite_generate_does_not_replace_a_suite_without_force(use_neo4j, suites_dir):
    shutil.copytree(DEMO, suites_dir / "demo")
    before = (suites_dir / "demo" / "items.jsonl").read_bytes()
    result = invoke("suite", "generate", "--name", "demo", "--groups", "1")
    assert only_error(result) == f"Error: {suites_dir / 'demo'} already holds a suite; pass --force to replace it"
    assert (suites_dir / "demo" / "items.jsonl").read_bytes() == before
    forced = invoke("suite", "generate", "--name", "demo", "--groups", "1", "--force")
    assert forced.exit_code == 0, forced.output
    assert "sampled " in forced.stderr and "templates)" in forced.stderr  # progress while sampling
    assert 0 < json.loads((suites_dir / "demo" / "manifest.json").read_text())["n_items"] < 1836


def test_suite_generate_groups_is_bounded(suites_dir):
    result = invoke("suite", "generate", "--name", "huge", "--groups", "100000000")
    assert result.exit_code == 2 and "--groups" in result.stderr and "1<=x<=1000" in result.stderr, result.output
    assert not (suites_dir / "huge").exists()


@pytest.mark.parametrize("name", ["../escape", "a/b", "..", ".hidden", "", "x" * 101])
def test_names_on_the_command_line_are_plain_folder_names(suites_dir, tmp_path, name):
    data = tmp_path / "data.jsonl"
    data.write_text((DEMO / "items.jsonl").read_text().splitlines()[0] + "\n")
    for args in (
        ["suite", "import", data, "--name", name, "--no-gold"],
        ["suite", "generate", "--name", name],
    ):
        result = invoke(*args)
        assert result.exit_code == 2 and "is not a plain name" in result.stderr, (args, result.output)
    result = invoke("run", "--model", name, "--suite", TINY_SUITE)
    assert only_error(result).startswith(f"Error: model name {name!r} is not a plain name")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.jsonl", "harness-home", "suites"]
    assert list(suites_dir.iterdir()) == []


def test_the_name_validator_keeps_plain_names():
    assert plain_name("demo_v2.1-test") == "demo_v2.1-test"
    with pytest.raises(InputError, match="suite name 'a/b' is not a plain name"):
        plain_name("a/b", "suite name")


def stale_suite(folder: Path, drop_last: int = 1) -> Path:
    """The tiny suite written with a full manifest, then items.jsonl edited behind the manifest's back."""
    write_suite(folder, list(iter_jsonl_items(TINY_SUITE / "items.jsonl")), {"name": "tiny"})
    items = folder / "items.jsonl"
    items.write_text("".join(items.read_text().splitlines(keepends=True)[:-drop_last]))
    manifest_time = (folder / "manifest.json").stat().st_mtime
    os.utime(items, (manifest_time + 10, manifest_time + 10))
    return folder


def test_run_and_lint_refuse_a_suite_whose_manifest_disagrees_with_its_items(tiny_graph, tmp_path):
    suite = stale_suite(tmp_path / "stale")
    message = only_error(invoke("run", "--model", "gold", "--suite", suite, "--quiet", "--db", tmp_path / "r.db"))
    assert message.startswith(f"Error: {suite}: manifest.json says 9 items") and "items.jsonl has 8" in message
    assert message.endswith(
        "items.jsonl was changed last, so manifest.json is stale: regenerate or re-import the suite"
    )
    lint = invoke("suite", "lint", suite)
    assert lint.exit_code == 1 and "ERROR manifest.json [manifest]" in lint.stdout, lint.output
    assert "1 manifest" in lint.stderr


def test_a_manifest_changed_last_is_named_as_the_newer_file(tmp_path):
    suite = stale_suite(tmp_path / "stale")
    items_time = (suite / "items.jsonl").stat().st_mtime
    os.utime(suite / "manifest.json", (items_time + 10, items_time + 10))
    message = only_error(invoke("run", "--model", "gold", "--suite", suite))
    assert "manifest.json was changed last, so items.jsonl is stale" in message


def test_a_manifest_that_is_a_json_list_breaks_only_its_own_suite(suites_dir):
    shutil.copytree(TINY_SUITE, suites_dir / "good")
    (suites_dir / "bad").mkdir()
    (suites_dir / "bad" / "manifest.json").write_text("[]")
    (suites_dir / "bad" / "items.jsonl").write_text("")
    listing = invoke("suite", "list", "--json")
    assert listing.exit_code == 0, listing.output
    entries = {s["name"]: s for s in json.loads(listing.stdout)}
    assert "error" not in entries["good"] and "expected a JSON object" in entries["bad"]["error"]
    message = only_error(invoke("run", "--model", "gold", "--suite", "bad"))
    assert message == f"Error: {suites_dir / 'bad' / 'manifest.json'}: expected a JSON object, not list"


@pytest.mark.parametrize("uri", ["http://localhost:7474", "not a uri", "bolt://"])
def test_a_neo4j_uri_that_is_not_bolt_is_one_error(monkeypatch, uri):
    monkeypatch.setenv("NEO4J_URI", uri)
    assert only_error(invoke("graph", "info")).startswith(f"Error: NEO4J_URI {uri!r} is not a Bolt address")


def test_an_unreachable_neo4j_message_is_whole(monkeypatch):
    monkeypatch.setenv("NEO4J_URI", "bolt://127.0.0.1:1")
    message = only_error(invoke("graph", "info"))
    assert message.startswith("Error: Neo4j at bolt://127.0.0.1:1 is unreachable: ") and "refused" in message
    assert not message.endswith(":")


def test_an_empty_items_file_names_its_folder_not_the_manifest_name(tmp_path):
    folder = tmp_path / "emptyitems"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"name": "demo"}))
    (folder / "items.jsonl").write_text("")
    message = only_error(invoke("run", "--model", "gold", "--suite", folder))
    assert message == f"Error: suite 'demo' in {folder} has no test items ({folder / 'items.jsonl'})"


def test_report_plot_needs_an_image_suffix_and_never_overwrites_the_database(store, tmp_path):
    add_run(store, "gold", {"F1-0001": "correct"})
    db = os.environ["HARNESS_DB"]
    message = only_error(invoke("report", "--plot", tmp_path / "x.xyz"))
    assert (
        message == f"Error: --plot {tmp_path / 'x.xyz'}: name the file .png, .svg or .pdf (the suffix picks the format)"
    )
    assert not (tmp_path / "x.xyz").exists()
    shutil.copy(db, tmp_path / "copy.png")
    message = only_error(invoke("report", "--plot", tmp_path / "copy.png"))
    assert "is a SQLite database; refusing to overwrite it with the plot" in message
    assert (tmp_path / "copy.png").read_bytes()[:15] == b"SQLite format 3"
    message = only_error(invoke("report", "--output", tmp_path / "copy.png"))
    assert "is a SQLite database; refusing to overwrite it with the report" in message


def test_report_reads_a_database_it_cannot_write(store, tmp_path, monkeypatch):
    add_run(store, "gold", {"F1-0001": "correct", "F1-0002": "wrong_result"})
    store.close()
    folder = tmp_path / "mount"  # a folder of its own: nothing else writes to it during the report
    folder.mkdir()
    db = folder / "results.db"
    shutil.copy(os.environ["HARNESS_DB"], db)
    monkeypatch.setenv("HARNESS_DB", str(db))
    db.chmod(0o444)
    folder.chmod(0o555)  # for a user other than root, really unwritable
    if os.geteuid() == 0:  # root ignores modes, as it does not a read-only mount: say so to the report
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda path, mode, **kw: False if mode & os.W_OK else real_access(path, mode))
    old = 1_000_000_000  # 2001: any file created, renamed or deleted in the folder moves its mtime to now
    os.utime(db, (old, old))
    os.utime(folder, (old, old))
    before = db.read_bytes()
    try:
        result = invoke("report", "--format", "json")
        after = {path.name: path.stat().st_mtime for path in (folder, db)}
    finally:
        folder.chmod(0o755)
    assert result.exit_code == 0, result.output
    assert [run["model"] for run in json.loads(result.stdout)["runs"]] == ["gold"]
    # opened as written on a read-only mount: no -wal/-shm file came and went, not a byte changed
    assert sorted(p.name for p in folder.iterdir()) == ["results.db"]
    assert after == {"mount": old, "results.db": old} and db.read_bytes() == before


def test_baseline_save_does_not_replace_a_baseline_without_force(store, tmp_path):
    run_id = add_run(store, "gold", {"F1-0001": "correct"})
    path = tmp_path / "gold.json"
    path.write_text("{}")
    assert only_error(invoke("baseline", "save", run_id, path)) == (
        f"Error: {path} already exists; pass --force to replace the baseline"
    )
    assert path.read_text() == "{}"
    assert invoke("baseline", "save", run_id, path, "--force").exit_code == 0
    assert json.loads(path.read_text())["run"]["id"] == run_id
