"""SQLite results store: runs, generations, verdicts and the gold cache."""

from .db import Store, default_db_path

__all__ = ["Store", "default_db_path"]
