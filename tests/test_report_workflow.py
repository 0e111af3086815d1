"""The nightly CI workflow: valid for actionlint, and doing what the README and issue 6 promise."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "nightly.yml"


def actionlint() -> str:
    local = ROOT / ".cache" / "bin" / "actionlint"
    found = str(local) if os.access(local, os.X_OK) else shutil.which("actionlint")
    if not found:
        pytest.fail("actionlint not found in .cache/bin or on PATH: run `make tools` (Go module proxy build)")
    return found


def lint(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([actionlint(), "-no-color", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_actionlint_accepts_the_nightly_workflow():
    result = lint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_actionlint_would_catch_a_broken_workflow(tmp_path):
    # the check is real: the same file with an undefined step output reference fails
    broken = tmp_path / ".github" / "workflows" / "nightly.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(WORKFLOW.read_text().replace("steps.gold.outputs.run_id", "steps.nosuchstep.outputs.run_id"))
    result = subprocess.run(
        [actionlint(), "-no-color", str(broken)], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1 and "nosuchstep" in result.stdout


def test_workflow_runs_the_models_and_gates_them():
    text = WORKFLOW.read_text()
    assert "schedule:" in text and "cron:" in text and "workflow_dispatch:" in text
    assert "make install" in text and "HARNESS_NEO4J: docker" in text
    assert "actions/setup-java@v4" in text and 'java-version: "17"' in text
    assert "runs-on: ubuntu-latest" in text and "runs-on: [self-hosted, gpu]" in text
    for model in ("gold", "retrieval", "ft"):
        assert f".venv/bin/harness run --model {model} --quiet" in text
    assert '.venv/bin/harness run --model "$MODEL" --sample "$HOSTED_SAMPLE"' in text  # the Gemini models
    assert "if: ${{ env.GOOGLE_API_KEY != '' }}" in text
    for name, baseline in (("gold", "gold"), ("retrieval", "retrieval"), ("ft", "ft"), ('"$MODEL"', "$MODEL")):
        assert f"scripts/nightly_gate.sh {name} baselines/{baseline}.json" in text or (
            f'scripts/nightly_gate.sh {name} "baselines/{baseline}.json"' in text
        )
    assert text.count('>> "$GITHUB_STEP_SUMMARY"') >= 5
    assert text.count("actions/upload-artifact@v4") == 5 and "results.db" in text
    assert "shell: bash" in text  # tests/test_nightly.py runs the gate steps as GitHub does


def test_workflow_uploads_the_html_report_and_links_it_from_the_summary():
    text = WORKFLOW.read_text()
    assert text.count(".venv/bin/harness report --format html -o out/report.html") == 2  # cpu and ft jobs
    assert text.count("path: out/report.html") == 2
    assert text.count("ARTIFACT_URL: ${{ steps.html_report.outputs.artifact-url }}") == 2
    assert text.count("[report.html]($ARTIFACT_URL)") == 2


def test_a_missing_actionlint_fails_instead_of_skipping(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match="make tools"):
        actionlint()
