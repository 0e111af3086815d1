"""Small, dependency-free statistics for reports and the regression gate.

- `wilson`: the Wilson score interval for a binomial proportion (95% by default). Unlike the
  normal ("Wald") interval it stays inside [0, 1] and is honest at 0/n and n/n.
- `mcnemar_exact`: the exact two-sided McNemar test on paired outcomes. Only discordant pairs
  carry information: b = items only A got right, c = items only B got right. Under "no
  difference" each discordant pair is a fair coin, so X ~ Binomial(b + c, 1/2) and
  p = min(1, 2 * P(X <= min(b, c))); p = 1 when there are no discordant pairs.
- `median` and `percentile`: percentiles use linear interpolation between the closest ranks
  (Hyndman and Fan type 7, numpy's default): for sorted x[0..n-1] and q in [0, 100],
  h = (n - 1) * q / 100 and the result is x[floor(h)] + (h - floor(h)) * (x[floor(h)+1] - x[floor(h)]).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from statistics import NormalDist


def z_value(confidence: float = 0.95) -> float:
    """Two-sided standard normal quantile: 1.959964 for 95%."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def wilson(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval for successes/n as fractions in [0, 1]; None when n is 0."""
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got {successes}/{n}")
    if n == 0:
        return None
    z = z_value(confidence)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low, high = centre - half, centre + half
    # Exact at the edges (the formula gives them up to rounding).
    return (0.0 if successes == 0 else max(0.0, low), 1.0 if successes == n else min(1.0, high))


def mcnemar_exact(b: int, c: int) -> float:
    """Exact two-sided McNemar p-value for b and c discordant pairs."""
    if b < 0 or c < 0:
        raise ValueError(f"discordant counts must be >= 0, got b={b}, c={c}")
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1)) / 2**n
    return min(1.0, 2 * tail)


def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-th percentile (0..100) by linear interpolation (type 7); None for no values."""
    data = sorted(values)
    if not data:
        return None
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be in [0, 100], got {q}")
    h = (len(data) - 1) * q / 100
    low = math.floor(h)
    high = min(low + 1, len(data) - 1)
    return data[low] + (h - low) * (data[high] - data[low])


def median(values: Iterable[float]) -> float | None:
    return percentile(values, 50)
