"""The results store: one SQLite file, the single source of truth for runs and verdicts.

Opened through sqlite-utils with WAL and a busy timeout; migrations are applied on
every open; each item's generation and verdict are committed in one transaction,
so a killed run loses at most the items in flight.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import secrets
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

from .._util.clock import now
from ..errors import HarnessError
from ..redact import redact_text
from ..text import valid_text
from ..verdict import Verdict
from .health import BUSY_TIMEOUT_S, open_readonly, quick_check, store_error
from .migrations import migrations
from .records import RESULT_COLUMNS, ResultRecord, RunRecord, TestSuiteFigures, VariantVerdict, figures_from


def default_db_path() -> Path:
    return Path(os.environ.get("HARNESS_DB") or "results.db")


def new_run_id() -> str:
    """Ids sort by creation time: UTC timestamp to the millisecond, then randomness."""
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S%f")[:-3]
    return f"{stamp}-{secrets.token_hex(3)}"


def cypher_hash(cypher: str) -> str:
    return hashlib.sha256(cypher.encode()).hexdigest()


# Runs a listing may pick by default: an import counts only once its last item is in (a killed or
# interrupted import is never shown as the model's result; `--run ID` still shows it, with its status).
WHOLE = "(imported_from is null or status = 'imported')"


class Store:
    def __init__(self, path: str | Path | None = None, *, readonly: bool = False):
        """`readonly`: a file on a read-only mount (reports only); it is read whole (with its WAL) or refused,
        never migrated. Either way a damaged file is refused (store/health.py)."""
        self.path = Path(path) if path else default_db_path()
        started = time.monotonic()
        try:
            if readonly:
                self.db = Database(open_readonly(self.path))
                quick_check(self.db.conn, self.path)
                self._check_not_newer()
            else:
                new = not self.path.exists() or self.path.stat().st_size == 0
                self.db = Database(self.path)
                self.db.conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
                self.db.enable_wal()
                # WAL + NORMAL: a commit survives a killed process (the resume promise) without an
                # fsync per item; only a power loss can drop the last few items, which resume redoes.
                self.db.conn.execute("PRAGMA synchronous = NORMAL")
                if not new:
                    quick_check(self.db.conn, self.path)
                self._check_not_newer()
                self._migrate()
            missing = [t for t in ("runs", "generations", "results", "gold_cache") if not self.db[t].exists()]
            if missing:
                raise HarnessError(
                    f"{self.path} is damaged: table {', '.join(missing)} is missing; use another --db "
                    "(or restore this one from a backup)"
                )
            self._columns = {
                table: set(self.db[table].columns_dict)
                for table in ("generations", "results", "gold_cache", "variant_results")
            }
        except sqlite3.DatabaseError as exc:
            raise store_error(self.path, exc, time.monotonic() - started) from None

    def _migrate(self) -> None:
        """Pending migrations, applied under the write lock: two first opens of a new file never race
        (each would otherwise add the same column: `duplicate column name`)."""
        if not migrations.pending(self.db):
            return
        self.db.conn.execute("BEGIN IMMEDIATE")  # waits up to the busy timeout for another opener
        try:
            migrations.apply(self.db)  # sees what the other opener applied; its own steps nest as savepoints
        except BaseException:
            self.db.conn.rollback()
            raise
        self.db.conn.commit()

    def _check_not_newer(self) -> None:
        known = {migration.name for migration in migrations._migrations}
        unknown = [m.name for m in migrations.applied(self.db) if m.name not in known]
        if unknown:
            raise HarnessError(
                f"{self.path} was written by a newer harness (unknown migration {unknown[0]!r}): "
                "upgrade the harness or use another --db"
            )

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # runs -------------------------------------------------------------
    def create_run(self, **fields) -> str:
        run_id = new_run_id()
        record = {"id": run_id, "status": "running", "started_at": now(), **fields}
        self._write(lambda: self.db.table("runs").insert(_jsonify(record)))
        return run_id

    def update_run(self, run_id: str, **fields) -> None:
        self._write(lambda: self.db.table("runs").update(run_id, _jsonify(fields)))

    def get_run(self, run_id: str) -> RunRecord:
        rows = list(
            self.db.query(
                "select * from runs where id = ? or id like ? order by id desc limit 2", [run_id, f"{run_id}%"]
            )
        )
        if not rows:
            raise HarnessError(f"no run {run_id!r} in {self.path}: see `harness report` for run ids")
        if len(rows) > 1 and rows[0]["id"] != run_id:
            raise HarnessError(f"run id prefix {run_id!r} is ambiguous in {self.path}")
        return RunRecord.from_row(rows[0])

    def runs(self) -> list[RunRecord]:
        return [RunRecord.from_row(row) for row in self.db.query("select * from runs order by id")]

    def latest_resumable(self, model: str, suite: str, options_key: str) -> RunRecord | None:
        rows = list(
            self.db.query(
                "select * from runs where model = ? and suite = ? and options_key = ? and status != 'finished' "
                "order by id desc limit 1",
                [model, suite, options_key],
            )
        )
        return RunRecord.from_row(rows[0]) if rows else None

    def latest_runs(self) -> list[RunRecord]:
        """The latest whole run of each model, whatever its status, sorted by model name."""
        query = (
            f"select * from runs where id in (select max(id) from runs where {WHOLE} group by model) order by model, id"
        )
        return [RunRecord.from_row(row) for row in self.db.query(query)]

    def latest_run(self, model: str) -> RunRecord | None:
        rows = list(self.db.query(f"select * from runs where model = ? and {WHOLE} order by id desc limit 1", [model]))
        return RunRecord.from_row(rows[0]) if rows else None

    # items ------------------------------------------------------------
    def scored_item_ids(self, run_id: str) -> set[str]:
        return {
            row["item_id"]
            for row in self.db.query("select item_id from results where run_id = ? and scored = 1", [run_id])
        }

    def attempts(self, run_id: str) -> dict[str, int]:
        """How often each item of the run has been judged so far (read once, at the start of a run)."""
        return {
            row["item_id"]: row["attempts"] or 0
            for row in self.db.query("select item_id, attempts from results where run_id = ?", [run_id])
        }

    def record_item(
        self,
        run_id: str,
        item_id: str,
        generation: dict | None,
        verdict: Verdict,
        item_fields: dict,
        gold: dict | None = None,
    ) -> None:
        """Generation and verdict of one item (and a freshly computed gold), committed together or not at all.

        `item_fields` are the results columns that are not the verdict's (family, template, tokens, attempts).
        """
        stamp = now()
        result = {"run_id": run_id, "item_id": item_id, "created_at": stamp, **item_fields, **verdict.columns()}

        def work():
            if gold is not None:
                self._replace("gold_cache", _gold_record(**gold))
            if generation is not None:
                self._replace("generations", {"run_id": run_id, "item_id": item_id, "created_at": stamp, **generation})
            self._replace("results", result)

        self._write(work)

    def _replace(self, table: str, record: dict) -> None:
        """The per-item hot path: one prepared INSERT OR REPLACE, no schema introspection."""
        unknown = set(record) - self._columns[table]
        if unknown:  # a misspelt field must fail loudly, not vanish
            raise ValueError(f"no column {', '.join(sorted(unknown))} in table {table}")
        record = _jsonify(record)
        columns = ", ".join(f"[{c}]" for c in record)
        self.db.conn.execute(
            f"INSERT OR REPLACE INTO [{table}] ({columns}) VALUES ({', '.join('?' * len(record))})",
            list(record.values()),
        )

    def results(self, run_id: str) -> Iterator[dict]:
        yield from self.db.query("select * from results where run_id = ? order by item_id", [run_id])

    def result(self, run_id: str, item_id: str) -> dict | None:
        rows = list(self.db.query("select * from results where run_id = ? and item_id = ?", [run_id, item_id]))
        return rows[0] if rows else None

    def verdicts(self, run_id: str) -> Iterator[ResultRecord]:
        """Per-item verdicts of one run without raw output or detail (what report tables need)."""
        query = f"select {', '.join(RESULT_COLUMNS)} from results where run_id = ? order by item_id"
        for row in self.db.query(query, [run_id]):
            yield ResultRecord.from_row(row)

    def item_details(self, run_id: str) -> Iterator[dict]:
        """Every stored field of one run's items, verdict and generation together."""
        yield from self.db.query(
            "select r.*, g.output, g.infra_error, g.finish_reason from results r left join generations g "
            "on g.run_id = r.run_id and g.item_id = r.item_id where r.run_id = ? order by r.item_id",
            [run_id],
        )

    def item_ids(self, run_id: str) -> list[str]:
        return [
            row["item_id"]
            for row in self.db.query("select item_id from results where run_id = ? order by item_id", [run_id])
        ]

    def copy_run_rows(self, source: Store, source_run_id: str, run_id: str, fingerprint: str | None) -> None:
        """Another store's generations, verdicts and variant verdicts of one run, under `run_id` here, and
        the gold rows cached for its graph (`harness results merge`)."""
        with self.db.atomic():
            for table in ("generations", "results", "variant_results"):
                if not source.db[table].exists():
                    continue
                query = f"select * from [{table}] where run_id = ?"
                rows = [{**row, "run_id": run_id} for row in source.db.query(query, [source_run_id])]
                if rows:
                    self.db.table(table).insert_all(rows, replace=True)
            gold = list(source.db.query("select * from gold_cache where graph_fingerprint = ?", [fingerprint]))
            if gold:
                self.db.table("gold_cache").insert_all(gold, replace=True)

    def generations(self, run_id: str) -> Iterator[dict]:
        yield from self.db.query("select * from generations where run_id = ? order by item_id", [run_id])

    def generation(self, run_id: str, item_id: str) -> dict | None:
        rows = list(self.db.query("select * from generations where run_id = ? and item_id = ?", [run_id, item_id]))
        return rows[0] if rows else None

    def outcome_counts(self, run_id: str) -> dict[str, int]:
        return {
            row["outcome"]: row["n"]
            for row in self.db.query(
                "select outcome, count(*) as n from results where run_id = ? group by outcome", [run_id]
            )
        }

    # gold cache -------------------------------------------------------
    def gold_get(self, fingerprint: str, cypher: str) -> dict | None:
        rows = list(
            self.db.query(
                "select * from gold_cache where graph_fingerprint = ? and cypher_hash = ?",
                [fingerprint, cypher_hash(cypher)],
            )
        )
        if not rows:
            return None
        row = rows[0]
        return {"rows": json.loads(row["rows"]), "row_count": row["row_count"], "db_ms": row["db_ms"]}

    # test-suite accuracy: verdicts on graph variants ---------------------
    def judged_on_variants(self, run_id: str) -> set[tuple[str, str]]:
        """(item id, variant id) pairs of the run already judged on a variant (an interrupted judging resumes)."""
        return {
            (row["item_id"], row["variant_id"])
            for row in self.db.query("select item_id, variant_id from variant_results where run_id = ?", [run_id])
        }

    def record_variant_verdict(
        self, run_id: str, item_id: str, variant_id: str, fingerprint: str, verdict: Verdict, gold: dict | None
    ) -> None:
        """One item's verdict on one variant (and the variant's freshly computed gold), committed together."""
        record = {
            "run_id": run_id,
            "item_id": item_id,
            "variant_id": variant_id,
            "variant_fingerprint": fingerprint,
            "outcome": verdict.outcome.value,
            "match": int(bool(verdict.match)),
            "row_count": verdict.row_count,
            "gold_row_count": verdict.gold_row_count,
            "error": verdict.error,
            "created_at": now(),
        }

        def work():
            if gold is not None:
                self._replace("gold_cache", _gold_record(**gold))
            self._replace("variant_results", record)

        self._write(work)

    def variant_verdicts(self, run_id: str) -> list[VariantVerdict]:
        if not self.db["variant_results"].exists():  # a read-only store a migration never reached
            return []
        return [
            VariantVerdict(row["item_id"], row["variant_id"], row["outcome"])
            for row in self.db.query(
                "select item_id, variant_id, outcome from variant_results where run_id = ? order by variant_id",
                [run_id],
            )
        ]

    def test_suite_figures(self, run_id: str) -> TestSuiteFigures | None:
        """Execution and test-suite accuracy of a run judged on graph variants; None for any other run."""
        run = self.get_run(run_id)
        if not run.test_suite:
            return None
        scored = [
            (row["item_id"], row["outcome"])
            for row in self.db.query("select item_id, outcome from results where run_id = ? and scored = 1", [run.id])
        ]
        return figures_from(run.id, scored, self.variant_verdicts(run.id), run.test_suite["variants"])

    # ------------------------------------------------------------------
    def _write(self, work) -> None:
        """`work` in one transaction that takes the write lock first (BEGIN IMMEDIATE): a deferred one that
        has read before writing gets SQLITE_BUSY at once, without the busy timeout, when another writer holds it."""
        started = time.monotonic()
        conn = self.db.conn
        try:
            if conn.in_transaction:
                with self.db.atomic():
                    work()
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                work()  # sqlite-utils steps inside it nest as savepoints
            except BaseException:
                if conn.in_transaction:
                    conn.rollback()
                raise
            conn.commit()
        except sqlite3.DatabaseError as exc:
            raise store_error(self.path, exc, time.monotonic() - started) from None


def _gold_record(fingerprint: str, cypher: str, rows: list[dict], db_ms: float) -> dict:
    return {
        "graph_fingerprint": fingerprint,
        "cypher_hash": cypher_hash(cypher),
        "cypher": cypher,
        "rows": json.dumps(rows, ensure_ascii=False),
        "row_count": len(rows),
        "db_ms": db_ms,
        "created_at": now(),
    }


def _jsonify(record: dict) -> dict:
    """A row as stored: containers as JSON, text valid UTF-8, and every known secret taken out (harness/redact.py)."""
    out = {}
    for k, v in record.items():
        if isinstance(v, (dict, list, tuple)):
            v = json.dumps(v, ensure_ascii=False, default=str)
        out[k] = redact_text(valid_text(v)) if isinstance(v, str) else v
    return out
