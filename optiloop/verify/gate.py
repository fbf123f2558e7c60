"""The full correctness gate, cheapest check first.

parses → imports → replay → covering tests → tests → workload output. Every check that runs user
code runs in a subprocess with a timeout and a memory limit (RLIMIT_AS), in an environment without
the parent's secrets and with ``PYTHONHASHSEED`` fixed; tests also get ``random`` seeded through the
``hook/sitecustomize.py`` on their ``PYTHONPATH``. A candidate that hangs or allocates without bound
is killed and rejected with that reason; the run goes on. See ``docs/verification.md``.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from optiloop import proc
from optiloop import targets as target_tools
from optiloop.types import Candidate, Check, Target, Workload
from optiloop.verify.capture import CallLog, Capturer, hook_env
from optiloop.verify.output import first_difference
from optiloop.workspace import Side, Workspace

WEAK_EVIDENCE = "weak evidence"  # marks a replay Check whose detail rests on few real calls
MIN_CALLS = 5
CHILD = Path(__file__).resolve().parent / "replay_child.py"
_MARK = re.compile(r"^@@optiloop (.*)$", re.MULTILINE)


def _secs(value: float) -> str:
    if value < 0.1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.0f} s" if value >= 10 else f"{value:.1f} s"


def _stage(stderr: str) -> str:
    marks = _MARK.findall(stderr)
    return marks[-1] if marks else "start-up"


def _without_marks(text: str) -> str:
    return _MARK.sub("", text).strip()


class Gate:
    """Verifies a staged candidate; ``seconds`` holds how long each stage of the last ``verify`` took."""

    def __init__(
        self,
        workspace: Workspace,
        tests: str,
        workload: Workload,
        expected_stdout: str | None,
        timeout: float,
        artifacts: Path,
        replay_calls: int = 50,
        memory_mb: int | None = 4096,
        replay_floor: float = 10.0,
        replay_factor: float = 20.0,
        side: Side = "candidate",
    ) -> None:
        self.ws = workspace
        self.tests = tests
        self.workload = workload
        self.expected_stdout = expected_stdout
        self.timeout = timeout
        self.artifacts = artifacts
        self.replay_calls = replay_calls
        self.memory_mb = memory_mb
        self.replay_floor = replay_floor
        self.replay_factor = replay_factor
        self.side = side
        self.capturer = Capturer(workspace, workload, artifacts / "captures", replay_calls, timeout, memory_mb)
        self.seconds: dict[str, float] = {}
        self._baseline_ok: dict[tuple[str, str], bool] = {}

    def verify(self, candidate: Candidate) -> tuple[Check, ...]:
        self.seconds = {}
        checks: list[Check] = []
        steps: tuple[tuple[str, Callable[[Candidate], list[Check]]], ...] = (
            ("parses", self._parses), ("replay", self._replay), ("tests", self._tests), ("workload", self._workload))
        for name, step in steps:
            start = time.perf_counter()
            new = step(candidate)
            self.seconds[name] = time.perf_counter() - start
            checks.extend(new)
            if not all(c.passed for c in new):
                break
        return tuple(checks)

    # -- parses ------------------------------------------------------------------------------

    def _parses(self, candidate: Candidate) -> list[Check]:
        path = candidate.target.path
        try:
            compile(self.ws.read(path, self.side), path, "exec", dont_inherit=True)
        except SyntaxError as exc:
            return [Check("parses", False, f"syntax error at line {exc.lineno}: {exc.msg}")]
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            return [Check("parses", False, f"cannot read {path}: {exc}")]
        return [Check("parses", True, f"{path} compiles")]

    # -- imports and replay, in one fresh interpreter ------------------------------------------

    def capture(self, target: Target) -> CallLog | None:
        """The captured calls of ``target`` on the baseline (made once per baseline commit)."""
        if self.replay_calls <= 0:
            return None
        start = time.perf_counter()
        log = self.capturer.get(target)
        self.seconds["capture"] = self.seconds.get("capture", 0.0) + time.perf_counter() - start
        return log

    def _module_and_path(self, target: Target, log: CallLog | None, side: Side) -> tuple[str, list[str]]:
        tree = self.ws.tree_dir(side)
        project = self.ws.project_dir(side)
        if log is not None and log.module:
            paths = [str(tree / p[4:]) if p.startswith("rel:") else p for p in log.sys_path]
            return log.module, paths
        rel = target.path
        if self.ws.subdir and rel.startswith(self.ws.subdir + "/"):
            rel = rel[len(self.ws.subdir) + 1:]
        parts = rel[:-3].split("/")
        if parts[0] == "src":
            parts = parts[1:]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        return ".".join(parts), [str(project), str(project / "src")]

    def _python(self, log: CallLog | None) -> str:
        if log is not None and log.executable:
            return log.executable
        found = shutil.which("python", path=self.ws.env.get("PATH")) or shutil.which(
            "python3", path=self.ws.env.get("PATH"))
        return found or sys.executable

    def _child(self, target: Target, log: CallLog | None, side: Side, budget: float,
               **extra: Any) -> tuple[proc.Completed, dict[str, Any], str]:
        """Run the replay child against ``side``'s tree: (the process, its result, the module name)."""
        module, paths = self._module_and_path(target, log, side)
        workdir = self.artifacts / "replays"
        workdir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=workdir))
        result_path = tmp / "result.json"
        spec = {"module": module, "file": str(self.ws.tree_dir(side) / target.path),
                "qualname": target.qualname, "sys_path": paths, "result": str(result_path),
                "captures": [str(log.path)] if log is not None and log.path is not None else [], **extra}
        (tmp / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
        done = proc.run([self._python(log), str(CHILD), str(tmp / "spec.json")],
                        self.ws.project_dir(side) / self.workload.cwd, self.ws.env, budget, self.memory_mb)
        result: dict[str, Any] = {}
        if result_path.is_file():
            result = json.loads(result_path.read_text(encoding="utf-8"))
        shutil.rmtree(tmp, ignore_errors=True)
        return done, result, module

    def unstable_calls(self, target: Target, log: CallLog) -> tuple[int, ...]:
        """Calls that do not replay reproducibly even on the original (they depend on time, unseeded
        randomness, ids, the outside world): found once per capture by replaying the baseline itself.
        They are left out of the candidate's replay."""
        if log.path is None:
            return ()
        cached = log.path.parent / "unstable.json"
        if cached.is_file():
            return tuple(json.loads(cached.read_text(encoding="utf-8")))
        start = time.perf_counter()
        budget = self.replay_floor + self.replay_factor * log.seconds
        done, result, _ = self._child(target, log, "baseline", budget, collect=True)
        if result.get("done"):
            unstable = tuple(int(n) for n in result.get("unstable", ()))
        else:  # the original cannot be replayed at all here: no call counts as evidence
            unstable = tuple(range(1, log.calls + 1))
        cached.write_text(json.dumps(list(unstable)), encoding="utf-8")
        self.seconds["self-check"] = time.perf_counter() - start
        return unstable

    def _replay(self, candidate: Candidate) -> list[Check]:
        target = candidate.target
        log = self.capture(target)
        unstable = self.unstable_calls(target, log) if log is not None else ()
        budget = self.replay_floor + self.replay_factor * (log.seconds if log else 0.0)
        done, result, module = self._child(target, log, self.side, budget, skip=list(unstable))
        stage = _stage(done.stderr)
        memory = bool(result.get("memory")) or (not result.get("done") and "MemoryError" in done.stderr)
        if not result.get("imported"):
            if result.get("import_error"):
                why = str(result["import_error"])
            elif done.timed_out:
                why = f"timed out after {_secs(budget)} while importing {module}"
            elif memory:
                why = f"exceeded the memory limit of {self.memory_mb} MB while importing {module}"
            else:
                why = _without_marks(done.tail()) or f"exit code {done.returncode}"
            return [Check("imports", False, why)]
        checks = [Check("imports", True, f"{module} imports from the candidate tree")]
        if done.timed_out:
            limit = (f"timed out after {_secs(budget)} (limit: {self.replay_factor:g} x the "
                     f"{_secs(log.seconds if log else 0.0)} the original took, at least {_secs(self.replay_floor)})")
            return [*checks, Check("replay", False, f"{limit} at {stage}")]
        if memory:
            where = result.get("mismatch") or stage
            return [*checks, Check("replay", False, f"exceeded the memory limit of {self.memory_mb} MB at {where}")]
        if not result.get("done"):
            tail = _without_marks(done.tail()) or f"exit code {done.returncode}"
            return [*checks, Check("replay", False, f"the replay process died at {stage}: {tail}")]
        if result.get("mismatch"):
            return [*checks, Check("replay", False, str(result["mismatch"]))]
        return [*checks, Check("replay", True, self._evidence(log, result, len(unstable)))]

    def _evidence(self, log: CallLog | None, result: dict[str, Any], unstable: int) -> str:
        replayed = int(result.get("replayed", 0))
        if log is None:
            return f"skipped: replay_calls is 0 ({WEAK_EVIDENCE}: no real calls were replayed)"
        text = (f"{replayed} real call(s) replayed with the same results, exceptions and argument state "
                f"(the workload made {log.total}")
        skipped = log.skipped + int(result.get("skipped", 0))
        text += f"; {skipped} could not be serialised" if skipped else ""
        text += f"; {unstable} left out: they do not replay reproducibly even on the original)" if unstable else ")"
        if replayed < MIN_CALLS:
            why = f": {log.problem}" if log.problem else ""
            text += f"; {WEAK_EVIDENCE}: fewer than {MIN_CALLS} calls could be replayed{why}"
        return text

    # -- tests ---------------------------------------------------------------------------------

    def _tests(self, candidate: Candidate) -> list[Check]:
        checks: list[Check] = []
        covering = getattr(target_tools, "covering_command", None)
        ids = candidate.target.covering_tests
        if callable(covering) and ids:
            cmd = covering(self.tests, ids)
            if isinstance(cmd, str) and cmd:
                check = self._run_tests("covering tests", cmd, f"{len(ids)} covering test(s) passed")
                if not check.passed and not self._passes_on_baseline(cmd):
                    check = Check("covering tests", True,
                                  f"skipped: `{cmd}` fails on the baseline too, so the full tests decide")
                checks.append(check)
                if not check.passed:
                    return checks
        checks.append(self._run_tests("tests", self.tests, f"`{self.tests}` passed"))
        return checks

    def _run_tests(self, name: str, cmd: str, success: str, side: Side | None = None) -> Check:
        env = hook_env(self.ws.env, OPTILOOP_SEED="0")
        done = proc.run(cmd, self.ws.project_dir(side or self.side), env, self.timeout, self.memory_mb)
        return Check(name, True, success) if done.ok else Check(name, False, self._failure(done))

    def _passes_on_baseline(self, cmd: str) -> bool:
        """Whether a covering-tests command passes on the accepted tree (once per command and commit):
        a selection that fails there too is broken, and says nothing about the candidate."""
        key = (cmd, self.ws.head())
        if key not in self._baseline_ok:
            self._baseline_ok[key] = self._run_tests("covering tests", cmd, "", "baseline").passed
        return self._baseline_ok[key]

    def _failure(self, done: proc.Completed) -> str:
        if done.timed_out:
            return f"timed out after {_secs(self.timeout)}"
        if "MemoryError" in done.stderr or "MemoryError" in done.stdout:
            return f"exceeded the memory limit of {self.memory_mb} MB\n{done.tail(6)}"
        return done.tail()

    # -- the workload's output -----------------------------------------------------------------

    def _workload(self, candidate: Candidate) -> list[Check]:
        run = proc.run(self.workload.cmd, self.ws.project_dir(self.side) / self.workload.cwd, self.ws.env,
                       self.timeout, self.memory_mb)
        if not run.ok:
            return [Check("workload", False, self._failure(run))]
        if self.expected_stdout is not None and run.stdout != self.expected_stdout:
            where = first_difference(self.expected_stdout, run.stdout)
            return [Check("workload output", False, f"differs from the baseline's at {where}")]
        detail = "ran; output identical to the baseline's" if self.expected_stdout is not None else "ran"
        return [Check("workload", True, detail)]
