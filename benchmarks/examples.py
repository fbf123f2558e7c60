"""Run optiloop's builtin model on every example, then measure each example's whole workload,
original against the optimized branch, side by side (interleaved pyperf runs) in this one run.

    python benchmarks/examples.py [--rounds 10] [--examples wordfreq routes]

Prints, per example: the speedups optiloop committed, and the end-to-end speedup of the
workload with its 95% interval, measured here on fresh processes after the run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import git

from optiloop.app import finish, prepare
from optiloop.cli.demo import copy_example, examples
from optiloop.config import read_pyproject
from optiloop.journal import Journal
from optiloop.measure import InterleavedMeasurer
from optiloop.proc import child_env, run
from optiloop.types import Verdict, Workload


class Checkouts:
    """The example at its original commit and at the branch head, as the measurer's two sides."""

    def __init__(self, repo: Path, base: str, head: str, env: dict[str, str]) -> None:
        self.env = env
        self.dirs = {"baseline": repo.parent / "original", "candidate": repo.parent / "optimized"}
        handle = git.Repo(repo)
        handle.git.worktree("add", "--detach", "-q", str(self.dirs["baseline"]), base)
        handle.git.worktree("add", "--detach", "-q", str(self.dirs["candidate"]), head)

    def project_dir(self, side: str) -> Path:
        return self.dirs[side]


def end_to_end(repo: Path, base: str, head: str, rounds: int, env: dict[str, str]) -> Verdict:
    trees = Checkouts(repo, base, head, env)
    workload = Workload(str(read_pyproject(repo)["workload"]))
    measurer = InterleavedMeasurer(trees, workload, Journal(repo.parent / "record"), rounds, 1.0, 300)
    for side in trees.dirs:  # warm-up: byte-compile both trees
        run(workload.cmd, trees.dirs[side], env, 300)
    return measurer.measure("end-to-end")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--examples", nargs="*", default=examples())
    args = parser.parse_args()
    env = child_env({"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"})
    for name in args.examples:
        with tempfile.TemporaryDirectory(prefix="optiloop-bench-") as tmp:
            repo = copy_example(name, Path(tmp))
            prepared = prepare(repo, {"model": "builtin"}, extra_env={"PATH": env["PATH"]})
            summary = prepared.loop.run()
            finish(prepared, summary)
            print(f"{name}: {len(summary.accepted)} accepted of {len(summary.attempts)} candidates")
            for a in summary.accepted:
                assert a.verdict is not None
                print(f"  {a.candidate.target.qualname:<20} {a.verdict.speedup:6.2f}x "
                      f"[{a.verdict.ci_low:.2f}, {a.verdict.ci_high:.2f}]  {a.candidate.origin}")
            head = git.Repo(repo).commit(summary.branch).hexsha
            verdict = end_to_end(repo, prepared.base_sha, head, args.rounds, env)
            print(f"  whole workload, original vs optimized, {args.rounds} interleaved rounds: "
                  f"{verdict.speedup:.2f}x [{verdict.interval}]")


if __name__ == "__main__":
    main()
