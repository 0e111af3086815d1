"""Judging generated Cypher: extraction, safe execution, comparison and the outcome."""

from .compare import RowComparison, compare
from .extract import extract_query

__all__ = ["RowComparison", "compare", "extract_query"]
