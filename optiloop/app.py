"""Putting a run together: check the input, make the worktrees, check the baseline, build the loop.

Bad input is found before anything is changed where possible; whatever ``prepare`` created before
it found a problem (worktrees, branch, run record, the info/exclude line) is removed again.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import git
from pydantic import ValidationError

from optiloop import vcs
from optiloop.baseline import Checked, make_trees, run_env
from optiloop.config import Settings, excluded_globs, load_settings
from optiloop.edit.sites import Project, apply_reply, refusal
from optiloop.errors import BadInput
from optiloop.executors.local import CostCounter, LocalExecutor
from optiloop.executors.ray import RayExecutor, RayOptions, cluster_cpus, connect, describe, shipped_run
from optiloop.journal import RECORD_DIR, new_run_id
from optiloop.layout import resolve_python
from optiloop.loop import Limits, Loop, Stages
from optiloop.measure import InterleavedMeasurer, Measurer
from optiloop.measure.cycles import Choice, CyclesMeasurer, require_valgrind
from optiloop.models import Model, ModelOptions, resolve
from optiloop.paths import Scope, scripts_in
from optiloop.profiling import PySpyProfiler
from optiloop.progress import COVERING, NO_PROGRESS, Progress
from optiloop.record import Journal, Note, RunFinished, RunLog, RunResumed, RunStarted
from optiloop.resume import (
    reconcile,
    release_lock,
    repair,
    restore_branch,
    restored_attempts,
    resumable,
    take_lock,
)
from optiloop.stages import Editor, TargetFinder, Verifier
from optiloop.targets import FindTargets
from optiloop.types import EditResult, Profile, RunSummary, Target, Workload
from optiloop.verify import Gate, GateSettings
from optiloop.workspace import Workspace


@dataclass
class Prepared:
    loop: Loop
    workspace: Workspace
    journal: Journal
    settings: Settings
    repo_root: Path
    base_sha: str
    notes: list[str]
    branch_removed: bool = False  # ``finish`` removed the branch: the run committed nothing
    progress: Progress = NO_PROGRESS  # what the run is doing, for a status line


def _project(repo: git.Repo, path: Path) -> tuple[Path, str]:
    root = Path(repo.working_dir).resolve()
    project = path.resolve()
    subdir = project.relative_to(root).as_posix()
    return root, "" if subdir == "." else subdir


def _require(settings: Settings) -> tuple[str, str]:
    if not settings.workload:
        raise BadInput("no workload command given",
                       "pass --workload CMD or set workload = \"...\" under [tool.optiloop] in pyproject.toml")
    if not settings.tests:
        raise BadInput("no test command given",
                       "pass --tests CMD or set tests = \"...\" under [tool.optiloop] in pyproject.toml")
    return settings.workload, settings.tests


def prepare(
    path: Path,
    flags: Mapping[str, Any],
    allow_dirty: bool = False,
    extra_env: Mapping[str, str] | None = None,
    keep: Callable[[Target], bool] | None = None,
    mode: str = "run",
    progress: Progress = NO_PROGRESS,
) -> Prepared:
    """A ready loop on a new branch. ``keep`` narrows the targets (the PR bot: changed functions only);
    ``mode`` ("run", "pr", "session") is recorded so reports can say what made the run; ``progress``
    hears what the run is doing (a status line)."""
    repo = vcs.open_repo(path)
    root, subdir = _project(repo, path)
    settings = load_settings(root / subdir if subdir else root, flags)
    workload_cmd, tests = _require(settings)
    if settings.python:  # recorded resolved, so a resumed run finds the same interpreter from anywhere
        settings = settings.model_copy(update={"python": str(resolve_python(settings.python, Path.cwd()))})
    model, model_note = resolve(settings.model, root / subdir if subdir else root,
                                ModelOptions.from_settings(settings))
    if settings.measure == "cycles":
        require_valgrind()  # before anything is made
    cluster = describe(settings.ray_address) if settings.executor == "ray" else ""  # likewise: Ray, its cluster
    dirty = vcs.tracked_changes(repo)
    if dirty and not allow_dirty:
        raise BadInput(f"{len(dirty)} tracked file(s) have uncommitted changes (first: {dirty[0][1]})",
                       "commit or stash them, or pass --allow-dirty to carry them into the run's branch")
    workload = Workload(workload_cmd, ".", tuple((extra_env or {}).items()))
    scope = Scope(subdir, settings.include, excluded_globs(settings) + scripts_in(workload_cmd))
    run_id = new_run_id()
    had_record_dir = (root / RECORD_DIR).exists()
    exclude_before = vcs.exclude_optiloop_dir(repo)
    ws = Workspace(repo, run_id, subdir, run_env(workload, settings.pass_env))
    layout_notes: list[str] = []
    try:
        ws.create(carry_dirty=bool(dirty))
        checked = make_trees(ws, settings, workload, scope, layout_notes, progress)
    except BaseException:
        ws.discard()
        if not had_record_dir:
            shutil.rmtree(root / RECORD_DIR, ignore_errors=True)
        if exclude_before is not None:
            vcs.restore_exclude(repo, exclude_before)
        raise
    journal = Journal.create(root, run_id)
    take_lock(journal.dir)
    journal.write(RunStarted(run_id=run_id, repo=str(root), subdir=subdir, branch=ws.branch, base=ws.head(),
                             settings=settings.model_dump(), model=model.name,
                             deterministic_output=checked.expected is not None, mode=mode,
                             measure=checked.choice.measure, measure_why=checked.choice.why))
    loop = _build_loop(ws, journal, settings, model, workload, scope, checked, keep, progress)
    return Prepared(loop, ws, journal, settings, root, ws.head(),
                    _notes(checked, [model_note, cluster, *layout_notes]), progress=progress)


def _notes(checked: Checked, notes: list[str]) -> list[str]:
    """The run's first lines: which measure and why, then what else the checks found."""
    found = [f"measuring {'simulated cycles' if checked.choice.measure == 'cycles' else 'wall time'}: "
             f"{checked.choice.why}", *(n for n in notes if n)]
    if checked.expected is None:
        found.append("the workload's output differs between runs, so it is not compared with candidates'")
    return found


