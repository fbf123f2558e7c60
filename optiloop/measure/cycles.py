"""Deciding on simulated cycles (``--measure cycles``): a count that a noisy machine can neither fake nor hide.

Each side runs the workload once under cachegrind (``measure.cachegrind``): the same environment as a timed run,
every child process followed, the hash seed fixed. The baseline is counted once per head of the branch; at the
start both trees, holding the same code, are counted (an A/A count) and their difference is the run's
tolerance. A candidate is accepted when all of these hold:

1. its simulated speedup, with the tolerance taken off both counts, reaches ``--min-speedup`` (no interval
   is needed: the count is exact up to the tolerance);
2. a short interleaved wall-time guard does not find it slower (``InterleavedMeasurer.guard``): a candidate
   that moved work into sleeping, I/O or a process the count does not see is rejected with that reason;
3. the Amdahl check agrees: a simulated gain far above what the profile allows gets a longer guard, whose
   wall-time estimate must point the same way (faster);
4. its peak memory stays within ``--max-memory-growth`` of the baseline's.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from optiloop.errors import BadInput, RunFailure
from optiloop.measure import plain
from optiloop.measure.cachegrind import PACKAGE, SLOWDOWN, CountError, available, count
from optiloop.measure.instructions import fmt_count
from optiloop.measure.interleaved import InterleavedMeasurer, Trees
from optiloop.measure.stats import far_above
from optiloop.progress import COUNTING
from optiloop.record import CostCalibrated, CostCounted, Journal
from optiloop.types import Attempt, Cause, Cost, Measure, Measurement, Noise, Outcome, Verdict, Workload, fmt_ratio
from optiloop.workspace import Side

MAX_TOLERANCE = 0.01  # A/A counts further apart than 1%: the workload is not deterministic enough to count
MIN_TOLERANCE = 0.001  # the tolerance a verdict allows for is never below 0.1%
GUARD_ROUNDS = 5  # most rounds of the wall-time guard (it stops early once the candidate is clearly not slower)
AMDAHL_GUARD = 4  # the guard of a gain far above what the profile allows takes up to 4x as many rounds


class HeadTrees(Trees, Protocol):
    """Two trees to count in, and the commit the baseline tree is at (a ``Workspace``)."""

    def head(self) -> str: ...


@dataclass(frozen=True)
class Calibration:
    """The A/A count at the start: both trees at ``head``, holding the same code."""

    head: str
    baseline: Cost
    other: Cost
    seconds: float  # wall-clock seconds of one simulated run

    @property
    def difference(self) -> float:
        """The relative difference of the two counts' cycles."""
        a, b = self.baseline.cycles, self.other.cycles
        return abs(a - b) / min(a, b) if min(a, b) > 0 else 1.0

    @property
    def tolerance(self) -> float:
        return max(MIN_TOLERANCE, self.difference)


def count_side(ws: Trees, side: Side, workload: Workload, out_dir: Path, timeout: float) -> Cost:
    return count(workload.cmd, ws.project_dir(side) / workload.cwd, ws.env_for(side), out_dir, timeout)


def calibrate(ws: HeadTrees, workload: Workload, out_dir: Path, timeout: float) -> Calibration:
    """Count the baseline tree and the candidate tree (same code) once each; ``CountError`` when either
    run fails or takes longer than ``timeout``."""
    start = time.monotonic()
    baseline = count_side(ws, "baseline", workload, out_dir / "baseline", timeout)
    seconds = time.monotonic() - start
    other = count_side(ws, "candidate", workload, out_dir / "candidate", timeout)
    return Calibration(ws.head(), baseline, other, seconds)


