"""Judging generated Cypher: extraction, safe execution, comparison and the outcome."""

from .compare import Comparison, compare
from .extract import extract_query

__all__ = ["Comparison", "compare", "extract_query"]
