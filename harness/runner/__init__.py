"""Running a model over a suite: resumable, concurrent, one committed transaction per item."""

from .session import RunRequest, RunSummary, rescore, run

__all__ = ["RunRequest", "RunSummary", "rescore", "run"]
