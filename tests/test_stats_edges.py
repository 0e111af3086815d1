"""The statistics at their edges: what each function refuses, and the exact values at the boundaries
(issue 26: survivors of the mutation check). Expectations come from the definitions in the module's
docstring, worked out by hand."""

from __future__ import annotations

import pytest

from harness.report.stats import mcnemar_exact, percentile, wilson, z_value


@pytest.mark.parametrize("confidence", [0, 1, 1.5, -0.1])
def test_confidence_outside_the_open_unit_interval_is_refused(confidence):
    with pytest.raises(ValueError, match=r"confidence must be in \(0, 1\)"):
        z_value(confidence)


@pytest.mark.parametrize(("successes", "n"), [(-1, 5), (6, 5), (0, -1), (-2, -1)])
def test_impossible_counts_are_refused_with_the_counts(successes, n):
    with pytest.raises(ValueError, match=f"need 0 <= successes <= n, got {successes}/{n}"):
        wilson(successes, n)


def test_all_successes_reach_exactly_one_and_none_exactly_zero():
    for n in (1, 7, 80, 1000):
        assert wilson(n, n)[1] == 1.0 and wilson(0, n)[0] == 0.0
        assert wilson(n, n)[0] < 1.0 and wilson(0, n)[1] > 0.0


@pytest.mark.parametrize(("b", "c"), [(-1, 2), (2, -1), (-1, -1)])
def test_negative_discordant_counts_are_refused(b, c):
    with pytest.raises(ValueError, match=f"discordant counts must be >= 0, got b={b}, c={c}"):
        mcnemar_exact(b, c)


def test_one_discordant_pair_is_no_evidence():
    # X ~ Binomial(1, 1/2): p = min(1, 2 * P(X <= 0)) = min(1, 2 * 1/2) = 1
    assert mcnemar_exact(1, 0) == mcnemar_exact(0, 1) == 1.0
    # two pairs the same way: p = 2 * P(X <= 0) = 2 * 1/4 = 0.5
    assert mcnemar_exact(2, 0) == 0.5


@pytest.mark.parametrize("q", [-0.5, 100.5, 101])
def test_percentiles_outside_0_to_100_are_refused(q):
    with pytest.raises(ValueError, match=r"percentile must be in \[0, 100\]"):
        percentile([1.0, 2.0], q)


def test_percentile_at_the_ends_and_between_ranks():
    data = [10.0, 20.0, 40.0]
    # h = (n - 1) q / 100: q 0 -> x[0], q 100 -> x[2], q 75 -> h 1.5 -> 20 + 0.5 * 20 = 30
    assert (percentile(data, 0), percentile(data, 100), percentile(data, 75)) == (10.0, 40.0, 30.0)
