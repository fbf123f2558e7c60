"""How trustworthy are optiloop's two measures on this machine? A/A false accepts, detection of planted
speedups and slowdowns, and seconds per verdict, for wall time and simulated cycles side by side in one run,
with the settings a run uses (docs/measurement.md, "How well it works").

    python benchmarks/measurement.py --min-speedup 1.0                  # both measures, 2 busy neighbours
    python benchmarks/measurement.py --min-speedup 1.0 --neighbours 0   # the same on a quiet machine
    python benchmarks/measurement.py --quick                            # a smoke test in a couple of minutes
    python benchmarks/measurement.py --simulate 0.04                    # wall time's statistics alone

A busy loop reads its iteration count from ``cost.txt`` in each of two trees; the candidate's is set so that
its whole run (start-up included) is faster or slower by the planted factor, in seconds for the time measure
and in simulated cycles for the cycles measure. Every trial is one ``compare()`` verdict exactly as a run
makes it, after the A/A noise floor (time) or the A/A count (cycles) a run makes at its start.
``--neighbours N`` runs N CPU-bound processes beside it for the whole benchmark.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from optiloop.config import Settings
from optiloop.measure import InterleavedMeasurer, cachegrind
from optiloop.measure.cycles import Calibration, CyclesMeasurer
from optiloop.measure.cycles import calibrate as count_both
from optiloop.measure.instructions import fmt_count
from optiloop.measure.interleaved import NOISE_ROUNDS
from optiloop.measure.pyperf_run import pyperf_command
from optiloop.proc import child_env
from optiloop.record import Journal
from optiloop.types import Verdict, Workload

WORK = """\
from pathlib import Path

n = int(Path("cost.txt").read_text())
x = 0
for i in range(n):
    x += i * i
"""
NEIGHBOUR = """\
import os
import sys

parent = int(sys.argv[1])  # the benchmark: once it is gone (even killed), this process stops on its own
while os.getppid() == parent:
    for _ in range(1_000_000):
        pass
"""
SCENARIOS = (1.0, 1.01, 1.02, 1.05, 1.10, 1.20, 1 / 1.05, 1 / 1.10, 1 / 1.20)
QUICK_SCENARIOS = (1.0, 1.20, 1 / 1.20)
MEASURES = ("time", "cycles")
DETECTED = 0.95  # a planted speedup counts as detected when at least this share of its trials accept it
HEAD = "0" * 40  # the baseline tree never changes: one head, so its count is the calibration's throughout


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


@contextlib.contextmanager
def neighbours(n: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``n`` CPU-bound processes (``NEIGHBOUR``) for the duration of the block, always stopped at its end."""
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(n):
            procs.append(subprocess.Popen([sys.executable, "-c", NEIGHBOUR, str(os.getpid())], stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=child_env()))
        yield procs
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


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

    def head(self) -> str:
        return HEAD

    def set_cost(self, side: str, iterations: int) -> None:
        (self.dirs[side] / "cost.txt").write_text(str(max(0, iterations)))


def timed(trees: Trees, iterations: int, tmp: Path) -> float:
    """Median seconds of whole runs of the workload at ``iterations`` (in the baseline tree)."""
    trees.set_cost("baseline", iterations)
    return statistics.median(pyperf_command(f"{sys.executable} work.py", trees.dirs["baseline"], trees.env,
                                            tmp / "calibrate.json", 5, 60, warmups=1))


def iterations_for(total: float, startup: float, per_iteration: float, factor: float) -> int | None:
    """Loop iterations that make a whole run cost ``total / factor``, ``startup`` included, at ``per_iteration``
    each (in seconds or in cycles); None when the start-up alone costs more than that."""
    left = total / factor - startup
    return round(left / per_iteration) if left >= 0 else None


def plant_note(factor: float) -> None:
    print(f"  note: {label(factor)} cannot be planted: start-up alone takes longer; pass a larger --work-ms",
          file=sys.stderr)


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
        n = iterations_for(self.total, self.startup, self.per_iteration, factor)
        if n is None:
            plant_note(factor)
        self.trees.set_cost("candidate", n or 0)

    def measurer(self, record: Path, rounds: int, min_speedup: float, budget: float | None,
                 noise_rounds: int = NOISE_ROUNDS) -> InterleavedMeasurer:
        return InterleavedMeasurer(self.trees, self.workload, Journal(record), rounds,
                                   min_speedup, 300, budget, noise_rounds=noise_rounds,
                                   max_memory_growth=Settings().max_memory_growth)


