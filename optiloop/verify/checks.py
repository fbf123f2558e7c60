"""The gate's checks that need no replay: parses, the static hack check, the project's tests (the covering
tests, the full suite) and the workload's output. Each judges the candidate staged in one tree (its
``side``) and gives a ``Check``; everything that runs user code runs in a subprocess with a timeout and a
memory limit (RLIMIT_AS), in an environment without the parent's secrets.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace

from optiloop import proc
from optiloop.edit.changes import is_private
from optiloop.paths import scripts_in
from optiloop.testselect import covering_command
from optiloop.types import Change, Check, Target, Workload
from optiloop.verify.capture import hook_env
from optiloop.verify.hacks import static_findings
from optiloop.verify.output import first_difference
from optiloop.verify.replayer import secs
from optiloop.workspace import Side, Workspace


def failure(done: proc.Completed, timeout: float, memory_mb: int | None) -> str:
    """Why a test or workload run failed, for the model: a timeout, the memory limit, or its output's tail."""
    if done.timed_out:
        return f"timed out after {secs(timeout)}"
    if "MemoryError" in done.stderr or "MemoryError" in done.stdout:
        return f"exceeded the memory limit of {memory_mb} MB\n{done.tail(6)}"
    return done.tail()


class ParsesCheck:
    """The target's file, as staged in ``side``'s tree, compiles."""

    def __init__(self, workspace: Workspace, side: Side) -> None:
        self.ws = workspace
        self.side = side

    def check(self, target: Target, changes: Sequence[Change] = ()) -> Check:
        """The target's file and every other file the candidate changes."""
        paths = [target.path, *sorted({c.path for c in changes} - {target.path})]
        for path in paths:
            try:
                compile(self.ws.read(path, self.side), path, "exec", dont_inherit=True)
                problem = ""
            except SyntaxError as exc:
                problem = f"syntax error at line {exc.lineno}: {exc.msg}"
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                problem = f"cannot read {path}: {exc}"
            if problem:
                return Check("parses", False, problem if path == target.path else f"{path}: {problem}")
        return Check("parses", True, f"{', '.join(paths)} compile" if len(paths) > 1 else f"{paths[0]} compiles")


class HackCheck:
    """The static reward-hack check of the target's module, against the baseline's (``hacks.py``)."""

    def __init__(self, workspace: Workspace, side: Side, workload: Workload) -> None:
        self.ws = workspace
        self.side = side
        self.scripts = scripts_in(workload.cmd)  # the workload's harness, which no candidate may special-case

    def check(self, target: Target, changes: Sequence[Change] = ()) -> Check:
        """Every changed definition read against its original (the target first); a private definition's new
        signature is no finding: the edit made sure every use of it changed with it."""
        found: list[str] = []
        notes: list[str] = []
        for path, qualname in self.definitions(target, changes):
            old = self.ws.read(path, "baseline")
            findings, note = static_findings(old, self.ws.read(path, self.side), qualname, self.scripts)
            if is_private(qualname, old):
                findings = [f for f in findings if f.kind != "changes the signature"]
            own = (path, qualname) == (target.path, target.qualname)
            found += [str(f) if own else f"`{qualname}`: {f}" for f in findings]
            notes += [note] if note else []
        detail = "; ".join(found) if found else ("; ".join(notes) or
                                                 "no new state, I/O, output, stack inspection or special cases")
        return Check("hack check", not found, detail)

    @staticmethod
    def definitions(target: Target, changes: Sequence[Change]) -> list[tuple[str, str]]:
        """The target and the other changed definitions (functions, methods, classes), without repeats."""
        out = [(target.path, target.qualname)]
        out += [(c.path, c.qualname) for c in changes if c.kind == "changed" and (c.path, c.qualname) not in out]
        return out


