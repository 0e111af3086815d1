"""What one generated query may cost on the server: the one owner of the default limits.

`harness run --timeout/--row-cap`, the runner, the executor and test-suite judging all
take a `Limits`; the defaults are written here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """A server-side transaction timeout and a cap on streamed rows, per generated query."""

    timeout_s: float = 10.0
    row_cap: int = 5000

    def recorded(self) -> dict:
        return {"timeout_s": self.timeout_s, "row_cap": self.row_cap}


DEFAULT_LIMITS = Limits()