def calibrate(tmp: Path, work: float, per_iteration: float | None = None) -> Busy:
    """Trees whose busy loop takes about ``work`` seconds per run at ``per_iteration`` seconds an iteration
    (``seconds_per_iteration()``, measured now when not given), both at the baseline's cost."""
    trees = Trees(tmp)
    per_iteration = per_iteration or seconds_per_iteration()
    base_n = int(work / per_iteration)
    startup = timed(trees, 0, tmp)  # the interpreter's start-up, measured the way the workload is
    total = timed(trees, base_n, tmp)
    per_iteration = max(total - startup, per_iteration * base_n / 2) / base_n
    trees.set_cost("candidate", base_n)
    return Busy(trees, base_n, per_iteration, startup, total)


@dataclass
class Counted:
    """The busy-loop trees calibrated in simulated cycles: the A/A count a run makes at its start, and the cost
    of the start-up and of one loop iteration, so that a speedup is planted in cycles."""

    calibration: Calibration
    startup: int
    per_iteration: float

    def iterations(self, factor: float) -> int | None:
        return iterations_for(self.calibration.baseline.cycles, self.startup, self.per_iteration, factor)


def count_calibrate(busy: Busy, tmp: Path, timeout: float = 600) -> Counted:
    """One count of the start-up alone, then the A/A count of a run (``calibrate``: both trees at ``base_n``)."""
    trees = busy.trees
    trees.set_cost("baseline", 0)
    startup = cachegrind.count(busy.workload.cmd, trees.dirs["baseline"], trees.env, tmp / "count-startup", timeout)
    trees.set_cost("baseline", busy.base_n)
    trees.set_cost("candidate", busy.base_n)
    calibration = count_both(trees, busy.workload, tmp / "count-calibration", timeout)
    per_iteration = (calibration.baseline.cycles - startup.cycles) / max(1, busy.base_n)
    return Counted(calibration, startup.cycles, per_iteration)


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
    measure: str = "time"

    @property
    def accepted(self) -> int:
        return sum(v.accepted for v in self.verdicts)

    @property
    def found_slower(self) -> int:
        return sum(v.significant and v.ci_high < 1.0 for v in self.verdicts)

    @property
    def hits(self) -> int:
        """Accepted (A/A and speedups: false accepts and detections), or found slower (slowdowns)."""
        return self.found_slower if self.factor < 1.0 else self.accepted

    @property
    def rate(self) -> float:
        return self.hits / len(self.verdicts)

    @property
    def seconds(self) -> float:
        return statistics.mean(v.seconds for v in self.verdicts)

    def cells(self) -> list[str]:
        what = ("false accepts" if self.factor == 1.0 else
                "detected (accepted)" if self.factor > 1.0 else "detected (found slower)")
        seconds = [v.seconds for v in self.verdicts]
        return [label(self.factor), str(len(self.verdicts)), str(self.accepted), str(self.found_slower),
                str(sum(v.outcome == "UNKNOWN" for v in self.verdicts)), f"{self.rate:.0%} {what}",
                f"{statistics.median(v.speedup for v in self.verdicts):.3f}x",
                f"{statistics.mean(v.rounds for v in self.verdicts):.1f}",
                f"{self.seconds:.1f}", f"{max(seconds):.1f}",
                " ".join(f"{s}:{sum(v.stopped == s for v in self.verdicts)}" for s in ("screen", "early", "full"))]


HEADER = ["planted", "trials", "accepted", "found slower", "unknown", "rate", "median speedup", "rounds/verdict",
          "s/verdict", "max s", "stopped at"]


def table(rows: list[list[str]]) -> str:
    """A plain table (``benchmarks/selection.py`` prints its own with it): the first row is the header."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(rows: list[list[str]]) -> str:
    """A Markdown table, padded to line up on a terminal too: the first row is the header."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def smallest_detected(rows: list[Row], share: float = DETECTED) -> float | None:
    """The smallest planted speedup detected in at least ``share`` of its trials, as was every larger one."""
    smallest = None
    for row in sorted((r for r in rows if r.factor > 1.0), key=lambda r: r.factor, reverse=True):
        if row.rate < share:
            break
        smallest = row.factor
    return smallest


def side_by_side(results: dict[str, list[Row]]) -> str:
    """One line per planted factor, the measures' rates and seconds per verdict next to each other."""
    measures = list(results)
    header = ["planted", *(f"{m}: {c}" for m in measures for c in ("detected", "unknown", "s/verdict"))]
    lines = [header]
    for i, first in enumerate(results[measures[0]]):
        cells = [label(first.factor)]
        for m in measures:
            row = results[m][i]
            unknown = sum(v.outcome == "UNKNOWN" for v in row.verdicts)
            cells += [f"{row.hits}/{len(row.verdicts)} ({row.rate:.0%})", str(unknown), f"{row.seconds:.1f}"]
        lines.append(cells)
    return markdown(lines)


