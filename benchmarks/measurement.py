"""How trustworthy is optiloop's measurement on this machine? A/A false accepts, detection of
planted speedups and slowdowns, and seconds per verdict, with the settings a run uses.

    python benchmarks/measurement.py                    # >= 50 trials per row, default settings
    python benchmarks/measurement.py --trials 10 --budget 60
    python benchmarks/measurement.py --quick            # a smoke test in seconds

The workload is a Python busy loop whose iteration count each tree reads from ``cost.txt``: the
baseline tree's count is fixed, the candidate tree's is set so that the whole run (interpreter
start-up included) is faster or slower by the planted factor. Each row is one setting of the
candidate tree; every trial is one ``compare()`` verdict, exactly as a run measures a candidate
(quick screen, sequential looks, confirmation), after one A/A noise floor measured at the start.
"unknown" counts verdicts still UNKNOWN when the measuring budget ran out (rejected).
"""

from __future__ import annotations

import argparse
import math
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from optiloop.config import Settings
from optiloop.journal import Journal
from optiloop.measure import InterleavedMeasurer
from optiloop.measure.interleaved import NOISE_ROUNDS
from optiloop.measure.pyperf_run import pyperf_command
from optiloop.proc import child_env
from optiloop.types import Verdict, Workload

WORK = """\
from pathlib import Path

n = int(Path("cost.txt").read_text())
x = 0
for i in range(n):
    x += i * i
"""
SCENARIOS = (1.0, 1.05, 1.10, 1.20, 1 / 1.05, 1 / 1.10, 1 / 1.20)


def busy(n: int) -> None:
    x = 0
    for i in range(n):
        x += i * i


def seconds_per_iteration() -> float:
    n = 300_000
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        busy(n)
        best = min(best, time.perf_counter() - start)
    return best / n


class Simulated(InterleavedMeasurer):
    """The same measurer fed log-normal samples (``sigma`` per run) instead of pyperf runs: the
    statistics alone, independent of this machine. Cost ratio ``factor`` is baseline / candidate."""

    def __init__(self, factor: float, sigma: float, rng: random.Random, record: Path, rounds: int,
                 min_speedup: float, budget: float | None, noise_rounds: int) -> None:
        super().__init__(None, Workload("true"), Journal(record), rounds, min_speedup, 300, budget,  # type: ignore[arg-type]
                         noise_rounds=noise_rounds)
        self.factor, self.sigma, self.rng = factor, sigma, rng

    def _values(self, side: str, name: str, values: int, warmups: int = 0) -> tuple[float, ...]:
        value = math.exp(self.rng.gauss(0.0, self.sigma))
        return (value / self.factor if side == "candidate" else value,)

    def _check_timeable(self, values: object) -> None:
        pass

    def _instructions(self, label: str) -> None:
        return None


def simulate(args: argparse.Namespace, factors: list[float], trials: int, rounds: int, record: Path) -> list[Row]:
    """Each trial: a fresh A/A noise floor, then one ``compare()`` verdict, as a run's first candidate."""
    rng = random.Random(0)
    noise_rounds = 2 if args.quick else NOISE_ROUNDS
    print(f"simulated: log-normal noise of {args.simulate:.1%} per run; settings: --rounds {rounds}, "
          f"--min-speedup {args.min_speedup}, --measure-budget {args.budget} (1 s per round)", flush=True)
    print(f"noise floor (A/A, {max(rounds, noise_rounds)} rounds): measured afresh for every trial", flush=True)
    rows = []
    for factor in factors:
        verdicts = []
        for i in range(trials):
            m = Simulated(factor, args.simulate, rng, record, rounds, args.min_speedup, args.budget, noise_rounds)
            m.baseline()
            m.round_seconds = 1.0  # a budget is read as rounds: 60 s = 60 rounds
            verdicts.append(m.compare(f"sim-{i}"))
        rows.append(Row(factor, verdicts))
    return rows


