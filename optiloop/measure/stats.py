"""Statistics on fixed samples: no I/O, deterministic for a given seed."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from optiloop.types import Noise

ALPHA = 0.05  # two-sided error of one whole (sequential) measurement: the interval is (at least) 95%
SPENDING_POWER = 2.0  # alpha(t) = ALPHA * t**rho: little error spent on early looks, most on the last
RANK_ALPHA = 0.01  # one-sided level of the rank test an accept also needs (the interval's tail is 2.5%)
EXACT_RANKS = 50  # Mann-Whitney's exact distribution up to this many values per side (without ties)
AMDAHL_FAR = 1.25  # a measured speedup above 1.25x the profile's prediction (and outside the interval) is "far"
AMDAHL_NO_BOUND = 0.999  # a target with at least this share of the profile: its bound 1 / (1 - f) says nothing


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


def resamples_for(level: float) -> int:
    """Enough bootstrap resamples that about 20 fall in each tail of a ``level`` interval."""
    tail = (1.0 - level) / 2.0
    return max(2000, min(50_000, math.ceil(20.0 / tail)))


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the regularized incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        for num in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                    -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-14:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    if x <= 0.0 or x >= 1.0:
        return 0.0 if x <= 0.0 else 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_upper_tail(t: float, df: int) -> float:
    """P(T > t) for Student's t with ``df`` degrees of freedom, t >= 0."""
    return 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t))


def t_quantile(tail: float, df: int) -> float:
    """The t with P(T > t) = ``tail`` (0 < tail <= 0.5), by bisection."""
    low, high = 0.0, 1.0
    while t_upper_tail(high, df) > tail:
        high *= 2.0
    for _ in range(200):
        mid = (low + high) / 2.0
        low, high = (mid, high) if t_upper_tail(mid, df) > tail else (low, mid)
    return high


def t_interval(baseline: Sequence[float], candidate: Sequence[float], level: float) -> tuple[float, float]:
    """Student-t interval of the mean per-round log ratio log(baseline / candidate), as speedups.

    Exact for normal log ratios at any number of rounds, where the bootstrap is too narrow with
    few rounds (3 rounds: about 14% per tail instead of 2.5%)."""
    if len(baseline) != len(candidate):
        raise ValueError(f"paired rounds differ in number: {len(baseline)} and {len(candidate)}")
    logs = [math.log(b / c) for b, c in zip(baseline, candidate, strict=True)]
    n = len(logs)
    if n < 2:
        return 0.0, math.inf
    mean = sum(logs) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in logs) / (n - 1))
    half = t_quantile((1.0 - level) / 2.0, n - 1) * sd / math.sqrt(n)
    return math.exp(mean - half), math.exp(mean + half)


def interval(baseline: Sequence[float], candidate: Sequence[float], level: float) -> tuple[float, float, float]:
    """The speedup (ratio of medians) and the union of two ``level`` intervals: the paired bootstrap
    (robust to outliers, too narrow with few rounds) and the t interval of the log ratios (exact for
    normal noise at any number of rounds). A claim needs both to agree."""
    point, low, high = paired_speedup(baseline, candidate, resamples=resamples_for(level), level=level)
    t_low, t_high = t_interval(baseline, candidate, level)
    return point, min(low, t_low), max(high, t_high)


def rank_test(baseline: Sequence[float], candidate: Sequence[float]) -> float:
    """One-sided p-value of the Mann-Whitney U test that the candidate's times are smaller.

    Exact (the distribution of U over all splits of the values) without ties and up to
    ``EXACT_RANKS`` values per side; otherwise the normal approximation with tie and continuity
    correction. scipy is imported here, not at import time: it takes a second to load.
    """
    if not baseline or not candidate:
        return 1.0
    from scipy.stats import mannwhitneyu

    exact = len(set(baseline) | set(candidate)) == len(baseline) + len(candidate) and \
        max(len(baseline), len(candidate)) <= EXACT_RANKS
    result = mannwhitneyu(list(baseline), list(candidate), alternative="greater",
                          method="exact" if exact else "asymptotic")
    p = float(result.pvalue)
    return 1.0 if math.isnan(p) else p  # all values equal: no evidence either way


def far_above(speedup: float, ci_low: float, predicted: float | None) -> bool:
    """Whether a measured speedup is far above what the profile allows (Amdahl): more than
    ``AMDAHL_FAR`` times the prediction, with the prediction below the measured interval."""
    return predicted is not None and predicted > 0 and speedup > AMDAHL_FAR * predicted and ci_low > predicted


def amdahl(share: float, local_speedup: float) -> float:
    """The workload speedup a target allows: ``1 / ((1 - f) + f / s)`` for its share ``f`` of the
    profile and its own speedup ``s`` (timed in replay)."""
    f = min(1.0, max(0.0, share))
    return 1.0 / ((1.0 - f) + f / local_speedup) if local_speedup > 0 else 1.0


