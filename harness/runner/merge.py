"""`harness results merge`: the shard runs of one evaluation (`harness run --shard I/N`) as one run.

Shards are run apart (CI matrices, Slurm arrays, Kubernetes indexed jobs), each into its own
results database; merging is only meaningful when they are parts of the same run, so it refuses
(one line) shards of different suites, models, options, graphs or harness versions, shards whose
items overlap, a missing shard, and a shard that is still running or did not finish. The merged
run records the unsharded options (so its options key is the unsharded run's) and the shards it
came from (`merged_from`); its rows are the shards' rows, unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import HarnessError, InputError
from ..outputs import check_output
from ..store import Store
from ..store.db import now
from ..store.liveness import ABANDONED, observed
from ..store.records import RunRecord
from .metadata import options_key

SAME = (  # run columns every shard must share, and how a refusal names them
    ("suite_hash", "suites"),
    ("split", "splits"),
    ("model", "models"),
    ("model_spec", "model specs"),
    ("graph_fingerprint", "graph fingerprints"),
    ("harness_version", "harness versions"),
)
MERGEABLE_STATUS = {"finished": 0, "incomplete": 1}  # the merged status is the worst of these


@dataclass
class Merged:
    run_id: str
    shards: int
    items: int
    status: str
    counts: dict


@dataclass
class ShardRun:
    path: Path
    store: Store
    run: RunRecord
    options: dict  # without "shard"
    index: int
    count: int

    @property
    def where(self) -> str:
        return f"shard {self.index}/{self.count} (run {self.run.id} in {self.path})"


def _shard_runs(path: Path) -> list[ShardRun]:
    if not path.is_file():
        raise InputError(f"{path}: no such results database")
    store = Store(path)
    found = []
    for run in store.runs():
        options = dict(run.options)
        shard = options.pop("shard", None)
        if shard:
            index, count = (int(part) for part in str(shard).split("/"))
            found.append(ShardRun(path, store, observed(run), options, index, count))
    if not found:
        store.close()
        raise InputError(f"{path} holds no shard run (made by `harness run --shard I/N`)")
    return found


def _refusal(shards: list[ShardRun]) -> str | None:
    """Why these runs are not the parts of one run, or None."""
    first = shards[0]
    for shard in shards:
        status = shard.run.status
        if status == "running":
            return f"{shard.where} is still running: merge it once it has finished"
        if status == ABANDONED or status not in MERGEABLE_STATUS:
            return (
                f"{shard.where} is {status}, not finished: finish it first "
                f"(`harness run --run-id {shard.run.id} --db {shard.path}`)"
            )
    for column, what in SAME:
        for shard in shards[1:]:
            if getattr(shard.run, column) != getattr(first.run, column):
                return f"{first.where} and {shard.where} are of different {what}: not parts of one run"
    for shard in shards[1:]:
        if shard.options != first.options:
            return f"{first.where} and {shard.where} were run with different options: not parts of one run"
        if shard.count != first.count:
            return f"{first.where} and {shard.where} split the items into different numbers of shards"
    seen: dict[int, ShardRun] = {}
    for shard in shards:
        if shard.index in seen:
            return f"{seen[shard.index].where} and {shard.where} are the same shard: their items overlap"
        seen[shard.index] = shard
    missing = [str(i) for i in range(1, first.count + 1) if i not in seen]
    if missing:
        return f"shard(s) {', '.join(missing)} of {first.count} missing: merge needs every shard"
    owner: dict[str, ShardRun] = {}
    for shard in shards:
        for item_id in shard.store.item_ids(shard.run.id):
            other = owner.setdefault(item_id, shard)
            if other is not shard:
                return f"{other.where} and {shard.where} both hold item {item_id}: shards must not overlap"
    return None


def merge_shards(paths: list[str], output: str) -> Merged:
    """Write one run made of the shard runs in `paths` to a new results database `output`."""
    target = check_output(output, "merged run", keep_existing=True)
    shards: list[ShardRun] = []
    try:
        for path in dict.fromkeys(Path(p) for p in paths):
            shards += _shard_runs(path)
        why = _refusal(shards)
        if why:
            raise HarnessError(why)
        shards.sort(key=lambda s: s.index)
        return _write(shards, target)
    finally:
        for store in {id(s.store): s.store for s in shards}.values():
            store.close()


def _write(shards: list[ShardRun], target: Path) -> Merged:
    first = shards[0].run
    options = shards[0].options
    spec_record = dict(first.model_spec)
    merged_from = [{"shard": f"{s.index}/{s.count}", "run_id": s.run.id, "db": str(s.path)} for s in shards]
    afters = {s.run.fingerprint_after for s in shards}
    status = max((s.run.status for s in shards), key=MERGEABLE_STATUS.__getitem__)
    with Store(target) as out:
        run_id = out.create_run(
            model=first.model,
            suite=first.suite,
            suite_path=first.suite_path,
            suite_hash=first.suite_hash,
            split=first.split,
            graph_fingerprint=first.graph_fingerprint,
            neo4j_version=first.neo4j_version,
            harness_version=first.harness_version,
            git_commit=first.git_commit,
            host=first.host,
            options_key=options_key(spec_record, first.suite_hash or "", options),
            options=options,
            model_spec=spec_record,
            adapter_info=dict(first.adapter_info),
            merged_from=merged_from,
            n_planned=sum(s.run.n_planned or 0 for s in shards),
            test_suite=first.test_suite,
        )
        for shard in shards:
            out.copy_run_rows(shard.store, shard.run.id, run_id, shard.run.graph_fingerprint)
        out.update_run(
            run_id,
            status=status,
            started_at=min(s.run.started_at or "" for s in shards),
            finished_at=max(s.run.finished_at or "" for s in shards) or now(),
            fingerprint_after=afters.pop() if len(afters) == 1 else None,
            error=next((s.run.error for s in shards if s.run.error), None),
        )
        counts = out.outcome_counts(run_id)
    return Merged(run_id, len(shards), sum(counts.values()), status, counts)