def _finder(find_targets: FindTargets, keep: Callable[[Target], bool] | None, progress: Progress) -> TargetFinder:
    """``find_targets`` (narrowed by ``keep``) as a step of the profiling stage: it runs the tests for coverage."""
    def find(profile: Profile, read: Callable[[str], str]) -> list[Target]:
        progress.doing(COVERING)
        return [t for t in find_targets(profile, read) if keep is None or keep(t)]

    return find


def _build_loop(ws: Workspace, journal: Journal, settings: Settings, model: Model, workload: Workload,
                scope: Scope, checked: Checked, keep: Callable[[Target], bool] | None = None,
                progress: Progress = NO_PROGRESS) -> Loop:
    """The stages of a run on its worktrees, and the loop over them (shared by ``prepare`` and ``resume``)."""
    tests = settings.tests or ""
    find_targets = FindTargets(ws.tree_dir("baseline"), ws.project_dir("baseline"), scope.contains, tests,
                               ws.env_for("baseline"), journal.artifact, settings.timeout,
                               on_note=lambda note: journal.write(Note(text=note)))
    measurer, counter = _measurer(ws, journal, settings, workload, checked.choice, progress)
    baseline_lock = threading.Lock()  # the gates of all candidate trees share the baseline tree
    checking = GateSettings(tests, workload, checked.expected, settings.timeout, journal.artifacts,
                            replay_calls=settings.replay_calls, memory_mb=settings.memory_limit_mb,
                            test_timeout=settings.test_timeout)

    def gate(side: str) -> Gate:
        return Gate(ws, checking, side=side, baseline_lock=baseline_lock,
                    progress=progress if side == "candidate" else NO_PROGRESS,  # one line: the main tree's
                    coverage=lambda: find_targets.coverage.tests if find_targets.coverage is not None else None)

    edit = editor(ws, scope, workload)

    stages = Stages(
        profiler=PySpyProfiler(ws, workload, journal.artifact, scope.contains, settings.profile_rate,
                               settings.timeout, on_note=lambda note: journal.write(Note(text=note)),
                               progress=progress),
        find_targets=_finder(find_targets, keep, progress),
        model=model,
        edit=edit,
        verifier=_executor(ws, gate, edit, checking, settings, measurer, counter, journal, progress),
        measurer=measurer,
        place=ws,
        journal=journal,
        progress=progress,
    )
    return Loop(stages, Limits(settings.max_iterations, settings.max_rounds_per_target, settings.max_cost,
                               settings.time_budget, settings.candidates, min_speedup=settings.min_speedup),
                ws.run_id)


