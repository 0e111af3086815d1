"""Clustered intervals and paired tests (harness/report/clustered.py) against hand computations, an
independent cluster bootstrap, the exact McNemar test, and a coverage simulation."""

from __future__ import annotations

import math
import random

import pytest

from harness.report.clustered import (
    cluster_totals,
    clustered_rate,
    cr1_variance,
    design_effect,
    paired_difference,
    sign_flip_p,
)
from harness.report.stats import holm, mcnemar_exact, t_cdf, t_value, wilson

# Four groups: A 3/3, B 0/2, C 1/1, D 1/2 -> n = 8, k = 5, p = 0.625
SMALL = [("A", 1), ("A", 1), ("A", 1), ("B", 0), ("B", 0), ("C", 1), ("D", 1), ("D", 0)]


def test_t_distribution_known_values():
    assert t_value(9) == pytest.approx(2.262157, abs=1e-6)
    assert t_value(1) == pytest.approx(12.706205, abs=1e-6)
    assert t_value(3) == pytest.approx(3.182446, abs=1e-6)
    assert t_value(math.inf) == pytest.approx(1.959964, abs=1e-6)
    assert t_cdf(2.0, 5) == pytest.approx(0.949030, abs=1e-6)
    assert t_cdf(-2.0, 5) == pytest.approx(1 - 0.949030, abs=1e-6)


def test_holm_step_down():
    # sorted 0.005, 0.01, 0.03, 0.04 -> 4*0.005, 3*0.01, 2*0.03, max(0.06, 1*0.04)
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == [1.0, 1.0]
    assert holm([0.02]) == [0.02]


def test_cr1_variance_and_design_effect_by_hand():
    # residual totals Y_g - p m_g: 3 - 1.875 = 1.125, 0 - 1.25, 1 - 0.625 = 0.375, 1 - 1.25 = -0.25
    # squares sum to 3.03125; V = G/(G-1) * 3.03125 / n^2 = 4/3 * 3.03125 / 64 = 0.0631510
    totals = cluster_totals(SMALL)
    assert cr1_variance(totals) == pytest.approx(0.0631510, abs=1e-7)
    # item-level variance with the same small-sample factor: p(1-p)/(n-1) = 0.234375/7 = 0.0334821
    assert design_effect(totals) == pytest.approx(0.0631510 / 0.0334821, abs=1e-5)


def test_clustered_interval_is_wilson_over_the_effective_n_with_t():
    rate = clustered_rate(SMALL)
    assert (rate.k, rate.n, rate.clusters) == (5, 8, 4)
    n_eff, q, p = 8 / rate.deff, 3.182446, 0.625  # t on G - 1 = 3 df
    centre = (p + q * q / (2 * n_eff)) / (1 + q * q / n_eff)
    half = q * math.sqrt(p * (1 - p) / n_eff + q * q / (4 * n_eff**2)) / (1 + q * q / n_eff)
    assert rate.low == pytest.approx(centre - half, abs=1e-6)
    assert rate.high == pytest.approx(centre + half, abs=1e-6)


def test_one_item_per_group_is_wilson_with_t_on_n_minus_1_df():
    pairs = [(i, i % 8 != 0) for i in range(80)]  # 70 of 80
    rate = clustered_rate(pairs)
    assert rate.deff == pytest.approx(1.0)
    # Wilson with z replaced by t_79 = 1.990450: slightly wider than the plain Wilson interval
    z_low, z_high = wilson(70, 80)
    assert rate.low < z_low < z_high < rate.high
    assert rate.high - rate.low == pytest.approx((z_high - z_low) * 1.990450 / 1.959964, rel=0.01)


def test_all_correct_counts_each_group_once():
    rate = clustered_rate([(g, True) for g in range(20) for _ in range(5)])  # 100/100 in 20 groups
    assert rate.deff == 5 and rate.high == 1.0
    assert rate.low < wilson(100, 100)[0]