def decide_cycles(base: Cost, cand: Cost, min_speedup: float, tolerance: float) -> Verdict:
    """The verdict of two counts: ``speedup`` is the baseline's cycles over the candidate's, and
    ``[ci_low, ci_high]`` the band the tolerance leaves on it (not a confidence interval: the counts are exact up
    to the tolerance). FASTER when the band's low end reaches ``min_speedup``; NOT FASTER otherwise."""
    speedup = base.cycles / cand.cycles if cand.cycles else 0.0
    low, high = speedup * (1 - tolerance) / (1 + tolerance), speedup * (1 + tolerance) / (1 - tolerance)
    evidence = (f"{fmt_ratio(speedup)}x fewer cycles (simulated: {fmt_count(base.cycles)} -> {fmt_count(cand.cycles)}, "
                f"instructions {fmt_count(base.instructions)} -> {fmt_count(cand.instructions)}; "
                f"A/A tolerance ±{tolerance:.2%})")
    cause: Cause
    if low >= min_speedup:
        cause, reason = "faster", f"cheaper: {evidence}"
    elif high < 1.0:
        cause, reason = "slower", f"costlier: {evidence}"
    elif low > 1.0:
        cause, reason = "below-min-speedup", f"cheaper but below --min-speedup {min_speedup:.2f}: {evidence}"
    else:
        cause, reason = "not-significant", f"no difference beyond the A/A tolerance: {evidence}"
    outcome: Outcome = "FASTER" if cause == "faster" else "NOT FASTER"
    return Verdict(speedup, low, high, low > 1.0 or high < 1.0, outcome == "FASTER", reason, level=1.0,
                   outcome=outcome, measure="cycles", cycles=(base.cycles, cand.cycles),
                   instructions=(base.instructions, cand.instructions), tolerance=tolerance, stopped="full",
                   cause=cause, headline=plain.cycles(cause, speedup, low, min_speedup, tolerance))


