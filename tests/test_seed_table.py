"""scripts/seed_table.py: the seed's table re-scored from OncoGraph's own files.

The files are data this repository never holds: the end-to-end test runs only where they are
($ONCOGRAPH_FILES, default ../shared/oncograph beside the checkout) and is skipped elsewhere.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from harness.runner.recorded_import import published_group

ROOT = Path(__file__).resolve().parents[1]
FILES = Path(os.environ.get("ONCOGRAPH_FILES") or ROOT.parent / "shared" / "oncograph")


def load_script():
    spec = importlib.util.spec_from_file_location("seed_table", ROOT / "scripts" / "seed_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_published_ids_give_the_base_question_as_group():
    assert published_group("F2.2-000010-S1-P1") == "F2.2-000010"
    assert published_group("F1.2-000035") == "F1.2-000035"
    assert published_group("F6.3-000117-S1-P3") == "F6.3-000117"
    assert published_group("q1") is None and published_group("F2.2-000010-X") is None


def test_the_table_replaces_only_the_marked_part(tmp_path):
    script = load_script()
    page = tmp_path / "seed_table.md"
    page.write_text(f"intro\n{script.BEGIN}\nold\n{script.END}\noutro\n")
    script.write("new table", page)
    assert page.read_text() == f"intro\n{script.BEGIN}\nnew table\n{script.END}\noutro\n"


@pytest.mark.skipif(not (FILES / "results").is_dir(), reason="OncoGraph's files are not here")
def test_seed_table_from_oncographs_files(use_neo4j, tmp_path):
    script = load_script()
    text = script.build(FILES, tmp_path / "seed.db")
    rows: dict[str, str] = {}
    for line in text.splitlines():  # the first table (the headline one) names each model first
        if line.startswith("| "):
            rows.setdefault(line.split(" | ")[0].strip("| "), line)
    fine_tuned, flash = rows["Qwen3-4B fine-tuned (the seed's)"], rows["Gemini 2.0 Flash"]
    # 73 of 80 correct (91.25, the published figure); Gemini 2.0 Flash 38 of 79 scored, one 429 infra
    assert "| 80 | 78 |" in fine_tuned and "91.3 [" in fine_tuned and "| 73 |" in fine_tuned
    assert "| 79 (+1 infra) |" in flash and "48.1 [" in flash and "| 38 |" in flash
    assert "98.75 / 88.75 / 48.75" in flash  # OncoGraph's overview, shown beside
    assert "McNemar p (Holm)" in text and "clustered p (Holm)" in text
    assert "| F2.2-000074-P3 | ✗ / ✗ / ✗ | infra_model |" in text
