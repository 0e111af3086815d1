"""Power of a paired, clustered comparison of two models: is a suite big enough?

For two models on the same n items, d_i = b_i - a_i and the test is on the mean difference.
Under "no difference" Var(mean d) = psi / n * deff, where psi is the share of discordant items
(one model right, the other wrong) and deff = 1 + (m_w - 1) * rho the design effect of the
groups: m_w = sum m_g^2 / n is the size-weighted mean group size and rho the intra-group
correlation of d. At two-sided alpha and power 1 - beta (normal approximation):

    minimum detectable difference  MDD = (z_{1-alpha/2} + z_{1-beta}) * sqrt(psi * deff / n)
    items needed for a difference delta:  n = (z_{1-alpha/2} + z_{1-beta})^2 * psi * deff / delta^2

From two stored runs psi and deff are not assumed but measured: the clustered (CR1) standard error
of their paired difference replaces sqrt(psi * deff / n), and n scales with its square.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from statistics import NormalDist

from .clustered import cluster_totals, cr1_variance

ALPHA = 0.05
POWER = 0.80


def z_sum(alpha: float = ALPHA, power: float = POWER) -> float:
    """z_{1-alpha/2} + z_{power}: 1.959964 + 0.841621 = 2.801585 at the defaults."""
    normal = NormalDist()
    return normal.inv_cdf(1 - alpha / 2) + normal.inv_cdf(power)


@dataclass(frozen=True)
class Layout:
    """The cluster structure of a set of items: n items in groups of the given sizes."""

    sizes: tuple[int, ...]

    @classmethod
    def of(cls, groups: list[str]) -> Layout:
        return cls(tuple(sorted(Counter(groups).values(), reverse=True)))

    @property
    def n(self) -> int:
        return sum(self.sizes)

    @property
    def clusters(self) -> int:
        return len(self.sizes)

    @property
    def weighted_size(self) -> float:
        """sum m_g^2 / n: the mean group size seen from an item (1 when every item stands alone)."""
        return sum(m * m for m in self.sizes) / self.n if self.n else 0.0

    def deff(self, icc: float) -> float:
        return 1 + (self.weighted_size - 1) * icc


def mdd(n: int, discordance: float, deff: float = 1.0, alpha: float = ALPHA, power: float = POWER) -> float:
    """Minimum detectable difference (a fraction) of a paired comparison on n items."""
    return z_sum(alpha, power) * math.sqrt(discordance * deff / n)


def items_needed(
    difference: float, discordance: float, deff: float = 1.0, alpha: float = ALPHA, power: float = POWER
) -> int:
    """Items needed to detect `difference` (a fraction) with a paired test."""
    return math.ceil(z_sum(alpha, power) ** 2 * discordance * deff / difference**2)


@dataclass(frozen=True)
class ObservedPower:
    """What two stored runs say about their own comparison."""

    n: int
    clusters: int
    discordance: float  # share of shared items on which they disagree
    difference: float  # b - a
    se_clustered: float
    se_items: float

    @property
    def deff(self) -> float:
        return (self.se_clustered / self.se_items) ** 2 if self.se_items else 1.0

    def mdd(self, alpha: float = ALPHA, power: float = POWER) -> float:
        return z_sum(alpha, power) * self.se_clustered

    def items_needed(self, difference: float, alpha: float = ALPHA, power: float = POWER) -> int:
        """n scaled so that the MDD equals `difference` (same groups, same disagreement)."""
        return math.ceil(self.n * (self.mdd(alpha, power) / difference) ** 2)


def observed_power(a: dict[str, bool], b: dict[str, bool], cluster_of: dict[str, object]) -> ObservedPower | None:
    """Discordance and standard errors of B - A on the items both runs scored (None if none)."""
    shared = sorted(a.keys() & b.keys())
    if not shared:
        return None
    values = [int(b[item]) - int(a[item]) for item in shared]
    totals = cluster_totals((cluster_of.get(item, ("item", item)), value) for item, value in zip(shared, values))
    n = len(shared)
    mean = sum(values) / n
    discordance = sum(1 for value in values if value) / n
    se_items = math.sqrt(max(0.0, discordance - mean * mean) / n)
    return ObservedPower(n, len(totals), discordance, mean, math.sqrt(cr1_variance(totals)), se_items)
