"""Report tables: one structure, three renderings (markdown for people, csv and json for machines).

Each `Table` carries machine records (plain numbers, percentages in 0..100) and the
markdown headers/rows built from the same numbers, so the formats never disagree.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from tabulate import tabulate

from ..store.records import RunRecord
from .summary import Paired, Rate, RunSummary, all_pairs

TABLES = ("runs", "summary", "conditional", "families", "pairs")

SUMMARY_NOTE = (
    "Every rate is over all scored items (n); infra errors are listed but never scored. "
    "Brackets: 95% Wilson interval. Latency: model generation time per item, median and p95 "
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
PAIRS_NOTE = (
    "Paired on the items both runs scored: only A = A correct and B not. p: exact two-sided McNemar "
    "test on the discordant items (p = 1 when there are none)."
)


@dataclass
class Table:
    name: str
    title: str
    records: list[dict]
    md_headers: list[str]
    md_rows: list[list]
    note: str = ""

    def markdown(self) -> str:
        body = (
            tabulate(self.md_rows, headers=self.md_headers, tablefmt="github", disable_numparse=True)
            if self.md_rows
            else "_(none)_"
        )
        return f"## {self.title}\n\n{body}\n" + (f"\n{self.note}\n" if self.note else "")


# formatting ---------------------------------------------------------------
def num(value: float, digits: int = 1) -> str:
    """Rounded half up, as people round by hand (91.25 -> 91.3; Python's format would give 91.2)."""
    text = str(Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text  # no "-0.0"


def signed(value: float, digits: int = 1) -> str:
    text = num(value, digits)
    return text if text.startswith("-") else "+" + text


def pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else num(value, digits)


def rate_cell(rate: Rate, interval: bool = True) -> str:
    percent, bounds = rate.pct, rate.ci
    if percent is None or bounds is None:
        return "–"
    if not interval:
        return num(percent)
    return f"{num(percent)} [{num(bounds[0])}, {num(bounds[1])}]"


def duration(ms: float | None) -> str:
    if ms is None:
        return "–"
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def p_cell(p: float | None) -> str:
    return "–" if p is None else f"{p:.1e}" if p < 1e-4 else f"{p:.4f}"


def rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def rate_fields(prefix: str, rate: Rate) -> dict:
    ci = rate.ci
    return {
        f"{prefix}_k": rate.k,
        f"{prefix}_n": rate.n,
        f"{prefix}_pct": rounded(rate.pct),
        f"{prefix}_lo": rounded(ci[0]) if ci else None,
        f"{prefix}_hi": rounded(ci[1]) if ci else None,
    }


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
                rate_cell(s.syntax),
                rate_cell(s.execution),
                rate_cell(s.accuracy),
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
        "syntax %",
        "execution %",
        "accuracy %",
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
                }
            )
            row.append(f"{pct(rate.pct)} ({rate.k}/{rate.n})")
        rows.append(row)
    return Table("families", "Accuracy by family (% correct, k/n)", records, ["model", *families], rows)


def pairs_table(pairs: list[Paired]) -> Table:
    records, rows = [], []
    for pair in pairs:
        records.append(
            {
                "a": pair.a,
                "b": pair.b,
                "n_shared": pair.n_shared,
                "both_correct": pair.both,
                "only_a": pair.only_a,
                "only_b": pair.only_b,
                "neither": pair.neither,
                "acc_a_pct": rounded(pair.acc_a),
                "acc_b_pct": rounded(pair.acc_b),
                "delta_points": rounded(pair.delta_points),
                "mcnemar_p": rounded(pair.p_value, 6) if pair.n_shared else None,
                "suites_differ": pair.suites_differ,
            }
        )
        rows.append(
            [
                pair.a,
                pair.b + (" (other suite hash)" if pair.suites_differ else ""),
                str(pair.n_shared),
                str(pair.both),
                str(pair.only_a),
                str(pair.only_b),
                str(pair.neither),
                pct(pair.acc_a),
                pct(pair.acc_b),
                "–" if pair.delta_points is None else signed(pair.delta_points),
                p_cell(pair.p_value if pair.n_shared else None),
            ]
        )
    headers = [
        "A",
        "B",
        "n shared",
        "both correct",
        "only A",
        "only B",
        "neither",
        "A %",
        "B %",
        "B − A (points)",
        "McNemar p",
    ]
    return Table("pairs", "Pairwise comparisons (shared scored items)", records, headers, rows, PAIRS_NOTE)


def build_tables(summaries: list[RunSummary]) -> dict[str, Table]:
    return {
        table.name: table
        for table in (
            runs_table(summaries),
            summary_table(summaries),
            conditional_table(summaries),
            families_table(summaries),
            pairs_table(all_pairs(summaries)),
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


def to_csv(records: list[dict]) -> str:
    buffer = io.StringIO()
    columns = list(dict.fromkeys(key for record in records for key in record))
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(
            {k: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v for k, v in record.items()}
        )
    return buffer.getvalue()
