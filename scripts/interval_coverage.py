"""Coverage of the report's 95% intervals on synthetic clustered data with a known rate.

    python scripts/interval_coverage.py [--reps 2000]

Each group draws its own success probability from a Beta distribution with mean RATE and
intra-group correlation ICC, then 1-8 items from it (the demo suite's group sizes). For each
setting the script prints how often the clustered interval (report/clustered.py) and the
item-level Wilson interval contain RATE. tests/test_clustered.py checks two of these settings.
"""

from __future__ import annotations

import argparse
import random

from harness.report.clustered import clustered_rate
from harness.report.stats import wilson

SETTINGS = ((175, 0.7, 0.5), (175, 0.5, 0.2), (175, 0.9, 0.3), (40, 0.7, 0.5), (30, 0.5, 0.6), (175, 0.7, 0.0))


def coverage(groups: int, rate: float, icc: float, reps: int, seed: int) -> tuple[float, float]:
    rng = random.Random(seed)
    covered_clustered = covered_wilson = 0
    for _ in range(reps):
        data = []
        for group in range(groups):
            q = rate if icc == 0 else rng.betavariate(rate * (1 - icc) / icc, (1 - rate) * (1 - icc) / icc)
            data += [(group, rng.random() < q) for _ in range(rng.randint(1, 8))]
        result = clustered_rate(data)
        covered_clustered += result.low <= rate <= result.high
        low, high = wilson(result.k, result.n)
        covered_wilson += low <= rate <= high
    return covered_clustered / reps, covered_wilson / reps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print("| groups | rate | ICC | clustered 95% interval covers | item-level Wilson covers |")
    print("|---|---|---|---|---|")
    for groups, rate, icc in SETTINGS:
        clustered, item_level = coverage(groups, rate, icc, args.reps, args.seed)
        print(f"| {groups} | {rate} | {icc} | {100 * clustered:.1f}% | {100 * item_level:.1f}% |")


if __name__ == "__main__":
    main()
