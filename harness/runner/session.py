"""`harness run` and `harness rescore` as library calls: set up, resume, run, check the graph.

A `RunSession` owns what a run opens (results store, Neo4j driver, adapter) and closes
all of it however the run ends. A `RunPlan` says what to evaluate: a fresh model run and
a rescore of stored generations are two kinds of plan executed the same way.
"""

from __future__ import annotations

import dataclasses
import signal
import sys
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .._util.clock import now
from ..adapters.base import Adapter, Generation, ModelSpec, RunContext
from ..adapters.registry import adapter_class
from ..adapters.specs import load_spec
from ..errors import HarnessError, InputError
from ..graph import provision
from ..graph.driver import answers, open_driver, server_version
from ..graph.fingerprint import GraphState, graph_state
from ..graph.instance import Neo4jInstance
from ..interrupts import Stopped, signum_of
from ..judge.limits import DEFAULT_LIMITS, Limits
from ..redact import redact
from ..store import Store
from ..store.health import StoreUnavailable
from ..store.liveness import Heartbeat, check_not_running_elsewhere, owner_fields
from ..store.records import RunRecord, TestSuiteFigures
from ..suitegen.model import Suite, open_suite
from ..testsuite.server import restore_before_run
from ..verdict import Outcome
from .budget import cost_limit_for, spec_price
from .guard import GenerationLost, Neo4jBreaker, Neo4jLost, end_run, fingerprint_or_none, resume_hint, store_lost
from .healing import ServerHealer
from .metadata import HARNESS_VERSION, git_commit, host, options_key
from .pipeline import run_items
from .progress import Progress
from .selection import Selection, select
from .shards import parse_shard
from .variant_stage import judge_on_variants
from .watch import ServerWatch
from .workers import judge_workers


class RunInterrupted(Stopped):
    """Ctrl-C, SIGTERM or SIGHUP during a run: the run is marked interrupted and can be resumed."""


@dataclass
class RunRequest:
    model: str
    suite: str = "demo"
    split: str = "test"
    resume: bool = False
    run_id: str | None = None
    limit: int | None = None
    sample: int | None = None  # a seeded, family-stratified sample of N items
    seed: int = 0
    items_file: str | None = None  # only the ids in this file (text or JSONL with "id")
    item_ids: frozenset[str] | None = None  # only these ids (library callers: rescore)
    concurrency: int | None = None
    judge_workers: int | None = None  # None: chosen from the server (runner/workers.py)
    limits: Limits = DEFAULT_LIMITS
    replay: str | None = None
    db_path: str | None = None
    neo4j: str | None = None
    progress: bool = True
    test_suite: bool = False  # also judge correct items on the suite's distilled graph variants
    variant_server: str = "scratch"  # where variants are loaded (testsuite/server.py)
    cost_limit: float | None = None  # USD: stop taking items before the estimated spend passes it
    shard: str | None = None  # --shard I/N: a deterministic part of the items (runner/shards.py)
    ray: str | None = None  # --ray [ADDRESS]: generate on a Ray cluster ("" = $RAY_ADDRESS or a local one)
    replicas: int = 1  # --replicas: Ray actors holding the model

    def resume_command(self) -> str:
        """The command that continues this run: the options that pick it, and where it generates."""
        parts = ["harness run", f"--model {self.model}"]
        if self.suite != "demo":
            parts.append(f"--suite {self.suite}")
        if self.split != "test":
            parts.append(f"--split {self.split}")
        for flag, value in (("--limit", self.limit), ("--sample", self.sample), ("--items", self.items_file)):
            if value is not None:
                parts.append(f"{flag} {value}")
        if self.sample is not None:
            parts.append(f"--seed {self.seed}")
        if self.shard:
            parts.append(f"--shard {self.shard}")
        if self.ray is not None:
            parts += [f"--ray {self.ray}" if self.ray else "--ray", f"--replicas {self.replicas}"]
        return " ".join([*parts, "--resume"])