def _executor(ws: Workspace, gate: Callable[[str], Gate], edit: Editor, checking: GateSettings, settings: Settings,
              measurer: Measurer, counter: CostCounter | None, journal: Journal, progress: Progress) -> Verifier:
    """``--executor``: candidate worktrees on this machine, or the workers of a Ray cluster (``--jobs`` defaults
    to the cluster's CPUs there)."""
    if settings.executor != "ray":
        return LocalExecutor(ws, gate, edit, jobs(settings), counter)
    ray = connect(settings.ray_address)
    setup = (settings.setup, settings.timeout) if settings.setup else None
    count_timeout = measurer.timeout if isinstance(measurer, CyclesMeasurer) else None
    tests = settings.test_timeout or settings.timeout
    deadline = 2 * settings.timeout + 3 * tests + (count_timeout or 0.0) + 600  # a generous bound on one task
    options = RayOptions(ray, settings.jobs or cluster_cpus(ray), setup, count_timeout, deadline)
    return RayExecutor(ws, gate, edit, options, lambda: shipped_run(ws, checking, setup), journal, progress)


def editor(ws: Workspace, scope: Scope, workload: Workload) -> Editor:
    """How the run applies a candidate of any reply shape: other files are read from the accepted tree, uses of a
    private definition are looked for in the in-scope files, and tests, the workload and out-of-scope files are
    off limits."""
    project = Project(read=ws.read, files=lambda: scope.files(ws.tree_dir("baseline")),
                      refuse=refusal(scope.contains, scripts_in(workload.cmd)), subdir=ws.subdir)

    def edit(module: str, qualname: str, new_source: str, path: str) -> EditResult:
        return apply_reply(module, qualname, new_source, path, project)

    return edit


def jobs(settings: Settings) -> int:
    """``--jobs``, by default the cores this process may run on."""
    if settings.jobs:
        return settings.jobs
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _measurer(ws: Workspace, journal: Journal, settings: Settings, workload: Workload, choice: Choice,
              progress: Progress = NO_PROGRESS) -> tuple[Measurer, CostCounter | None]:
    """The run's measurer, and how an executor counts a candidate's simulated cost (cycles measure only)."""
    timed = InterleavedMeasurer(ws, workload, journal, settings.rounds, settings.min_speedup, settings.timeout,
                                budget=settings.measure_budget, max_memory_growth=settings.max_memory_growth,
                                progress=progress)
    if choice.calibration is None:
        return timed, None
    cycles = CyclesMeasurer(ws, workload, journal, timed, settings.min_speedup, choice.calibration)
    return cycles, cycles.count_candidate


def finish(prepared: Prepared, summary: RunSummary | None, error: str | None = None) -> bool:
    """Record how the run ended and remove the worktrees. The branch stays when it holds a commit, or when the
    run ended on an error (it may be resumed); a run that finished with nothing on its branch removes it
    (``branch_removed`` in the ``run_finished`` event; a resumed session makes it again). Returns whether the
    branch was removed."""
    empty = False
    try:
        if summary is not None:
            prepared.journal.write_json("summary.json", summary)
        empty = error is None and prepared.workspace.head() == prepared.base_sha
    finally:
        prepared.workspace.close()
        try:
            prepared.branch_removed = empty and prepared.workspace.remove_branch()
            prepared.journal.write(RunFinished(error=error, stop_reason=summary.stop_reason if summary else "",
                                               accepted=tuple(a.commit for a in summary.accepted) if summary else (),
                                               branch_removed=prepared.branch_removed))
        finally:
            release_lock(prepared.journal.dir)
    return prepared.branch_removed


