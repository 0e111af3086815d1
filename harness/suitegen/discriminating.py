"""Does every filter of a gold matter on this graph? The generator's preference for placeholders.

A gold whose disease filter, effect filter or exclusion can be dropped without changing its
rows cannot tell a model that honours the filter from one that ignores it. The generator
tries placeholders in its seeded order and takes, first, those for which each such filter
changes the answer on the graph it is generating from.
"""

from __future__ import annotations

from ..cypher.mutants import drops_a_filter, mutants
from .gold import GoldError
from .probe import same_answer


def filters_matter(runner, cypher: str, rows: list[dict]) -> bool:
    """True when dropping any one stated WHERE conjunct changes the gold's rows (`runner`: a GoldRunner)."""
    for mutant in mutants(cypher, rules=["drop_conjunct"]):
        if not drops_a_filter(mutant):
            continue
        try:
            dropped = runner.rows(mutant.cypher)
        except GoldError:
            continue  # the query no longer runs: a different answer
        if same_answer(cypher, rows, dropped):
            return False
    return True
