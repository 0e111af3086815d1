"""Report tables: one structure, three renderings (markdown for people, csv and json for machines).

The structure and the cell formats live in formatting.py, the pairwise table in pairs.py, the
cost table in cost.py; this module builds the per-run tables and renders a whole report.
"""

from __future__ import annotations

import json

from ..store.records import RunRecord
from .cost import cost_table
from .formatting import (
    Table,
    duration,
    interval_cell,
    num,
    p_cell,
    pct,
    rate_cell,
    rate_fields,
    rounded,
    signed,
    to_csv,
)
from .pairs import pairs_table
from .summary import RunSummary, all_pairs

__all__ = ["TABLES", "Table", "build_tables", "num", "p_cell", "pairs_table", "pct", "rate_cell", "render", "signed"]

TABLES = ("runs", "summary", "conditional", "families", "pairs", "cost")

SUMMARY_NOTE = (
    "Every rate is over all scored items (n); infra errors are listed but never scored. "
    "Brackets: 95% clustered interval over the items' groups (clusters: paraphrases and synonym variants of "
    "one question; Wilson over the effective n = n / design effect, t on clusters − 1 df). Design effect: the "
    "accuracy's clustered variance over the binomial one (floored at 1). Accuracy Wilson (items): the "
    "item-level 95% Wilson interval, which treats every item as independent. Latency: model generation time per item, median and p95 "
    "(linear interpolation). tok/s: total output tokens / total generation time."
)
CONDITIONAL_NOTE = (
    "Seed-style conditional rates: each divides by the items that passed the "
    "previous level instead of all scored items, so it flatters models that fail early; "
    "the headline rates above are unconditional."
)
IMPORTED_NOTE = (
    "Imported from recorded rows (adapter `imported`: {}): syntax by this Neo4j's parser (EXPLAIN), "
    "execution as recorded, accuracy by the harness's comparator on the recorded gold and generated rows; "
    "generation failures recorded (rate limits included) are infra errors, never scored."
)


def infra_cell(summary: RunSummary) -> str:
    if not summary.n_infra:
        return "0"
    parts = ", ".join(f"{name} {count}" for name, count in summary.infra.items() if count)
    return f"{summary.n_infra} ({parts})"


# Model options that say where things are, not how the model decodes (kept in model_options).
NOT_DECODING = ("path", "file", "repo", "url", "sha256", "convert_from", "timeout", "concurrency", "key")


def model_options(run: RunRecord) -> dict:
    spec = run.model_spec
    options = spec.get("options") if isinstance(spec, dict) else None
    return options if isinstance(options, dict) else {}


def decoding(run: RunRecord) -> dict:
    return {k: v for k, v in model_options(run).items() if not any(marker in k for marker in NOT_DECODING)}


def short(text: str | None, size: int) -> str:
    return (text or "")[:size] or "–"


# tables -------------------------------------------------------------------
def runs_table(summaries: list[RunSummary]) -> Table:
    records: list[dict] = []
    rows: list[list] = []
    for s in summaries:
        run = s.run
        spec = run.model_spec
        options = decoding(run)
        records.append(
            {
                "label": s.label,
                "run_id": run.id,
                "model": run.model,
                "adapter": spec.get("adapter"),
                "description": spec.get("description"),
                "suite": run.suite,
                "suite_hash": run.suite_hash,
                "split": run.split,
                "graph_fingerprint": run.graph_fingerprint,
                "neo4j_version": run.neo4j_version,
                "harness_version": run.harness_version,
                "git_commit": run.git_commit,
                "host": run.host,
                "decoding": options,
                "model_options": model_options(run),
                "options": run.options,
                "adapter_info": run.adapter_info,
                "status": run.status,
                "n_planned": run.n_planned,
                "n_recorded": s.n_recorded,
                "started_at": run.started_at,
                "finished_at": run.finished_at,
                "error": run.error,
                "imported_from": run.imported_from,
            }
        )
        suite = f"{run.suite or '?'}@{short(run.suite_hash, 8)}"
        planned = run.n_planned
        rows.append(
            [
                run.id,
                s.label,
                spec.get("adapter") or "–",
                suite,
                short(run.graph_fingerprint, 12),
                run.neo4j_version or "–",
                run.harness_version or "–",
                short(run.git_commit, 10),
                ", ".join(f"{k}={v}" for k, v in options.items()) or "–",
                run.status or "–",
                f"{s.n_recorded}/{planned if planned is not None else '?'}",
            ]
        )
    headers = ["run", "model", "adapter", "suite", "graph", "Neo4j", "harness", "commit", "decoding", "status", "items"]
    imported = [r["label"] for r in records if r["imported_from"]]
    return Table("runs", "Runs", records, headers, rows, IMPORTED_NOTE.format(", ".join(imported)) if imported else "")


