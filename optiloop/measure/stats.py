"""Statistics on fixed samples: no I/O, deterministic for a given seed."""

from __future__ import annotations

import random
from collections.abc import Sequence
from statistics import median


def paired_speedup(
    baseline: Sequence[float],
    candidate: Sequence[float],
    resamples: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float, float]:
    """Speedup (baseline / candidate, ratio of medians) with a bootstrap confidence interval.

    The samples are paired by round (they were taken interleaved), so the bootstrap resamples
    rounds, keeping each pair together: drift that hit both sides of a round cancels.
    Returns ``(point, low, high)``.
    """
    if len(baseline) != len(candidate) or not baseline:
        raise ValueError("paired samples must be non-empty and of equal length")
    point = median(baseline) / median(candidate)
    n = len(baseline)
    rng = random.Random(seed)
    ratios = []
    for _ in range(resamples):
        idx = [rng.randrange(n) for _ in range(n)]
        ratios.append(median(baseline[i] for i in idx) / median(candidate[i] for i in idx))
    ratios.sort()
    tail = (1.0 - level) / 2.0
    low = ratios[int(tail * resamples)]
    high = ratios[min(resamples - 1, int((1.0 - tail) * resamples))]
    return point, low, high
