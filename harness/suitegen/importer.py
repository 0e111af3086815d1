"""Importing an OncoGraph dataset JSONL file as a suite, unchanged.

Every record is kept with all its fields (unknown ones too). OncoGraph numbers ids per
family, so its published files repeat some ids on different records: by default a repeated
id is renamed `ID~2`, `ID~3`, ... in file order, with the published id kept in
`original_id`. A record without `family_id` (raw generated pairs) gets it from its id or
template. `split="auto"`: records without a split are assigned one by group,
deterministically; records that name a split keep it, and the rest of their group follows.
`split="test"` or `"train"` puts every record there. Gold expectations are computed when a
Neo4j is reachable; without one the suite is written without them and `suite lint` says so.
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

from ..errors import InputError, Neo4jUnavailable
from ..graph import service
from ..graph.fingerprint import fingerprint
from ..names import plain_name
from .generate import GENERATOR_VERSION
from .gold import GoldError, GoldRunner, expectation
from .io import refuse_to_replace, write_suite
from .model import Suite, SuiteItem, iter_jsonl_records, suites_root
from .split import assign_splits

SPLIT_MODES = ("auto", "test", "train")
DUPLICATE_POLICIES = ("rename", "error")
FAMILY_IN_ID = re.compile(r"^(F\d(?:\.\d+)?)-", re.IGNORECASE)
FAMILY_IN_TEMPLATE = re.compile(r"^f(\d)_(\d+)_")


def with_family(record: dict) -> dict:
    """The record, with `family_id` inferred from its id (`F2.3-...`) or template (`f2_3_...`) if absent."""
    if record.get("family_id"):
        return record
    found = FAMILY_IN_ID.match(str(record.get("id") or ""))
    if found:
        return {**record, "family_id": found.group(1).upper()}
    found = FAMILY_IN_TEMPLATE.match(str(record.get("template_id") or ""))
    if found:
        return {**record, "family_id": f"F{found.group(1)}.{found.group(2)}"}
    return record


def read_records(path: Path, duplicates: str = "rename") -> tuple[list[SuiteItem], set[str]]:
    """All items (errors name file and line) and the ids of those whose record named a split."""
    items, explicit = [], set()
    for record, item in iter_jsonl_records(path, duplicates=duplicates, prepare=with_family):
        if "split" in record:
            explicit.add(item.id)
        items.append(item)
    if not items:
        raise InputError(f"{path}: no records")
    return items, explicit


def _split(items: list[SuiteItem], explicit: set[str], rng: random.Random, test_fraction: float) -> None:
    chosen: dict[str, str] = {}
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
    split: str = "auto",
    duplicates: str = "rename",
    gold: bool = True,
    backend: str | None = None,
    force: bool = False,
    warn=lambda message: print(message, file=sys.stderr),
) -> Suite:
    path = Path(path)
    folder = Path(out) if out else suites_root() / plain_name(name, "suite name")
    refuse_to_replace(folder, force)
    if split not in SPLIT_MODES or duplicates not in DUPLICATE_POLICIES:
        raise InputError(f"split must be one of {SPLIT_MODES} and duplicates one of {DUPLICATE_POLICIES}")
    items, explicit = read_records(path, duplicates)
    renamed = sum(1 for item in items if "original_id" in item.extra)
    if split == "auto":
        _split(items, explicit, random.Random(f"{seed}:split"), test_fraction)
    else:
        overridden = sum(1 for item in items if item.id in explicit and item.split != split)
        if overridden:
            warn(f"{overridden} records named another split; --split {split} puts every record in {split}")
        for item in items:
            item.split = split
    graph = _compute_gold(items, backend, warn) if gold else None
    templates = sorted({(i.family, i.template_id) for i in items})
    manifest = {
        "name": name,
        "generator": "import",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "source_file": path.name,
        "graph_fingerprint": graph,
        "options": {
            "split": split,
            "test_fraction": test_fraction,
            "explicit_splits": len(explicit),
            "duplicates": duplicates,
            "renamed_ids": renamed,
        },
        "templates": [{"family": f, "id": t} for f, t in templates],
    }
    return write_suite(folder, items, manifest)
