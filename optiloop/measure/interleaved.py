"""The interleaved A/B measurer: noise floor, quick screen, sequential looks with three outcomes,
confirmation on fresh samples (with a shrinking share of the error for each further candidate of a
target; twice when the measured gain is far above what the profile allows)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from statistics import median
from typing import Protocol

from optiloop.errors import BadInput, RunFailure
from optiloop.measure import instructions, plain
from optiloop.measure.pyperf_run import MeasureError, TooFast, check_timeable, peak_rss, pyperf_command
from optiloop.measure.stats import (
    ALPHA,
    RANK_ALPHA,
    Plan,
    family_share,
    far_above,
    interval,
    noise_of,
    plan,
    rank_test,
    rounds_for_budget,
)
from optiloop.progress import BASELINE, CONFIRMING, GUARD, MEASURING, NO_PROGRESS, Progress
from optiloop.record import Journal, Measured, NoiseFloorMeasured
from optiloop.types import Attempt, Cause, Measurement, Noise, Outcome, Verdict, Workload, fmt_pct, fmt_ratio
from optiloop.workspace import Side

NOISE_ROUNDS = 5  # fewest A/A rounds for the noise floor
SCREEN_ROUNDS = 3
GUARD_LEVEL = 0.99  # the wall-time guard's interval: it only vetoes a clear slowdown
GROWTH = 4  # without a budget, an unclear verdict may take up to 4x --rounds


class Trees(Protocol):
    """Two copies of the project to run the workload in (a ``Workspace`` is one)."""

    def env_for(self, side: Side) -> dict[str, str]: ...

    def project_dir(self, side: Side) -> Path: ...


def memory_growth(peaks: tuple[int, int] | None) -> float | None:
    """The candidate's peak memory over the baseline's, where both were recorded."""
    if peaks is None or peaks[0] <= 0:
        return None
    return peaks[1] / peaks[0]


def fmt_bytes(n: float) -> str:
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"


def fmt_p(p: float) -> str:
    return f"{p:.2g}" if p >= 0.001 else f"{p:.1e}"


def error_share(family: int) -> float:
    """The share of ``ALPHA`` and ``RANK_ALPHA`` a measurement may spend: ``stats.family_share(m)`` for the
    confirmation of a target's ``m``-th candidate, all of it outside a family (``family`` 0)."""
    return family_share(family) if family > 0 else 1.0


def stricter(family: int) -> str:
    """The clause a confirmation's reason gets in a family, e.g. ``at levels 1.64x stricter (candidate 1 of
    this target)``: the factor is ``1 / family_share(m)``; empty outside a family."""
    if family <= 0:
        return ""
    return f"at levels {1.0 / family_share(family):.3g}x stricter (candidate {family} of this target)"