class Trees:
    def __init__(self, root: Path) -> None:
        self.env = child_env()
        self.dirs = {"baseline": root / "a", "candidate": root / "b"}
        for d in self.dirs.values():
            d.mkdir(parents=True)
            (d / "work.py").write_text(WORK)

    def env_for(self, side: str) -> dict[str, str]:
        return self.env

    def project_dir(self, side: str) -> Path:
        return self.dirs[side]

    def set_cost(self, side: str, iterations: int) -> None:
        (self.dirs[side] / "cost.txt").write_text(str(max(0, iterations)))


def timed(trees: Trees, iterations: int, tmp: Path) -> float:
    """Median seconds of whole runs of the workload at ``iterations`` (in the baseline tree)."""
    trees.set_cost("baseline", iterations)
    return statistics.median(pyperf_command(f"{sys.executable} work.py", trees.dirs["baseline"], trees.env,
                                            tmp / "calibrate.json", 5, 60, warmups=1))


@dataclass
class Busy:
    """Two trees of the busy-loop workload, calibrated: ``plant(factor)`` makes the candidate tree's
    whole run (interpreter start-up included) ``factor`` times faster than the baseline tree's."""

    trees: Trees
    base_n: int
    per_iteration: float
    startup: float
    total: float

    @property
    def workload(self) -> Workload:
        return Workload(f"{sys.executable} work.py")

    def plant(self, factor: float) -> None:
        if self.total / factor < self.startup:
            print(f"  note: {label(factor)} cannot be planted: start-up alone takes longer; "
                  "pass a larger --work-ms", file=sys.stderr)
        self.trees.set_cost("candidate", round((self.total / factor - self.startup) / self.per_iteration))

    def measurer(self, record: Path, rounds: int, min_speedup: float, budget: float | None,
                 noise_rounds: int = NOISE_ROUNDS) -> InterleavedMeasurer:
        return InterleavedMeasurer(self.trees, self.workload, Journal(record), rounds,  # type: ignore[arg-type]
                                   min_speedup, 300, budget, noise_rounds=noise_rounds)


def calibrate(tmp: Path, work: float) -> Busy:
    """Trees whose busy loop takes about ``work`` seconds per run, both at the baseline's cost."""
    trees = Trees(tmp)
    per_iteration = seconds_per_iteration()
    base_n = int(work / per_iteration)
    startup = timed(trees, 0, tmp)  # the interpreter's start-up, measured the way the workload is
    total = timed(trees, base_n, tmp)
    per_iteration = max(total - startup, per_iteration * base_n / 2) / base_n
    trees.set_cost("candidate", base_n)
    return Busy(trees, base_n, per_iteration, startup, total)


def label(factor: float) -> str:
    if factor == 1.0:
        return "A/A (no change)"
    if factor > 1.0:
        return f"{factor - 1:.0%} faster"
    return f"{1 / factor - 1:.0%} slower"


@dataclass
class Row:
    factor: float
    verdicts: list[Verdict]

    @property
    def accepted(self) -> int:
        return sum(v.accepted for v in self.verdicts)

    @property
    def found_slower(self) -> int:
        return sum(v.significant and v.ci_high < 1.0 for v in self.verdicts)

    @property
    def rate(self) -> float:
        hits = self.found_slower if self.factor < 1.0 else self.accepted
        return hits / len(self.verdicts)

    def cells(self) -> list[str]:
        what = ("false accepts" if self.factor == 1.0 else
                "detected (accepted)" if self.factor > 1.0 else "detected (found slower)")
        seconds = [v.seconds for v in self.verdicts]
        return [label(self.factor), str(len(self.verdicts)), str(self.accepted), str(self.found_slower),
                str(sum(v.outcome == "UNKNOWN" for v in self.verdicts)), f"{self.rate:.0%} {what}",
                f"{statistics.mean(v.rounds for v in self.verdicts):.1f}",
                f"{statistics.mean(seconds):.1f}", f"{max(seconds):.1f}",
                " ".join(f"{s}:{sum(v.stopped == s for v in self.verdicts)}" for s in ("screen", "early", "full"))]


