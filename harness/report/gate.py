"""Baselines and the regression gate.

A baseline is a JSON file: the run's manifest and summary, every item's outcome, and an
optional `must_pass` list. `evaluate` compares a run with it and decides:

    PASS        exit 0
    REGRESSION  exit 2: accuracy on the shared scored items dropped by more than max_drop points
                AND the exact McNemar test on those items gives p < alpha; or a must-pass item
                is not correct
    INCOMPLETE  exit 3: infra error rate above max_infra_rate, baseline items missing from the
                run, a failed run, or nothing to compare

A regression outranks incompleteness: what was measured already shows a real drop.
Harness errors (no such run, unreadable baseline) exit 1 through HarnessError.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import HarnessError, InputError
from ..inputs import check_id, parse_json, read_json_file, shown
from ..outputs import check_output
from ..store import Store
from ..store.records import RunRecord
from ..verdict import Outcome
from .summary import RunSummary, paired_counts, summarize
from .tables import num, pct, signed, summary_table

BASELINE_FORMAT = "harness-baseline/1"
PASS, HARNESS_ERROR, REGRESSION, INCOMPLETE = 0, 1, 2, 3
OUTCOMES = {outcome.value for outcome in Outcome}
VERDICTS = {PASS: "PASS", REGRESSION: "REGRESSION", INCOMPLETE: "INCOMPLETE"}
RUN_FIELDS = (
    "id",
    "model",
    "suite",
    "suite_hash",
    "split",
    "status",
    "graph_fingerprint",
    "neo4j_version",
    "harness_version",
    "git_commit",
    "started_at",
    "finished_at",
)


# baselines ----------------------------------------------------------------
def read_must_pass(path: str | Path) -> list[str]:
    """Item ids from a text file (one per line, `#` comments) or a JSON list."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read must-pass file {path}: {exc.strerror or exc}") from None
    if text.lstrip().startswith("["):
        data = parse_json(text, str(path))
        if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
            raise InputError(f"{path}: a must-pass JSON file must be a list of item id strings")
        return list(dict.fromkeys(check_id(item, str(path)) for item in data))
    ids = []
    for number, line in enumerate(text.splitlines(), 1):
        item = line.split("#", 1)[0].strip()
        if item:
            ids.append(check_id(item, f"{path} line {number}"))
    return list(dict.fromkeys(ids))


def baseline_data(summary: RunSummary, must_pass: Sequence[str] = ()) -> dict:
    return {
        "format": BASELINE_FORMAT,
        "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "run": {name: getattr(summary.run, name) for name in RUN_FIELDS},
        "summary": summary_table([summary]).records[0],
        "must_pass": list(must_pass),
        "items": {
            item: {"outcome": outcome, "family_id": family, "match": int(outcome == "correct")}
            for item, (outcome, family) in sorted(summary.items.items())
        },
    }


def save_baseline(
    store: Store, run: RunRecord, path: str | Path, must_pass: Sequence[str] = (), force: bool = False
) -> tuple[dict, list[str]]:
    """Writes the baseline file (an existing one only with `force`); returns it and warnings
    (must-pass items not correct in the run)."""
    check_output(path, "baseline", force=force, keep_existing=True)
    summary = summarize(store, run)
    if not summary.items:
        raise HarnessError(f"run {run.id} has no results: nothing to save as a baseline")
    data = baseline_data(summary, must_pass)
    warnings = [
        f"must-pass item {item!r} is {data['items'][item]['outcome'] if item in data['items'] else 'not in the run'}"
        f" in run {run.id}"
        for item in must_pass
        if data["items"].get(item, {}).get("outcome") != "correct"
    ]
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise HarnessError(f"cannot write baseline {target}: {exc.strerror or exc}") from None
    return data, warnings


def load_baseline(path: str | Path) -> dict:
    target = Path(path)
    try:
        data = read_json_file(target, "baseline")
    except FileNotFoundError:
        raise InputError(f"no baseline file {target}: create one with `harness baseline save RUN {target}`") from None
    except OSError as exc:
        raise InputError(f"cannot read baseline {target}: {exc.strerror or exc}") from None
    if not isinstance(data, dict) or data.get("format") != BASELINE_FORMAT or not isinstance(data.get("items"), dict):
        raise InputError(f'{target}: not a harness baseline (expected "format": "{BASELINE_FORMAT}" and items)')
    must_pass = data.setdefault("must_pass", [])
    if not isinstance(must_pass, list) or not all(isinstance(item, str) for item in must_pass):
        raise InputError(f'{target}: "must_pass" must be a list of item ids')
    _check_baseline_fields(data, str(target))
    return data


