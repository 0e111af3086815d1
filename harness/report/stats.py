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
- `t_cdf`, `t_value`: Student's t (clustered intervals use G - 1 degrees of freedom for G clusters).
- `holm`: Holm's step-down adjustment of several p-values (pairwise tests of three or more models).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache
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


def t_cdf(x: float, df: float) -> float:
    """Student's t distribution function, through the regularized incomplete beta function."""
    if df <= 0:
        raise ValueError(f"degrees of freedom must be > 0, got {df}")
    tail = 0.5 * _betainc(df / 2, 0.5, df / (df + x * x))
    return 1 - tail if x > 0 else tail


@lru_cache(maxsize=256)
def t_value(df: float, confidence: float = 0.95) -> float:
    """Two-sided Student t quantile (2.262157 for 9 df at 95%); the normal one for infinite df."""
    if math.isinf(df):
        return z_value(confidence)
    target, low, high = 1 - (1 - confidence) / 2, 0.0, 1000.0
    for _ in range(200):  # bisection: t_cdf is monotone, 200 halvings are far below float precision
        middle = (low + high) / 2
        low, high = (middle, high) if t_cdf(middle, df) < target else (low, middle)
    return (low + high) / 2


def _betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b) by its continued fraction (Lentz), as in Numerical Recipes."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x > (a + 1) / (a + b + 2):
        return 1 - _betainc(b, a, 1 - x)
    tiny, c, d = 1e-300, 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 500):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return front * result / a


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjustment (family-wise error) of m p-values, returned in their input order:
    the i-th smallest becomes max over j <= i of min(1, (m - j + 1) * p_(j))."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted, running = [0.0] * len(p_values), 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted
