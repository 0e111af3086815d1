"""Cypher as text, below both the judge and suite generation: static checks (scan), query and
literal builders (build), tokens and mutation rules (tokens, mutants). Nothing here talks to a server."""