class CyclesMeasurer:
    """The ``Measurer`` of ``--measure cycles``: simulated cycles decide; ``timed`` (an interleaved wall-time
    measurer of the same trees) measures the baseline, guards each candidate and settles the Amdahl check."""

    def __init__(self, ws: HeadTrees, workload: Workload, journal: Journal, timed: InterleavedMeasurer,
                 min_speedup: float, calibration: Calibration, guard_rounds: int = GUARD_ROUNDS) -> None:
        self.ws = ws
        self.workload = workload
        self.journal = journal
        self.timed = timed
        self.min_speedup = min_speedup
        self.calibration = calibration
        self.tolerance = calibration.tolerance
        self.guard_rounds = guard_rounds
        # a simulated run of a candidate may take 4x the baseline's (a much slower one is rejected as such)
        self.timeout = 4 * calibration.seconds + 60
        # the baseline tree's count at each head of the branch it was counted at: a count depends only on the
        # code (and the workload), so a head is counted once, also when an undo goes back to it
        self._heads: dict[str, Cost] = {calibration.head: calibration.baseline}
        journal.write(CostCalibrated(head=calibration.head, baseline=calibration.baseline, other=calibration.other,
                                     difference=calibration.difference, tolerance=self.tolerance,
                                     seconds=calibration.seconds))

    @property
    def noise(self) -> Noise | None:
        return self.timed.noise

    def baseline(self) -> Measurement:
        """Wall-clock seconds of the baseline (an A/A timing, as the time measure takes it)."""
        return self.timed.baseline()

    def count_candidate(self, side: Side, label: str) -> Cost | None:
        """The candidate's cost in ``side``'s tree for the executor (``executors.LocalExecutor``); None when it
        cannot be counted (``compare`` counts it again and says why)."""
        try:
            return self._count(side, label)
        except CountError:
            return None

    def _count(self, side: Side, label: str) -> Cost:
        if side == "candidate":  # another candidate tree's count runs beside it (--jobs): only this one shows
            self.timed.progress.doing(COUNTING)
        cost = count_side(self.ws, side, self.workload, self.journal.artifact(f"cost/{label}/{side}"), self.timeout)
        self.journal.write(CostCounted(label=label, side=side, cost=cost, cycles=cost.cycles))
        return cost

    def _baseline_cost(self) -> Cost:
        """The baseline's count at the branch's current head (counted once per head: after each commit)."""
        head = self.ws.head()
        if head not in self._heads:
            try:
                self._heads[head] = self._count("baseline", f"head-{head[:10]}")
            except CountError as exc:
                raise RunFailure(f"the baseline workload failed under valgrind: {exc}") from None
        return self._heads[head]

    def restore(self, attempts: Sequence[Attempt]) -> None:
        self.timed.restore(attempts)

    def total(self, wall: Verdict, base: str | None = None) -> Verdict:
        """The whole run in cycles, beside its wall-time check ``wall``: the branch head (the baseline tree)
        against the ``base`` commit, which ``measure_total`` left staged in the candidate tree. A commit whose
        count the run has (the base, counted at the start; a head a candidate was measured against) is not
        counted again: the count of the same code is the same to the last digit."""
        try:
            head = self._heads.get(self.ws.head()) or self._count("baseline", "total")
            base_cost = (self._heads.get(base) if base else None) or self._count("candidate", "total")
        except CountError as exc:
            return replace(wall, reason=f"{wall.reason}; not counted in cycles: {exc}")
        counted = decide_cycles(base_cost, head, 1.0, self.tolerance)
        return replace(counted, guard=wall, baseline=wall.baseline, candidate=wall.candidate, rounds=wall.rounds,
                       seconds=wall.seconds, headline=plain.total_cycles(counted, wall),
                       reason=f"{counted.reason}; wall time: {wall.reason}")

    def compare(self, label: str, predicted: float | None = None, target: str | None = None,
                counted: Cost | None = None) -> Verdict:
        """Counts (the candidate's own where the verifier ``counted`` it already), then the guards, cheapest
        first; see the module's docstring."""
        start = time.monotonic()
        base = self._baseline_cost()
        try:
            cand = counted or self._count("candidate", label)
        except CountError as exc:
            return Verdict(0.0, 0.0, 0.0, False, False, f"the workload failed on the candidate: {exc}",
                           measure="cycles", seconds=time.monotonic() - start, predicted=predicted, cause="failed",
                           headline=plain.WORKLOAD_FAILED)
        verdict = replace(decide_cycles(base, cand, self.min_speedup, self.tolerance), predicted=predicted)
        if verdict.accepted:
            verdict = self._guarded(label, verdict, predicted)
        return replace(verdict, seconds=time.monotonic() - start)

    def _guarded(self, label: str, verdict: Verdict, predicted: float | None) -> Verdict:
        """The wall-time guard, the Amdahl check and the memory guard of a candidate that is cheaper in cycles.

        A simulated gain far above what the profile allows (a sampled profile of a short workload is coarse;
        the count is exact) gets a guard ``AMDAHL_GUARD`` times as long, whose point estimate must then point
        the same way as the count: faster, not merely not slower."""
        far = far_above(verdict.speedup, verdict.ci_low, predicted)
        guard = self.timed.guard(f"{label}-guard", self.guard_rounds * (AMDAHL_GUARD if far else 1))
        wall = f"{fmt_ratio(guard.speedup)}x ({guard.level_pct} CI {guard.interval}, {guard.rounds} interleaved rounds)"
        both = replace(verdict, guard=guard, baseline=guard.baseline, candidate=guard.candidate, rounds=guard.rounds,
                       peak_memory=guard.peak_memory)
        if not guard.accepted:
            if guard.baseline is None:
                return replace(both, accepted=False, outcome="NOT FASTER", cause="failed", headline=guard.plain,
                               reason=f"{verdict.reason}; the workload failed on the candidate")
            return replace(both, accepted=False, outcome="NOT FASTER", cause="wall-time",
                           headline=plain.guarded(verdict, guard),
                           reason=f"{verdict.reason}; but slower in wall time: {wall} (work the count does not see: "
                                  f"sleeping, I/O or another process)")
        both = replace(both, reason=f"{verdict.reason}; wall time {wall}", headline=plain.guarded(verdict, guard))
        if far:
            assert predicted is not None
            amdahl = (f"{fmt_ratio(verdict.speedup)}x fewer cycles is far above the {predicted:.2f}x the profile "
                      f"allows (Amdahl), so the wall-time guard took up to {guard.rounds} rounds")
            if guard.speedup < 1.0:
                return replace(both, accepted=False, outcome="NOT FASTER", cause="amdahl",
                               headline=plain.amdahl_rejected(verdict.speedup, predicted, guard),
                               reason=f"{amdahl}, and wall time points the other way; {both.reason}")
            both = replace(both, reason=f"{both.reason}; {amdahl}, and wall time points the same way")
        return self.timed.memory_check(both)

DEFAULT_BUDGET = 300.0  # seconds one simulated run may take under --measure auto when no --measure-budget is set


@dataclass(frozen=True)
class Choice:
    """Which measure a run uses, why (a sentence for the run's first lines), and the A/A count of cycles."""

    measure: Measure
    why: str
    calibration: Calibration | None = None


def require_valgrind() -> str:
    """valgrind's version; ``BadInput`` naming the package when it is not installed."""
    version = available()
    if version is None:
        raise BadInput("--measure cycles needs valgrind, which is not installed",
                       f"install the `{PACKAGE}` package (e.g. apt install {PACKAGE}), or pass --measure time")
    return version