def test_clustered_standard_error_matches_an_independent_cluster_bootstrap():
    rng = random.Random(7)
    data = []
    for group in range(60):
        q = rng.random()
        data += [(group, rng.random() < q) for _ in range(rng.randint(1, 8))]
    totals = cluster_totals(data)
    groups = len(totals)
    # the bootstrap's variance of the ratio estimator approximates CR0 = CR1 * (G - 1) / G
    means = []
    for _ in range(4000):
        sample = [totals[rng.randrange(groups)] for _ in range(groups)]
        means.append(sum(t for t, _ in sample) / sum(m for _, m in sample))
    mean = sum(means) / len(means)
    bootstrap_var = sum((x - mean) ** 2 for x in means) / (len(means) - 1)
    assert bootstrap_var == pytest.approx(cr1_variance(totals) * (groups - 1) / groups, rel=0.1)


def simulate(groups: int, rate: float, icc: float, reps: int, seed: int) -> tuple[float, float]:
    """Coverage of the clustered and the item-level Wilson 95% intervals on synthetic clustered data:
    each group draws its own success probability from a Beta with mean `rate` and intra-group
    correlation `icc`, then 1-8 items (the demo suite's group sizes) from it."""
    rng = random.Random(seed)
    a, b = rate * (1 - icc) / icc, (1 - rate) * (1 - icc) / icc
    covered_clustered = covered_wilson = 0
    for _ in range(reps):
        data = []
        for group in range(groups):
            q = rng.betavariate(a, b)
            data += [(group, rng.random() < q) for _ in range(rng.randint(1, 8))]
        result = clustered_rate(data)
        covered_clustered += result.low <= rate <= result.high
        low, high = wilson(result.k, result.n)
        covered_wilson += low <= rate <= high
    return covered_clustered / reps, covered_wilson / reps


def test_coverage_of_the_clustered_interval_on_clustered_data():
    clustered, item_level = simulate(groups=175, rate=0.7, icc=0.5, reps=2000, seed=1)
    assert 0.93 <= clustered <= 0.97
    assert item_level < 0.85  # Wilson over items overstates precision here


def test_coverage_with_few_groups():
    clustered, item_level = simulate(groups=30, rate=0.5, icc=0.6, reps=1000, seed=2)
    assert 0.93 <= clustered <= 0.97
    assert item_level < 0.85


def test_sign_flip_over_one_item_groups_is_exact_mcnemar():
    for b, c in ((1, 9), (2, 8), (0, 5), (4, 4), (13, 30), (0, 0)):
        sums = [-1] * b + [1] * c + [0] * 7
        assert sign_flip_p(sums) == pytest.approx(mcnemar_exact(b, c), abs=1e-12)


def test_sign_flip_by_hand():
    # sums 2, -1, 3 (total 4): the 8 sign patterns give 6, 4, 0, -2, 2, 0, -4, -6; |S| >= 4 in 4 of 8
    assert sign_flip_p([2, -1, 3]) == 0.5
    # one group of 6 all going one way is one coin: p = 1
    assert sign_flip_p([6]) == 1.0


def test_paired_difference_keeps_groups_together():
    # B gains on 3 groups of 4 items, loses on none: 12 discordant items but only 3 independent coins
    a = {f"g{g}-{i}": False for g in range(10) for i in range(4)}
    b = {item: item[:2] in ("g0", "g1", "g2") for item in a}
    groups = {item: item.split("-")[0] for item in a}
    result = paired_difference(a, b, groups)
    assert result.clusters == 10 and result.n == 40
    assert result.difference == pytest.approx(0.3)
    assert result.p_value == pytest.approx(0.25)  # 2 * (1/2)^3
    assert mcnemar_exact(0, 12) < 0.001  # what treating the 12 items as independent claims
    assert result.low < 0 < result.high  # and the clustered interval agrees: not significant
    alone = paired_difference(a, b, {})
    assert alone.clusters == 40 and alone.p_value == pytest.approx(mcnemar_exact(0, 12))