def _check_baseline_fields(data: dict, where: str) -> None:
    """The fields the gate reads have the types it expects (a hand-edited file fails here, not in a traceback)."""
    run = data.setdefault("run", {})
    if not isinstance(run, dict) or not all(isinstance(v, (str, int, float, type(None))) for v in run.values()):
        raise InputError(f'{where}: "run" must be an object of plain values (the run\'s manifest)')
    for name in ("summary",):
        if name in data and not isinstance(data[name], dict):
            raise InputError(f'{where}: "{name}" must be an object')
    for item_id in data["must_pass"]:
        check_id(item_id, where, "must_pass id")
    for item_id, entry in data["items"].items():
        check_id(item_id, where, "item id")
        if not isinstance(entry, dict):
            raise InputError(f"{where}: item {shown(item_id)} must be an object with outcome and family_id")
        outcome, family = entry.get("outcome"), entry.get("family_id")
        if outcome is not None and (not isinstance(outcome, str) or outcome not in OUTCOMES):
            raise InputError(
                f"{where}: item {shown(item_id)}: outcome {shown(outcome)} is not one of {', '.join(sorted(OUTCOMES))}"
            )
        if not (family is None or isinstance(family, str)):
            raise InputError(f"{where}: item {shown(item_id)}: family_id must be a string or null")


# the gate -----------------------------------------------------------------
@dataclass
class Check:
    name: str
    ok: bool
    message: str
    kind: str = "regression"  # or "incomplete"


@dataclass
class ItemVerdict:
    item_id: str
    family_id: str | None
    baseline: str | None  # outcome, None when absent
    current: str | None
    status: str  # ok | flip_down | flip_up | must_pass_failed | not_judged


@dataclass
class GateResult:
    summary: RunSummary
    baseline: dict
    code: int
    checks: list[Check]
    items: list[ItemVerdict]
    stats: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return VERDICTS[self.code]

    def with_status(self, *statuses: str) -> list[ItemVerdict]:
        return [item for item in self.items if item.status in statuses]


