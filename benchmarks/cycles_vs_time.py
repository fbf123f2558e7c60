"""How well do simulated cycles predict wall time? The examples' real candidates, measured both ways.

    python benchmarks/cycles_vs_time.py [--rounds 20] [--max-iterations 10] [--examples wordfreq routes inventory]
    python benchmarks/cycles_vs_time.py --quick       # smoke test: wordfreq, at most 2 candidates, 5 rounds

For each example under examples/, optiloop runs as ``optiloop run --model builtin --measure cycles`` would: the
builtin model proposes the catalog's rewrites of the example's hot functions, and every candidate goes through
the gate (replay, tests, output). Each candidate that passes it is measured twice, against the same baseline
(the branch's head at the time): its simulated-cycles speedup, the run's own count (``CyclesMeasurer.compare``,
which also decides what is committed, as in a run), and its wall-time speedup over ``--rounds`` interleaved
pyperf rounds (ratio of medians, 95% interval). It prints, per candidate, both speedups and their ratio
(cycles / wall: above 1, the count promised more than the clock saw), then a summary: the median ratio, the
worst case, and how often the two measures point the same way.

Wall time is the reference here, so run it on a quiet machine: no neighbours, nothing else running. A
simulated run takes about 50 times a plain one (the examples' workloads take 1-3 s each on a loaded machine).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from optiloop.app import finish, prepare
from optiloop.cli.demo import copy_example, examples
from optiloop.measure import cachegrind
from optiloop.measure.cycles import CyclesMeasurer
from optiloop.measure.stats import Noise
from optiloop.proc import child_env
from optiloop.types import Attempt, Cost, Measurement, Verdict

ROUNDS, QUICK_ROUNDS = 20, 5  # interleaved wall-time rounds per candidate
QUICK_EXAMPLES, QUICK_ITERATIONS = ["wordfreq"], 2
CLOSE = 0.05  # a ratio within 5% of 1.0 counts as "close"


@dataclass(frozen=True)
class Pair:
    """One candidate's two speedups against the same baseline."""

    example: str
    target: str
    origin: str
    cycles: float  # simulated: baseline cycles / candidate cycles
    wall: float  # wall time: median baseline / median candidate
    wall_low: float
    wall_high: float
    accepted: bool  # the cycles measure's decision (guard and memory check included), as a run makes it

    @property
    def ratio(self) -> float:
        """cycles speedup / wall speedup: 1.0 when the count predicts the clock exactly."""
        return self.cycles / self.wall if self.wall > 0 else math.inf

    @property
    def agree(self) -> bool:
        """Both say faster, both say slower, or the wall interval includes 1.0 (no direction to contradict)."""
        if self.wall_low <= 1.0 <= self.wall_high:
            return True
        return (self.cycles > 1.0) == (self.wall > 1.0)


class Both:
    """The run's ``Measurer``, wrapping its ``CyclesMeasurer``: the cycles verdict decides, as in a run, and
    every candidate is also timed with ``rounds`` interleaved rounds of its wall-time measurer."""

    def __init__(self, counted: CyclesMeasurer, rounds: int) -> None:
        self.counted = counted
        self.rounds = rounds
        self.walls: dict[str, tuple[str | None, Verdict, Verdict]] = {}  # label -> (target, cycles, wall)

    @property
    def noise(self) -> Noise | None:
        return self.counted.noise

    def baseline(self) -> Measurement:
        return self.counted.baseline()

    def total(self, wall: Verdict, base: str | None = None) -> Verdict:
        return self.counted.total(wall, base)

    def restore(self, attempts: Sequence[Attempt]) -> None:
        self.counted.restore(attempts)

    def compare(self, label: str, predicted: float | None = None, target: str | None = None,
                counted: Cost | None = None) -> Verdict:
        verdict = self.counted.compare(label, predicted, target, counted)
        if verdict.cycles is not None:  # None: the workload failed on the candidate, nothing to time
            wall = self.counted.timed.guard(f"{label}-wall", self.rounds, first=self.rounds)  # exactly `rounds`
            self.walls[label] = (target, verdict, wall)
        return verdict


def pairs_of(example: str, both: Both, origins: dict[str, tuple[str, str]]) -> list[Pair]:
    """The measured candidates of one example; ``origins`` maps a measurement's label to the candidate's
    (target, origin) where the run's attempts name them."""
    found = []
    for label, (target, counted, wall) in both.walls.items():
        if wall.speedup <= 0:  # the workload failed on the candidate while it was timed
            continue
        name, origin = origins.get(label, (target or "?", ""))
        found.append(Pair(example, name, origin, counted.speedup, wall.speedup, wall.ci_low, wall.ci_high,
                          counted.accepted))
    return found


