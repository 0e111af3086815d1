"""SQLite results store: runs, generations, verdicts and the gold cache."""

from .db import INFRA_OUTCOMES, OUTCOMES, SCORED_OUTCOMES, Store, default_db_path

__all__ = ["INFRA_OUTCOMES", "OUTCOMES", "SCORED_OUTCOMES", "Store", "default_db_path"]
