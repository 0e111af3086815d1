"""Running a model over a suite: resumable, concurrent, one committed transaction per item."""

from .session import RunRequest, RunResult, rescore, run

__all__ = ["RunRequest", "RunResult", "rescore", "run"]
