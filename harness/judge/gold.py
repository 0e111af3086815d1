"""The one way a gold query runs: trusted, read-only, bounded, with canonical rows.

Suite generation, lint, import and the runner all call `run_gold`, so a gold result means
the same thing everywhere. Gold queries are rule-built and linted, so there is no plan
check (the untrusted path in `execute.py` has one), but the session is still READ, the
transaction has a server-side timeout and rows are streamed with a cap.
"""

from __future__ import annotations

import time

from neo4j import READ_ACCESS, Query
from neo4j.exceptions import DriverError, Neo4jError, ServiceUnavailable, SessionExpired

from ..verdict import Outcome
from .canonical import canonical

TIMEOUT_S = 30.0
ROW_CAP = 100_000


class GoldFailed(Exception):
    """A gold query did not give rows. `outcome` says whose fault: `infra_db` (server gone) or `harness_error`."""

    def __init__(self, message: str, outcome: Outcome = Outcome.HARNESS_ERROR):
        super().__init__(message)
        self.outcome = outcome


def read_session(driver, database: str | None = None):
    return driver.session(database=database, default_access_mode=READ_ACCESS, fetch_size=1000)


def run_gold(session, cypher: str, *, timeout_s: float = TIMEOUT_S, row_cap: int = ROW_CAP) -> tuple[list[dict], float]:
    """(canonical rows, server milliseconds) of a gold query in an auto-commit READ transaction."""
    started = time.perf_counter()
    try:
        result = session.run(Query(cypher, timeout=timeout_s))
        rows: list[dict] = []
        for record in result:
            if len(rows) >= row_cap:
                raise GoldFailed(f"gold query returned more than {row_cap} rows")
            rows.append({key: canonical(value) for key, value in record.data().items()})
        summary = result.consume()
    except (ServiceUnavailable, SessionExpired) as exc:
        raise GoldFailed(f"Neo4j unreachable: {_short(exc)}", Outcome.INFRA_DB) from None
    except Neo4jError as exc:
        outcome = Outcome.INFRA_DB if str(exc.code or "").startswith("Neo.TransientError") else Outcome.HARNESS_ERROR
        raise GoldFailed(f"{exc.code}: {_short(exc)}", outcome) from None
    except DriverError as exc:
        raise GoldFailed(f"{type(exc).__name__}: {_short(exc)}", Outcome.INFRA_DB) from None
    server_ms = (summary.result_available_after or 0) + (summary.result_consumed_after or 0)
    return rows, float(server_ms or (time.perf_counter() - started) * 1000)


def _short(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return " ".join(str(message).split())[:300]
