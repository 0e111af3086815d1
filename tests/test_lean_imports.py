"""`harness run` starts without importing numpy, and numpy still imports afterwards."""

from __future__ import annotations

import subprocess
import sys

import pytest

CHECK = """
import sys
import harness.cli.run
assert "numpy" not in sys.modules, "the run path imported numpy"
import neo4j, sqlite_utils
assert "numpy" not in sys.modules
import numpy
print(numpy.zeros(2).sum())
"""


def test_the_run_command_imports_neither_numpy_nor_blocks_it():
    pytest.importorskip("numpy")  # installed with llama-cpp-python; without it there is nothing to skip
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0.0"


def test_without_numpy_is_a_no_op_once_numpy_is_loaded():
    numpy = pytest.importorskip("numpy")
    from harness.lean_imports import without_numpy

    with without_numpy():
        assert sys.modules["numpy"] is numpy
    assert sys.modules["numpy"] is numpy
