"""Candidates per hour against the number of Ray workers (``--executor ray``), and what it is made of.

    python benchmarks/ray_scaling.py [--workers 1 2] [--candidates 8]
    python benchmarks/ray_scaling.py --quick        # smoke test: 1 worker, 2 candidates

For each number of workers W it starts a local Ray cluster on 127.0.0.1 with W CPUs (``ray start --head``: at
most W tasks at once), prepares a run on a copy of a small project (test_run's: ``dedupe`` on a list, a
unittest suite, a workload printing its result) with ``--executor ray --jobs W`` exactly as ``optiloop run``
does, and hands the run's executor ``--candidates`` candidates of ``dedupe`` in the loop's way (each with those
behind it, so batches of W go out together). Half are right (the set version), half wrong (they fail their
replay, as most wrong candidates do, early). It reports:

- candidates per hour: candidates / wall time of the whole verification stage, times 3600;
- the per-candidate cost c: the mean time a worker spent on a candidate in the steady state (making its
  clone and worktrees the first time is counted apart, as ``first``);
- the head's serial time per candidate h: the wall time less the batches' slowest tasks (the critical path
  of the workers), per candidate: applying the edit, captures and self-checks on the head's baseline, bundles
  into the object store, scheduling, results back, staging the candidate in the head's tree.

Then the model of docs/scaling.md, ``3600 / (h + p*m + c / W)`` candidates per hour, for 1, 2, 16 and 64
workers: from the figures of one worker (c, h; p*m = 0: no candidate measured on the head), and for the issue's
nightly run (c = 600 s: a 10-minute test suite; the measured h; p*m = 0 and p*m = 30 s).

The machine's other load slows both W = 1 and W = 2 (two workers on two shared cores compete with each other
and the head): read the figures as lower bounds of what separate machines give.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the test suite's project and local cluster (tests/) are reused here

from optiloop.app import finish, prepare  # noqa: E402
from optiloop.edit import apply_candidate  # noqa: E402
from optiloop.executors.ray import RayExecutor  # noqa: E402
from optiloop.types import Applied, Candidate, Hotspot, Target  # noqa: E402
from tests.cli.test_run import TEST_CMD, WORKLOAD, project  # noqa: E402
from tests.executors.raycluster import local_cluster  # noqa: E402
from tests.models.fakeserver import SET_REPLY  # noqa: E402

RIGHT = SET_REPLY.split("```python\n", 1)[1].split("```", 1)[0]
WRONG = "def dedupe(items):\n    return list(set(items))  # variant {n}\n"


@dataclass(frozen=True)
class Figures:
    workers: int
    candidates: int
    seconds: float  # wall time of the verification stage
    first: float  # the first task's time on its worker (clone, worktrees and setup included)
    cost: float  # mean time of a steady-state task on its worker
    head: float  # the head's serial time per candidate: wall time less the batches' slowest tasks, per candidate

    @property
    def per_hour(self) -> float:
        return 3600 * self.candidates / self.seconds


MODELLED = (1, 2, 16, 64)


def modelled(c: float, h: float, pm: float, workers: int) -> float:
    """Candidates per hour with ``workers`` workers: the head's serial time per candidate (``h``, and ``pm`` of
    measuring on the head) plus the worker's cost ``c`` shared by the workers (docs/scaling.md)."""
    return 3600 / (h + pm + c / workers)


def candidates(target: Target, count: int) -> list[Candidate]:
    """``count`` distinct candidates, right and wrong in turn (a comment makes each edit distinct)."""
    found = []
    for n in range(count):
        source = RIGHT.replace("seen = set()", f"seen = set()  # variant {n}") if n % 2 == 0 else WRONG.format(n=n)
        found.append(Candidate(target, source, f"variant {n}", "benchmark"))
    return found


def measure(workers: int, count: int, work: Path) -> Figures:
    import ray

    with local_cluster(num_cpus=workers) as address:
        repo = project(work / f"w{workers}")
        flags = {"workload": WORKLOAD, "tests": TEST_CMD, "model": "builtin", "executor": "ray",
                 "ray_address": address, "jobs": workers, "measure": "time", "rounds": 2}
        prepared = prepare(repo, flags)
        try:
            executor: Any = prepared.loop.s.verifier
            assert isinstance(executor, RayExecutor)
            module = prepared.workspace.read("pkg/core.py")
            target = Target(Hotspot("dedupe", "pkg/core.py", 1, 0.5, 0.5), "", module)
            todo = candidates(target, count)
            critical = 0.0  # the batches' slowest tasks, summed
            start = time.monotonic()
            for i, c in enumerate(todo):
                edit = apply_candidate(module, "dedupe", c.new_source, "pkg/core.py")
                assert isinstance(edit, Applied), edit
                before = len(executor.tasks.seconds)
                executor.verify(c, {"pkg/core.py": edit.new_module}, todo[i + 1:])
                if len(executor.tasks.seconds) > before:  # a batch went out
                    critical += max(executor.tasks.seconds[before:])
            seconds = time.monotonic() - start
            tasks = executor.tasks.seconds
        finally:
            finish(prepared, None)
            ray.shutdown()
    steady = tasks[workers:] or tasks
    return Figures(workers, count, seconds, tasks[0], statistics.fmean(steady), (seconds - critical) / count)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--candidates", type=int, default=8)
    parser.add_argument("--quick", action="store_true", help="1 worker, 2 candidates")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    workers, count = ([1], 2) if args.quick else (args.workers, args.candidates)
    rows = []
    with tempfile.TemporaryDirectory(prefix="ray-scaling-") as tmp:
        for w in workers:
            rows.append(measure(w, count, Path(tmp)))
    print(f"{'workers':>7} {'cands':>5} {'seconds':>8} {'cand/hour':>9} {'first s':>8} {'cost c s':>8} "
          f"{'head h s':>8}")
    for r in rows:
        print(f"{r.workers:>7} {r.candidates:>5} {r.seconds:>8.1f} {r.per_hour:>9.0f} {r.first:>8.2f} {r.cost:>8.2f} "
              f"{r.head:>8.2f}")
    one = rows[0]
    print("\nmodel: 3600 / (h + p*m + c / W) candidates per hour")
    cases = [(f"this project (c {one.cost:.2f} s, h {one.head:.2f} s)", one.cost, one.head, 0.0),
             (f"10-minute suite, p*m = 0 (c 600 s, h {one.head:.2f} s)", 600.0, one.head, 0.0),
             (f"10-minute suite, p*m = 30 s (c 600 s, h {one.head:.2f} s)", 600.0, one.head, 30.0)]
    print(f"{'case':<52}" + "".join(f"{f'W={w}':>9}" for w in MODELLED))
    for name, c, h, pm in cases:
        print(f"{name:<52}" + "".join(f"{modelled(c, h, pm, w):>9.1f}" for w in MODELLED))
    if args.json:
        args.json.write_text(json.dumps([{**r.__dict__, "per_hour": r.per_hour} for r in rows], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
