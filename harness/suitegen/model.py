"""The suite file format: items JSONL plus a manifest, and streaming readers for both.

A suite lives in a folder `suites/<name>/` with `items.jsonl` (one item per line)
and `manifest.json` (graph fingerprint, generator version, counts per family and
split). Items are a superset of OncoGraph's dataset records; unknown fields are kept.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..cypher.scan import totally_ordered
from ..errors import InputError
from ..inputs import check_id, iter_json_lines, read_json_file, shown

ITEMS_FILE = "items.jsonl"
MANIFEST_FILE = "manifest.json"
REQUIRED_FIELDS = ("id", "family_id", "question", "cypher")
FAMILIES = ("F1", "F2", "F3", "F4", "F5", "F6")
SOURCES = ("base", "paraphrase", "synonym")
SPLITS = ("train", "test")


@dataclass
class SuiteItem:
    id: str
    family_id: str
    question: str
    cypher: str
    template_id: str = ""
    placeholders: dict = field(default_factory=dict)
    source: str = "base"
    paraphrase_of: str | None = None
    group_id: str = ""
    split: str = "test"
    gold: dict = field(default_factory=dict)  # row_count, result_hash, ordered, empty
    extra: dict = field(default_factory=dict)  # unknown fields, kept verbatim

    @property
    def ordered(self) -> bool:
        """Whether the gold's rows form a sequence: recorded at generation, else the same rule applied now."""
        recorded = self.gold.get("ordered")
        if recorded is not None:
            return bool(recorded)
        return totally_ordered(self.cypher)

    @property
    def family(self) -> str:
        """The top-level family F1..F6 (OncoGraph files say e.g. 'F2.3' in family_id)."""
        return self.family_id.split(".")[0]

    KNOWN = (
        "id",
        "family_id",
        "question",
        "cypher",
        "template_id",
        "placeholders",
        "source",
        "paraphrase_of",
        "group_id",
        "split",
        "gold",
    )

    @classmethod
    def from_record(cls, record: dict, where: str) -> SuiteItem:
        if not isinstance(record, dict):
            raise InputError(f"{where}: expected a JSON object")
        missing = [name for name in REQUIRED_FIELDS if not record.get(name)]
        if missing:
            raise InputError(f"{where}: missing field {', '.join(missing)}")
        family = str(record["family_id"]).upper()
        if family.split(".")[0] not in FAMILIES:  # OncoGraph files name sub-families, e.g. F2.3
            raise InputError(
                f"{where}: unknown family {shown(record['family_id'])} (expected one of {', '.join(FAMILIES)})"
            )
        known = {k: record[k] for k in cls.KNOWN if k in record and record[k] is not None}
        for name, kind in (("question", str), ("cypher", str), ("placeholders", dict), ("gold", dict)):
            if name in known and not isinstance(known[name], kind):
                raise InputError(f"{where}: field {name} must be a {'string' if kind is str else 'JSON object'}")
        known["family_id"] = family
        known["id"] = check_id(known["id"], where)
        item = cls(**known, extra={k: v for k, v in record.items() if k not in cls.KNOWN})
        if not item.group_id:
            item.group_id = item.paraphrase_of or item.id
        if item.source not in SOURCES:
            raise InputError(f"{where}: source must be one of {', '.join(SOURCES)}, not {shown(item.source)}")
        if item.split not in SPLITS:
            raise InputError(f"{where}: split must be train or test, not {shown(item.split)}")
        return item

    def to_record(self) -> dict:
        record = {k: getattr(self, k) for k in self.KNOWN}
        record.update(self.extra)
        return record


def dumps(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=True)


def iter_jsonl_items(path: Path) -> Iterator[SuiteItem]:
    """Stream items, naming file and line for any malformed or duplicate record."""
    for _, item in iter_jsonl_records(path):
        yield item


def renamed_id(original: str, taken: set[str]) -> str:
    """The id a repeated `original` gets: `original~2`, `original~3`, ... (first one free)."""
    number = 2
    while f"{original}~{number}" in taken:
        number += 1
    return f"{original}~{number}"


