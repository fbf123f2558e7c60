"""The plain sentence that leads every verdict: what was decided and the one number that decided it.

The statistics stay in ``Verdict.reason``; these sentences go in ``Verdict.headline``. A figure whose
interval includes 1.0 is never the lead: such a verdict says "no significant difference" and the figure
stays in the statistics. When noise, not the code, kept a gain from being shown, ``advice`` says how to
measure more precisely.
"""

from __future__ import annotations

from optiloop.types import Cause, Noise, Outcome, Verdict, fmt_pct, fmt_ratio

# what to do when the noise of the machine hides a gain that may be real
NOISE_ADVICE = ("noise may be hiding a real gain: measure more precisely with more rounds (--rounds N or "
                "--measure-budget SECONDS), a workload that runs longer, or --measure cycles (not disturbed "
                "by the machine's load)")


WORKLOAD_FAILED = "Rejected: the workload failed on the candidate."


def x(value: float) -> str:
    return f"{fmt_ratio(value)}x"


def advice(cause: Cause, outcome: Outcome, point: float, min_speedup: float) -> str:
    """``NOISE_ADVICE`` when a gain of at least ``min_speedup`` may be real but was not shown: the interval
    includes 1.0 or its low end is short of ``min_speedup`` while the point clears it, or the point is within
    the run's noise; else ""."""
    if outcome == "FASTER" or cause in ("slower", "below-min-speedup", "not-significant", "failed"):
        return ""
    return NOISE_ADVICE if cause == "noise-floor" or point >= min_speedup else ""


def noise_words(noise: Noise | None, rounds: int) -> str:
    """How the noise threshold at ``rounds`` rounds relates to the run's one noise floor figure."""
    if noise is None:
        return ""
    if rounds == noise.rounds:
        return f"the run's noise floor, {x(noise.ratio)} (A/A, {noise.rounds} rounds)"
    return (f"the run's noise floor, {x(noise.ratio)} at its {noise.rounds} A/A rounds, narrowed to "
            f"{rounds} rounds")


def finding(cause: Cause, point: float, low: float, high: float, level: float, rounds: int, min_speedup: float,
            floor: float | None = None, noise: Noise | None = None, p: float | None = None,
            rank_alpha: float | None = None) -> tuple[str, str]:
    """(decision, what decided it) of one comparison, e.g. ``("Slower", "0.82x the speed of the current code")``."""
    after = f"after {rounds} rounds" if rounds else ""
    if cause == "faster":
        return "Faster", f"{x(point)}, at least {x(low)} with {fmt_pct(level)} confidence (--min-speedup " \
                         f"{min_speedup:.2f})"
    if cause == "slower":
        return "Slower", f"{x(point)} the speed of the current code, at best {x(high)}"
    if cause == "below-min-speedup":
        return "Too small a gain", f"faster, but at most {x(high)}, below --min-speedup {min_speedup:.2f}"
    if cause == "not-significant":
        return "Not faster", f"no significant difference, and at most {x(high)}, below --min-speedup " \
                             f"{min_speedup:.2f}"
    undecided = f"Undecided {after}".strip()
    if cause == "noise":
        return undecided, f"no significant difference (the interval reaches down to {x(low)})"
    if cause == "low-end":
        return undecided, f"faster, but only {x(low)} is certain, below --min-speedup {min_speedup:.2f}"
    if cause == "noise-floor":
        if noise is None or floor is None:
            return undecided, f"{x(point)} is within this run's noise"
        if rounds == noise.rounds:
            return undecided, f"{x(point)} is within {noise_words(noise, rounds)}"
        return undecided, f"{x(point)} is within what noise alone shows at {rounds} rounds, {x(floor)} " \
                          f"({noise_words(noise, rounds)})"
    if cause == "rank-test":
        needs = f"; it needs {rank_alpha:.2g} or less" if rank_alpha is not None else ""
        shown = f" (p = {p:.2g}{needs})" if p is not None else ""
        return undecided, f"{x(point)}, but the rank test does not back it{shown}"
    return "Rejected", "the workload failed"


def sentence(decision: str, what: str) -> str:
    return f"{decision}: {what}."


def cannot_reach(rounds: int, high: float, threshold: float, min_speedup: float, noise: Noise | None,
                 most: int, screen: bool) -> str:
    """The headline of a measurement stopped after ``rounds`` rounds to reject: even the high end ``high`` of
    the plain 95% interval is below the ``threshold`` the last look (at ``most`` rounds) would use."""
    where = f"Rejected at the quick screen ({rounds} rounds)" if screen else f"Rejected after {rounds} rounds"
    if high < 1.0:
        return sentence(where, f"slower, at best {x(high)}")
    if noise is not None and threshold > min_speedup:
        return sentence(where, f"at most {x(high)}, short of the {x(threshold)} this run's noise allows at {most} "
                               f"rounds ({noise_words(noise, most)})")
    return sentence(where, f"at most {x(high)}, short of --min-speedup {min_speedup:.2f}")


def len_of(verdict: Verdict) -> int:
    return len(verdict.baseline.samples) if verdict.baseline is not None else 0


