"""Importing an OncoGraph dataset JSONL file as a suite, unchanged.

Every record is kept with all its fields (unknown ones too). Records without a split are
assigned one by group, deterministically; records that name a split keep it, and the
rest of their group follows. Gold expectations are computed when a Neo4j is reachable;
without one the suite is written without them and `harness suite lint` says so.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from ..errors import InputError, Neo4jUnavailable
from ..graph import service
from ..graph.fingerprint import fingerprint
from .generate import GENERATOR_VERSION
from .gold import GoldError, GoldRunner, expectation
from .io import write_suite
from .model import MANIFEST_FILE, Suite, SuiteItem, iter_jsonl_records, suites_root
from .split import assign_splits


def read_records(path: Path) -> tuple[list[SuiteItem], set[str]]:
    """All items (errors name file and line) and the ids of those whose record named a split."""
    items, explicit = [], set()
    for record, item in iter_jsonl_records(path):
        if "split" in record:
            explicit.add(item.id)
        items.append(item)
    if not items:
        raise InputError(f"{path}: no records")
    return items, explicit


def _split(items: list[SuiteItem], explicit: set[str], rng: random.Random, test_fraction: float) -> None:
    chosen = {}
    for item in items:
        if item.id in explicit:
            chosen.setdefault(item.group_id, item.split)
    free = []
    for item in items:
        if item.id not in explicit:
            if item.group_id in chosen:
                item.split = chosen[item.group_id]
            else:
                free.append(item)
    if free:
        assign_splits(free, rng, test_fraction=test_fraction)


def _compute_gold(items: list[SuiteItem], backend: str | None, warn) -> str | None:
    """Fill `gold` from the live graph; returns its fingerprint, or None with no Neo4j."""
    try:
        with service.connected(backend) as (_, driver):
            failed = 0
            with GoldRunner(driver) as runner:
                for item in items:
                    try:
                        item.gold = expectation(runner.rows(item.cypher), item.cypher)
                    except GoldError:
                        item.gold, failed = {}, failed + 1
            if failed:
                warn(f"{failed} gold queries failed; `harness suite lint` lists them")
            return fingerprint(driver)
    except Neo4jUnavailable as exc:
        warn(f"gold expectations not computed ({exc})")
        return None


def import_file(
    path: str | Path,
    name: str,
    *,
    out: str | Path | None = None,
    seed: int = 0,
    test_fraction: float = 0.4,
    gold: bool = True,
    backend: str | None = None,
    force: bool = False,
    warn=lambda message: print(message, file=sys.stderr),
) -> Suite:
    path = Path(path)
    folder = Path(out) if out else suites_root() / name
    if (folder / MANIFEST_FILE).exists() and not force:
        raise InputError(f"{folder} already holds a suite; pass --force to replace it")
    items, explicit = read_records(path)
    _split(items, explicit, random.Random(f"{seed}:split"), test_fraction)
    graph = _compute_gold(items, backend, warn) if gold else None
    templates = sorted({(i.family, i.template_id) for i in items})
    manifest = {
        "name": name,
        "generator": "import",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "source_file": path.name,
        "graph_fingerprint": graph,
        "options": {"test_fraction": test_fraction, "explicit_splits": len(explicit)},
        "templates": [{"family": f, "id": t} for f, t in templates],
    }
    return write_suite(folder, items, manifest)