@dataclass
class RunResult:
    """How one `harness run` or `rescore` call ended (the report's summaries are `report.RunSummary`)."""

    run_id: str
    status: str
    recorded: int
    counts: dict = field(default_factory=dict)
    resumed: bool = False
    test_suite: TestSuiteFigures | None = None  # with `RunRequest.test_suite`
    note: str | None = None  # why a run stopped early (the cost limit)

    @property
    def scored(self) -> int:
        return sum(n for outcome, n in self.counts.items() if Outcome.is_scored(outcome))


@dataclass
class RunPlan:
    """What to evaluate: the spec to record, the suite and split, and options recorded with the run."""

    spec: ModelSpec
    suite: Suite
    split: str
    selection: Selection
    limits: Limits
    extra_options: dict = field(default_factory=dict)

    @cached_property
    def all_ids(self) -> set[str]:
        """Every item id of the suite (streamed: ids only), for the adapter's id check."""
        return {item.id for item in self.suite.items(None)}

    @cached_property
    def selected(self) -> list:
        """The items to evaluate (all, first N, a stratified sample, or an ids file), in suite order;
        only these are kept in memory (runner/selection.py streams the suite)."""
        return select(self.suite, self.split, self.selection)

    def items(self, skip: set[str] | frozenset[str] = frozenset()):
        return (item for item in self.selected if item.id not in skip)

    def options(self) -> dict:
        return {"split": self.split, **self.selection.recorded(), **self.limits.recorded(), **self.extra_options}


class StoredGenerations(Adapter):
    """Replays the generations of an earlier run (rescore: the model is never called)."""

    name = "stored"
    max_concurrency = 64

    def __init__(self, spec: ModelSpec, generations: dict[str, dict]):
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


