"""Test suites: deterministic generation from the graph, lint, import and export.

(Named `suitegen` because `suites/` is the data folder at the top of the repository.)
"""
