"""`harness run` and `harness rescore` as library calls: set up, resume, run, check the graph."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import islice

from ..adapters.base import Adapter, Generation, ModelSpec
from ..adapters.registry import adapter_class
from ..adapters.specs import load_spec
from ..errors import HarnessError, InputError
from ..graph import provision
from ..graph.driver import open_driver, server_version
from ..graph.fingerprint import fingerprint
from ..store import Store
from ..suitegen.model import open_suite
from .metadata import HARNESS_VERSION, git_commit, host, options_key
from .pipeline import run_items
from .progress import Progress


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run: the run is marked interrupted and can be resumed."""


@dataclass
class RunRequest:
    model: str
    suite: str = "demo"
    split: str = "test"
    resume: bool = False
    run_id: str | None = None
    limit: int | None = None
    concurrency: int | None = None
    judge_workers: int = 2
    timeout_s: float = 10.0
    row_cap: int = 5000
    replay: str | None = None
    db_path: str | None = None
    neo4j: str | None = None
    progress: bool = True


@dataclass
class RunSummary:
    run_id: str
    status: str
    recorded: int
    counts: dict = field(default_factory=dict)
    resumed: bool = False

    @property
    def scored(self) -> int:
        from ..store import SCORED_OUTCOMES

        return sum(n for outcome, n in self.counts.items() if outcome in SCORED_OUTCOMES)


class StoredGenerations(Adapter):
    """Replays the generations of an earlier run (rescore: the model is never called)."""

    name = "stored"
    max_concurrency = 64

    def __init__(self, spec, generations: dict[str, dict], **runtime):
        super().__init__(ModelSpec(name=spec.name, adapter="stored"))
        self.spec = spec  # recorded as the original model's spec
        self.generations = generations

    def generate(self, item):
        stored = self.generations.get(item.id)
        if stored is None or stored.get("infra_error"):
            return Generation(infra_error=(stored or {}).get("infra_error") or f"no stored generation for {item.id}")
        return Generation(
            output=stored["output"],
            gen_ms=stored["gen_ms"],
            prompt_tokens=stored["prompt_tokens"],
            output_tokens=stored["output_tokens"],
            finish_reason=stored["finish_reason"],
            retries=stored["retries"] or 0,
        )


def _spec_record(spec: ModelSpec) -> dict:
    return {"name": spec.name, "adapter": spec.adapter, "options": spec.options, "description": spec.description}


def _select_items(suite, split: str, limit: int | None, skip: set[str]):
    items = suite.items(split)
    if limit is not None:
        items = islice(items, limit)
    return (item for item in items if item.id not in skip)


def run(
    request: RunRequest, *, adapter_override: Adapter | None = None, extra_run_fields: dict | None = None
) -> RunSummary:
    """Evaluate one model over a suite split; every failure before the first item leaves no run row."""
    spec = load_spec(request.model) if adapter_override is None else adapter_override.spec
    suite = open_suite(request.suite)
    if request.split not in ("train", "test"):
        raise InputError(f"split must be train or test, not {request.split!r}")
    planned_ids = {item.id for item in _select_items(suite, request.split, request.limit, set())}
    planned = len(planned_ids)
    if planned == 0:
        raise InputError(f"suite {suite.name!r} has no {request.split} items")
    store = Store(request.db_path)
    instance = provision.current(request.neo4j)
    driver = open_driver(instance)
    try:
        graph_before = fingerprint(driver)
        expected = suite.manifest.get("graph_fingerprint")
        if expected and expected != graph_before:
            raise HarnessError(
                f"suite {suite.name!r} was generated from graph {expected[:12]}, but Neo4j at {instance.uri} "
                f"holds graph {graph_before[:12]}: load the suite's graph (`harness graph load`) or regenerate the suite"
            )
        if adapter_override is not None:
            adapter = adapter_override
        else:
            adapter = adapter_class(spec.adapter)(
                spec, suite=suite, driver=driver, replay=request.replay, concurrency=request.concurrency
            )
            adapter.check()
            if hasattr(adapter, "check_ids"):
                adapter.check_ids({item.id for item in suite.items(None)})
        try:
            return _run_with(
                request,
                store,
                driver,
                instance,
                adapter,
                spec,
                suite,
                graph_before,
                planned_ids,
                extra_run_fields or {},
            )
        finally:
            adapter.close()
    finally:
        driver.close()


