"""`gold`: answers with the suite's own gold query. A sanity check: it must score 100%."""

import time

from .base import Adapter, Generation


class GoldAdapter(Adapter):
    name = "gold"
    needs = "nothing"
    max_concurrency = 64

    def generate(self, item):
        started = time.perf_counter()
        return Generation(output=item.cypher, gen_ms=(time.perf_counter() - started) * 1000, finish_reason="stop")
