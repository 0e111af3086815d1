"""Writing suites atomically, the manifest's counts, and finding suites and items.

Files are written to a temporary name in the target folder and moved into place with
`os.replace`, so an interrupted write never leaves a half-written suite. Records use
sorted keys and no timestamps, so the same items always give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from .._util.files import atomic_write
from ..errors import InputError
from .model import FAMILIES, ITEMS_FILE, MANIFEST_FILE, Suite, SuiteItem, dumps, open_suite, suites_root


def items_text(items: list[SuiteItem]) -> str:
    return "".join(dumps(item.to_record()) + "\n" for item in items)


def counts(items: list[SuiteItem]) -> dict:
    per_family: dict[str, Counter] = defaultdict(Counter)
    for item in items:
        per_family[item.family][item.split] += 1
    return {
        "families": {
            f: {"train": per_family[f]["train"], "test": per_family[f]["test"]} for f in FAMILIES if f in per_family
        },
        "splits": dict(sorted(Counter(i.split for i in items).items())),
        "sources": dict(sorted(Counter(i.source for i in items).items())),
        "templates": dict(sorted(Counter(i.template_id for i in items).items())),
        "empty_golds": sum(1 for i in items if i.gold.get("empty")),
        "groups": len({i.group_id for i in items}),
    }


def refuse_to_replace(folder: Path, force: bool) -> None:
    """A suite folder is never replaced silently: the caller must pass --force."""
    if (folder / MANIFEST_FILE).exists() and not force:
        raise InputError(f"{folder} already holds a suite; pass --force to replace it")


def write_suite(folder: Path, items: list[SuiteItem], manifest: dict) -> Suite:
    """Write items.jsonl then manifest.json (with counts and the items' hash) atomically."""
    text = items_text(items)
    manifest = {
        **manifest,
        "n_items": len(items),
        "counts": counts(items),
        "items_sha256": hashlib.sha256(text.encode()).hexdigest(),
    }
    atomic_write(folder / ITEMS_FILE, text)
    atomic_write(folder / MANIFEST_FILE, json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    return Suite(folder=folder, manifest=manifest)


def list_suites(root: Path | None = None) -> list[dict]:
    """One summary per suite folder under the suites root (bad manifests are listed, not fatal)."""
    root = root or suites_root()
    out = []
    for manifest in sorted(root.glob(f"*/{MANIFEST_FILE}")) if root.is_dir() else []:
        entry: dict[str, Any] = {"name": manifest.parent.name, "path": str(manifest.parent)}
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError(f"expected a JSON object, not {type(data).__name__}")
            splits = data.get("counts", {}).get("splits", {})
            entry.update(
                items=data.get("n_items"),
                train=splits.get("train", 0),
                test=splits.get("test", 0),
                families=sorted(data.get("counts", {}).get("families", {})),
                generator_version=data.get("generator_version"),
                graph_fingerprint=data.get("graph_fingerprint"),
            )
        except (OSError, ValueError) as exc:
            entry["error"] = f"unreadable manifest: {exc}"
        out.append(entry)
    return out


def find_item(suite_name: str, item_id: str) -> SuiteItem:
    suite = open_suite(suite_name)
    for item in suite.items(split=None):
        if item.id == item_id:
            return item
    raise InputError(f"suite {suite.name!r} has no item {item_id!r}")