def plan_count(asked: str, plain_seconds: float, budget: float | None) -> tuple[float | None, str]:
    """Whether to count in cycles, for ``--measure`` ``asked`` and a plain run of ``plain_seconds``:
    ``(timeout of one simulated run, valgrind's version)`` when yes, ``(None, why not)`` when no. ``auto``
    counts where valgrind is installed and a simulated run fits the budget; with ``cycles`` asked for, a
    missing valgrind is ``BadInput`` and the budget only bounds the run."""
    if asked == "time":
        return None, "--measure time was asked for"
    strict = asked == "cycles"
    version = require_valgrind() if strict else available()
    if version is None:
        return None, f"valgrind is not installed (install the `{PACKAGE}` package to count cycles)"
    limit = budget or DEFAULT_BUDGET
    estimate = plain_seconds * SLOWDOWN
    if not strict and estimate > limit:
        return None, (f"one simulated run would take about {estimate:.0f} s, more than the {limit:g} s measuring "
                      f"budget (--measure-budget)")
    return (max(limit, 4 * estimate + 60) if strict else limit), version


def refused(asked: str, why: str, fix: str = "pass --measure time") -> str:
    """Why cycles cannot be used: ``BadInput`` when they were asked for, else the reason to fall back to time."""
    if asked == "cycles":
        raise BadInput(f"the workload cannot be measured in cycles: {why}", fix)
    return why


def not_deterministic(calibration: Calibration) -> str | None:
    """Why two counts of the same code are too far apart to decide on, or None."""
    if calibration.difference <= MAX_TOLERANCE:
        return None
    return (f"two simulated runs of the same code differ by {calibration.difference:.2%}, more than "
            f"{MAX_TOLERANCE:.0%}: the workload is not deterministic (it may read the clock, the network or "
            f"unseeded random state)")


def choose(asked: str, ws: HeadTrees, workload: Workload, plain_seconds: float, budget: float | None,
           out_dir: Path) -> Choice:
    """``--measure time|cycles|auto`` for a run (``plan_count``), settled by the A/A count of cycles: two counts
    of the same code must agree within ``MAX_TOLERANCE``. With ``cycles`` asked for, what rules it out is
    ``BadInput``."""
    timeout, found = plan_count(asked, plain_seconds, budget)
    if timeout is None:
        return Choice("time", found)
    try:
        calibration = calibrate(ws, workload, out_dir, timeout)
    except CountError as exc:
        return Choice("time", refused(asked, f"{exc}"))
    if (why := not_deterministic(calibration)) is not None:
        return Choice("time", refused(asked, why, "make the workload deterministic, or pass --measure time"))
    return Choice("cycles", f"{found} is installed, one simulated run takes {calibration.seconds:.0f} s and two "
                            f"counts of the same code agree within {calibration.difference:.3%}", calibration)


def compare_counts(ws: Trees, workload: Workload, out_dir: Path, min_speedup: float, timed: InterleavedMeasurer,
                   asked: str, plain_seconds: float, budget: float | None) -> tuple[Verdict | None, str]:
    """Two trees of different code (``optiloop compare``, the PR bot's regression check) in cycles: the
    baseline counted twice (their difference is the tolerance), the candidate once, then the wall-time guard.
    ``(None, why)`` when cycles are not used (``plan_count``, ``refused``)."""
    timeout, found = plan_count(asked, plain_seconds, budget)
    if timeout is None:
        return None, found
    try:
        a = count_side(ws, "baseline", workload, out_dir / "a", timeout)
        b = count_side(ws, "candidate", workload, out_dir / "b", timeout)
        again = count_side(ws, "baseline", workload, out_dir / "a2", timeout)
    except CountError as exc:
        return None, refused(asked, f"{exc}")
    calibration = Calibration("", a, again, 0.0)
    if (why := not_deterministic(calibration)) is not None:
        return None, refused(asked, why, "make the workload deterministic, or pass --measure time")
    verdict = decide_cycles(a, b, min_speedup, calibration.tolerance)
    guard = timed.guard("compare-guard", GUARD_ROUNDS)
    wall = f"wall time {fmt_ratio(guard.speedup)}x ({guard.level_pct} CI {guard.interval}, {guard.rounds} rounds)"
    both = replace(verdict, guard=guard, baseline=guard.baseline, candidate=guard.candidate, rounds=guard.rounds,
                   peak_memory=guard.peak_memory, reason=f"{verdict.reason}; {wall}")
    if not verdict.accepted:
        return both, found
    if not guard.accepted:
        return replace(both, accepted=False, outcome="NOT FASTER", cause="wall-time",
                       headline=plain.guarded(verdict, guard)), found
    return replace(both, headline=plain.guarded(verdict, guard)), found
