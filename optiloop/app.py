"""Putting a run together: check the input, make the worktrees, check the baseline, build the loop.

Bad input is found before anything is changed where possible; whatever ``prepare`` created before
it found a problem (worktrees, branch, run record, the info/exclude line) is removed again.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import git
from pydantic import ValidationError

from optiloop import vcs
from optiloop.config import Settings, excluded_globs, load_settings
from optiloop.edit import apply_candidate
from optiloop.errors import BadInput
from optiloop.journal import RECORD_DIR, Journal, new_run_id
from optiloop.layout import ImportProbe, python_env, resolve_python, top_level_names
from optiloop.loop import Limits, Loop, Stages
from optiloop.measure import InterleavedMeasurer
from optiloop.measure.pyperf_run import MeasureError, TooFast, check_timeable, pyperf_command
from optiloop.models import Model, ModelOptions, resolve
from optiloop.paths import Scope, scripts_in
from optiloop.proc import child_env
from optiloop.profiling import PySpyProfiler
from optiloop.progress import BASELINE, COVERING, NO_PROGRESS, SETUP, TESTS, WORKLOAD, Progress
from optiloop.resume import reconcile, release_lock, repair, restored_attempts, resumable, take_lock, trim_torn_event
from optiloop.stages import TargetFinder
from optiloop.targets import FindTargets
from optiloop.types import Profile, RunSummary, Target, Workload
from optiloop.verify import Gate
from optiloop.verify.capture import hook_env
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


def run_env(workload: Workload) -> dict[str, str]:
    """The environment of everything a run starts: no secrets, a fixed ``PYTHONHASHSEED``, and ``random``
    seeded at start-up (the verify hook's ``OPTILOOP_SEED``), so that baseline and candidate see the same
    chance and a difference in their behaviour or time is the candidate's."""
    return hook_env(child_env(dict(workload.env)), OPTILOOP_SEED="0")


def _check_syntax(ws: Workspace, scope: Scope) -> None:
    for rel in scope.files(ws.tree_dir("baseline")):
        try:
            compile(ws.read(rel), rel, "exec")
        except SyntaxError as exc:
            raise BadInput(f"syntax error in {rel}:{exc.lineno}: {exc.msg}",
                           "fix it, or add the file to exclude under [tool.optiloop]") from None


def _check_baseline(ws: Workspace, settings: Settings, workload: Workload, scope: Scope,
                    notes: list[str], progress: Progress = NO_PROGRESS) -> str | None:
    """Tests and workload must pass before any change, importing the project from the worktree; returns
    the workload's stdout if stable. What could not be checked goes to ``notes``."""
    tests, timeout = settings.tests or "", settings.timeout
    tree = ws.tree_dir("baseline")
    probe = ImportProbe(ws.root / "imported-from", top_level_names(tree, scope.files(tree)))
    progress.stage(BASELINE)
    progress.doing(TESTS)
    done = ws.run(tests, "baseline", settings.test_timeout or timeout, extra=probe.env("tests"))
    if not done.ok:
        last = done.why()
        raise BadInput(f"the tests fail before any change ({last})",
                       f"make `{tests}` pass on HEAD first, or pass --tests with a command that passes")
    notes.extend(n for n in [probe.check("tests", tests, tree)] if n)
    outputs, seconds = [], []
    progress.doing(WORKLOAD)
    for i in range(2):
        progress.step(i + 1, 2, "run")
        run = ws.run(workload.cmd, "baseline", timeout, workload.cwd, extra=probe.env("workload") if i == 0 else {})
        if not run.ok:
            last = run.why()
            raise BadInput(f"the workload command fails ({last})",
                           f"make `{workload.cmd}` run successfully from the project directory")
        outputs.append(run.stdout)
        seconds.append(run.seconds)
    notes.extend(n for n in [probe.check("workload", workload.cmd, tree)] if n)
    try:
        _check_timeable(ws, workload, min(seconds), timeout)
    except TooFast as exc:
        raise BadInput(str(exc), "give the workload a larger input, so that one run takes 10 ms or more") from None
    return outputs[0] if outputs[0] == outputs[1] else None


def _make_trees(ws: Workspace, settings: Settings, workload: Workload, scope: Scope,
                notes: list[str], progress: Progress = NO_PROGRESS) -> str | None:
    """The worktrees' setup step, the project's interpreter, then the baseline checks (see ``layout``)."""
    if settings.python:
        ws.env = python_env(ws.env, Path(settings.python), ws.root / "bin")
    if settings.setup:
        progress.stage(SETUP)
        ws.setup(settings.setup, settings.timeout)
    _check_syntax(ws, scope)
    return _check_baseline(ws, settings, workload, scope, notes, progress)


def _check_timeable(ws: Workspace, workload: Workload, seconds: float, timeout: float) -> None:
    """A workload too fast to time is refused before anything is measured. Wall-clock time of a plain
    run includes process overheads, so a run that looks short is timed again the way pyperf times it."""
    if seconds >= 0.5:  # wall-clock time of a short run is mostly interpreter start-up, more so under load
        return
    cwd = ws.project_dir("baseline") / workload.cwd
    try:
        values = pyperf_command(workload.cmd, cwd, ws.env_for("baseline"), ws.root / "timeable-workload.json", 5,
                                timeout)
    except MeasureError:
        return  # it ran twice already; a pyperf failure shows again, with its reason, when measuring
    check_timeable(values, cwd, ws.env_for("baseline"), ws.root / "timeable-empty.json")  # 5 runs of each


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
    dirty = vcs.tracked_changes(repo)
    if dirty and not allow_dirty:
        raise BadInput(f"{len(dirty)} tracked file(s) have uncommitted changes (first: {dirty[0][1]})",
                       "commit or stash them, or pass --allow-dirty to carry them into the run's branch")
    workload = Workload(workload_cmd, ".", tuple((extra_env or {}).items()))
    scope = Scope(subdir, settings.include, excluded_globs(settings) + scripts_in(workload_cmd))
    run_id = new_run_id()
    had_record_dir = (root / RECORD_DIR).exists()
    exclude_before = vcs.exclude_optiloop_dir(repo)
    ws = Workspace(repo, run_id, subdir, run_env(workload))
    layout_notes: list[str] = []
    try:
        ws.create(carry_dirty=bool(dirty))
        expected = _make_trees(ws, settings, workload, scope, layout_notes, progress)
    except BaseException:
        ws.discard()
        if not had_record_dir:
            shutil.rmtree(root / RECORD_DIR, ignore_errors=True)
        if exclude_before is not None:
            vcs.restore_exclude(repo, exclude_before)
        raise
    journal = Journal.create(root, run_id)
    take_lock(journal.dir)
    journal.event("run_started", run_id=run_id, repo=str(root), subdir=subdir, branch=ws.branch,
                  base=ws.head(), settings=settings.model_dump(), model=model.name,
                  deterministic_output=expected is not None, mode=mode)
    loop = _build_loop(ws, journal, settings, model, workload, scope, expected, keep, progress)
    notes = [model_note, *layout_notes] if model_note else layout_notes
    if expected is None:
        notes.append("the workload's output differs between runs, so it is not compared with candidates'")
    return Prepared(loop, ws, journal, settings, root, ws.head(), notes, progress)


def _finder(find_targets: FindTargets, keep: Callable[[Target], bool] | None, progress: Progress) -> TargetFinder:
    """``find_targets`` (narrowed by ``keep``) as a step of the profiling stage: it runs the tests for coverage."""
    def find(profile: Profile, read: Callable[[str], str]) -> list[Target]:
        progress.doing(COVERING)
        return [t for t in find_targets(profile, read) if keep is None or keep(t)]

    return find


def _build_loop(ws: Workspace, journal: Journal, settings: Settings, model: Model, workload: Workload,
                scope: Scope, expected: str | None, keep: Callable[[Target], bool] | None = None,
                progress: Progress = NO_PROGRESS) -> Loop:
    """The stages of a run on its worktrees, and the loop over them (shared by ``prepare`` and ``resume``)."""
    tests = settings.tests or ""
    find_targets = FindTargets(ws.tree_dir("baseline"), ws.project_dir("baseline"), scope.contains, tests,
                               ws.env_for("baseline"), journal.artifact, settings.timeout,
                               on_note=lambda note: journal.event("note", text=note))
    stages = Stages(
        profiler=PySpyProfiler(ws, workload, journal.artifact, scope.contains, settings.profile_rate,
                               settings.timeout, on_note=lambda note: journal.event("note", text=note),
                               progress=progress),
        find_targets=_finder(find_targets, keep, progress),
        model=model,
        edit=apply_candidate,
        verifier=Gate(ws, tests, workload, expected, settings.timeout, journal.artifacts,
                      replay_calls=settings.replay_calls, memory_mb=settings.memory_limit_mb,
                      test_timeout=settings.test_timeout, progress=progress),
        measurer=InterleavedMeasurer(ws, workload, journal, settings.rounds, settings.min_speedup,
                                     settings.timeout, budget=settings.measure_budget, progress=progress),
        place=ws,
        journal=journal,
        progress=progress,
    )
    return Loop(stages, Limits(settings.max_iterations, settings.max_rounds_per_target, settings.max_cost,
                               settings.time_budget, settings.candidates, min_speedup=settings.min_speedup),
                ws.run_id)


def finish(prepared: Prepared, summary: RunSummary | None, error: str | None = None) -> None:
    """Record how the run ended and remove the worktrees (the branch stays)."""
    try:
        if summary is not None:
            prepared.journal.write_json("summary.json", summary)
        prepared.journal.event("run_finished", error=error,
                               stop_reason=summary.stop_reason if summary else "",
                               accepted=[a.commit for a in summary.accepted] if summary else [])
    finally:
        prepared.workspace.close()
        release_lock(prepared.journal.dir)


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
    started = info.started
    changed = {k: v for k, v in (flags or {}).items() if v is not None}
    if unknown := sorted(set(changed) - set(RESUME_FLAGS)):
        raise BadInput(f"--{unknown[0].replace('_', '-')} cannot change when resuming a run",
                       "a resumed run keeps its recorded settings; only "
                       + ", ".join(f"--{k.replace('_', '-')}" for k in RESUME_FLAGS) + " may be given")
    try:
        settings = Settings.model_validate({**started.get("settings", {}), **changed})
    except ValidationError as exc:
        raise BadInput(f"the recorded settings of run {info.id} are not valid now: {exc.errors()[0]['msg']}",
                       "start a new run with `optiloop run`") from None
    workload_cmd, tests = _require(settings)
    subdir = str(started.get("subdir", ""))
    project = root / subdir if subdir else root
    model, model_note = resolve(settings.model, project, ModelOptions.from_settings(settings))
    workload = Workload(workload_cmd, ".", tuple((extra_env or {}).items()))
    scope = Scope(subdir, settings.include, excluded_globs(settings) + scripts_in(workload_cmd))
    journal = Journal(info.dir)
    ws = Workspace(repo, info.id, subdir, run_env(workload))
    layout_notes: list[str] = []
    take_lock(journal.dir)
    trim_torn_event(journal)
    try:
        repair(repo, ws)
        notes = reconcile(repo, journal, ws, str(started["base"]))
        try:
            expected = _make_trees(ws, settings, workload, scope, layout_notes, progress)
        except BadInput as exc:
            raise BadInput(f"at the head of {ws.branch}: {exc.message}", exc.hint) from None
    except BaseException:
        ws.close()
        release_lock(journal.dir)
        raise
    loop = _build_loop(ws, journal, settings, model, workload, scope, expected, progress=progress)
    attempts = restored_attempts(journal)
    loop.restore(attempts)
    if isinstance(loop.s.measurer, InterleavedMeasurer):  # the stricter confirmation goes on counting
        loop.s.measurer.measured.update(Counter(a.candidate.target.key for a in attempts if a.verdict))
    journal.event("run_resumed", run_id=info.id, head=ws.head(), attempts=len(attempts),
                  accepted=[a.commit for a in attempts if a.accepted], reconciled=notes, flags=changed,
                  deterministic_output=expected is not None)
    notes = [f"resuming run {info.id} after {len(attempts)} recorded attempt(s)", *notes, *layout_notes]
    if model_note:
        notes.append(model_note)
    if expected is None:
        notes.append("the workload's output differs between runs, so it is not compared with candidates'")
    return Prepared(loop, ws, journal, settings, root, str(started["base"]), notes, progress)