def confirmed(verdict: Verdict, min_speedup: float, twice: bool, predicted: float | None) -> str:
    """The headline of a gain confirmed on fresh samples (``twice`` when it was far above ``predicted``)."""
    _, what = finding("faster", verdict.speedup, verdict.ci_low, verdict.ci_high, verdict.level, verdict.rounds,
                      min_speedup)
    if twice and predicted is not None:
        return sentence("Faster", f"{what}; confirmed twice on fresh samples, as the first confirmation was far "
                                  f"above the {x(predicted)} the profile allows")
    return sentence("Faster", f"{what}; confirmed on fresh samples")


def not_confirmed(confirmation: Verdict, min_speedup: float, second: bool) -> str:
    """The headline of a first pass that fresh samples did not confirm: what the fresh samples showed."""
    rounds = len_of(confirmation)
    fresh = f"{rounds} fresh rounds" if rounds else "fresh samples"
    showed = {
        "slower": f"where it was slower, {x(confirmation.speedup)}",
        "below-min-speedup": f"where it was at most {x(confirmation.ci_high)}, below --min-speedup {min_speedup:.2f}",
        "not-significant": "where there was no significant difference",
        "noise": "where there was no significant difference",
        "low-end": f"where only {x(confirmation.ci_low)} was certain, below --min-speedup {min_speedup:.2f}",
        "noise-floor": "where it was no more than noise alone shows",
        "rank-test": "where the rank test did not back it",
        "failed": "where the workload failed",
    }.get(confirmation.cause, "where it did not show")
    decision = "Not confirmed a second time" if second else "Not confirmed"
    return sentence(decision, f"the gain measured at first did not hold on {fresh}, {showed}")


def total(point: float, low: float, high: float, rounds: int) -> tuple[Cause, str, str]:
    """(cause, headline, advice) of the whole run's check: the branch head against its base."""
    if low > 1.0:
        return "faster", sentence("Faster", f"the branch is {x(point)} as fast as its base, at least {x(low)}"), ""
    if high < 1.0:
        return "slower", sentence("Slower", f"the branch is {x(point)} as fast as its base, at best {x(high)}"), ""
    said = f"No significant difference between the branch and its base after {rounds} rounds."
    if point > 1.0:  # the per-candidate verdicts took more rounds: this check alone is less precise
        return "noise", said, ("this check takes only --rounds rounds, fewer than the verdicts of the single "
                               f"changes; {NOISE_ADVICE}")
    return "noise", said, ""


# -- the cycles measure ------------------------------------------------------------------------------------


def wall(guard: Verdict) -> str:
    """The wall-time guard's figure in words, never leading with one whose interval includes 1.0."""
    stats = f"{guard.level_pct} CI {guard.interval}, {guard.rounds} rounds"
    if guard.ci_low > 1.0:
        return f"wall time {x(guard.speedup)} ({stats})"
    if guard.ci_high < 1.0:
        return f"slower in wall time: {x(guard.speedup)} ({stats})"
    return f"wall time not significantly different ({x(guard.speedup)}, {stats})"


def cycles(cause: Cause, speedup: float, low: float, min_speedup: float, tolerance: float) -> str:
    """The headline of a verdict on simulated cycles, before any wall-time guard."""
    if cause == "faster":
        return sentence("Faster", f"{x(speedup)} fewer cycles (simulated; at least {x(low)} after the A/A "
                                  f"tolerance of ±{tolerance:.2%}; --min-speedup {min_speedup:.2f})")
    if cause == "slower":
        return sentence("Slower", f"{x(1 / speedup) if speedup else 'infinitely'} more cycles (simulated)")
    if cause == "below-min-speedup":
        return sentence("Too small a gain", f"{x(speedup)} fewer cycles (simulated), below --min-speedup "
                                            f"{min_speedup:.2f}")
    return sentence("Not faster", f"the same simulated cost within the A/A tolerance of ±{tolerance:.2%}")


def guarded(verdict: Verdict, guard: Verdict) -> str:
    """The headline of a cycles verdict once its wall-time guard has run: both figures."""
    if not guard.accepted:
        return sentence("Rejected", f"{x(verdict.speedup)} fewer cycles, but {wall(guard)}: work the count does "
                                    f"not see (sleeping, I/O or another process)")
    return sentence("Faster", f"{x(verdict.speedup)} fewer cycles (simulated); {wall(guard)}")


def amdahl_rejected(speedup: float, predicted: float, guard: Verdict) -> str:
    return sentence("Rejected", f"{x(speedup)} fewer cycles is far above the {x(predicted)} the profile allows, and "
                                f"wall time points the other way ({x(guard.speedup)} over {guard.rounds} rounds)")


def memory(growth: float, base: str, cand: str, limit: float) -> str:
    return sentence("Rejected", f"the workload's peak memory grew {x(growth)} ({base} -> {cand}), more than "
                                f"--max-memory-growth {limit:g}")


def total_cycles(counted: Verdict, timed: Verdict) -> str:
    """The whole run's headline in cycles: the branch head against its base, with the wall-time figure."""
    if counted.ci_low > 1.0:
        return sentence("Faster", f"the branch costs {x(counted.speedup)} fewer simulated cycles than its base; "
                                  f"{wall(timed)}")
    if counted.ci_high < 1.0:
        return sentence("Slower", f"the branch costs {x(1 / counted.speedup)} more simulated cycles than its base")
    return sentence("No difference", "the branch and its base cost the same simulated cycles")