HEADER = ["planted", "trials", "accepted", "found slower", "unknown", "rate", "rounds/verdict", "s/verdict", "max s",
          "stopped at"]


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    defaults = Settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, help="verdicts per row (default 50; 1 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: tiny workload, 1 trial, 2 rounds, a 2-round noise floor")
    parser.add_argument("--rounds", type=int, help=f"--rounds of a run (default {defaults.rounds})")
    parser.add_argument("--min-speedup", type=float, default=defaults.min_speedup)
    parser.add_argument("--budget", type=float, default=defaults.measure_budget, help="--measure-budget seconds")
    parser.add_argument("--work-ms", type=float, help="milliseconds of busy loop per run (default 50; 3 quick)")
    parser.add_argument("--scenarios", help="comma-separated planted speedups, e.g. 1.0,1.1,0.9 (default: all)")
    parser.add_argument("--verbose", action="store_true", help="print every verdict's reason on stderr")
    parser.add_argument("--simulate", type=float, metavar="SIGMA",
                        help="no processes: feed the measurer log-normal samples with this noise, e.g. 0.04")
    args = parser.parse_args(argv)
    trials = args.trials or (1 if args.quick else 50)
    rounds = args.rounds or (2 if args.quick else defaults.rounds)
    work = (args.work_ms or (3.0 if args.quick else 50.0)) / 1000
    factors = [float(f) for f in args.scenarios.split(",")] if args.scenarios else list(SCENARIOS)

    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="optiloop-measurement-"))
    try:
        if args.simulate is not None:
            rows = simulate(args, factors, trials, rounds, tmp / "record")
            print(table([HEADER] + [r.cells() for r in rows]))
            print(f"{sum(len(r.verdicts) for r in rows)} simulated verdicts in {time.monotonic() - started:.0f} s")
            return 0
        busy_trees = calibrate(tmp, work)
        floor_measurer = busy_trees.measurer(tmp / "record", rounds, args.min_speedup, args.budget,
                                             noise_rounds=2 if args.quick else NOISE_ROUNDS)
        baseline = floor_measurer.baseline()
        noise = floor_measurer.noise
        assert noise is not None
        print(f"workload: {baseline.mean * 1000:.1f} ms per run ({busy_trees.startup * 1000:.1f} ms interpreter "
              f"start-up, {busy_trees.base_n:,} loop iterations); settings: --rounds {rounds}, "
              f"--min-speedup {args.min_speedup}, --measure-budget {args.budget}", flush=True)
        print(f"noise floor (A/A, {noise.rounds} rounds): {noise.ratio:.3f}x", flush=True)
        rows = []
        for factor in factors:
            busy_trees.plant(factor)  # the candidate's whole run (start-up included) takes total / factor
            measurer = busy_trees.measurer(tmp / "record", rounds, args.min_speedup, args.budget)
            measurer.noise, measurer.round_seconds = noise, floor_measurer.round_seconds
            row = Row(factor, [])
            for i in range(trials):
                row.verdicts.append(measurer.compare(f"{factor:.3f}-{i}"))
                if args.verbose:
                    print(f"    {label(factor)} #{i + 1}: {row.verdicts[-1].reason}", file=sys.stderr, flush=True)
            rows.append(row)
            print(f"  {label(factor)}: {row.accepted}/{trials} accepted", file=sys.stderr, flush=True)
        print(table([HEADER] + [r.cells() for r in rows]))
        verdicts = sum(len(r.verdicts) for r in rows)
        print(f"{verdicts} verdicts in {time.monotonic() - started:.0f} s; "
              f"mean {statistics.mean(v.seconds for r in rows for v in r.verdicts):.1f} s per verdict")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
