"""The nightly workflow gates every night (issue 26): each job's time budget from the committed specs
fits its timeout, a failing gate reaches the job summary (its own shell lines, run here), and no job
waits on the self-hosted GPU runner. actionlint validates the file in tests/test_report_workflow.py."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.adapters.specs import tomllib

from .kit import invoke
from .report_fixtures import add_run, outcomes

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "nightly.yml"
# The allowances the budget adds to the requests (docs/guide/nightly.md): estimates for a hosted runner.
SETUP_MINUTES, WRAP_UP_MINUTES, RETRY_MARGIN = 10, 3, 0.25


def jobs() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())["jobs"]


def step(job: dict, name_start: str) -> dict:
    (found,) = [s for s in job["steps"] if s.get("name", "").startswith(name_start)]
    return found


def hosted_minutes(model: str, sample: int) -> float:
    """Minutes of requests alone: the spec's rpm spaces them 60/rpm s apart, two per item in two_step mode
    (the gemini adapter's documented defaults: rpm 15, two_step)."""
    options = tomllib.loads((ROOT / "models" / f"{model}.toml").read_text())["options"]
    per_item = 2 if options.get("mode", "two_step") == "two_step" else 1
    return sample * per_item * (60 / options.get("rpm", 15)) / 60


def test_each_hosted_model_fits_its_jobs_timeout_with_the_committed_specs():
    hosted = jobs()["hosted"]
    sample, timeout = int(hosted["env"]["HOSTED_SAMPLE"]), hosted["timeout-minutes"]
    models = hosted["strategy"]["matrix"]["model"]
    assert set(models) == {"gemini-2.0-flash", "gemini-2.5-flash-lite"} and sample % 6 == 0  # equal shares, F1-F6
    for model in models:
        minutes = hosted_minutes(model, sample)
        assert minutes == 8.0  # 60 items x 2 requests x 4 s (rpm 15)
        assert SETUP_MINUTES + minutes * (1 + RETRY_MARGIN) + WRAP_UP_MINUTES <= timeout, (model, minutes, timeout)
    # the old nightly ran the whole 800-item split: 106.7 minutes of requests per model, past any 90-minute job
    assert math.isclose(hosted_minutes("gemini-2.0-flash", 800), 800 * 2 * 4 / 60) and 800 * 2 * 4 / 60 > 90
    run = step(hosted, "Run the model")["run"]
    assert '--sample "$HOSTED_SAMPLE" --seed "$HOSTED_SEED"' in run  # every hosted run is the sample


def test_the_budget_step_is_told_the_jobs_timeout_and_refuses_a_run_that_cannot_fit():
    hosted = jobs()["hosted"]
    budget = step(hosted, "Rate limits and time budget")["run"]
    assert f"--timeout-minutes {hosted['timeout-minutes']} " in budget and '--sample "$HOSTED_SAMPLE"' in budget
    script = [sys.executable, str(ROOT / "scripts" / "nightly_budget.py"), "--model", "gemini-2.0-flash"]
    fits = subprocess.run([*script, "--sample", "60", "--timeout-minutes", "30"], capture_output=True, text=True)
    assert fits.returncode == 0, fits.stderr
    assert "| gemini-2.0-flash | 15 | two_step | 120 | 4 s | 8.0 min | 23.0 min | yes |" in fits.stdout
    whole = subprocess.run([*script, "--sample", "800", "--timeout-minutes", "90"], capture_output=True, text=True)
    assert whole.returncode == 1 and "| 1600 | 4 s | 106.7 min | 146.3 min | NO |" in whole.stdout
    assert whole.stderr.startswith("Error: gemini-2.0-flash would not finish within timeout-minutes 90")


def test_gold_and_retrieval_are_gated_right_after_their_runs_in_a_job_with_nothing_slow():
    core = jobs()["core"]
    names = [s.get("name", "") for s in core["steps"]]
    order = ["Run gold", "Gate gold", "Run retrieval", "Gate retrieval", "Report"]
    positions = [next(i for i, n in enumerate(names) if n.startswith(o)) for o in order]
    assert positions == sorted(positions), names
    runs = [s["run"] for s in core["steps"] if "harness run" in s.get("run", "")]
    assert [r.split("--model ")[1].split()[0] for r in runs] == ["gold", "retrieval"]  # no rate-limited model here
    # gold judged 800 items in 2.2 s and retrieval in 6.7 s here (baselines/*.json); 2 minutes each allowed
    assert core["timeout-minutes"] >= SETUP_MINUTES + 2 * 2 + WRAP_UP_MINUTES


def test_no_job_waits_on_another_or_shares_a_concurrency_group():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    assert "concurrency" not in workflow  # per job, so a missing GPU runner queues only the ft job
    all_jobs = workflow["jobs"]
    groups = [job["concurrency"]["group"] for job in all_jobs.values()]
    assert len(set(groups)) == len(groups) == 3 and "${{ matrix.model }}" in all_jobs["hosted"]["concurrency"]["group"]
    assert not any("needs" in job for job in all_jobs.values())
    assert all_jobs["core"]["runs-on"] == all_jobs["hosted"]["runs-on"] == "ubuntu-latest"
    assert all_jobs["ft"]["runs-on"] == ["self-hosted", "gpu"]
    for name, job in all_jobs.items():  # a failing night files itself, from every job
        filing = step(job, "File the failure")
        assert filing["if"] == "${{ failure() }}" and "--post" in filing["run"], name
        assert job["permissions"]["issues"] == "write", name


@pytest.fixture
def runner_dir(tmp_path, store):
    """A checkout as the runner sees it: scripts/, baselines/gold.json from a real run, `.venv/bin/harness`
    (this harness), and a results database holding a run of gold that regressed against it."""
    good = add_run(store, "gold", outcomes("F1", {"correct": 40}))
    bad = add_run(store, "gold", outcomes("F1", {"correct": 10, "wrong_result": 30}))
    (tmp_path / "baselines").mkdir()
    saved = invoke("baseline", "save", good, tmp_path / "baselines" / "gold.json")
    assert saved.exit_code == 0, saved.output
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    harness = tmp_path / ".venv" / "bin" / "harness"
    harness.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m harness.cli.main "$@"\n')
    harness.chmod(0o755)
    return tmp_path, bad


def run_step(
    job: str, name_start: str, cwd: Path, expressions: dict[str, str]
) -> tuple[subprocess.CompletedProcess, str]:
    """A step's own `run:` lines, as GitHub runs them (`bash --noprofile --norc -eo pipefail`), with its
    env and the given values for its `${{ ... }}` expressions; returns the result and the job summary."""
    found = step(jobs()[job], name_start)
    env = dict(os.environ, PYTHONPATH=str(ROOT), GITHUB_STEP_SUMMARY=str(cwd / "summary.md"))
    for key, value in found.get("env", {}).items():
        env[key] = expressions.get(value, value)
    (cwd / "summary.md").write_text("")
    script = cwd / "step.sh"
    script.write_text(found["run"])
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result, (cwd / "summary.md").read_text()


def test_a_gate_that_exits_2_shows_in_the_job_summary_and_fails_its_step(runner_dir):
    cwd, bad = runner_dir
    result, summary = run_step("core", "Gate gold", cwd, {"${{ steps.gold.outputs.run_id }}": bad})
    assert result.returncode == 2, result.stdout + result.stderr
    assert summary.startswith("### Gate: gold: REGRESSION (exit 2)\n")
    assert f"gate REGRESSION: gold run {bad}" in summary and "[FAIL] accuracy" in summary
    assert (cwd / "out" / "gate-gold.code").read_text().strip() == "2"
    assert "::error title=gate gold::REGRESSION (exit 2)" in result.stdout
    # and the failure issue names the gate and why
    body = subprocess.run(
        [sys.executable, "scripts/nightly_issue.py", "--job", "core", "--steps", "run gold=success,gate gold=failure"],
        cwd=cwd,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert body.returncode == 0, body.stderr
    assert (
        "- gate **gold**: REGRESSION (exit 2)" in body.stdout
        and "[FAIL] accuracy: accuracy on 40 shared" in body.stdout
    )
    assert "- step `gate gold`: failure" in body.stdout


def test_a_passing_gate_and_a_missing_baseline_both_say_so_in_the_summary(runner_dir, store):
    cwd, _ = runner_dir
    good = json.loads((cwd / "baselines" / "gold.json").read_text())["run"]["id"]
    result, summary = run_step("core", "Gate gold", cwd, {"${{ steps.gold.outputs.run_id }}": good})
    assert result.returncode == 0 and summary.startswith("### Gate: gold: PASS (exit 0)\n"), result.stderr
    expressions = {"${{ matrix.model }}": "gemini-2.0-flash", "${{ steps.run.outputs.run_id }}": good}
    result, summary = run_step("hosted", "Gate against", cwd, expressions)
    assert result.returncode == 0 and "not gated: no `baselines/gemini-2.0-flash.json` committed" in summary