def iter_jsonl_records(path: Path, duplicates: str = "error", prepare=None) -> Iterator[tuple[dict, SuiteItem]]:
    """Like `iter_jsonl_items`, with each item's raw record (to see which fields it had).

    `duplicates="rename"` keeps a repeated id's record under `renamed_id` (file order, so
    deterministic) with the published id in `original_id`; `prepare` may complete a record
    (e.g. infer a missing family) before it is checked.
    """
    seen: set[str] = set()
    for where, _, record in iter_json_lines(path):
        if prepare is not None and isinstance(record, dict):
            record = prepare(record)
        item = SuiteItem.from_record(record, where)
        if item.id in seen:
            if duplicates != "rename":
                raise InputError(f"{where}: duplicate id {shown(item.id)}")
            item.extra["original_id"], item.id = item.id, renamed_id(item.id, seen)
            if item.group_id == item.extra["original_id"]:
                item.group_id = item.id
        seen.add(item.id)
        yield record, item


def suites_root() -> Path:
    return Path(os.environ.get("HARNESS_SUITES_DIR") or "suites")


@dataclass
class Suite:
    folder: Path
    manifest: dict

    @property
    def name(self) -> str:
        return self.manifest.get("name") or self.folder.name

    @property
    def items_path(self) -> Path:
        return self.folder / ITEMS_FILE

    def items(self, split: str | None = "test") -> Iterator[SuiteItem]:
        for item in iter_jsonl_items(self.items_path):
            if split is None or item.split == split:
                yield item

    def content_hash(self) -> str:
        return self._hash_and_count()[0]

    def _hash_and_count(self) -> tuple[str, int]:
        digest, count = hashlib.sha256(), 0
        with open(self.items_path, "rb") as handle:
            for line in handle:
                digest.update(line)
                count += bool(line.strip())
        return digest.hexdigest(), count

    def manifest_mismatch(self) -> str | None:
        """None when manifest.json agrees with items.jsonl (item count, items_sha256); otherwise a
        message saying which of the two was changed last, so the other one is stale."""
        want_hash, want_count = self.manifest.get("items_sha256"), self.manifest.get("n_items")
        if want_hash is None and want_count is None:
            return None  # hand-made suites carry neither
        digest, count = self._hash_and_count()
        if want_hash in (None, digest) and want_count in (None, count):
            return None
        manifest_path = self.folder / MANIFEST_FILE
        items_newer = self.items_path.stat().st_mtime >= manifest_path.stat().st_mtime
        stale, newer = (MANIFEST_FILE, ITEMS_FILE) if items_newer else (ITEMS_FILE, MANIFEST_FILE)
        return (
            f"{self.folder}: {MANIFEST_FILE} says {want_count} items (items_sha256 {str(want_hash)[:12]}) but "
            f"{ITEMS_FILE} has {count} (sha256 {digest[:12]}); {newer} was changed last, so {stale} is stale: "
            "regenerate or re-import the suite"
        )


def open_suite(name_or_path: str) -> Suite:
    """A suite by folder path or by name under the suites folder (`suites/<name>`)."""
    candidates = [Path(name_or_path), suites_root() / name_or_path]
    for folder in candidates:
        if (folder / MANIFEST_FILE).is_file():
            manifest = read_json_file(folder / MANIFEST_FILE, "suite manifest")
            if not isinstance(manifest, dict):
                raise InputError(f"{folder / MANIFEST_FILE}: expected a JSON object, not {type(manifest).__name__}")
            if not (folder / ITEMS_FILE).is_file():
                raise InputError(f"{folder}: {ITEMS_FILE} is missing")
            return Suite(folder=folder, manifest=manifest)
    raise InputError(
        f"suite {name_or_path!r} not found (looked for {candidates[0]}/{MANIFEST_FILE} and {candidates[1]}/{MANIFEST_FILE}); see `harness suite list`"
    )