def summary(results: dict[str, list[Row]]) -> list[str]:
    """The three figures of issue 20 per measure: A/A false accepts, the smallest speedup detected in 95% of its
    trials, and seconds per verdict."""
    def per_measure(figure: Callable[[list[Row]], str]) -> str:
        return ", ".join(f"{m} {figure(rows)}" for m, rows in results.items())

    def false_accepts(rows: list[Row]) -> str:
        same = [r for r in rows if r.factor == 1.0]
        return f"{sum(r.accepted for r in same)}/{sum(len(r.verdicts) for r in same)}" if same else "not run"

    def detected(rows: list[Row]) -> str:
        found = smallest_detected(rows)
        return f"{found:.2f}x" if found is not None else "none"

    def seconds(rows: list[Row]) -> str:
        return f"{statistics.mean(v.seconds for r in rows for v in r.verdicts):.1f} s"

    return [f"A/A false accepts: {per_measure(false_accepts)}",
            f"smallest planted speedup detected in >= {DETECTED:.0%} of trials (and every larger one): "
            f"{per_measure(detected)}",
            f"seconds per verdict (mean of all trials): {per_measure(seconds)}"]


def run_row(measure: str, factor: float, trials: int, one: Callable[[int], Verdict], verbose: bool) -> Row:
    row = Row(factor, [], measure)
    for i in range(trials):
        row.verdicts.append(one(i))
        if verbose:
            print(f"    {measure}, {label(factor)} #{i + 1}: {row.verdicts[-1].reason}", file=sys.stderr, flush=True)
    print(f"  {measure}, {label(factor)}: {row.accepted}/{trials} accepted, {row.found_slower} found slower",
          file=sys.stderr, flush=True)
    return row


class TimeSide:
    """The time measure: one A/A noise floor, then ``InterleavedMeasurer.compare()`` per trial."""

    name = "time"

    def __init__(self, busy: Busy, record: Path, args: argparse.Namespace, rounds: int) -> None:
        self.busy, self.record, self.args, self.rounds = busy, record, args, rounds
        self.floor = busy.measurer(record, rounds, args.min_speedup, args.budget,
                                   noise_rounds=2 if args.quick else NOISE_ROUNDS)
        baseline = self.floor.baseline()
        assert self.floor.noise is not None
        print(f"time: {baseline.mean * 1000:.1f} ms per run ({busy.startup * 1000:.1f} ms interpreter start-up, "
              f"{busy.base_n:,} loop iterations); noise floor (A/A, {self.floor.noise.rounds} rounds): "
              f"{self.floor.noise.ratio:.3f}x", flush=True)

    def row(self, factor: float, trials: int) -> Row:
        self.busy.plant(factor)  # the candidate's whole run (start-up included) takes total / factor
        measurer = self.busy.measurer(self.record, self.rounds, self.args.min_speedup, self.args.budget)
        measurer.noise, measurer.round_seconds = self.floor.noise, self.floor.round_seconds
        return run_row(self.name, factor, trials, lambda i: measurer.compare(f"{factor:.3f}-{i}"), self.args.verbose)


class CyclesSide:
    """The cycles measure: one A/A count (``calibrate``), then ``CyclesMeasurer.compare()`` per trial; its
    wall-time guard is an interleaved measurer of the same trees (the guard uses no noise floor)."""

    name = "cycles"

    def __init__(self, busy: Busy, record: Path, args: argparse.Namespace, rounds: int, tmp: Path) -> None:
        self.busy, self.record, self.args = busy, record, args
        self.counted = count_calibrate(busy, tmp)
        self.timed = busy.measurer(record, rounds, args.min_speedup, args.budget)
        cal = self.counted.calibration
        print(f"cycles: {fmt_count(cal.baseline.cycles)} simulated cycles per run ({fmt_count(self.counted.startup)} "
              f"start-up); A/A counts differ by {cal.difference:.4%}, tolerance ±{cal.tolerance:.2%}; "
              f"one simulated run takes {cal.seconds:.1f} s", flush=True)

    def row(self, factor: float, trials: int) -> Row:
        n = self.counted.iterations(factor)  # the candidate's whole run costs cycles / factor
        if n is None:
            plant_note(factor)
        self.busy.trees.set_cost("candidate", n or 0)
        measurer = CyclesMeasurer(self.busy.trees, self.busy.workload, Journal(self.record), self.timed,
                                  self.args.min_speedup, self.counted.calibration)
        name = f"cycles-{factor:.3f}"  # one name for every trial: a count's output files are replaced, not kept
        return run_row(self.name, factor, trials, lambda i: measurer.compare(name), self.args.verbose)


