"""Ray is optional: without `--ray` the run path never imports it, and `--replicas` alone is a usage error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .kit import invoke, one_error_line

REPO = Path(__file__).resolve().parent.parent


def test_without_ray_the_run_path_never_imports_ray():
    check = (
        "import sys\nfrom harness.cli.main import cli\nimport harness.cli.run, harness.runner.session\n"
        "assert 'ray' not in sys.modules, 'ray was imported'\nprint('ok')"
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, cwd=REPO)
    assert done.stdout.strip() == "ok", done.stderr


def test_replicas_without_ray_is_a_usage_error():
    one_error_line(invoke("run", "--model", "gold", "--replicas", "2"), "--replicas goes with --ray", exit_code=2)