def summary_table(summaries: list[RunSummary]) -> Table:
    records, rows = [], []
    for s in summaries:
        records.append(
            {
                "label": s.label,
                "run_id": s.run.id,
                "model": s.run.model,
                "n_scored": s.n_scored,
                "clusters": s.accuracy.clustered.clusters if s.accuracy.clustered else 0,
                **rate_fields("syntax", s.syntax),
                **rate_fields("execution", s.execution),
                **rate_fields("accuracy", s.accuracy),
                **rate_fields("strict", s.strict),
                "f1_mean": rounded(s.f1_mean),
                "latency_median_ms": rounded(s.latency_median_ms, 1),
                "latency_p95_ms": rounded(s.latency_p95_ms, 1),
                "tokens_per_s": rounded(s.tokens_per_s, 2),
                "infra_errors": s.n_infra,
                **s.infra,
                "infra_rate": rounded(s.infra_rate),
                "pending": s.pending,
            }
        )
        rows.append(
            [
                s.label,
                str(s.n_scored),
                str(s.accuracy.clustered.clusters) if s.accuracy.clustered else "0",
                "–" if s.accuracy.clustered is None else num(s.accuracy.clustered.deff, 2),
                rate_cell(s.syntax, clustered=True),
                rate_cell(s.execution, clustered=True),
                rate_cell(s.accuracy, clustered=True),
                interval_cell(s.accuracy.ci),
                rate_cell(s.strict, interval=False),
                "–" if s.f1_mean is None else f"{s.f1_mean:.3f}",
                f"{duration(s.latency_median_ms)} / {duration(s.latency_p95_ms)}",
                "–" if s.tokens_per_s is None else f"{s.tokens_per_s:.1f}",
                infra_cell(s),
            ]
        )
    headers = [
        "model",
        "n",
        "clusters",
        "design effect",
        "syntax %",
        "execution %",
        "accuracy %",
        "accuracy Wilson (items)",
        "strict %",
        "mean F1",
        "latency p50 / p95",
        "tok/s",
        "infra errors",
    ]
    return Table("summary", "Summary (all scored items)", records, headers, rows, SUMMARY_NOTE)


def conditional_table(summaries: list[RunSummary]) -> Table:
    records, rows = [], []
    for s in summaries:
        records.append(
            {
                "label": s.label,
                "run_id": s.run.id,
                **rate_fields("exec_given_syntax", s.exec_given_syntax),
                **rate_fields("accuracy_given_exec", s.accuracy_given_exec),
            }
        )
        rows.append(
            [
                s.label,
                f"{s.exec_given_syntax.k}/{s.exec_given_syntax.n}",
                rate_cell(s.exec_given_syntax, False),
                f"{s.accuracy_given_exec.k}/{s.accuracy_given_exec.n}",
                rate_cell(s.accuracy_given_exec, False),
                rate_cell(s.accuracy, False),
            ]
        )
    headers = [
        "model",
        "executed / syntax-valid",
        "exec % given syntax-valid",
        "correct / executed",
        "accuracy % given executed",
        "accuracy % (all scored)",
    ]
    return Table(
        "conditional", "Conditional rates (seed-style, for comparison only)", records, headers, rows, CONDITIONAL_NOTE
    )


def families_table(summaries: list[RunSummary]) -> Table:
    families = sorted({family for s in summaries for family in s.families})
    records, rows = [], []
    for s in summaries:
        row = [s.label]
        for family in families:
            rate = s.families.get(family)
            if rate is None:
                row.append("–")
                continue
            records.append(
                {
                    "label": s.label,
                    "run_id": s.run.id,
                    "family": family,
                    "k": rate.k,
                    "n": rate.n,
                    "pct": rounded(rate.pct),
                    "lo": rounded(rate.ci[0]) if rate.ci else None,
                    "hi": rounded(rate.ci[1]) if rate.ci else None,
                    "cluster_lo": rounded(rate.cluster_ci[0]) if rate.cluster_ci else None,
                    "cluster_hi": rounded(rate.cluster_ci[1]) if rate.cluster_ci else None,
                }
            )
            row.append(f"{pct(rate.pct)} ({rate.k}/{rate.n})")
        rows.append(row)
    return Table("families", "Accuracy by family (% correct, k/n)", records, ["model", *families], rows)


def build_tables(summaries: list[RunSummary]) -> dict[str, Table]:
    return {
        table.name: table
        for table in (
            runs_table(summaries),
            summary_table(summaries),
            conditional_table(summaries),
            families_table(summaries),
            pairs_table(all_pairs(summaries)),
            cost_table(summaries),
        )
    }


# rendering ----------------------------------------------------------------
def render(tables: dict[str, Table], fmt: str = "md", only: str | None = None) -> str:
    chosen = [tables[only]] if only else list(tables.values())
    if fmt == "md":
        return "# Evaluation report\n\n" * (only is None) + "\n".join(table.markdown() for table in chosen)
    if fmt == "json":
        return json.dumps({table.name: table.records for table in chosen}, indent=2, ensure_ascii=False, default=str)
    if fmt == "csv":
        return to_csv(tables[only or "summary"].records)
    raise ValueError(f"unknown format {fmt!r}")
