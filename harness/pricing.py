"""A model's price, as data in its spec (`[price]` in models/<name>.toml), never fetched:

    [price]                      # a hosted API, USD per million tokens
    input_per_million = 0.10
    output_per_million = 0.40

    [price]                      # a local model, USD per hour of the machine it runs on
    per_hour = 0.35

A run's cost is an estimate: the recorded tokens times the token prices plus the measured
generation time times the hourly price (both may be given).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .errors import InputError

PRICE_KEYS = ("input_per_million", "output_per_million", "per_hour")


@dataclass(frozen=True)
class Price:
    input_per_million: float = 0.0
    output_per_million: float = 0.0
    per_hour: float = 0.0

    def cost(self, prompt_tokens: int | None, output_tokens: int | None, gen_ms: float | None) -> float:
        """USD for one call (or a sum of calls); a missing count costs nothing."""
        return (
            (prompt_tokens or 0) * self.input_per_million / 1e6
            + (output_tokens or 0) * self.output_per_million / 1e6
            + (gen_ms or 0.0) * self.per_hour / 3.6e6
        )

    @property
    def hourly(self) -> bool:
        return self.per_hour > 0

    def describe(self) -> str:
        parts = []
        if self.input_per_million or self.output_per_million:
            parts.append(f"${self.input_per_million:g} in / ${self.output_per_million:g} out per 1M tokens")
        if self.per_hour:
            parts.append(f"${self.per_hour:g} per hour of generation")
        return " + ".join(parts) or "$0"

    def record(self) -> dict:
        return asdict(self)


def parse_price(data: object, where: str) -> Price | None:
    """The `[price]` table of a spec, checked (non-negative numbers, known keys); None when absent."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise InputError(f"{where}: [price] must be a table ({', '.join(PRICE_KEYS)})")
    unknown = sorted(set(data) - set(PRICE_KEYS))
    if unknown:
        raise InputError(f"{where}: unknown price key(s) {', '.join(unknown)} (known: {', '.join(PRICE_KEYS)})")
    values = {}
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise InputError(f"{where}: price {key} must be a number >= 0 (USD), not {value!r}")
        values[key] = float(value)
    if not values:
        raise InputError(f"{where}: [price] is empty (give {', '.join(PRICE_KEYS)})")
    return Price(**values)


def price_of_record(spec_record: dict | None) -> Price | None:
    """The price recorded with a run's model spec (None if the spec had none or it is unreadable)."""
    data = (spec_record or {}).get("price") if isinstance(spec_record, dict) else None
    try:
        return parse_price(data, "recorded spec")
    except InputError:
        return None
