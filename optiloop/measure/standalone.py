"""Measuring outside a run: ``optiloop bench`` (one tree) and ``optiloop compare`` (two git refs)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from statistics import median

import git

from optiloop import proc, vcs
from optiloop.errors import BadInput, RunFailure
from optiloop.journal import RECORD_DIR, new_run_id
from optiloop.layout import python_env
from optiloop.measure import cachegrind, instructions
from optiloop.measure.cachegrind import CountError
from optiloop.measure.cycles import compare_counts, plan_count, refused
from optiloop.measure.interleaved import InterleavedMeasurer
from optiloop.measure.pyperf_run import MeasureError, TimedOut, TooFast, check_timeable, pyperf_command
from optiloop.proc import project_env
from optiloop.record import Journal
from optiloop.types import Cost, Measurement, Verdict, Workload
from optiloop.workspace import Side

Progress = Callable[[int, int], None]
FAST_HINT = "give the workload a larger input, so that one run takes 10 ms or more"


@dataclass(frozen=True)
class BenchResult:
    command: str
    path: str
    measurement: Measurement
    median: float
    instructions: int | None
    cost: Cost | None = None  # one simulated run (``--measure cycles``, or auto where it fits)
    why: str = ""  # why it was (not) counted in cycles


def _first_run(cmd: str, where: Path, env: Mapping[str, str], out: Path, timeout: float, what: str) -> float:
    """One warmed-up pyperf run that also checks the workload works and is long enough to time."""
    try:
        values = pyperf_command(cmd, where, env, out, 1, timeout, warmups=1)
        check_timeable(values, where, env, out.with_name("empty-command.json"),
                       more=lambda n: pyperf_command(cmd, where, env, out.with_name("timeable.json"), n, timeout))
    except TooFast as exc:
        raise BadInput(f"{exc}{what}", FAST_HINT) from None
    except TimedOut as exc:
        raise BadInput(f"the workload hangs or is too slow{what}: {exc}",
                       "pass a larger --timeout, or a smaller input") from None
    except MeasureError as exc:
        raise BadInput(f"the workload command fails{what} ({exc})",
                       f"make `{cmd}` run successfully from {where}") from None
    return values[0]


def bench(project: Path, cmd: str, runs: int, timeout: float, env: Mapping[str, str],
          on_run: Progress | None = None, measure: str = "time", budget: float | None = None) -> BenchResult:
    """``runs`` timed runs of ``cmd`` in ``project``, each in a fresh pyperf process (after a warm-up)."""
    if not project.is_dir():
        raise BadInput(f"{project} is not a directory", "pass the project's directory")
    with tempfile.TemporaryDirectory(prefix="optiloop-bench-") as tmp:
        scratch = Path(tmp)
        values = [_first_run(cmd, project, env, scratch / "run-0.json", timeout, "")]
        if on_run is not None:
            on_run(1, runs)
        for i in range(1, runs):
            try:
                values += pyperf_command(cmd, project, env, scratch / f"run-{i}.json", 1, timeout)
            except MeasureError as exc:
                raise RunFailure(f"the workload failed on run {i + 1} of {runs}: {exc}") from None
            if on_run is not None:
                on_run(i + 1, runs)
        count = instructions.count(cmd, project, env, scratch / "perf.csv", timeout)
        cost, why = _bench_cost(cmd, project, env, scratch / "cost", median(values), measure, budget)
    return BenchResult(cmd, str(project), Measurement.of(values), median(values), count, cost, why)


def _bench_cost(cmd: str, project: Path, env: Mapping[str, str], out_dir: Path, seconds: float, measure: str,
                budget: float | None) -> tuple[Cost | None, str]:
    """One simulated run for ``bench``: with cycles asked for (valgrind required), or auto where it fits."""
    timeout, found = plan_count(measure, seconds, budget)
    if timeout is None:
        return None, found
    try:
        return cachegrind.count(cmd, project, env, out_dir, timeout), found
    except CountError as exc:
        return None, refused(measure, f"{exc}")


@dataclass(frozen=True)
class Compared:
    ref_a: str
    ref_b: str
    sha_a: str
    sha_b: str
    verdict: Verdict
    why: str = ""  # why this measure: what auto found, or what was asked for


class RefTrees:
    """Detached worktrees of two refs as the measurer's sides: A is "baseline", B is "candidate"."""

    def __init__(self, dirs: dict[Side, Path], subdir: str, env: Mapping[str, str]) -> None:
        self.dirs = dirs
        self.subdir = subdir
        self.env = dict(env)

    def project_dir(self, side: Side) -> Path:
        return self.dirs[side] / self.subdir if self.subdir else self.dirs[side]

    def env_for(self, side: Side) -> dict[str, str]:
        return project_env(self.env, self.project_dir(side))


