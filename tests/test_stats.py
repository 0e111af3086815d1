"""Statistics against values computed by hand (formulas in the comments)."""

import math

import pytest

from harness.report.stats import mcnemar_exact, median, percentile, wilson, z_value


def test_z_for_95_percent():
    assert z_value() == pytest.approx(1.959964, abs=1e-6)


def test_wilson_73_of_80():
    # p = 0.9125, z^2/n = 0.048018; centre = (p + z^2/2n) / (1 + z^2/n) = 0.893600,
    # half = z * sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n) = 0.063369
    low, high = wilson(73, 80)
    assert low == pytest.approx(0.830232, abs=1e-6)
    assert high == pytest.approx(0.956968, abs=1e-6)


def test_wilson_at_the_edges():
    # 0/10: upper = (z^2/n) / (1 + z^2/n) = 0.384146 / 1.384146 = 0.277533
    assert wilson(0, 10) == (0.0, pytest.approx(0.277533, abs=1e-6))
    # 10/10 mirrors 0/10
    assert wilson(10, 10) == (pytest.approx(0.722467, abs=1e-6), 1.0)
    assert wilson(0, 0) is None


def test_wilson_is_symmetric_and_contains_the_estimate():
    low, high = wilson(1, 2)
    assert low + high == pytest.approx(1.0)
    assert low < 0.5 < high
    wide, narrow = wilson(45, 90, 0.99), wilson(45, 90, 0.90)
    assert wide[0] < narrow[0] and wide[1] > narrow[1]


def test_wilson_rejects_impossible_counts():
    with pytest.raises(ValueError):
        wilson(11, 10)


def test_mcnemar_exact_small_tables():
    # b=1, c=9: P(X <= 1) for X ~ Bin(10, 1/2) = (1 + 10) / 1024; p = 2 * 11/1024 = 0.021484375
    assert mcnemar_exact(1, 9) == pytest.approx(0.021484375, abs=1e-12)
    assert mcnemar_exact(9, 1) == mcnemar_exact(1, 9)
    # b=2, c=8: (1 + 10 + 45) / 1024 * 2 = 0.109375
    assert mcnemar_exact(2, 8) == pytest.approx(0.109375, abs=1e-12)
    # b=0, c=5: 2 * 1/32
    assert mcnemar_exact(0, 5) == pytest.approx(0.0625)
    # no discordant pairs, or a balanced table: no evidence at all
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(3, 3) == 1.0


def test_mcnemar_large_table_is_tiny_and_exact():
    # b=0, c=30: 2 / 2^30
    assert mcnemar_exact(0, 30) == pytest.approx(2 / 2**30, rel=1e-12)
    assert math.isfinite(mcnemar_exact(400, 600))


def test_percentile_linear_interpolation():
    values = list(range(1, 21))
    # h = (20 - 1) * 0.95 = 18.05 -> x[18] + 0.05 * (x[19] - x[18]) = 19 + 0.05
    assert percentile(values, 95) == pytest.approx(19.05)
    assert percentile(reversed(values), 0) == 1
    assert percentile(values, 100) == 20
    assert median([3, 1, 2, 10]) == 2.5
    assert median([5]) == 5
    assert median([]) is None
