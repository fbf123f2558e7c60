"""Before a run trusts anything: the worktrees' setup step, the project's interpreter, the baseline's tests
and workload (passing, importing the worktree's code, long enough to time), and the measure it decides on.

Whatever is wrong here is ``BadInput``: the user's code or settings, found before any candidate runs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from optiloop.config import Settings
from optiloop.errors import BadInput
from optiloop.layout import ImportProbe, python_env, real_python, top_level_names
from optiloop.measure.cycles import Choice, choose
from optiloop.measure.pyperf_run import MeasureError, TooFast, check_timeable, pyperf_command
from optiloop.paths import Scope
from optiloop.proc import child_env, withheld
from optiloop.progress import BASELINE, NO_PROGRESS, SETUP, TESTS, WORKLOAD, Progress
from optiloop.types import Workload
from optiloop.verify.capture import hook_env
from optiloop.workspace import Workspace


@dataclass(frozen=True)
class Checked:
    """What the baseline checks found."""

    expected: str | None  # the workload's stdout, when two runs printed the same
    seconds: float  # a plain run of the workload (the faster of two)
    choice: Choice  # the measure the run uses, and why


def run_env(workload: Workload, pass_env: Sequence[str] = ()) -> dict[str, str]:
    """The environment of everything a run starts: the allowlisted base plus ``pass_env`` (``proc.child_env``:
    no secrets), a fixed ``PYTHONHASHSEED``, and ``random`` seeded at start-up (the verify hook's
    ``OPTILOOP_SEED``), so that baseline and candidate see the same chance and a difference in their
    behaviour or time is the candidate's."""
    return hook_env(child_env(dict(workload.env), pass_env=pass_env), OPTILOOP_SEED="0")


def trimmed_hint(pass_env: Sequence[str], output: str = "") -> str:
    """What a failing baseline's message adds when the environment was trimmed: the withheld variables its
    ``output`` names (else how many were withheld), and how to pass one. Names only, never values."""
    names = withheld(pass_env)
    if not names:
        return ""
    named = [n for n in names if len(n) > 2 and re.search(rf"\b{re.escape(n)}\b", output)]
    fix = "list it in pass_env under [tool.optiloop] or pass --pass-env NAME"
    if named:
        return f"; its output names {', '.join(named[:4])}, which optiloop withheld from it: {fix}"
    return (f"; optiloop withheld {len(names)} environment variable(s) from it (e.g. {', '.join(names[:3])}): "
            f"if it needs one, {fix}")


def _check_syntax(ws: Workspace, scope: Scope) -> None:
    for rel in scope.files(ws.tree_dir("baseline")):
        try:
            compile(ws.read(rel), rel, "exec")
        except SyntaxError as exc:
            raise BadInput(f"syntax error in {rel}:{exc.lineno}: {exc.msg}",
                           "fix it, or add the file to exclude under [tool.optiloop]") from None


def _check_baseline(ws: Workspace, settings: Settings, workload: Workload, scope: Scope,
                    notes: list[str], progress: Progress = NO_PROGRESS) -> tuple[str | None, float]:
    """Tests and workload must pass before any change, importing the project from the worktree; returns
    the workload's stdout if stable, and the seconds of its faster plain run. What could not be checked goes
    to ``notes``."""
    tests, timeout = settings.tests or "", settings.timeout
    tree = ws.tree_dir("baseline")
    probe = ImportProbe(ws.root / "imported-from", top_level_names(tree, scope.files(tree)))
    progress.stage(BASELINE)
    progress.doing(TESTS)
    done = ws.run(tests, "baseline", settings.test_timeout or timeout, extra=probe.env("tests"))
    if not done.ok:
        last = done.why()
        raise BadInput(f"the tests fail before any change ({last})",
                       f"make `{tests}` pass on HEAD first, or pass --tests with a command that passes"
                       + trimmed_hint(settings.pass_env, done.tail()))
    notes.extend(n for n in [probe.check("tests", tests, tree)] if n)
    outputs, seconds = [], []
    progress.doing(WORKLOAD)
    for i in range(2):
        progress.step(i + 1, 2, "run")
        run = ws.run(workload.cmd, "baseline", timeout, workload.cwd, extra=probe.env("workload") if i == 0 else {})
        if not run.ok:
            last = run.why()
            raise BadInput(f"the workload command fails ({last})",
                           f"make `{workload.cmd}` run successfully from the project directory"
                           + trimmed_hint(settings.pass_env, run.tail()))
        outputs.append(run.stdout)
        seconds.append(run.seconds)
    notes.extend(n for n in [probe.check("workload", workload.cmd, tree)] if n)
    try:
        _check_timeable(ws, workload, min(seconds), timeout)
    except TooFast as exc:
        raise BadInput(str(exc), "give the workload a larger input, so that one run takes 10 ms or more") from None
    return (outputs[0] if outputs[0] == outputs[1] else None), min(seconds)


def make_trees(ws: Workspace, settings: Settings, workload: Workload, scope: Scope, notes: list[str],
               progress: Progress = NO_PROGRESS) -> Checked:
    """The worktrees' setup step, the project's interpreter, the baseline checks (see ``layout``), then the
    measure (``measure.cycles.choose``: its A/A count of cycles runs here, on the checked baseline)."""
    if settings.python:
        ws.env = python_env(ws.env, Path(settings.python), ws.root / "bin")
    if settings.setup:
        progress.stage(SETUP)
        try:
            ws.setup(settings.setup, settings.timeout)
        except BadInput as exc:
            raise BadInput(exc.message, exc.hint + trimmed_hint(settings.pass_env, exc.message)) from None
    _check_syntax(ws, scope)
    expected, seconds = _check_baseline(ws, settings, workload, scope, notes, progress)
    if settings.measure != "time" and not settings.python and (python := real_python(ws.env)) is not None:
        ws.env = python_env(ws.env, python, ws.root / "bin")  # a pyenv shim would be simulated too, on every run
    choice = choose(settings.measure, ws, workload, seconds, settings.measure_budget, ws.root / "calibration")
    return Checked(expected, seconds, choice)


def _check_timeable(ws: Workspace, workload: Workload, seconds: float, timeout: float) -> None:
    """A workload too fast to time is refused before anything is measured. Wall-clock time of a plain
    run includes process overheads, so a run that looks short is timed again the way pyperf times it."""
    if seconds >= 0.5:  # wall-clock time of a short run is mostly interpreter start-up, more so under load
        return
    cwd, env = ws.project_dir("baseline") / workload.cwd, ws.env_for("baseline")

    def runs(n: int) -> tuple[float, ...]:
        return pyperf_command(workload.cmd, cwd, env, ws.root / "timeable-workload.json", n, timeout)

    try:
        check_timeable(runs(1), cwd, env, ws.root / "timeable-empty.json", more=runs)
    except MeasureError as exc:
        if isinstance(exc, TooFast):
            raise
        return  # it ran twice already; a pyperf failure shows again, with its reason, when measuring