def allowed(share: float, local_speedup: float | None) -> tuple[float | None, bool]:
    """What the profile allows the workload speedup to be, and whether that is only a bound.

    With the target's local speedup ``s`` (timed in replay): the prediction ``amdahl(f, s)``. Without one
    (no replayable calls): the bound of an infinitely fast target, ``1 / (1 - f)`` -- ``(bound, True)``;
    ``(None, False)`` when ``f >= AMDAHL_NO_BOUND`` (a bound of 1000x and more rules nothing out)."""
    if local_speedup:
        return amdahl(share, local_speedup), False
    f = min(1.0, max(0.0, share))
    if f >= AMDAHL_NO_BOUND:
        return None, False
    return 1.0 / (1.0 - f), True


def family_share(m: int) -> float:
    """The share of a family's error spent on the confirmation of its ``m``-th candidate (m >= 1):
    ``6 / (pi**2 * m**2)``. The shares sum to 1 over m = 1, 2, 3 ... (the sum of ``1 / m**2`` is
    ``pi**2 / 6``), so by the union bound the confirmations of a target's candidates, however many,
    spend at most the error of one: 61% on the first, 15% on the second, 2.4% on the fifth."""
    if m < 1:
        raise ValueError(f"a family's candidates are numbered from 1, not {m}")
    return 6.0 / (math.pi**2 * m * m)


def spent(t: float, alpha: float = ALPHA, rho: float = SPENDING_POWER) -> float:
    """Error spent up to information fraction ``t`` (rounds done / most rounds): ``alpha * t**rho``."""
    return float(alpha * min(1.0, max(0.0, t)) ** rho)


@dataclass(frozen=True)
class Plan:
    """How one measurement may go: rounds before the quick screen, the looks, and each look's level.

    Each look spends the increment of the spending function; the increments sum to ``ALPHA``, so by
    the union bound the chance that any look accepts a candidate that is not faster stays within
    ``ALPHA / 2`` however many looks there are (the quick screen and the futility stops only reject,
    which can only lower it). The levels are per look, two-sided.
    """

    screen: int
    looks: tuple[int, ...]
    levels: tuple[float, ...]

    @property
    def most(self) -> int:
        return self.looks[-1]


def plan(first: int, most: int, screen: int = 3, alpha: float = ALPHA) -> Plan:
    """Looks at ``first``, ``2*first``, ``4*first`` ... rounds, and always at ``most``.

    ``first >= most`` gives a fixed-size measurement: one look with the whole ``alpha``.
    The quick screen comes after ``screen`` rounds when that is before the first look.
    A stricter ``alpha`` (a confirmation among several candidates) makes every look stricter.
    """
    most = max(2, most)
    first = max(2, min(first, most))
    looks = [first]
    while looks[-1] * 2 <= most:
        looks.append(looks[-1] * 2)
    if looks[-1] != most:
        if most - looks[-1] < max(2, first // 2) and len(looks) > 1:
            looks[-1] = most  # a look only a round or two before the last one is a waste
        else:
            looks.append(most)
    levels = []
    before = 0.0
    for n in looks:
        now = spent(n / most, alpha)
        levels.append(1.0 - (now - before))
        before = now
    return Plan(screen if 2 <= screen < first else 0, tuple(looks), tuple(levels))


def rounds_for_budget(budget: float, seconds_per_round: float, measurements: int = 2) -> int:
    """Most rounds that fit ``budget`` seconds for ``measurements`` measurements (the first and its
    confirmation), at ``seconds_per_round`` each; at least 4, at most 200."""
    if seconds_per_round <= 0:
        return 200
    return max(4, min(200, int(budget / (measurements * seconds_per_round))))


def noise_of(a: Sequence[float], b: Sequence[float], level: float = 0.95) -> Noise:
    """The A/A interval: the ratio of medians, widened by a ``level`` t interval whose spread is the
    median absolute deviation of the per-round log ratios (scaled to a standard deviation).

    The spread is estimated robustly because the floor then gates a whole run: with a plain standard
    deviation or a bootstrap, one disturbed round out of five (another process woke up) would raise
    the floor so far that no real 10-20% gain could pass for the rest of the run. A machine that is
    noisy throughout has a large deviation in most rounds, and still gets a high floor.
    """
    n = len(a)
    point = median(a) / median(b)
    if n < 2:
        return Noise(point, 0.0, math.inf, n)
    if len(b) != n:
        raise ValueError(f"paired rounds differ in number: {n} and {len(b)}")
    logs = [math.log(x / y) for x, y in zip(a, b, strict=True)]
    center = median(logs)
    spread = 1.4826 * median(abs(v - center) for v in logs)
    half = t_quantile((1.0 - level) / 2.0, n - 1) * spread / math.sqrt(n)
    return Noise(point, point * math.exp(-half), point * math.exp(half), n)