class RunSession:
    """The resources of one run, opened in order and always closed in reverse."""

    def __init__(self, request: RunRequest):
        self.request = request
        self.store: Store | None = None
        self.driver: Any = None
        self.instance: Neo4jInstance | None = None
        self.adapter: Adapter | None = None
        self.graph: GraphState | None = None  # the graph when the run started

    def __enter__(self) -> RunSession:
        self.store = Store(self.request.db_path)
        try:
            self.instance = provision.current(self.request.neo4j)
            self.driver = open_driver(self.instance)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for resource in (self.adapter, self.driver, self.store):
            if resource is not None:
                resource.close()
        self.adapter = self.driver = self.store = None

    def restore_base_graph(self) -> None:
        """Before a test-suite run: put back a base graph an interrupted earlier one left replaced by a variant."""
        if self.request.test_suite:
            restore_before_run(self.request.variant_server, self.request.neo4j, self._progress())

    def judge_on_variants(self, result: RunResult) -> RunResult:
        """The test-suite stage: the run's correct items judged on each of the suite's graph variants."""
        request = self.request
        if request.test_suite and self.store is not None:
            result.test_suite = judge_on_variants(
                self.store,
                result.run_id,
                request.limits,
                server=request.variant_server,
                backend=request.neo4j,
                progress=self._progress(),
            )
        return result

    def _progress(self):
        return (lambda message: print(message, file=sys.stderr, flush=True)) if self.request.progress else None

    def check_graph(self, suite: Suite) -> str:
        """The live graph's fingerprint, refused unless it is the graph the suite was generated from."""
        self.graph = graph_state(self.driver)
        live = self.graph.fingerprint
        expected = suite.manifest.get("graph_fingerprint")
        if expected and expected != live:
            where = self.instance.uri if self.instance else "the server"
            raise HarnessError(
                f"suite {suite.name!r} was generated from graph {expected[:12]}, but Neo4j at {where} "
                f"holds graph {live[:12]}: load the suite's graph (`harness graph load`) or regenerate the suite"
            )
        return live

    def execute(self, plan: RunPlan, adapter: Adapter, graph_before: str) -> RunResult:
        """Resume or create the run row, judge every pending item, and set the run's final status."""
        self.adapter = adapter
        store, request = self.store, self.request
        assert store is not None
        run, resumed = self._run_row(plan, adapter, graph_before)
        run_id = run.id
        done = store.scored_item_ids(run_id)
        todo = sum(1 for _ in plan.items(done))
        if resumed:  # only now, with everything read: a resume that fails before this leaves the status as it was
            store.update_run(
                run_id, status="running", finished_at=None, error=None, model_spec=run.model_spec, **owner_fields()
            )
        gen_workers = max(1, min(request.concurrency or adapter.max_concurrency, adapter.max_concurrency, 32))
        progress = Progress(todo, f"{plan.spec.name} {run_id}", enabled=request.progress)
        uri = self.instance.uri if self.instance else "the server"
        breaker = Neo4jBreaker(self.driver, uri)
        healer = (
            ServerHealer(self.instance, self.driver, graph_before)
            if self.instance and ServerHealer.owns(self.instance)
            else None
        )
        watch = ServerWatch(self.instance, healer) if self.instance else None
        budget = cost_limit_for(plan.spec, request.cost_limit, store, run_id)
        status = "interrupted"
        reachable = True  # False once the server is known gone: the graph is not checked again
        try:
            with Heartbeat(store.path, run_id):
                recorded = run_items(
                    store=store,
                    run_id=run_id,
                    fingerprint=graph_before,
                    adapter=adapter,
                    driver=self.driver,
                    items=plan.items(done),
                    gen_workers=gen_workers,
                    judge_workers=judge_workers(
                        self.driver, request.judge_workers, self.instance.uri if self.instance else None
                    ),
                    limits=plan.limits,
                    on_item=breaker.watching(progress.update),
                    server=watch,
                    budget=budget,
                )
            status = "interrupted" if budget is not None and budget.stopped else "finished"
        except KeyboardInterrupt as exc:
            signum = signum_of(exc)
            end_run(store, run_id, status="interrupted", error=f"stopped by {signal.Signals(signum).name}")
            raise RunInterrupted(
                f"run {run_id} interrupted ({signal.Signals(signum).name}) after {progress.done} items this time; "
                f"continue it with `harness run --model {plan.spec.name} --resume`",
                signum,
            ) from None
        except Neo4jLost as exc:
            reachable = False
            end_run(store, run_id, status="interrupted", error=str(exc))
            raise Neo4jLost(resume_hint(run_id, plan.spec.name, uri)) from None
        except StoreUnavailable as exc:  # locked too long, disk full: nothing is wrong with the run itself
            raise store_lost(store, run_id, plan.spec.name, exc) from None
        except GenerationLost as exc:  # every Ray replica gone: nothing recorded for the items in flight
            end_run(store, run_id, status="interrupted", error=str(exc))
            raise GenerationLost(
                f"run {run_id} interrupted: {exc}; continue it with `{request.resume_command()}`"
            ) from None
        except BaseException as exc:
            if resumed and progress.done == 0:  # a resume that judged nothing changes nothing
                end_run(store, run_id, **{k: getattr(run, k) for k in ("status", "error", "finished_at")})
            else:
                end_run(store, run_id, status="failed", error=f"{type(exc).__name__}: {exc}")
            raise
        finally:
            progress.close()
            graph_after = self._graph_after(graph_before, healer) if reachable else None
            if graph_after is not None and graph_after != graph_before:
                end_run(
                    store,
                    run_id,
                    status="failed",
                    fingerprint_after=graph_after,
                    error="the graph changed during the run",
                )
                raise HarnessError(
                    f"the graph changed during run {run_id} (fingerprint {graph_before[:12]} -> {graph_after[:12]}): "
                    "its verdicts are not trustworthy; reload the graph"
                )
        if graph_after is None:  # every item judged, but the graph can no longer be checked
            end_run(store, run_id, status="interrupted", error=f"Neo4j at {uri} went away at the end of the run")
            raise Neo4jLost(resume_hint(run_id, plan.spec.name, uri))
        counts = store.outcome_counts(run_id)
        infra_left = sum(n for outcome, n in counts.items() if not Outcome.is_scored(outcome))
        if status == "finished" and infra_left:
            status = "incomplete"  # `--resume` picks it up again and retries the infra errors
        note = budget.message(run_id, plan.spec.name) if budget is not None and budget.stopped else None
        try:
            end_run(
                store,
                run_id,
                status=status,
                fingerprint_after=graph_after,
                finished_at=now(),
                error=note
                or (f"{infra_left} items ended in infra errors; `--resume` retries them" if infra_left else None),
            )
        except StoreUnavailable as exc:
            raise store_lost(store, run_id, plan.spec.name, exc) from None
        return RunResult(run_id=run_id, status=status, recorded=recorded, counts=counts, resumed=resumed, note=note)

    def _graph_after(self, graph_before: str, healer: ServerHealer | None) -> str | None:
        """The graph's fingerprint at the end of a run; None when the server cannot be reached in time.
        An owned server that went down after the last item is restarted first (the restart checks the graph)."""
        if self.instance is not None and not answers(self.instance):
            if healer is None:
                return None
            try:
                healer.restart("it went away at the end of the run")
            except Neo4jLost:
                return None
        return fingerprint_or_none(self.driver, self.graph or GraphState(graph_before, None))

    def _run_row(self, plan: RunPlan, adapter: Adapter, graph_before: str) -> tuple[RunRecord, bool]:
        """The run to continue (`--run-id`, `--resume`) or a new one: (run row, resumed)."""
        store, request, spec = self.store, self.request, plan.spec
        assert store is not None
        spec_record = redact(  # no key or URL credential in the record, nor in the options key hashed from it
            {"name": spec.name, "adapter": spec.adapter, "options": spec.options, "description": spec.description}
        )
        suite_hash = plan.suite.content_hash()
        options = plan.options()
        key = options_key(spec_record, suite_hash, options)  # a price change does not start a new run
        if spec.price is not None:
            spec_record["price"] = spec.price
        resumed = None
        if request.run_id:
            resumed = store.get_run(request.run_id)
            if resumed.model != spec.name or resumed.suite_hash != suite_hash:
                raise HarnessError(
                    f"run {resumed.id} is of model {resumed.model!r} on another suite or suite version; "
                    "it cannot be continued with these options"
                )
        elif request.resume:
            resumed = store.latest_resumable(spec.name, plan.suite.name, key)
        if resumed and resumed.graph_fingerprint != graph_before:
            raise HarnessError(
                f"run {resumed.id} was made on graph {(resumed.graph_fingerprint or '?')[:12]}, "
                f"Neo4j now holds {graph_before[:12]}: a run never mixes graphs"
            )
        if resumed:
            check_not_running_elsewhere(resumed)
            resumed = dataclasses.replace(
                resumed, model_spec=spec_record
            )  # same options (the key says so); the price may be new
            return resumed, True
        run_id = store.create_run(
            model=spec.name,
            suite=plan.suite.name,
            suite_path=str(plan.suite.folder.resolve()),
            suite_hash=suite_hash,
            split=plan.split,
            graph_fingerprint=graph_before,
            neo4j_version=server_version(self.driver),
            harness_version=HARNESS_VERSION,
            git_commit=git_commit(),
            host=host(),
            options_key=key,
            options=options,
            model_spec=spec_record,
            adapter_info=adapter.describe(),
            n_planned=len(plan.selected),
            **owner_fields(),
        )
        return store.get_run(run_id), False