def decide(
    baseline: Sequence[float],
    candidate: Sequence[float],
    min_speedup: float,
    level: float = 0.95,
    noise: Noise | None = None,
    rank_alpha: float = RANK_ALPHA,
) -> Verdict:
    """One of three outcomes from paired samples.

    FASTER needs all of: the ``level`` interval's low end at or above ``min_speedup``, the point
    estimate at or above the ``noise`` floor at this many rounds (when one was measured), and the one-sided
    Mann-Whitney U test at ``rank_alpha``. NOT FASTER: the interval's high end is below ``min_speedup`` (below
    1.0: slower). Anything else is UNKNOWN (reason ``unknown: ...``): more rounds could settle it.
    The verdict's ``headline`` says it plainly (``plain``), its ``reason`` holds the statistics.
    """
    point, low, high = interval(baseline, candidate, level)
    p = rank_test(baseline, candidate)
    a, b = Measurement.of(list(baseline)), Measurement.of(list(candidate))
    n = len(baseline)
    floor = noise.floor(n) if noise is not None else None
    ci = f"{fmt_pct(level)} CI {fmt_ratio(low)}-{fmt_ratio(high)}"
    evidence = f"{point:.2f}x ({ci}, rank test p={fmt_p(p)}, {n} interleaved rounds)"
    threshold = max(min_speedup, floor or 0.0)

    def verdict(outcome: Outcome, cause: Cause, reason: str) -> Verdict:
        headline = plain.sentence(*plain.finding(cause, point, low, high, level, n, min_speedup, floor, noise, p,
                                                 rank_alpha))
        return Verdict(point, low, high, low > 1.0 or high < 1.0, outcome == "FASTER", reason, a, b, level=level,
                       outcome=outcome, rank_p=p, headline=headline, cause=cause,
                       advice=plain.advice(cause, outcome, point, min_speedup))

    if low >= min_speedup and point >= threshold and p <= rank_alpha:
        return verdict("FASTER", "faster", f"faster: {evidence}")
    if high < 1.0:
        return verdict("NOT FASTER", "slower", f"slower: {evidence}")
    if high < min_speedup and low > 1.0:
        return verdict("NOT FASTER", "below-min-speedup",
                       f"faster but below --min-speedup {min_speedup:.2f}: {evidence}")
    if high < min_speedup:
        return verdict("NOT FASTER", "not-significant", f"not significant: {evidence}; the interval includes 1.0 "
                                                        f"and is below --min-speedup {min_speedup:.2f}")
    if low <= 1.0:
        return verdict("UNKNOWN", "noise", f"unknown: not significant: {evidence}; the interval includes 1.0")
    if low < min_speedup:
        return verdict("UNKNOWN", "low-end", f"unknown: faster, but the interval's low end is below --min-speedup "
                                             f"{min_speedup:.2f}: {evidence}")
    if point < threshold:
        return verdict("UNKNOWN", "noise-floor", f"unknown: faster but below the noise threshold {threshold:.2f}x "
                                                 f"at {n} rounds ({plain.noise_words(noise, n)}): {evidence}")
    return verdict("UNKNOWN", "rank-test",
                   f"unknown: the rank test is not significant at p<={fmt_p(rank_alpha)}: {evidence}")


