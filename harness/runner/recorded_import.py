"""`harness results import`: a run built from results another evaluation recorded, judged by the harness.

The verdicts are computed, never copied (harness/judge/recorded.py says how); the run is
marked as imported (`imported_from`: file, hash, format; adapter `imported`) so every
report says where its numbers came from. The file is checked whole, and matched to the
suite when one is named, before the run row is written.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .._util.clock import now
from ..adapters.base import Generation
from ..errors import InputError
from ..graph import service
from ..graph.driver import server_version
from ..graph.fingerprint import fingerprint
from ..judge.recorded import RecordedItem, judge_recorded
from ..store import Store
from ..suitegen.importer import with_family
from ..suitegen.model import SuiteItem, open_suite
from ..verdict import Verdict
from .metadata import HARNESS_VERSION, git_commit, host, options_key
from .recorded_file import read_recorded

FORMAT = "oncograph-checkpoint"
RECORDED_SUITE = "recorded"


@dataclass
class ImportSummary:
    run_id: str
    n_items: int
    suite: str
    counts: dict = field(default_factory=dict)


def _published_id(item: RecordedItem) -> str:
    return item.extra.get("original_id", item.id)


def _match(path: Path, recorded: list[RecordedItem], suite) -> list[SuiteItem | None]:
    """The suite item of every recorded one: same published id and same question."""
    if suite is None:
        return [None] * len(recorded)
    index: dict[tuple[str, str], list[SuiteItem]] = {}
    for item in suite.items(split=None):
        index.setdefault((item.extra.get("original_id", item.id), item.question), []).append(item)
    matched: list[SuiteItem | None] = []
    for item in recorded:
        candidates = index.get((_published_id(item), item.question))
        if not candidates:
            raise InputError(
                f"{path} line {item.line}: item {_published_id(item)!r} ({item.question!r}) is not in suite {suite.name!r}"
            )
        matched.append(candidates.pop(0))
    return matched


def _items_hash(recorded: list[RecordedItem]) -> str:
    """Stands in for a suite hash: the same items (id, question, gold) give the same hash in every file."""
    keys = sorted(f"{_published_id(i)}\t{i.question}\t{i.gold_cypher.strip()}" for i in recorded)
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()


def _records(item: RecordedItem, suite_item: SuiteItem | None, verdict: Verdict) -> tuple[str, dict, Verdict, dict]:
    """(item id, generations row, verdict, other results columns) for one recorded item."""
    item_id = suite_item.id if suite_item else item.id
    family = suite_item.family_id if suite_item else with_family({"id": _published_id(item)}).get("family_id")
    generation = Generation(
        output=item.generated_cypher,
        infra_error=None if verdict.scored else verdict.error,
        gen_ms=item.gen_ms,
        prompt_tokens=item.input_tokens,
        output_tokens=item.output_tokens,
        meta={"recorded": item.as_recorded(), "published_id": _published_id(item), **item.extra},
    )
    verdict.detail.update(question=item.question, gold_cypher=item.gold_cypher)
    item_fields = {
        "family_id": family,
        "template_id": suite_item.template_id if suite_item else None,
        "gen_ms": item.gen_ms,
        "prompt_tokens": item.input_tokens,
        "output_tokens": item.output_tokens,
        "attempts": 1,
    }
    return item_id, asdict(generation), verdict, item_fields


def import_results(
    path: str | Path,
    model: str,
    *,
    suite: str | None = None,
    db_path: str | None = None,
    neo4j: str | None = None,
) -> ImportSummary:
    """Judge every item of a recorded results file into a new run of `model`."""
    path = Path(path)
    if not model.strip():
        raise InputError("--model must name the model whose results these are")
    recorded = read_recorded(path)
    suite_obj = open_suite(suite) if suite else None
    matched = _match(path, recorded, suite_obj)
    suite_hash = suite_obj.content_hash() if suite_obj else _items_hash(recorded)
    imported_from = {
        "file": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "format": FORMAT,
        "records": len(recorded),
    }
    spec = {"name": model, "adapter": "imported", "options": {}, "description": f"recorded results from {path.name}"}
    with service.connected(neo4j) as (_, driver), Store(db_path) as store:
        explain_graph = fingerprint(driver)
        options = {"split": "test", "imported": True, "syntax_checked_on_graph": explain_graph}
        run_id = store.create_run(
            model=model,
            suite=suite_obj.name if suite_obj else RECORDED_SUITE,
            suite_path=str(suite_obj.folder.resolve()) if suite_obj else None,
            suite_hash=suite_hash,
            split="test",
            graph_fingerprint=None,  # the recorded rows came from a graph this harness never saw
            neo4j_version=server_version(driver),
            harness_version=HARNESS_VERSION,
            git_commit=git_commit(),
            host=host(),
            options_key=options_key(spec, suite_hash, {**options, "file_sha256": imported_from["sha256"]}),
            options=options,
            model_spec=spec,
            adapter_info=imported_from,
            imported_from=json.dumps(imported_from),
            n_planned=len(recorded),
        )
        try:
            for item, suite_item in zip(recorded, matched):
                verdict = judge_recorded(driver, item, ordered=suite_item.ordered if suite_item else None)
                store.record_item(run_id, *_records(item, suite_item, verdict))
        except BaseException as exc:
            store.update_run(run_id, status="failed", error=f"{type(exc).__name__}: {exc}")
            raise
        store.update_run(run_id, status="imported", finished_at=now())
        return ImportSummary(
            run_id, len(recorded), suite_obj.name if suite_obj else RECORDED_SUITE, store.outcome_counts(run_id)
        )