class TestRunner:
    """Runs one test command in a tree, bounded by ``timeout`` (``--test-timeout``), with ``random`` seeded
    through the hook's ``sitecustomize.py``."""

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self, workspace: Workspace, timeout: float, memory_mb: int | None) -> None:
        self.ws = workspace
        self.timeout = timeout
        self.memory_mb = memory_mb

    def run(self, name: str, cmd: str, success: str, side: Side) -> Check:
        """A passed check's detail is ``success`` followed by the run's wall time."""
        env = hook_env(self.ws.env_for(side), OPTILOOP_SEED="0")
        done = proc.run(cmd, self.ws.project_dir(side), env, self.timeout, self.memory_mb)
        if done.ok:
            detail = f"{success} in {secs(done.seconds)}"
        elif done.timed_out:
            detail = f"the tests timed out after {secs(self.timeout)} (--test-timeout)"
        else:
            detail = failure(done, self.timeout, self.memory_mb)
        return Check(name, done.ok, detail, seconds=done.seconds if done.ok else None)


class FullTests:
    """The project's whole test command."""

    def __init__(self, runner: TestRunner, tests: str, side: Side) -> None:
        self.runner = runner
        self.tests = tests
        self.side = side

    def check(self, name: str = "tests") -> Check:
        return self.runner.run(name, self.tests, f"`{self.tests}` passed", self.side)

    @staticmethod
    def ran_before(earlier: Check) -> Check:
        """The full-suite check of a candidate whose ``earlier`` full run (during ``verify``) passed."""
        return replace(earlier, name="full suite", passed=True,
                       detail=f"{earlier.detail} (run before measuring: no covering tests could stand in for it)")


@dataclass(frozen=True)
class Covering:
    """What ``CoveringTests`` found: its checks, and whether the full suite must decide instead."""

    checks: tuple[Check, ...]
    full_needed: bool


class CoveringTests:
    """Only the tests that cover the target, when the runner can select them and the selection passes on the
    accepted (baseline) tree: a selection that fails there too is broken, and says nothing about the
    candidate. Whether it passes there is asked once per command and commit, under ``lock`` (the baseline
    tree is shared by the gates of all candidate trees)."""

    def __init__(self, runner: TestRunner, tests: str, side: Side, lock: threading.Lock) -> None:
        self.runner = runner
        self.tests = tests
        self.side = side
        self.lock = lock
        self._baseline_ok: dict[tuple[str, str], bool] = {}

    def check(self, target: Target) -> Covering:
        ids = target.covering_tests
        cmd = covering_command(self.tests, ids)
        if not cmd:
            return Covering((), True)
        found = self.runner.run("covering tests", cmd, f"{len(ids)} covering test(s) passed", self.side)
        if found.passed or self.passes_on_baseline(cmd):
            return Covering((found,), False)
        return Covering((Check("covering tests", True, f"skipped: `{cmd}` fails on the baseline too, so the full "
                                                       "tests decide"),), True)

    def passes_on_baseline(self, cmd: str) -> bool:
        key = (cmd, self.runner.ws.head())
        if key not in self._baseline_ok:
            with self.lock:
                self._baseline_ok[key] = self.runner.run("covering tests", cmd, "", "baseline").passed
        return self._baseline_ok[key]


class WorkloadCheck:
    """The workload runs in ``side``'s tree, and prints what it printed on the baseline (``expected``; None
    when the workload's output differs between runs, and so is not compared)."""

    def __init__(self, workspace: Workspace, side: Side, workload: Workload, expected: str | None, timeout: float,
                 memory_mb: int | None) -> None:
        self.ws = workspace
        self.side = side
        self.workload = workload
        self.expected = expected
        self.timeout = timeout
        self.memory_mb = memory_mb

    def check(self) -> Check:
        run = proc.run(self.workload.cmd, self.ws.project_dir(self.side) / self.workload.cwd,
                       self.ws.env_for(self.side), self.timeout, self.memory_mb)
        if not run.ok:
            name, detail = "workload", failure(run, self.timeout, self.memory_mb)
        elif self.expected is not None and run.stdout != self.expected:
            where = first_difference(self.expected, run.stdout)
            name, detail = "workload output", f"differs from the baseline's at {where}"
        else:
            name, detail = "workload", "ran; output identical to the baseline's" if self.expected is not None else "ran"
        return Check(name, run.ok and name == "workload", detail)