class InterleavedMeasurer:
    """pyperf runs of the workload in both worktrees, alternating A B, B A, A B ... per round.

    ``baseline()`` measures the baseline against itself (A/A) and keeps that as the run's noise
    floor; ``measure()`` stops at the quick screen or at a look of its ``Plan`` as soon as the verdict
    is clear; ``compare()`` confirms a passing speedup on fresh samples.
    """

    def __init__(
        self,
        workspace: Trees,
        workload: Workload,
        journal: Journal,
        rounds: int,
        min_speedup: float,
        timeout: float,
        budget: float | None = None,
        screen: int = SCREEN_ROUNDS,
        on_round: Callable[[int, int], None] | None = None,
        noise_rounds: int = NOISE_ROUNDS,
        max_memory_growth: float | None = None,
        progress: Progress = NO_PROGRESS,
    ) -> None:
        self.ws = workspace
        self.workload = workload
        self.journal = journal
        self.rounds = rounds
        self.min_speedup = min_speedup
        self.timeout = timeout
        self.budget = budget
        self.screen = screen
        self.on_round = on_round
        self.noise_rounds = noise_rounds
        self.progress = progress
        self.noise: Noise | None = None
        self.round_seconds: float | None = None
        self.measured: dict[str, int] = {}  # candidates compared so far, per target (the confirmation's family)
        self.max_memory_growth = max_memory_growth  # a candidate's peak memory over the baseline's, at most
        self._peaks: dict[Side, list[int]] = {"baseline": [], "candidate": []}  # of the current measurement

    def _values(self, side: Side, name: str, values: int, warmups: int = 0) -> tuple[float, ...]:
        out = self.journal.artifact(f"measure/{name}.json")
        found = pyperf_command(self.workload.cmd, self.ws.project_dir(side) / self.workload.cwd,
                               self.ws.env_for(side), out, values, self.timeout, warmups=warmups)
        if (peak := peak_rss(out)) is not None:
            self._peaks[side].append(peak)
        return found

    # -- the noise floor ---------------------------------------------------------------------

    def baseline(self) -> Measurement:
        """The baseline against itself, interleaved (A/A): its times are the baseline measurement,
        and its interval is the run's noise floor, which the threshold never goes below."""
        rounds = max(self.rounds, self.noise_rounds)
        a: list[float] = []
        b: list[float] = []
        start = time.monotonic()
        self.progress.stage(BASELINE)
        self.progress.doing(MEASURING)
        try:
            for i in range(rounds):
                self.progress.step(i + 1, rounds)
                warm = 1 if i == 0 else 0
                a += self._values("baseline", f"noise/a-{i}", 1, warm)
                b += self._values("baseline", f"noise/b-{i}", 1, warm)
                if i == 0:
                    start = time.monotonic()  # the warm-up round does not count for calibration
                    self._check_timeable(a)
        except TooFast as exc:
            raise BadInput(str(exc), "give the workload a larger input, so that one run takes 10 ms or more") from None
        except MeasureError as exc:
            raise RunFailure(f"measuring the baseline workload failed: {exc}") from None
        self.round_seconds = (time.monotonic() - start) / max(1, rounds - 1)
        self.noise = noise_of(a, b)
        self.journal.write(NoiseFloorMeasured(rounds=rounds, point=self.noise.point, low=self.noise.low,
                                              high=self.noise.high, floor=self.noise.ratio,
                                              round_seconds=self.round_seconds))
        return Measurement.of(a + b)

    def _check_timeable(self, values: Sequence[float]) -> None:
        check_timeable(tuple(values), self.ws.project_dir("baseline") / self.workload.cwd,
                       self.ws.env_for("baseline"), self.journal.artifact("measure/empty-command.json"),
                       more=lambda n: self._values("baseline", "noise/timeable", n))

    def threshold(self, rounds: int) -> float:
        """The smallest point estimate accepted after ``rounds`` rounds."""
        return max(self.min_speedup, self.noise.floor(rounds) if self.noise else 0.0)

    # -- A/B ----------------------------------------------------------------------------------

    def total(self, wall: Verdict, base: str | None = None) -> Verdict:
        """The whole run's check, as ``measure_total`` measured it in wall time."""
        return wall

    def restore(self, attempts: Sequence[Attempt]) -> None:
        """A resumed run's measured attempts count towards their targets' families (``compare``)."""
        for attempt in attempts:
            if attempt.verdict is not None:
                key = attempt.candidate.target.key
                self.measured[key] = self.measured.get(key, 0) + 1

    def compare(self, label: str, predicted: float | None = None, target: str | None = None,
                counted: object = None) -> Verdict:
        """An interleaved A/B; a speedup that passes is measured again on fresh samples, and only
        that confirmation decides and is reported (the first measurement picked it, so it is biased).

        ``target`` (a target's key) counts the candidates measured for it: the confirmation of the
        ``m``-th spends ``stats.family_share(m)`` of the error (the shares sum to 1, so a target's
        confirmations together spend at most one test's error); without a target, the full levels.
        ``predicted`` is the workload speedup the profile allows (Amdahl, or its bound); a confirmed gain
        far above it is confirmed a second time."""
        family = 0
        if target is not None:
            family = self.measured[target] = self.measured.get(target, 0) + 1
        self.progress.doing(MEASURING)
        first = self.measure(label, measurements=2)
        if not first.accepted:
            return replace(first, predicted=predicted)
        return self.memory_check(self.confirm(label, first, family, predicted))

    def memory_check(self, verdict: Verdict) -> Verdict:
        """An accepted verdict whose candidate raised the workload's peak memory by more than
        ``max_memory_growth`` (``--max-memory-growth``) is rejected with the figures."""
        growth = memory_growth(verdict.peak_memory)
        if not verdict.accepted or self.max_memory_growth is None or growth is None:
            return verdict
        if growth <= self.max_memory_growth:
            return verdict
        assert verdict.peak_memory is not None
        base, cand = verdict.peak_memory
        return replace(verdict, accepted=False, outcome="NOT FASTER", cause="memory", advice="",
                       headline=plain.memory(growth, fmt_bytes(base), fmt_bytes(cand), self.max_memory_growth),
                       reason=f"uses too much memory: the workload's peak grew {growth:.2f}x ({fmt_bytes(base)} -> "
                              f"{fmt_bytes(cand)}), more than --max-memory-growth {self.max_memory_growth:g}; "
                              f"{verdict.reason}")

    def confirm(self, label: str, first: Verdict, family: int = 0, predicted: float | None = None) -> Verdict:
        """Measure a selected candidate again on fresh rounds; ``family`` = m > 0 (the m-th candidate of its
        target) spends only ``family_share(m)`` of both tests' error. Only this confirmation is reported.
        When its speedup is far above ``predicted`` (``stats.far_above``), a second confirmation must pass too."""
        self.progress.doing(CONFIRMING)
        confirmation = self.measure(f"{label}-confirm", measurements=2, family=family)
        seconds = first.seconds + confirmation.seconds
        among = f", {stricter(family)}" if family > 0 else ""
        if not confirmation.accepted:
            return replace(confirmation, seconds=seconds, predicted=predicted, cause="not-confirmed",
                           headline=plain.not_confirmed(confirmation, self.min_speedup, second=False),
                           reason=f"not confirmed on fresh samples ({first.speedup:.2f}x at first{among}): "
                                  f"{confirmation.reason}")
        if predicted is not None and far_above(confirmation.speedup, confirmation.ci_low, predicted):
            far = (f"{confirmation.speedup:.2f}x is far above the {predicted:.2f}x the profile allows (Amdahl), "
                   f"so it was measured once more")
            self.progress.doing(CONFIRMING)
            second = self.measure(f"{label}-confirm2", measurements=2, family=family)
            seconds += second.seconds
            if not second.accepted:
                return replace(second, seconds=seconds, predicted=predicted, cause="not-confirmed",
                               headline=plain.not_confirmed(second, self.min_speedup, second=True),
                               reason=f"not confirmed a second time on fresh samples ({far}): {second.reason}")
            return replace(second, seconds=seconds, predicted=predicted,
                           headline=plain.confirmed(second, self.min_speedup, True, predicted),
                           reason=f"{second.reason}; confirmed twice on fresh samples{among} ({far})")
        allows = f"; the profile allows {predicted:.2f}x" if predicted is not None else ""
        return replace(confirmation, seconds=seconds, predicted=predicted,
                       headline=plain.confirmed(confirmation, self.min_speedup, False, predicted),
                       reason=f"{confirmation.reason}; confirmed on fresh samples{among}{allows}")

    def plan(self, round_seconds: float, measurements: int = 1, family: int = 0) -> Plan:
        """Rounds of one measurement. Without a budget: a first look at ``rounds``, and looks up to
        ``GROWTH`` times that for a verdict still unclear (clear wins and losses stop at the first look or
        the screen); with a budget: as many rounds as fit it. ``family`` > 0 spends ``error_share(family)``."""
        alpha = ALPHA * error_share(family)
        if self.budget is None:
            return plan(self.rounds, self.rounds * GROWTH, self.screen, alpha)
        most = rounds_for_budget(self.budget, round_seconds, measurements)
        return plan(min(self.rounds, most), most, self.screen, alpha)

    def measure(self, label: str, measurements: int = 1, family: int = 0) -> Verdict:
        """One interleaved A/B comparison, without confirmation: the quick screen, then the looks.
        ``family`` = m > 0 (the confirmation of a target's m-th candidate) spends ``family_share(m)`` of both
        tests' error: the interval's and the rank test's."""
        start = time.monotonic()
        samples: dict[Side, list[float]] = {"baseline": [], "candidate": []}
        self._peaks = {"baseline": [], "candidate": []}
        the_plan: Plan | None = None
        i = 0
        while True:
            if the_plan is not None:
                self.progress.step(i + 1, the_plan.most)
            began = time.monotonic()
            failed = self._round(label, i, samples)
            if failed is not None:
                return replace(failed, seconds=time.monotonic() - start)
            i += 1
            if the_plan is None:
                the_plan = self.plan(self.round_seconds or (time.monotonic() - began), measurements, family)
            if self.on_round is not None:
                self.on_round(i, the_plan.most)
            verdict = self._look(the_plan, samples["baseline"], samples["candidate"],
                                RANK_ALPHA * error_share(family))
            if verdict is not None:
                return self._finish(label, verdict, the_plan, time.monotonic() - start, family)

    def _round(self, label: str, i: int, samples: dict[Side, list[float]]) -> Verdict | None:
        """Round ``i`` of an interleaved measurement (A B, then B A, ...; the first round warms up); a rejecting
        verdict when the workload failed on the candidate (on the baseline: ``RunFailure``)."""
        order: tuple[Side, Side] = ("baseline", "candidate") if i % 2 == 0 else ("candidate", "baseline")
        for side in order:
            try:
                samples[side] += self._values(side, f"{label}/{side}-{i}", 1, 1 if i == 0 else 0)
            except MeasureError as exc:
                if side == "baseline":
                    raise RunFailure(f"the baseline workload failed while measuring: {exc}") from None
                return Verdict(0.0, 0.0, 0.0, False, False, f"the workload failed on the candidate: {exc}",
                               cause="failed", headline=plain.WORKLOAD_FAILED)
        return None

    def guard(self, label: str, most: int, first: int = SCREEN_ROUNDS) -> Verdict:
        """The wall-time guard of a decision made on another measure (simulated cycles): up to ``most``
        interleaved rounds, a look after each from ``first`` on. It rejects (NOT FASTER, ``slower``) when the
        99% interval's high end is below 1.0, a one-sided test at 0.5% per look (a real gain is rarely
        vetoed by noise: under 1.5% over the three looks); it stops early and passes
        when the low end is above 1.0; otherwise it passes after ``most`` rounds: not shown to be slower."""
        start = time.monotonic()
        samples: dict[Side, list[float]] = {"baseline": [], "candidate": []}
        self._peaks = {"baseline": [], "candidate": []}
        self.progress.doing(GUARD)
        for i in range(max(most, first)):
            self.progress.step(i + 1, most)
            failed = self._round(label, i, samples)
            if failed is not None:
                return replace(failed, seconds=time.monotonic() - start)
            if self.on_round is not None:
                self.on_round(i + 1, most)
            n = i + 1
            if n < first:
                continue
            point, low, high = interval(samples["baseline"], samples["candidate"], level=GUARD_LEVEL)
            if high < 1.0 or low > 1.0 or n >= most:
                break
        ci = f"{fmt_pct(GUARD_LEVEL)} CI {fmt_ratio(low)}-{fmt_ratio(high)}"
        evidence = f"{fmt_ratio(point)}x ({ci}, {n} interleaved rounds)"
        slower = high < 1.0
        reason = f"slower in wall time: {evidence}" if slower else f"not slower in wall time: {evidence}"
        verdict = Verdict(point, low, high, low > 1.0 or slower, not slower, reason,
                          Measurement.of(samples["baseline"]), Measurement.of(samples["candidate"]), rounds=n,
                          seconds=time.monotonic() - start, stopped="full" if n >= most else "early",
                          outcome="NOT FASTER" if slower else "FASTER", peak_memory=self._peak_pair(),
                          cause="slower" if slower else "", level=GUARD_LEVEL)
        verdict = replace(verdict, headline=plain.sentence("Wall-time guard", plain.wall(verdict)))
        self.journal.write(Measured(label=label, looks=tuple(range(first, most + 1)), levels=(GUARD_LEVEL,),
                                    screen=first, rounds=n, seconds=verdict.seconds, stopped=verdict.stopped,
                                    speedup=point, ci_low=low, ci_high=high, accepted=verdict.accepted,
                                    outcome=verdict.outcome, guard=True, peak_memory=verdict.peak_memory))
        return verdict

    def _peak_pair(self) -> tuple[int, int] | None:
        """(baseline, candidate): the median peak memory of each side's runs in the current measurement."""
        base, cand = self._peaks["baseline"], self._peaks["candidate"]
        return (int(median(base)), int(median(cand))) if base and cand else None

    def _look(self, p: Plan, base: list[float], cand: list[float], rank_alpha: float = RANK_ALPHA) -> Verdict | None:
        """The verdict if this round ends the measurement, else None (UNKNOWN before the last look)."""
        n = len(base)
        if n in p.looks:
            k = p.looks.index(n)
            at = f"look {k + 1} of {len(p.looks)}"
            verdict = decide(base, cand, self.min_speedup, p.levels[k], self.noise, rank_alpha)
            if verdict.outcome == "FASTER":
                early = f"; stopped early at {at}, after {n} of up to {p.most} rounds" if n < p.most else ""
                return replace(verdict, reason=verdict.reason + early, stopped="early" if early else "full")
            if n >= p.most:
                ran_out = f" ({self._ran_out(n)})" if verdict.outcome == "UNKNOWN" else ""
                return replace(verdict, stopped="full", reason=verdict.reason + ran_out)
            if verdict.outcome == "NOT FASTER":
                return replace(verdict, stopped="early", reason=f"{verdict.reason}; stopped early at {at}")
            if (high := self._futile(base, cand, p)) is not None:
                return replace(verdict, stopped="early", outcome="NOT FASTER", advice="",
                               headline=plain.cannot_reach(n, high, self.threshold(p.most), self.min_speedup,
                                                           self.noise, p.most, screen=False),
                               reason=f"{verdict.reason.removeprefix('unknown: ')}; stopped early at {at}: "
                                      f"it cannot reach {self.threshold(p.most):.2f}x")
        elif n == p.screen and (high := self._futile(base, cand, p)) is not None:
            verdict = decide(base, cand, self.min_speedup, p.levels[0], self.noise, rank_alpha)
            return replace(verdict, stopped="screen", outcome="NOT FASTER", advice="",
                           headline=plain.cannot_reach(n, high, self.threshold(p.most), self.min_speedup, self.noise,
                                                       p.most, screen=True),
                           reason=f"quick screen ({n} rounds) rejected it, it cannot reach "
                                  f"{self.threshold(p.most):.2f}x: {verdict.reason.removeprefix('unknown: ')}")
        return None

    def _ran_out(self, rounds: int) -> str:
        if self.budget is None:
            return f"budget ran out: {rounds} rounds, {GROWTH}x --rounds"
        return f"budget ran out: {rounds} rounds fit --measure-budget {self.budget:g} s"

    def _futile(self, base: list[float], cand: list[float], p: Plan) -> float | None:
        """The high end of the plain 95% interval when even it is below the lowest threshold the last look
        could use: stop and reject (None: go on). Stopping to reject never adds false accepts, so it spends
        no error."""
        high = interval(base, cand, 0.95)[2]
        return high if high < self.threshold(p.most) else None

    def _finish(self, label: str, verdict: Verdict, p: Plan, seconds: float, family: int = 0) -> Verdict:
        n = len(verdict.baseline.samples) if verdict.baseline else 0
        counts = self._instructions(label)
        reason = verdict.reason
        if counts is not None:
            change = (counts[1] - counts[0]) / counts[0] if counts[0] else 0.0
            reason += (f"; instructions {instructions.fmt_count(counts[0])} -> "
                       f"{instructions.fmt_count(counts[1])} ({change:+.1%})")
        done = replace(verdict, reason=reason, rounds=n, seconds=seconds, instructions=counts,
                       noise_floor=self.noise.floor(n) if self.noise else None, peak_memory=self._peak_pair())
        self.journal.write(Measured(label=label, looks=tuple(p.looks), levels=tuple(p.levels), screen=p.screen,
                                    rounds=n, seconds=seconds, stopped=done.stopped, speedup=done.speedup,
                                    ci_low=done.ci_low, ci_high=done.ci_high, accepted=done.accepted,
                                    noise_floor=done.noise_floor, instructions=counts, outcome=done.outcome,
                                    rank_p=done.rank_p, family=family, share=error_share(family),
                                    peak_memory=done.peak_memory))
        return done

    def _instructions(self, label: str) -> tuple[int, int] | None:
        if not instructions.available():
            return None
        counts = []
        sides: tuple[Side, Side] = ("baseline", "candidate")
        for side in sides:
            side_dir = self.ws.project_dir(side) / self.workload.cwd
            counts.append(instructions.count(self.workload.cmd, side_dir, self.ws.env_for(side),
                                             self.journal.artifact(f"measure/{label}/{side}-perf.csv"),
                                             self.timeout))
        return (counts[0], counts[1]) if counts[0] and counts[1] else None
