"""Cluster-aware intervals and paired tests: items of one `group_id` (paraphrases and synonym
variants of one question) succeed or fail together, so they are not independent evidence.

Notation: G clusters, cluster g holds m_g items with Y_g successes (or, for a paired difference,
D_g = sum of a_i - b_i); n = sum m_g; p = sum Y_g / n.

- **Variance (CR1).** The cluster-robust ("sandwich") variance of the mean with the usual
  small-sample factor G / (G - 1):  V = G / (G - 1) * sum_g (Y_g - p m_g)^2 / n^2.
  It is what a regression of y on a constant with clustered standard errors reports (Stata's
  `regress y, vce(cluster g)`; inspect_ai's `stderr(cluster=...)` without the factor).
- **Design effect.** deff = V / (p (1 - p) / (n - 1)): how many times the item-level variance
  (with the same small-sample factor, n / (n - 1)) the clustered one is, so one item per group
  gives exactly 1. It is floored at 1 (a clustered interval is never narrower than the
  item-level one); n / deff is the effective number of independent items.
- **Interval of a rate.** Wilson's score interval over the effective sample size n / deff, with
  Student's t on G - 1 degrees of freedom in place of z (the "Wilson with design effect" interval
  of survey statistics, Korn and Graubard 1998; Dean and Pagano 2015). Unlike a Wald interval
  p +- t sqrt(V) it stays inside [0, 1] and keeps Wilson's behaviour near 0% and 100%. At 0/n or
  n/n the data say nothing about the correlation, so every cluster counts as one observation
  (n_eff = G, the most cautious choice).
- **Paired difference.** d_i = b_i - a_i on the shared items; the mean difference with the CR1
  variance of D_g and a t interval on G - 1 df (a difference can be negative, so no Wilson here).
- **Paired p-value.** An exact sign-flip (randomization) test over clusters: under "no difference"
  swapping the two models' labels inside a cluster changes nothing, so each D_g is +-|D_g| with
  probability 1/2; p = P(|sum of signed D_g| >= |observed sum|), computed exactly by convolution.
  With one item per cluster this is exactly the two-sided exact McNemar test.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from .stats import t_value


@dataclass(frozen=True)
class ClusteredRate:
    k: int
    n: int
    clusters: int
    deff: float
    low: float  # 0..1
    high: float

    @property
    def n_effective(self) -> float:
        return self.n / self.deff


@dataclass(frozen=True)
class ClusteredDifference:
    """B - A on shared items (fractions), its t interval over clusters and the sign-flip p-value."""

    n: int
    clusters: int
    difference: float
    low: float
    high: float
    p_value: float


def cluster_totals(pairs: Iterable[tuple[object, float]]) -> list[tuple[float, int]]:
    """(sum of values, item count) per cluster, from (cluster key, value) pairs."""
    totals: dict[object, list] = {}
    for cluster, value in pairs:
        entry = totals.setdefault(cluster, [0.0, 0])
        entry[0] += value
        entry[1] += 1
    return [(total, size) for total, size in totals.values()]


def cr1_variance(totals: list[tuple[float, int]]) -> float:
    """CR1 variance of the item mean: G/(G-1) * sum (T_g - mean m_g)^2 / n^2 (0 for one cluster)."""
    n = sum(size for _, size in totals)
    groups = len(totals)
    if groups < 2 or n == 0:
        return 0.0
    mean = sum(total for total, _ in totals) / n
    return groups / (groups - 1) * sum((total - mean * size) ** 2 for total, size in totals) / n**2


def design_effect(totals: list[tuple[float, int]]) -> float:
    """Clustered over item-level variance of a proportion, floored at 1; n/G when p is 0 or 1."""
    n = sum(size for _, size in totals)
    if n < 2:
        return 1.0
    p = sum(total for total, _ in totals) / n
    if p <= 0 or p >= 1:
        return n / len(totals)
    return max(1.0, cr1_variance(totals) / (p * (1 - p) / (n - 1)))


def wilson_effective(p: float, n_eff: float, quantile: float) -> tuple[float, float]:
    """Wilson's score interval for proportion p observed on n_eff (possibly fractional) items."""
    q2 = quantile * quantile
    denominator = 1 + q2 / n_eff
    centre = (p + q2 / (2 * n_eff)) / denominator
    half = quantile * math.sqrt(p * (1 - p) / n_eff + q2 / (4 * n_eff * n_eff)) / denominator
    return (0.0 if p <= 0 else max(0.0, centre - half), 1.0 if p >= 1 else min(1.0, centre + half))


def clustered_rate(pairs: Iterable[tuple[object, bool]], confidence: float = 0.95) -> ClusteredRate | None:
    """The clustered interval of a success rate from (cluster key, success) per item; None for no items."""
    totals = cluster_totals((cluster, float(bool(success))) for cluster, success in pairs)
    n = sum(size for _, size in totals)
    if n == 0:
        return None
    k = int(sum(total for total, _ in totals))
    deff = design_effect(totals)
    groups = len(totals)
    quantile = t_value(groups - 1, confidence) if groups > 1 else t_value(1, confidence)
    low, high = wilson_effective(k / n, n / deff, quantile)
    return ClusteredRate(k, n, groups, deff, low, high)


def paired_difference(
    a: dict[str, bool], b: dict[str, bool], cluster_of: dict[str, object], confidence: float = 0.95
) -> ClusteredDifference | None:
    """B - A over the items both scored, with items of one cluster kept together; None if none shared."""
    shared = sorted(a.keys() & b.keys())
    if not shared:
        return None
    totals = cluster_totals((cluster_of.get(item, ("item", item)), int(b[item]) - int(a[item])) for item in shared)
    n, groups = len(shared), len(totals)
    difference = sum(total for total, _ in totals) / n
    half = t_value(max(1, groups - 1), confidence) * math.sqrt(cr1_variance(totals))
    return ClusteredDifference(
        n, groups, difference, difference - half, difference + half, sign_flip_p([int(t) for t, _ in totals])
    )


def sign_flip_p(cluster_sums: list[int]) -> float:
    """Exact two-sided p of the sign-flip test: P(|sum e_g s_g| >= |sum s_g|), e_g = +-1 fairly."""
    sums = [abs(s) for s in cluster_sums if s]
    observed = abs(sum(cluster_sums))
    if not sums:
        return 1.0
    # distribution of the signed total, as probabilities over offsets -total..total
    total = sum(sums)
    probabilities = [0.0] * (2 * total + 1)
    probabilities[total] = 1.0
    reach = 0
    for s in sums:
        shifted = [0.0] * len(probabilities)
        for offset in range(total - reach, total + reach + 1):
            weight = probabilities[offset]
            if weight:
                shifted[offset - s] += weight / 2
                shifted[offset + s] += weight / 2
        probabilities, reach = shifted, reach + s
    tail = sum(w for offset, w in enumerate(probabilities) if abs(offset - total) >= observed)
    return min(1.0, tail)
