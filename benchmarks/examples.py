"""Run optiloop's builtin model on every example, then measure each example's whole workload,
original against the optimized branch, side by side (interleaved pyperf runs) in this one run.

    python benchmarks/examples.py [--quick] [--rounds 10] [--examples wordfreq routes inventory]

Prints, per example: the speedups optiloop committed and the candidates it tried, then one table
with the end-to-end speedup of the workload (measured here on fresh processes after the run by the
measurement engine, ``InterleavedMeasurer.measure``, with its 95% interval), how many candidates the
builtin model proposed, how many were accepted, and the rejected ones grouped by reason.

``--quick`` is for a busy machine and a smoke test: 3 rounds per measurement and at most 4
candidates per example. The numbers it prints are noisy; run it without ``--quick`` on a quiet
machine for the figures a closing note quotes.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import git

from optiloop.app import finish, prepare
from optiloop.cli.demo import copy_example, examples
from optiloop.config import read_pyproject
from optiloop.measure import InterleavedMeasurer
from optiloop.proc import child_env, run
from optiloop.record import Journal, Proposed, RunLog
from optiloop.types import Attempt, Verdict, Workload

QUICK_ROUNDS = 3
QUICK_ITERATIONS = 4


class Checkouts:
    """The example at its original commit and at the branch head, as the measurer's two sides."""

    def __init__(self, repo: Path, base: str, head: str, env: dict[str, str]) -> None:
        self.env = env
        self.dirs = {"baseline": repo.parent / "original", "candidate": repo.parent / "optimized"}
        handle = git.Repo(repo)
        handle.git.worktree("add", "--detach", "-q", str(self.dirs["baseline"]), base)
        handle.git.worktree("add", "--detach", "-q", str(self.dirs["candidate"]), head)

    def env_for(self, side: str) -> dict[str, str]:
        return self.env

    def project_dir(self, side: str) -> Path:
        return self.dirs[side]


@dataclass
class Row:
    """One example's line in the table."""

    name: str
    verdict: Verdict | None = None
    proposed: int = 0
    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)


def reason_kind(reason: str) -> str:
    """The kind of a rejection, without its numbers and details: ``tests failed``, ``slower``..."""
    head = re.split(r"[:;(]", reason, maxsplit=1)[0].strip()
    return re.sub(r"\s+", " ", re.sub(r"\d+(\.\d+)?x?", "N", head)) or "unknown"


def end_to_end(repo: Path, base: str, head: str, rounds: int, env: dict[str, str]) -> Verdict:
    trees = Checkouts(repo, base, head, env)
    workload = Workload(str(read_pyproject(repo)["workload"]))
    measurer = InterleavedMeasurer(trees, workload, Journal(repo.parent / "record"), rounds, 1.0, 300)
    for side in trees.dirs:  # warm-up: byte-compile both trees
        run(workload.cmd, trees.dirs[side], env, 300)
    return measurer.measure("end-to-end")


def proposed(journal: Journal) -> int:
    """Candidates the model proposed over the run (the loop drops duplicates before trying them)."""
    return sum(e.count for e in RunLog.read(journal.dir).all(Proposed))


def bench(name: str, rounds: int, max_iterations: int | None, env: dict[str, str]) -> Row:
    row = Row(name)
    with tempfile.TemporaryDirectory(prefix="optiloop-bench-") as tmp:
        repo = copy_example(name, Path(tmp))
        flags = {"model": "builtin", "rounds": rounds, "max_iterations": max_iterations}
        prepared = prepare(repo, flags, extra_env={"PATH": env["PATH"]})
        summary = prepared.loop.run()
        finish(prepared, summary)
        row.proposed = proposed(prepared.journal)
        row.accepted = len(summary.accepted)
        print(f"{name}: {row.accepted} accepted of {len(summary.attempts)} tried ({row.proposed} proposed)")
        for attempt in summary.attempts:
            print(f"  {_attempt_line(attempt)}")
            if not attempt.accepted:
                row.rejected[reason_kind(attempt.reason)] += 1
        head = git.Repo(repo).commit(summary.branch).hexsha
        row.verdict = end_to_end(repo, prepared.base_sha, head, rounds, env)
        print(f"  whole workload, original vs optimized, interleaved: {row.verdict.speedup:.2f}x "
              f"[{row.verdict.interval}]")
    return row


def _attempt_line(a: Attempt) -> str:
    what = f"{a.candidate.target.qualname:<22} {a.candidate.origin}"
    if a.accepted and a.verdict is not None:
        return f"{what}: accepted {a.verdict.speedup:.2f}x [{a.verdict.ci_low:.2f}, {a.verdict.ci_high:.2f}]"
    return f"{what}: rejected, {a.reason[:100]}"


def table(rows: list[Row]) -> str:
    lines = [
        "| example | workload speedup (95% CI) | proposed | accepted | rejected by reason |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        speed = f"{r.verdict.speedup:.2f}x [{r.verdict.interval}]" if r.verdict is not None else "failed"
        reasons = ", ".join(f"{kind}: {n}" for kind, n in r.rejected.most_common()) or "none"
        lines.append(f"| {r.name} | {speed} | {r.proposed} | {r.accepted} | {reasons} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds, at most 4 candidates per example")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per measurement (default 10, quick 3)")
    parser.add_argument("--max-iterations", type=int, default=None, help="most candidates to try per example")
    parser.add_argument("--examples", nargs="*", default=examples())
    args = parser.parse_args()
    rounds = args.rounds or (QUICK_ROUNDS if args.quick else 10)
    iterations = args.max_iterations or (QUICK_ITERATIONS if args.quick else None)
    unknown = sorted(set(args.examples) - set(examples()))
    if unknown:
        parser.error(f"no such example: {', '.join(unknown)} (there are: {', '.join(examples())})")
    env = child_env({"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"})
    rows = [bench(name, rounds, iterations, env) for name in args.examples]
    print()
    print(f"builtin model, {rounds} interleaved rounds per measurement"
          f"{f', at most {iterations} candidates per example' if iterations else ''}:")
    print(table(rows))


if __name__ == "__main__":
    main()