def measure_all(args: argparse.Namespace, measures: list[str], factors: list[float], trials: int, rounds: int,
                per_iteration: float, tmp: Path) -> dict[str, list[Row]]:
    """Both measures on the same trees under the same load, row by row (time, then cycles, for each factor)."""
    busy_trees = calibrate(tmp, work(args), per_iteration)
    sides: list[TimeSide | CyclesSide] = []
    if "time" in measures:
        sides.append(TimeSide(busy_trees, tmp / "record", args, rounds))
    if "cycles" in measures:
        sides.append(CyclesSide(busy_trees, tmp / "record", args, rounds, tmp))
    results: dict[str, list[Row]] = {side.name: [] for side in sides}
    for factor in factors:
        for side in sides:
            results[side.name].append(side.row(factor, trials))
    return results


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    defaults = Settings()
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--trials", type=int, help="verdicts per row and measure (default 50; 1 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: tiny workload, 1 trial, 2 rounds, a 2-round noise floor, 3 scenarios")
    parser.add_argument("--rounds", type=int, help=f"--rounds of a run (default {defaults.rounds})")
    parser.add_argument("--min-speedup", type=float, default=defaults.min_speedup,
                        help=f"--min-speedup of a run (default {defaults.min_speedup}; 1.0 asks what is detected)")
    parser.add_argument("--budget", type=float, default=defaults.measure_budget, help="--measure-budget seconds")
    parser.add_argument("--work-ms", type=float, help="milliseconds of busy loop per run (default 50; 3 quick)")
    parser.add_argument("--scenarios", help="comma-separated planted speedups, e.g. 1.0,1.1,0.9 (default: "
                                            + ",".join(f"{f:.3g}" for f in SCENARIOS) + ")")
    parser.add_argument("--measures", default=None,
                        help="comma-separated: time, cycles (default: both where valgrind is installed)")
    parser.add_argument("--neighbours", type=int, default=2,
                        help="CPU-bound processes the benchmark runs beside itself (default 2; 0: a quiet machine)")
    parser.add_argument("--verbose", action="store_true", help="print every verdict's reason on stderr")
    parser.add_argument("--simulate", type=float, metavar="SIGMA",
                        help="no processes: feed the time measurer log-normal samples with this noise, e.g. 0.04")
    args = parser.parse_args(argv)
    asked = args.measures.split(",") if args.measures else []
    if unknown := [m for m in asked if m not in MEASURES]:
        parser.error(f"unknown measure {unknown[0]!r} (there are: {', '.join(MEASURES)})")
    if args.neighbours < 0:
        parser.error("--neighbours must be 0 or more")
    if "cycles" in asked and args.simulate is None and cachegrind.available() is None:
        parser.error(f"--measures cycles needs valgrind: install the `{cachegrind.PACKAGE}` package, "
                     "or pass --measures time")
    args.measures = asked or [m for m in MEASURES if m == "time" or cachegrind.available() is not None]
    args.note = "" if asked or "cycles" in args.measures else (
        f"cycles: not measured: valgrind is not installed (install the `{cachegrind.PACKAGE}` package)")
    return args


def work(args: argparse.Namespace) -> float:
    """Seconds of busy loop per run."""
    return (args.work_ms or (3.0 if args.quick else 50.0)) / 1000


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    trials = args.trials or (1 if args.quick else 50)
    rounds = args.rounds or (2 if args.quick else Settings().rounds)
    factors = ([float(f) for f in args.scenarios.split(",")] if args.scenarios else
               list(QUICK_SCENARIOS if args.quick else SCENARIOS))

    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="optiloop-measurement-"))
    try:
        if args.simulate is not None:
            rows = simulate(args, factors, trials, rounds, tmp / "record")
            print(markdown([HEADER] + [r.cells() for r in rows]))
            print(f"{sum(len(r.verdicts) for r in rows)} simulated verdicts in {time.monotonic() - started:.0f} s")
            return 0
        if args.note:
            print(args.note)
        per_iteration = seconds_per_iteration()  # before the neighbours start: the same work either way
        print(f"settings: --rounds {rounds}, --min-speedup {args.min_speedup}, --measure-budget {args.budget}, "
              f"{trials} trial(s) per row; {args.neighbours} CPU-bound neighbour process(es) on "
              f"{os.cpu_count()} cores", flush=True)
        with neighbours(args.neighbours):
            results = measure_all(args, args.measures, factors, trials, rounds, per_iteration, tmp)
        for measure, rows in results.items():
            print(f"\n{measure}:\n{markdown([HEADER] + [r.cells() for r in rows])}")
        print(f"\nside by side ({args.neighbours} neighbours, --min-speedup {args.min_speedup}):")
        print(side_by_side(results))
        print("\n".join(summary(results)))
        verdicts = sum(len(r.verdicts) for rows in results.values() for r in rows)
        print(f"{verdicts} verdicts in {time.monotonic() - started:.0f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