def evaluate(
    store: Store,
    run: RunRecord,
    baseline: dict,
    max_drop: float = 2.0,
    alpha: float = 0.05,
    max_infra_rate: float = 0.05,
    must_pass: Sequence[str] = (),
) -> GateResult:
    summary = summarize(store, run)
    base_items: dict[str, dict] = baseline["items"]
    must = list(dict.fromkeys([*baseline.get("must_pass", []), *must_pass]))
    base_correct = {
        item: v.get("outcome") == "correct" for item, v in base_items.items() if Outcome.is_scored(v.get("outcome"))
    }
    pair = paired_counts(base_correct, summary.scored_correct(), "baseline", summary.label)
    drop = -(pair.delta_points or 0.0)

    items = []
    for item in sorted(base_items.keys() | summary.items.keys() | set(must)):
        before = base_items.get(item, {}).get("outcome")
        now, family = summary.items.get(item, (None, base_items.get(item, {}).get("family_id")))
        if not Outcome.is_scored(now):
            status = "not_judged" if (item in base_items or item in must) else "ok"
        elif item in must and now != "correct":
            status = "must_pass_failed"
        elif Outcome.is_scored(before) and (before == "correct") != (now == "correct"):
            status = "flip_down" if before == "correct" else "flip_up"
        else:
            status = "ok"
        items.append(ItemVerdict(item, family, before, now, status))

    missing = [v.item_id for v in items if v.status == "not_judged" and v.current is None]
    must_failed = [v.item_id for v in items if v.status == "must_pass_failed"]
    must_unjudged = [v.item_id for v in items if v.item_id in must and v.status == "not_judged"]
    significant = pair.n_shared > 0 and drop > max_drop and pair.p_value < alpha
    run_failed = run.status == "failed"
    checks = [
        Check(
            "accuracy",
            not significant,
            f"accuracy on {pair.n_shared} shared items {pct(pair.acc_a)}% -> {pct(pair.acc_b)}% "
            f"(drop {signed(drop)} points, allowed {max_drop:g}); only baseline correct {pair.only_a}, "
            f"only run correct {pair.only_b}, exact McNemar p = {pair.p_value:.4g} (alpha {alpha:g})",
        ),
        Check(
            "must_pass",
            not must_failed,
            f"{len(must)} must-pass item(s), {len(must_failed)} not correct"
            + (f": {', '.join(must_failed)}" if must_failed else ""),
        ),
        Check(
            "infra_rate",
            summary.infra_rate <= max_infra_rate,
            f"infra errors {summary.n_infra}/{summary.n_recorded} = {num(100 * summary.infra_rate)}% "
            f"(allowed {100 * max_infra_rate:g}%)",
            "incomplete",
        ),
        Check(
            "completeness",
            not missing and not must_unjudged and pair.n_shared > 0 and not run_failed,
            f"{len(missing)} baseline item(s) missing from the run, {pair.n_shared} shared scored item(s)"
            + (f", run failed: {run.error or 'no message'}" if run_failed else "")
            + (f", must-pass not judged: {', '.join(must_unjudged)}" if must_unjudged else ""),
            "incomplete",
        ),
    ]
    failed_kinds = {check.kind for check in checks if not check.ok}
    code = REGRESSION if "regression" in failed_kinds else INCOMPLETE if failed_kinds else PASS
    base_run = baseline.get("run", {})
    warnings = [
        f"{what} differs from the baseline's ({base_run.get(key)!s:.12} vs {getattr(run, key)!s:.12})"
        for key, what in (("suite_hash", "suite hash"), ("graph_fingerprint", "graph fingerprint"))
        if base_run.get(key) and getattr(run, key) and base_run.get(key) != getattr(run, key)
    ]
    new_items = len(summary.items.keys() - base_items.keys())
    if new_items:
        warnings.append(f"{new_items} item(s) of the run are not in the baseline and are not compared")
    if base_run.get("model") and base_run["model"] != run.model:
        warnings.append(f"baseline is of model {base_run['model']!r}, run is of {run.model!r}")
    stats = {
        "n_shared": pair.n_shared,
        "baseline_acc_pct": pair.acc_a,
        "run_acc_pct": pair.acc_b,
        "drop_points": drop,
        "only_baseline_correct": pair.only_a,
        "only_run_correct": pair.only_b,
        "mcnemar_p": pair.p_value,
        "infra_rate": summary.infra_rate,
        "missing": len(missing),
        "max_drop": max_drop,
        "alpha": alpha,
        "max_infra_rate": max_infra_rate,
    }
    return GateResult(summary, baseline, code, checks, items, stats, warnings)


def verdict_line(result: GateResult) -> str:
    s = result.stats
    return (
        f"gate {result.verdict}: {result.summary.label} run {result.summary.run.id} vs baseline "
        f"{result.baseline.get('run', {}).get('id', '?')}: accuracy {pct(s['run_acc_pct'])}% vs "
        f"{pct(s['baseline_acc_pct'])}% on {s['n_shared']} shared items (drop {signed(s['drop_points'])} points, "
        f"McNemar p = {s['mcnemar_p']:.4g}), infra {num(100 * s['infra_rate'])}%, missing {s['missing']}, "
        f"{len(result.with_status('flip_down'))} pass->fail, {len(result.with_status('flip_up'))} fail->pass"
    )


def render(result: GateResult) -> str:
    lines = [verdict_line(result)]
    lines += [f"  [{'ok' if c.ok else 'FAIL'}] {c.name}: {c.message}" for c in result.checks]
    lines += [f"  warning: {w}" for w in result.warnings]
    labels = {
        "must_pass_failed": "must-pass failed",
        "flip_down": "pass->fail",
        "flip_up": "fail->pass",
        "not_judged": "not judged",
    }
    for status, label in labels.items():
        for v in result.with_status(status):
            lines.append(
                f"  {label}: {v.item_id} [{v.family_id or '?'}] {v.baseline or 'absent'} -> {v.current or 'absent'}"
            )
    return "\n".join(lines) + "\n"


def to_dict(result: GateResult) -> dict:
    return {
        "verdict": result.verdict,
        "exit_code": result.code,
        "run_id": result.summary.run.id,
        "baseline_run_id": result.baseline.get("run", {}).get("id"),
        "stats": result.stats,
        "checks": [vars(c) for c in result.checks],
        "warnings": result.warnings,
        "items": [vars(v) for v in result.items if v.status != "ok"],
    }
