"""`harness results import`: a run built from results another evaluation recorded, judged by the harness.

The verdicts are computed, never copied (harness/judge/recorded.py says how); the run is
marked as imported (`imported_from`: file, hash, format; adapter `imported`) so every
report says where its numbers came from. The file is checked whole, and matched to the
suite when one is named, before the run row is written.

An import is resumable, never half-shown: its run says `importing` until the last item is in
(reports leave such runs out), each item is committed as it is judged, and running the same
import again (same file, model and suite) continues the unfinished run instead of starting over.
Ctrl-C, SIGTERM and SIGHUP stop it between items (`interrupted`); SIGKILL leaves it `importing`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import signal
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .._util.clock import now
from ..adapters.base import Generation
from ..adapters.provenance import sha256_file
from ..errors import InputError
from ..graph import service
from ..graph.driver import server_version
from ..graph.fingerprint import fingerprint
from ..interrupts import Stopped, deferred_sigint, raise_if_stopped, signum_of
from ..judge.recorded import RecordedItem, judge_recorded
from ..store import Store
from ..store.liveness import check_not_running_elsewhere, owner_fields
from ..suitegen.importer import with_family
from ..suitegen.model import SuiteItem, open_suite
from ..verdict import Verdict
from .guard import end_run
from .metadata import HARNESS_VERSION, git_commit, host, options_key
from .progress import Progress
from .recorded_file import read_recorded, with_rows

FORMAT = "oncograph-checkpoint"
RECORDED_SUITE = "recorded"
# Recorded rows kept in memory from the checking pass; beyond it an item's rows are parsed again
# when it is judged, so a file of huge results never holds more than one of them.
ROW_BUDGET = 200_000
IMPORTING = "importing"  # until the last item is in: reports leave the run out


def _unfinished(store: Store, model: str, suite: str, key: str) -> str | None:
    """The run of an earlier, unfinished import of the same file (continued, not started over)."""
    run = store.latest_resumable(model, suite, key)
    if run is None or run.status in ("imported", "finished"):
        return None
    check_not_running_elsewhere(dataclasses.replace(run, status="running" if run.status == IMPORTING else run.status))
    store.update_run(run.id, status=IMPORTING, error=None, **owner_fields())
    return run.id


@dataclass
class ImportSummary:
    run_id: str
    n_items: int
    suite: str
    counts: dict = field(default_factory=dict)


def _published_id(item: RecordedItem) -> str:
    return item.extra.get("original_id", item.id)


# OncoGraph's ids: family.template-number, then -S<k> (synonym variant) and -P<k> (paraphrase)
_BASE_ID = re.compile(r"^(F\d+(?:\.\d+)?-\d+)(?:-[SP]\d+)*$")


def published_group(published_id: str) -> str | None:
    """The group of an OncoGraph item without a suite: its base question (`F2.2-000010-S1-P1` ->
    `F2.2-000010`), which its synonym variants and paraphrases share; None for other ids."""
    match = _BASE_ID.match(published_id)
    return match.group(1) if match else None


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
        "group_id": suite_item.group_id if suite_item else published_group(_published_id(item)),
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
    progress: bool = True,
) -> ImportSummary:
    """Judge every item of a recorded results file into a new run of `model`."""
    path = Path(path)
    if not model.strip():
        raise InputError("--model must name the model whose results these are")
    recorded = read_recorded(path, row_budget=ROW_BUDGET)  # every line checked before anything is written
    suite_obj = open_suite(suite) if suite else None
    matched = _match(path, recorded, suite_obj)
    suite_hash = suite_obj.content_hash() if suite_obj else _items_hash(recorded)
    imported_from = {
        "file": path.name,
        "sha256": sha256_file(path),
        "format": FORMAT,
        "records": len(recorded),
    }
    spec = {"name": model, "adapter": "imported", "options": {}, "description": f"recorded results from {path.name}"}
    with service.connected(neo4j) as (_, driver), Store(db_path) as store:
        explain_graph = fingerprint(driver)
        options = {"split": "test", "imported": True, "syntax_checked_on_graph": explain_graph}
        key = options_key(spec, suite_hash, {**options, "file_sha256": imported_from["sha256"]})
        suite_name = suite_obj.name if suite_obj else RECORDED_SUITE
        run_id = _unfinished(store, model, suite_name, key) or store.create_run(
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
            options_key=key,
            options=options,
            model_spec=spec,
            adapter_info=imported_from,
            imported_from=json.dumps(imported_from),
            n_planned=len(recorded),
            **{**owner_fields(), "status": IMPORTING},
        )
        bar = Progress(len(recorded), f"import {model}", enabled=progress)
        done = set(store.attempts(run_id))
        try:
            with deferred_sigint() as stop:
                for item, suite_item in zip(with_rows(path, recorded), matched):
                    raise_if_stopped(stop)
                    if (suite_item.id if suite_item else item.id) in done:
                        continue  # judged by the import this one continues
                    verdict = judge_recorded(driver, item, ordered=suite_item.ordered if suite_item else None)
                    store.record_item(run_id, *_records(item, suite_item, verdict))
                    bar.update(verdict.outcome, verdict.scored)
        except KeyboardInterrupt as exc:
            end_run(store, run_id, status="interrupted", error=f"stopped by {signal.Signals(signum_of(exc)).name}")
            raise Stopped(
                f"import {run_id} interrupted; run the same `harness results import` again to continue it",
                signum_of(exc),
            ) from None
        except BaseException as exc:
            end_run(store, run_id, status="failed", error=f"{type(exc).__name__}: {exc}")
            raise
        finally:
            bar.close()
        store.update_run(run_id, status="imported", finished_at=now())
        return ImportSummary(
            run_id, len(recorded), suite_obj.name if suite_obj else RECORDED_SUITE, store.outcome_counts(run_id)
        )
