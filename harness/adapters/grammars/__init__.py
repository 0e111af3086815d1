"""GBNF grammars (data)."""