def _run_with(
    request, store, driver, instance, adapter, spec, suite, graph_before, planned_ids, extra_fields
) -> RunSummary:
    limits = {"timeout_s": request.timeout_s, "row_cap": request.row_cap}
    spec_record = _spec_record(spec)
    suite_hash = suite.content_hash()
    options = {"split": request.split, "limit": request.limit, **limits, **extra_fields.get("options", {})}
    if request.replay:
        options["replay"] = request.replay
    key = options_key(spec_record, suite_hash, options)
    resumed = None
    if request.run_id:
        resumed = store.get_run(request.run_id)
        if resumed["model"] != spec.name or resumed["suite_hash"] != suite_hash:
            raise HarnessError(
                f"run {resumed['id']} is of model {resumed['model']!r} on another suite or suite version; "
                "it cannot be continued with these options"
            )
    elif request.resume:
        resumed = store.latest_resumable(spec.name, suite.name, key)
    if resumed and resumed["graph_fingerprint"] != graph_before:
        raise HarnessError(
            f"run {resumed['id']} was made on graph {resumed['graph_fingerprint'][:12]}, "
            f"Neo4j now holds {graph_before[:12]}: a run never mixes graphs"
        )
    if resumed:
        run_id = resumed["id"]
        store.update_run(run_id, status="running", finished_at=None, error=None)
    else:
        run_id = store.create_run(
            model=spec.name,
            suite=suite.name,
            suite_path=str(suite.folder.resolve()),
            suite_hash=suite_hash,
            split=request.split,
            graph_fingerprint=graph_before,
            neo4j_version=server_version(driver),
            harness_version=HARNESS_VERSION,
            git_commit=git_commit(),
            host=host(),
            options_key=key,
            options=options,
            model_spec=spec_record,
            adapter_info=adapter.describe(),
            n_planned=len(planned_ids),
        )
    done = store.scored_item_ids(run_id)
    todo = len(planned_ids - done)
    gen_workers = max(1, min(request.concurrency or adapter.max_concurrency, adapter.max_concurrency, 32))
    progress = Progress(todo, f"{spec.name} {run_id}", enabled=request.progress)
    status = "interrupted"
    try:
        recorded = run_items(
            store=store,
            run_id=run_id,
            fingerprint=graph_before,
            adapter=adapter,
            driver=driver,
            items=_select_items(suite, request.split, request.limit, done),
            gen_workers=gen_workers,
            judge_workers=request.judge_workers,
            limits=limits,
            on_item=progress.update,
        )
        status = "finished"
    except KeyboardInterrupt:
        store.update_run(run_id, status="interrupted")
        raise RunInterrupted(
            f"run {run_id} interrupted after {progress.done} items this time; "
            f"continue it with `harness run --model {spec.name} --resume`"
        ) from None
    except BaseException as exc:
        store.update_run(run_id, status="failed", error=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        progress.close()
        graph_after = fingerprint(driver)
        if graph_after != graph_before:
            store.update_run(
                run_id, status="failed", fingerprint_after=graph_after, error="the graph changed during the run"
            )
            raise HarnessError(
                f"the graph changed during run {run_id} (fingerprint {graph_before[:12]} -> {graph_after[:12]}): "
                "its verdicts are not trustworthy; reload the graph"
            )
    counts = store.outcome_counts(run_id)
    infra_left = sum(n for outcome, n in counts.items() if outcome in ("infra_model", "infra_db", "harness_error"))
    if status == "finished" and infra_left:
        status = "incomplete"  # `--resume` picks it up again and retries the infra errors
    store.update_run(
        run_id,
        status=status,
        fingerprint_after=graph_after,
        finished_at=_now(),
        error=f"{infra_left} items ended in infra errors; `--resume` retries them" if infra_left else None,
    )
    return RunSummary(run_id=run_id, status=status, recorded=recorded, counts=counts, resumed=bool(resumed))


def _now() -> str:
    from ..store.db import now

    return now()


def rescore(
    run_id: str,
    *,
    db_path: str | None = None,
    neo4j: str | None = None,
    progress: bool = True,
    timeout_s: float = 10.0,
    row_cap: int = 5000,
) -> RunSummary:
    """Judge an earlier run's stored generations again, as a new run; the model is not called."""
    store = Store(db_path)
    original = store.get_run(run_id)
    generations = {row["item_id"]: row for row in store.generations(original["id"])}
    if not generations:
        raise HarnessError(f"run {original['id']} has no stored generations to rescore")
    spec_data = json.loads(original["model_spec"] or "{}")
    spec = ModelSpec(
        name=original["model"],
        adapter=spec_data.get("adapter", "stored"),
        options=spec_data.get("options", {}),
        description=spec_data.get("description", ""),
    )
    options = json.loads(original["options"] or "{}")
    adapter = StoredGenerations(spec, generations)
    request = RunRequest(
        model=original["model"],
        suite=original["suite_path"] or original["suite"],
        split=original["split"] or "test",
        limit=options.get("limit"),
        db_path=db_path,
        neo4j=neo4j,
        progress=progress,
        timeout_s=timeout_s,
        row_cap=row_cap,
    )
    return run(request, adapter_override=adapter, extra_run_fields={"options": {"rescore_of": original["id"]}})