def _plan(request: RunRequest, spec: ModelSpec, suite_name: str, extra_options: dict | None = None) -> RunPlan:
    if request.split not in ("train", "test"):
        raise InputError(f"split must be train or test, not {request.split!r}")
    suite = open_suite(suite_name)
    mismatch = suite.manifest_mismatch()
    if mismatch:
        raise InputError(mismatch)
    extra = dict(extra_options or {})
    if request.replay:
        extra["replay"] = request.replay
    plan = RunPlan(
        spec=spec,
        suite=suite,
        split=request.split,
        selection=Selection(
            limit=request.limit,
            sample=request.sample,
            seed=request.seed,
            items_file=request.items_file,
            item_ids=request.item_ids,
            shard=parse_shard(request.shard) if request.shard else None,
        ),
        limits=request.limits,
        extra_options=extra,
    )
    if next(plan.items(), None) is None:
        raise InputError(f"suite {suite.name!r} in {suite.folder} has no {request.split} items ({suite.items_path})")
    return plan


def run(request: RunRequest) -> RunResult:
    """Evaluate one model over a suite split; every failure before the first item leaves no run row."""
    spec = load_spec(request.model)
    if request.cost_limit is not None and spec_price(spec) is None:
        raise InputError(
            f"--cost-limit needs a price: model {spec.name!r} has no [price] table in its spec "
            "(input_per_million / output_per_million USD, or per_hour)"
        )
    plan = _plan(request, spec, request.suite)
    with RunSession(request) as session:
        session.restore_base_graph()
        graph_before = session.check_graph(plan.suite)
        context = RunContext(
            suite=plan.suite, driver=session.driver, replay=request.replay, concurrency=request.concurrency
        )
        adapter = session.adapter = _adapter(request, spec, context)
        adapter.check()
        adapter.check_ids(plan.all_ids)
        return session.judge_on_variants(session.execute(plan, adapter, graph_before))


