"""The winner's curse, and what the confirmation does about it: runs of 5 no-op candidates each.

    python benchmarks/selection.py --simulate 0.04 --runs 100   # statistics alone, no processes
    python benchmarks/selection.py --runs 30                    # real pyperf processes, a busy loop
    python benchmarks/selection.py --quick                      # a smoke test in seconds

Every candidate is the baseline's own code (the truth is 1.0x). In each run, all candidates are
measured the way a run measures a candidate the first time (quick screen, sequential looks); the one
with the best measured speedup is picked (the uncorrected best-of-N); then that winner is confirmed
the way a run confirms one: fresh interleaved rounds, at the level a run gives the m-th candidate of a
target (the share 6/(pi^2 m^2) of the error, m the winner's place in the order measured; the shares of
all candidates sum to the error once), only the confirmation reported. The table shows how far the picked
estimate is inflated against the confirmed one, and how many winners each would have accepted.
The winner is confirmed even when its first measurement did not pass (a run would stop there), so
that every run has a confirmed estimate and the confirmation alone is tested for false accepts.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from measurement import Simulated, calibrate, table

from optiloop.config import Settings
from optiloop.measure import InterleavedMeasurer
from optiloop.measure.interleaved import NOISE_ROUNDS
from optiloop.types import Verdict


@dataclass
class Run:
    firsts: list[Verdict]
    winner: Verdict  # the best first measurement (the uncorrected best-of-N)
    confirmed: Verdict  # the winner measured again on fresh samples at the stricter level
    seconds: float


def one_run(m: InterleavedMeasurer, i: int, candidates: int) -> Run:
    start = time.monotonic()
    firsts = [m.measure(f"run-{i}/candidate-{c}", measurements=2) for c in range(candidates)]
    winner = max(firsts, key=lambda v: v.speedup)
    confirmed = m.confirm(f"run-{i}/winner", winner, family=firsts.index(winner) + 1)
    return Run(firsts, winner, confirmed, time.monotonic() - start)


def summary(runs: list[Run], candidates: int, seconds: float) -> str:
    def row(what: str, verdicts: list[Verdict]) -> list[str]:
        speedups = [v.speedup for v in verdicts]
        return [what, str(len(verdicts)), str(sum(v.accepted for v in verdicts)),
                f"{statistics.mean(speedups):.3f}x", f"{statistics.median(speedups):.3f}x",
                f"{max(speedups):.3f}x", f"{statistics.mean(v.rounds for v in verdicts):.1f}"]

    header = ["estimate", "runs", "accepted (false)", "mean", "median", "max", "rounds"]
    rows = [header,
            row("every candidate (first measurement)", [v for r in runs for v in r.firsts]),
            row(f"uncorrected best-of-{candidates}", [r.winner for r in runs]),
            row("confirmed winner", [r.confirmed for r in runs])]
    best = statistics.mean(r.winner.speedup for r in runs)
    confirmed = statistics.mean(r.confirmed.speedup for r in runs)
    both = sum(r.winner.accepted and r.confirmed.accepted for r in runs)
    return "\n".join([
        table(rows),
        f"inflation of the uncorrected best-of-{candidates}: mean {best:.3f}x against {confirmed:.3f}x confirmed "
        f"({best / confirmed - 1:+.1%}); median {statistics.median(r.winner.speedup for r in runs):.3f}x against "
        f"{statistics.median(r.confirmed.speedup for r in runs):.3f}x",
        f"false accepts of confirmed winners: {sum(r.confirmed.accepted for r in runs)} / {len(runs)} "
        f"(as a run commits, first measurement and confirmation both passing: {both} / {len(runs)})",
        f"{len(runs)} runs in {seconds:.0f} s ({statistics.mean(r.seconds for r in runs):.1f} s per run)",
    ])


def main(argv: list[str] | None = None) -> int:
    defaults = Settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, help="runs of N no-op candidates (default 30; 1 with --quick)")
    parser.add_argument("--candidates", type=int, help="no-op candidates per run (default 5; 2 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: tiny workload, 1 run of 2 candidates, 2 to 4 rounds, a 2-round noise floor")
    parser.add_argument("--rounds", type=int, help=f"--rounds of a run (default {defaults.rounds})")
    parser.add_argument("--min-speedup", type=float, default=defaults.min_speedup)
    parser.add_argument("--budget", type=float, help="--measure-budget seconds (default: none; 1 with --quick, "
                                                     "which makes 4 rounds the most per measurement)")
    parser.add_argument("--work-ms", type=float, help="milliseconds of busy loop per run (default 50; 3 quick)")
    parser.add_argument("--minutes", type=float, help="real processes: stop starting runs after this long")
    parser.add_argument("--verbose", action="store_true", help="print every confirmation's reason on stderr")
    parser.add_argument("--simulate", type=float, metavar="SIGMA",
                        help="no processes: feed the measurer log-normal samples with this noise, e.g. 0.04")
    args = parser.parse_args(argv)
    n_runs = args.runs or (1 if args.quick else 30)
    args.candidates = args.candidates or (2 if args.quick else 5)
    rounds = args.rounds or (2 if args.quick else defaults.rounds)
    if args.budget is None:
        args.budget = 1.0 if args.quick else defaults.measure_budget
    noise_rounds = 2 if args.quick else NOISE_ROUNDS
    work = (args.work_ms or (3.0 if args.quick else 50.0)) / 1000
    settings = (f"--rounds {rounds}, --min-speedup {args.min_speedup}, --measure-budget {args.budget}, "
                f"{args.candidates} no-op candidates per run")

    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="optiloop-selection-"))
    runs: list[Run] = []
    try:
        if args.simulate is not None:
            rng = random.Random(0)
            print(f"simulated: log-normal noise of {args.simulate:.1%} per run; {settings}; "
                  f"a fresh A/A noise floor per run", flush=True)
            for i in range(n_runs):
                m = Simulated(1.0, args.simulate, rng, tmp / "record", rounds, args.min_speedup, args.budget,
                              noise_rounds)
                m.baseline()
                m.round_seconds = 1.0  # a budget is read as rounds: 60 s = 60 rounds
                runs.append(one_run(m, i, args.candidates))
        else:
            busy = calibrate(tmp, work)  # both trees at the same cost: every candidate is a no-op
            floor = busy.measurer(tmp / "record", rounds, args.min_speedup, args.budget, noise_rounds)
            baseline = floor.baseline()
            assert floor.noise is not None
            print(f"workload: {baseline.mean * 1000:.1f} ms per run; {settings}", flush=True)
            print(f"noise floor (A/A, {floor.noise.rounds} rounds): {floor.noise.ratio:.3f}x", flush=True)
            for i in range(n_runs):
                if args.minutes is not None and time.monotonic() - started > args.minutes * 60:
                    break
                m = busy.measurer(tmp / "record", rounds, args.min_speedup, args.budget)
                m.noise, m.round_seconds = floor.noise, floor.round_seconds
                runs.append(one_run(m, i, args.candidates))
                if args.verbose:
                    print(f"  run {i + 1}: best-of-{args.candidates} {runs[-1].winner.speedup:.3f}x, confirmed: "
                          f"{runs[-1].confirmed.reason}", file=sys.stderr, flush=True)
        print(summary(runs, args.candidates, time.monotonic() - started))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