def run_example(name: str, rounds: int, max_iterations: int | None, env: dict[str, str]) -> list[Pair]:
    """One run of the builtin model on the example in cycles mode, every gated candidate timed too."""
    with tempfile.TemporaryDirectory(prefix="optiloop-cycles-vs-time-") as tmp:
        repo = copy_example(name, Path(tmp))
        flags = {"model": "builtin", "measure": "cycles", "max_iterations": max_iterations}
        prepared = prepare(repo, {k: v for k, v in flags.items() if v is not None}, extra_env={"PATH": env["PATH"]})
        ran = None
        try:
            counted = prepared.loop.s.measurer
            if not isinstance(counted, CyclesMeasurer):
                raise SystemExit(f"{name}: the run did not measure cycles")
            both = Both(counted, rounds)
            prepared.loop.s = replace(prepared.loop.s, measurer=both)
            ran = prepared.loop.run()
        finally:
            finish(prepared, ran)
    origins = {f"attempt-{a.number}": (a.candidate.target.qualname, a.candidate.origin.removeprefix("builtin:"))
               for a in ran.attempts}
    found = pairs_of(name, both, origins)
    print(f"{name}: {len(ran.attempts)} candidates tried, {len(found)} passed the gate and were measured in both, "
          f"{len(ran.accepted)} committed", flush=True)
    return found


def fmt(x: float) -> str:
    return f"{x:.3f}x"


def table(pairs: Sequence[Pair]) -> str:
    """Markdown: one line per candidate."""
    lines = ["| example | target | rules | cycles speedup | wall speedup (95% CI) | cycles / wall | cycles verdict |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for p in pairs:
        decided = "accepted" if p.accepted else "rejected"
        lines.append(f"| {p.example} | `{p.target}` | {p.origin or '?'} | {fmt(p.cycles)} | {fmt(p.wall)} "
                     f"[{p.wall_low:.3f}, {p.wall_high:.3f}] | {p.ratio:.3f} | {decided} |")
    return "\n".join(lines)


def summary(pairs: Sequence[Pair]) -> list[str]:
    """The median ratio, the worst case (the ratio farthest from 1.0, either way), how many are within ``CLOSE``
    of 1.0, and how many point the same way as wall time."""
    if not pairs:
        return ["no candidate passed the gate: nothing to compare"]
    ratios = [p.ratio for p in pairs]
    worst = max(pairs, key=lambda p: abs(math.log(p.ratio)) if 0 < p.ratio < math.inf else math.inf)
    close = sum(abs(r - 1.0) <= CLOSE for r in ratios)
    return [f"{len(pairs)} candidates: median ratio cycles / wall {statistics.median(ratios):.3f} "
            f"(range {min(ratios):.3f}-{max(ratios):.3f})",
            f"worst case: {worst.ratio:.3f} ({worst.example} `{worst.target}` {worst.origin}: {fmt(worst.cycles)} "
            f"fewer cycles, wall time {fmt(worst.wall)} [{worst.wall_low:.3f}, {worst.wall_high:.3f}])",
            f"within {CLOSE:.0%} of each other: {close} of {len(pairs)}; same direction as wall time (or wall time "
            f"undecided): {sum(p.agree for p in pairs)} of {len(pairs)}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke test: {', '.join(QUICK_EXAMPLES)}, at most {QUICK_ITERATIONS} candidates, "
                             f"{QUICK_ROUNDS} rounds")
    parser.add_argument("--rounds", type=int, help=f"interleaved wall-time rounds per candidate (default {ROUNDS})")
    parser.add_argument("--max-iterations", type=int, help="most candidates to try per example (default: a run's)")
    parser.add_argument("--examples", nargs="*", help="which examples (default: all; quick: wordfreq)")
    args = parser.parse_args(argv)
    names = args.examples or (QUICK_EXAMPLES if args.quick else examples())
    if unknown := sorted(set(names) - set(examples())):
        parser.error(f"no such example: {', '.join(unknown)} (there are: {', '.join(examples())})")
    rounds = args.rounds or (QUICK_ROUNDS if args.quick else ROUNDS)
    if rounds < 3:
        parser.error("--rounds must be 3 or more (an interval needs them)")
    if cachegrind.available() is None:
        parser.error(f"counting cycles needs valgrind: install the `{cachegrind.PACKAGE}` package")
    iterations = args.max_iterations or (QUICK_ITERATIONS if args.quick else None)
    env = child_env({"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"})
    pairs = [p for name in names for p in run_example(name, rounds, iterations, env)]
    print(f"\nbuiltin model, --measure cycles; wall time over {rounds} interleaved rounds per candidate:")
    print(table(pairs))
    print("\n".join(summary(pairs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