def _adapter(request: RunRequest, spec: ModelSpec, context: RunContext) -> Adapter:
    """The model's adapter in this process, or its replicas on a Ray cluster (`--ray`; only then is Ray imported)."""
    if request.ray is None:
        return adapter_class(spec.adapter, spec.package)(spec, context)
    try:
        from .ray_replicas import RayReplicas
    except ImportError:
        raise InputError("--ray needs Ray: pip install 'oncograph-harness[ray]'") from None
    return RayReplicas(spec, context, request.replicas, request.ray or None)


def rescore(
    run_id: str,
    *,
    db_path: str | None = None,
    neo4j: str | None = None,
    progress: bool = True,
    limits: Limits = DEFAULT_LIMITS,
    test_suite: bool = False,
    variant_server: str = "scratch",
) -> RunResult:
    """Judge an earlier run's stored generations again, as a new run; the model is not called."""
    with Store(db_path) as store:
        original = store.get_run(run_id)
        if original.status == "running":
            raise HarnessError(
                f"run {original.id} is still running: rescore it once it has ended "
                f"(if its process died, `harness run --run-id {original.id}` finishes it first)"
            )
        generations = {row["item_id"]: row for row in store.generations(original.id)}
    if original.imported_from:
        raise HarnessError(
            f"run {original.id} was judged from recorded rows of another graph; "
            "import its file again (`harness results import`) instead of rescoring it"
        )
    if not generations:
        raise HarnessError(f"run {original.id} has no stored generations to rescore")
    spec_data = original.model_spec
    spec = ModelSpec(
        name=original.model,
        adapter=spec_data.get("adapter", "stored"),
        options=spec_data.get("options", {}),
        description=spec_data.get("description", ""),
        price=spec_data.get("price"),
    )
    options = original.options
    request = RunRequest(
        model=original.model,
        suite=original.suite_path or original.suite or "",
        split=original.split or "test",
        limit=options.get("limit"),
        item_ids=frozenset(generations),
        db_path=db_path,
        neo4j=neo4j,
        progress=progress,
        limits=limits,
        test_suite=test_suite,
        variant_server=variant_server,
    )
    plan = _plan(request, spec, request.suite, {"rescore_of": original.id})
    with RunSession(request) as session:
        session.restore_base_graph()
        graph_before = session.check_graph(plan.suite)
        return session.judge_on_variants(session.execute(plan, StoredGenerations(spec, generations), graph_before))
