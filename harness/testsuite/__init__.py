"""Test-suite accuracy: gold mutants, graph variants that tell golds from their mutants, and the item audit."""
