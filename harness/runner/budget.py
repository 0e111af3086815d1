"""`harness run --cost-limit USD`: stop taking items before the run's estimated spend passes the limit.

The spend is the spec's price (pricing.py) times what the run's generations recorded,
counted from the run's earlier parts too when it is resumed. Before each model call starts the
budget asks whether the spend so far, plus the calls already under way and this one each at the
largest cost one call has had, stays within the limit (the first call runs alone: its cost is not
known before it ends); if not, no more items are taken, the calls
under way finish and are recorded, and the run ends `interrupted` (`--resume` with a higher limit
continues it). An estimate, not a bill: the provider's own count decides.
"""

from __future__ import annotations

import threading

from ..adapters.base import Generation, ModelSpec
from ..pricing import Price
from ..store import Store
from ..store.aggregates import run_usage


def spec_price(spec: ModelSpec) -> Price | None:
    return Price(**spec.price) if spec.price else None


def cost_limit_for(spec: ModelSpec, limit_usd: float | None, store: Store, run_id: str) -> CostLimit | None:
    """The --cost-limit budget of a run, counting what its earlier parts (before a resume) already spent."""
    if limit_usd is None:
        return None
    price = spec_price(spec)
    if price is None:  # run() refuses a limit without a price before anything starts
        raise ValueError(f"model {spec.name!r} has no price")
    usage = run_usage(store, run_id)
    return CostLimit(price, limit_usd, price.cost(usage.prompt_tokens, usage.output_tokens, usage.gen_ms))


class CostLimit:
    def __init__(self, price: Price, limit_usd: float, spent_before: float = 0.0):
        self.price = price
        self.limit = limit_usd
        self.spent = spent_before
        self.largest_call = 0.0
        self.calls = 0
        self.stopped = False
        self._lock = threading.Lock()

    def add(self, generation: Generation) -> None:
        """Count one finished model call (from the pipeline's main thread)."""
        cost = self.price.cost(generation.prompt_tokens, generation.output_tokens, generation.gen_ms)
        with self._lock:
            self.spent += cost
            self.calls += 1
            self.largest_call = max(self.largest_call, cost)

    def must_wait(self, in_flight: int) -> bool:
        """Until one call has finished its cost is unknown: only one call may be under way."""
        with self._lock:
            return self.calls == 0 and in_flight > 0

    def allows(self, in_flight: int) -> bool:
        """Whether one more call may start while `in_flight` calls are still under way."""
        with self._lock:
            projected = self.spent + (in_flight + 1) * self.largest_call
            allowed = self.spent < self.limit and projected <= self.limit
        self.stopped = self.stopped or not allowed
        return allowed

    def message(self, run_id: str, model: str) -> str:
        return (
            f"cost limit reached: an estimated ${self.spent:.4f} of ${self.limit:g} spent "
            f"({self.price.describe()}); continue with `harness run --model {model} --resume --cost-limit USD` "
            f"(run {run_id})"
        )
