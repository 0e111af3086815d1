"""The verdict: what the judge decided about one generated output, the spine of the system.

The judge builds a `Verdict`, the store writes it (refusing fields it does not know),
reports read the stored rows back. `Outcome` is the one vocabulary for all of them; it
knows which outcomes are the model's (scored) and which are infrastructure trouble
(never scored, retried on resume). See docs/ARCHITECTURE.md, "The life of a verdict".
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any


class Outcome(str, Enum):
    """Exactly one per judged item."""

    CORRECT = "correct"
    WRONG_RESULT = "wrong_result"
    SYNTAX_ERROR = "syntax_error"
    EXEC_ERROR = "exec_error"
    TIMEOUT = "timeout"
    FORBIDDEN = "forbidden"
    TOO_MANY_ROWS = "too_many_rows"
    NO_QUERY = "no_query"
    INFRA_MODEL = "infra_model"
    INFRA_DB = "infra_db"
    HARNESS_ERROR = "harness_error"

    def __str__(self) -> str:
        return self.value

    @property
    def scored(self) -> bool:
        """The model's own outcome, counted in every rate; infra outcomes are not."""
        return self not in INFRA

    @classmethod
    def is_scored(cls, value: object) -> bool:
        """For values read back from a database: an unknown outcome is never scored."""
        try:
            return cls(value).scored
        except ValueError:
            return False


INFRA = (Outcome.INFRA_MODEL, Outcome.INFRA_DB, Outcome.HARNESS_ERROR)  # in the order reports show them
SCORED = tuple(o for o in Outcome if o not in INFRA)


@dataclass
class Verdict:
    """One item's verdict. Per-level flags are None when the level was never reached for infra reasons."""

    outcome: Outcome
    extracted_query: str | None = None
    syntax_ok: bool | None = None
    exec_ok: bool | None = None
    match: bool | None = None
    strict_match: bool | None = None
    f1: float | None = None
    reason: str | None = None
    error: str | None = None
    error_class: str | None = None
    warnings: list[str] = field(default_factory=list)
    row_count: int | None = None
    gold_row_count: int | None = None
    db_ms: float | None = None
    judge_ms: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.outcome = Outcome(self.outcome)

    @property
    def scored(self) -> bool:
        return self.outcome.scored

    @classmethod
    def unscored_yet(cls, query: str | None, gold_row_count: int, **extra: Any) -> Verdict:
        """The start of judging a model's output: no query found, no level passed, until shown otherwise."""
        return cls(
            outcome=Outcome.NO_QUERY,
            extracted_query=query,
            gold_row_count=gold_row_count,
            syntax_ok=False,
            exec_ok=False,
            match=False,
            strict_match=False,
            f1=0.0,
            db_ms=0.0,
            **extra,
        )

    @classmethod
    def infra(cls, outcome: Outcome | str, error: str, error_class: str = "", **extra: Any) -> Verdict:
        verdict = cls(outcome=Outcome(outcome), error=error, error_class=error_class, **extra)
        if verdict.scored:
            raise ValueError(f"{verdict.outcome} is not an infra outcome")
        return verdict

    def columns(self) -> dict[str, Any]:
        """The results-table columns this verdict fills (flags as 0/1, the scored flag derived)."""
        record: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool):
                value = int(value)
            record[f.name] = value
        record["outcome"] = self.outcome.value
        record["scored"] = int(self.scored)
        return record