def _reopen(repo: git.Repo, journal: Journal, ws: Workspace, base: str, settings: Settings, workload: Workload,
            scope: Scope, layout_notes: list[str], progress: Progress = NO_PROGRESS) -> tuple[list[str], Checked]:
    """Take the run's lock, make its branch again if the run removed it empty, rebuild the worktrees, reconcile
    the record with the branch and check the baseline at its head; (notes on the repair, the workload's stable
    output). On failure, whatever it made is undone and the lock released."""
    take_lock(journal.dir)
    journal.trim_torn_event()
    remade = False
    try:
        remade = restore_branch(repo, journal, ws, base)
        repair(repo, ws)
        notes = reconcile(repo, journal, ws, base)
        try:
            return notes, make_trees(ws, settings, workload, scope, layout_notes, progress)
        except BadInput as exc:
            raise BadInput(f"at the head of {ws.branch}: {exc.message}", exc.hint) from None
    except BaseException:
        ws.close()
        if remade:  # as empty as it was when the run removed it
            ws.remove_branch()
        release_lock(journal.dir)
        raise


RESUME_FLAGS = ("max_iterations", "time_budget", "max_cost")


def resume(path: Path, run_id: str, extra_env: Mapping[str, str] | None = None,
           flags: Mapping[str, Any] | None = None, finished_ok: bool = False,
           progress: Progress = NO_PROGRESS) -> Prepared:
    """A killed run (``run_id``, or "last": the newest unfinished run) ready to go on where it stopped.

    Its settings are the recorded ones (``flags`` may raise only the budgets in ``RESUME_FLAGS``). Its
    worktrees are removed and made again from the branch, the branch and the record are reconciled
    (``resume.reconcile``), the tests and the workload must still pass at the branch head, and the loop
    takes back the recorded attempts.
    """
    repo = vcs.open_repo(path)
    root = Path(repo.working_dir).resolve()
    info = resumable(root, run_id, finished_ok)
    started = info.start
    changed = {k: v for k, v in (flags or {}).items() if v is not None}
    if unknown := sorted(set(changed) - set(RESUME_FLAGS)):
        raise BadInput(f"--{unknown[0].replace('_', '-')} cannot change when resuming a run",
                       "a resumed run keeps its recorded settings; only "
                       + ", ".join(f"--{k.replace('_', '-')}" for k in RESUME_FLAGS) + " may be given")
    try:
        settings = Settings.model_validate({**started.settings, **changed})
    except ValidationError as exc:
        raise BadInput(f"the recorded settings of run {info.id} are not valid now: {exc.errors()[0]['msg']}",
                       "start a new run with `optiloop run`") from None
    workload_cmd, tests = _require(settings)
    subdir = started.subdir
    project = root / subdir if subdir else root
    model, model_note = resolve(settings.model, project, ModelOptions.from_settings(settings))
    workload = Workload(workload_cmd, ".", tuple((extra_env or {}).items()))
    scope = Scope(subdir, settings.include, excluded_globs(settings) + scripts_in(workload_cmd))
    if settings.executor == "ray":
        connect(settings.ray_address)  # before the worktrees are made again
    journal = Journal(info.dir)
    ws = Workspace(repo, info.id, subdir, run_env(workload, settings.pass_env))
    layout_notes: list[str] = []
    measure = started.measure or settings.measure  # the run's measure, decided again at the head
    notes, checked = _reopen(repo, journal, ws, started.base, settings.model_copy(update={"measure": measure}),
                             workload, scope, layout_notes, progress)
    loop = _build_loop(ws, journal, settings, model, workload, scope, checked, progress=progress)
    attempts = restored_attempts(RunLog.read(journal.dir))
    loop.restore(attempts)
    loop.s.measurer.restore(attempts)  # e.g. the stricter confirmation goes on counting
    journal.write(RunResumed(run_id=info.id, head=ws.head(), attempts=len(attempts),
                             accepted=tuple(a.commit for a in attempts if a.accepted), reconciled=tuple(notes),
                             flags=changed, deterministic_output=checked.expected is not None))
    notes = [f"resuming run {info.id} after {len(attempts)} recorded attempt(s)", *notes, *layout_notes, model_note]
    return Prepared(loop, ws, journal, settings, root, started.base, _notes(checked, notes),
                    progress=progress)