def resolve_ref(repo: git.Repo, ref: str) -> str:
    try:
        return str(repo.commit(ref).hexsha)
    except (git.BadName, git.BadObject, ValueError):
        raise BadInput(f"'{ref}' is not a commit, branch or tag of {repo.working_dir}",
                       "pass two refs of this repository, e.g. `optiloop compare main HEAD`") from None


@dataclass(frozen=True)
class CompareSettings:
    rounds: int
    min_speedup: float
    timeout: float
    budget: float | None
    setup: str | None = None  # run once in each ref's tree before measuring (a build step)
    python: Path | None = None  # the project's interpreter, as ``python`` in both trees (``layout.python_env``)
    measure: str = "time"  # time, cycles or auto (``measure.cycles.compare_counts``)


def _set_up(trees: RefTrees, cmd: str, refs: Mapping[Side, str], timeout: float) -> None:
    for side, ref in refs.items():
        done = proc.run(cmd, trees.project_dir(side), trees.env_for(side), timeout)
        if not done.ok:
            why = done.why()
            raise BadInput(f"the setup command fails at {ref} ({why})",
                           f"make `{cmd}` succeed when run in a fresh clone of the project")


def compare(path: Path, ref_a: str, ref_b: str, cmd: str, settings: CompareSettings, env: Mapping[str, str],
            on_round: Progress | None = None) -> Compared:
    """Measure ``cmd`` interleaved in detached worktrees of ``ref_a`` and ``ref_b`` (under
    ``.optiloop/``, removed afterwards); the user's checkout is only read."""
    repo = vcs.open_repo(path)
    root = Path(repo.working_dir).resolve()
    subdir = path.resolve().relative_to(root).as_posix()
    subdir = "" if subdir == "." else subdir
    sha_a, sha_b = resolve_ref(repo, ref_a), resolve_ref(repo, ref_b)
    had_record_dir = (root / RECORD_DIR).exists()
    base = root / RECORD_DIR / "compare" / new_run_id()
    dirs: dict[Side, Path] = {"baseline": base / "a", "candidate": base / "b"}
    try:
        vcs.add_worktree(repo, dirs["baseline"], sha_a)
        vcs.add_worktree(repo, dirs["candidate"], sha_b)
        if settings.python is not None:
            env = python_env(env, settings.python, base / "bin")
        trees = RefTrees(dirs, subdir, env)
        refs: dict[Side, str] = {"baseline": ref_a, "candidate": ref_b}
        for side, ref in refs.items():
            if not trees.project_dir(side).is_dir():
                raise BadInput(f"{subdir} does not exist at {ref}", "pass --path of a directory in both refs")
        if settings.setup:
            _set_up(trees, settings.setup, refs, settings.timeout)
        with tempfile.TemporaryDirectory(prefix="optiloop-compare-") as tmp:
            seconds = min(_first_run(cmd, trees.project_dir(side), trees.env_for(side),
                                     Path(tmp) / f"check-{side}.json", settings.timeout, f" at {ref}")
                          for side, ref in refs.items())
            measurer = InterleavedMeasurer(trees, Workload(cmd), Journal(Path(tmp)), settings.rounds,
                                           settings.min_speedup, settings.timeout, settings.budget,
                                           on_round=on_round)
            counted, why = compare_counts(trees, Workload(cmd), Path(tmp) / "cost", settings.min_speedup, measurer,
                                          settings.measure, seconds, settings.budget)
            verdict = counted or measurer.measure("compare")
    except MeasureError as exc:  # pragma: no cover - the measurer turns these into RunFailure
        raise RunFailure(str(exc)) from None
    finally:
        for d in dirs.values():
            if d.exists():
                vcs.remove_worktree(repo, d)
        shutil.rmtree(base, ignore_errors=True)
        if not had_record_dir:
            shutil.rmtree(root / RECORD_DIR, ignore_errors=True)
        elif base.parent.is_dir() and not any(base.parent.iterdir()):
            base.parent.rmdir()
    if verdict.baseline is None:  # the workload failed on B while measuring
        raise RunFailure(verdict.reason.replace("on the candidate", f"at {ref_b}"))
    return Compared(ref_a, ref_b, sha_a, sha_b, verdict, why)
