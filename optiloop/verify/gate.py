"""The full correctness gate, cheapest check first.

parses → hack check → imports → replay (and its side effects, and again under a second hash seed)
→ covering tests (or, without them, the full tests) → workload output → held-out calls; then, once the
candidate has measured faster, ``confirm`` runs the full test suite (unless ``verify`` already did).
Every test-suite run is bounded by ``test_timeout`` (``--test-timeout``). Every check that runs user
code runs in a subprocess with a timeout and a memory limit (RLIMIT_AS), in an environment without
the parent's secrets and with ``PYTHONHASHSEED`` fixed; tests also get ``random`` seeded through the
``hook/sitecustomize.py`` on their ``PYTHONPATH``. A candidate that hangs or allocates without bound
is killed and rejected with that reason; the run goes on. See ``docs/verification.md``.

Every fifth captured call is held out: never replayed before the end, so no failure text about it
ever reaches the model; a candidate that passes the calls it was shown and fails a held-out one is
rejected as overfitted.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from optiloop import proc
from optiloop.journal import write_atomic
from optiloop.paths import module_parts, scripts_in
from optiloop.progress import FULL_SUITE, NO_PROGRESS, Progress
from optiloop.testselect import covering_command
from optiloop.types import Candidate, Check, Target, Workload
from optiloop.verify.capture import CallLog, Capturer, hook_env
from optiloop.verify.hacks import static_findings
from optiloop.verify.output import first_difference
from optiloop.workspace import Side, Workspace

WEAK_EVIDENCE = "weak evidence"  # marks a replay Check whose detail rests on few real calls
MIN_CALLS = 5
HOLD_OUT_EVERY = 5  # every 5th captured call is held out
SECOND_SEED = "1"
# the one detail of every held-out failure: nothing about which call failed, nor how
OVERFITTED = ("overfitted: passes the real calls it was checked on, but not the ones held out (calls from the same "
              "workload that are never shown to the model, not even in failure feedback; what differed is only in "
              "the run record, artifacts/held-out/)")
CHILD = Path(__file__).resolve().parent / "replay_child.py"
_MARK = re.compile(r"^@@optiloop (.*)$", re.MULTILINE)
SHOWN = {"parses": "parsing", "hacks": "hack check", "held-out": "held-out calls"}  # steps on a status line


def _secs(value: float) -> str:
    if value < 0.1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.0f} s" if value >= 10 else f"{value:.1f} s"


def _stage(stderr: str) -> str:
    marks = _MARK.findall(stderr)
    return marks[-1] if marks else "start-up"


def _without_marks(text: str) -> str:
    return _MARK.sub("", text).strip()


def _read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from ``path``; None when it is missing, unreadable or torn (then it is made again)."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


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
        test_timeout: float | None = None,
        baseline_lock: threading.Lock | None = None,
        progress: Progress = NO_PROGRESS,
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
        self.test_timeout = test_timeout or timeout
        self.progress = progress
        self.capturer = Capturer(workspace, workload, artifacts / "captures", replay_calls, timeout, memory_mb)
        self.seconds: dict[str, float] = {}
        self.local_speedup: float | None = None  # the original's replay time over the candidate's, last verify
        self._baseline_ok: dict[tuple[str, str], bool] = {}
        self._held: tuple[CallLog | None, list[int], list[int]] = (None, [], [])  # log, held-out, left out
        self._full: tuple[Candidate, Check] | None = None  # the full suite's passed check, if verify ran it
        # the gates of --jobs candidate trees share the baseline tree: captures, self-checks and baseline test
        # runs there happen one at a time
        self._baseline_lock = baseline_lock or threading.Lock()

    def verify(self, candidate: Candidate) -> tuple[Check, ...]:
        self.seconds = {}
        self.local_speedup = None
        self._full = None
        checks: list[Check] = []
        steps: tuple[tuple[str, Callable[[Candidate], list[Check]]], ...] = (
            ("parses", self._parses), ("hacks", self._hacks), ("replay", self._replay), ("tests", self._tests),
            ("workload", self._workload), ("held-out", self._held_out))
        for name, step in steps:
            self.progress.doing(SHOWN.get(name, name))
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

    # -- the static hack check ------------------------------------------------------------------

    def _hacks(self, candidate: Candidate) -> list[Check]:
        target = candidate.target
        findings, note = static_findings(self.ws.read(target.path, "baseline"), self.ws.read(target.path, self.side),
                                         target.qualname, scripts_in(self.workload.cmd))
        if findings:
            return [Check("hack check", False, "; ".join(str(f) for f in findings))]
        return [Check("hack check", True, note or "no new state, I/O, output, stack inspection or special cases")]

    # -- imports and replay, in one fresh interpreter ------------------------------------------

    def prepare(self, candidate: Candidate) -> None:
        """Make what verifying ``candidate`` reads from the baseline tree (its target's captured calls and the
        original's self-checks under both hash seeds), so gates of other candidate trees only read them."""
        log = self.capture(candidate.target)
        if log is not None:
            self.self_check(candidate.target, log)
            self.self_check(candidate.target, log, SECOND_SEED)

    def capture(self, target: Target) -> CallLog | None:
        """The captured calls of ``target`` on the baseline (made once per baseline commit)."""
        if self.replay_calls <= 0:
            return None
        self.progress.doing("capturing calls")
        start = time.perf_counter()
        with self._baseline_lock:
            log = self.capturer.get(target)
        self.seconds["capture"] = self.seconds.get("capture", 0.0) + time.perf_counter() - start
        return log

    def _module_and_path(self, target: Target, log: CallLog | None, side: Side) -> tuple[str, list[str]]:
        tree = self.ws.tree_dir(side)
        project = self.ws.project_dir(side)
        if log is not None and log.module:
            paths = [str(tree / p[4:]) if p.startswith("rel:") else p for p in log.sys_path]
            return log.module, paths
        return ".".join(module_parts(target.path, self.ws.subdir)), [str(project), str(project / "src")]

    def _python(self, log: CallLog | None) -> str:
        if log is not None and log.executable:
            return log.executable
        found = shutil.which("python", path=self.ws.env.get("PATH")) or shutil.which(
            "python3", path=self.ws.env.get("PATH"))
        return found or sys.executable

    def _child(self, target: Target, log: CallLog | None, side: Side, budget: float, seed: str = "0",
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
                        self.ws.project_dir(side) / self.workload.cwd,
                        {**self.ws.env_for(side), "PYTHONHASHSEED": seed},
                        budget, self.memory_mb)
        result: dict[str, Any] = {}
        if result_path.is_file():
            result = json.loads(result_path.read_text(encoding="utf-8"))
        shutil.rmtree(tmp, ignore_errors=True)
        return done, result, module

    def self_check(self, target: Target, log: CallLog, seed: str = "0") -> dict[str, Any]:
        """The original replayed against its own capture, once per capture and hash seed: which calls do
        not replay reproducibly (time, unseeded randomness, ids, the outside world, and under another seed,
        set or dict order), and each call's effects, output and time. Unstable calls are left out of the
        candidate's replay."""
        if log.path is None:
            return {"unstable": []}
        with self._baseline_lock:
            return self._self_check(target, log, seed)

    def _self_check(self, target: Target, log: CallLog, seed: str) -> dict[str, Any]:
        assert log.path is not None
        cached = log.path.parent / f"selfcheck-seed{seed}.json"
        found = _read_json(cached)
        if found is not None and "unstable" in found:
            return found
        start = time.perf_counter()
        budget = self.replay_floor + self.replay_factor * log.seconds
        done, result, _ = self._child(target, log, "baseline", budget, seed, collect=True)
        if not result.get("done"):  # the original cannot be replayed at all here: no call counts as evidence
            result = {"unstable": list(range(1, log.calls + 1))}
        found = {k: result.get(k, {}) for k in ("effects", "output", "times")}
        found["unstable"] = [int(n) for n in result.get("unstable", ())]
        write_atomic(cached, json.dumps(found))
        self.seconds[f"self-check-{seed}"] = time.perf_counter() - start
        return found

    def unstable_calls(self, target: Target, log: CallLog) -> tuple[int, ...]:
        return tuple(self.self_check(target, log)["unstable"])

    def _replay(self, candidate: Candidate) -> list[Check]:
        target = candidate.target
        log = self.capture(target)
        self.progress.doing("replay")
        base = self.self_check(target, log) if log is not None else {"unstable": []}
        unstable = base["unstable"]
        held = [n for n in range(HOLD_OUT_EVERY, log.calls + 1, HOLD_OUT_EVERY) if n not in unstable] if log else []
        self._held = (log, held, unstable)
        budget = self.replay_floor + self.replay_factor * (log.seconds if log else 0.0)
        done, result, module = self._child(target, log, self.side, budget, skip=sorted({*unstable, *held}))
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
        failure = self._replay_failure(done, result, budget, log, base)
        if failure is not None:
            kind, detail = failure
            return [*checks, Check("side effects" if kind == "side effects" else "replay", False, detail)]
        self.local_speedup = local_speedup(base, result)
        replayed = int(result.get("replayed", 0)) if log is not None else 0
        checks.append(Check("replay", True, self._evidence(log, result, len(unstable)), replayed=replayed,
                            weak=replayed < MIN_CALLS))
        if log is not None and result.get("replayed"):
            checks.append(self._second_seed(target, log, sorted({*unstable, *held}), budget))
        return checks

    def _second_seed(self, target: Target, log: CallLog, left_out: list[int], budget: float) -> Check:
        """The shown calls again under another ``PYTHONHASHSEED``: a candidate whose results change with
        the seed where the original's do not lets set or dict order leak out."""
        unstable = self.self_check(target, log, SECOND_SEED)["unstable"]
        done, result, _ = self._child(target, log, self.side, budget, SECOND_SEED,
                                      skip=sorted({*left_out, *unstable}))
        if result.get("mismatch"):
            return Check("hash seed", False, f"order-dependent: under PYTHONHASHSEED={SECOND_SEED}, "
                                             f"{result['mismatch']} (the original's results do not change)")
        if not result.get("done"):
            return Check("hash seed", False, f"the replay under PYTHONHASHSEED={SECOND_SEED} failed: "
                                             f"{_without_marks(done.tail()) or done.returncode}")
        return Check("hash seed", True, f"same results under PYTHONHASHSEED={SECOND_SEED}")

    def _held_out(self, candidate: Candidate) -> list[Check]:
        """The held-out calls, under both hash seeds. Every way they can fail (result, exception, argument
        state, side effects or output, hash seed, a hang, a crash) gives the same detail, which says nothing
        about the calls: what differed goes only to the run record (``held_out_record``), which no prompt reads."""
        log, held, _ = self._held
        if log is None or not held:
            return []
        target = candidate.target
        budget = self.replay_floor + self.replay_factor * log.seconds
        problem, replayed = self._held_out_problem(target, log, held, "0", budget)
        if problem is None:
            stable = [n for n in held if n not in self.self_check(target, log, SECOND_SEED)["unstable"]]
            problem, _ = self._held_out_problem(target, log, stable, SECOND_SEED, budget) if stable else (None, 0)
        if problem is not None:
            self._record_held_out(candidate, held, problem)
            return [Check("held-out calls", False, OVERFITTED)]
        return [Check("held-out calls", True, f"{replayed} held-out real call(s) replayed the same, also under "
                                              f"PYTHONHASHSEED={SECOND_SEED}")]

    def _held_out_problem(self, target: Target, log: CallLog, calls: list[int], seed: str,
                          budget: float) -> tuple[dict[str, str] | None, int]:
        """What went wrong replaying only ``calls`` under ``seed`` (None if nothing), and how many replayed."""
        keep = set(calls)
        skip = [n for n in range(1, log.calls + 1) if n not in keep]
        done, result, _ = self._child(target, log, self.side, budget, seed, skip=skip)
        failure = self._replay_failure(done, result, budget, log, self.self_check(target, log, seed))
        if failure is None:
            return None, int(result.get("replayed", 0))
        kind, detail = failure
        kind = "hash seed" if kind == "results" and seed != "0" else kind
        return {"kind": kind, "detail": detail, "hash_seed": seed}, int(result.get("replayed", 0))

    def _replay_failure(self, done: proc.Completed, result: dict[str, Any], budget: float, log: CallLog | None,
                        base: dict[str, Any]) -> tuple[str, str] | None:
        """What went wrong in a replay of the candidate that imported, as (kind, detail): ``timed out``,
        ``memory``, ``crashed``, ``results`` or ``side effects`` (against the original's ``base``
        self-check); None when every call replayed the same."""
        stage = _stage(done.stderr)
        if done.timed_out:
            return "timed out", (f"timed out after {_secs(budget)} (limit: {self.replay_factor:g} x the "
                                 f"{_secs(log.seconds if log else 0.0)} the original took, at least "
                                 f"{_secs(self.replay_floor)}) at {stage}")
        if result.get("memory") or (not result.get("done") and "MemoryError" in done.stderr):
            return "memory", f"exceeded the memory limit of {self.memory_mb} MB at {result.get('mismatch') or stage}"
        if not result.get("done"):
            tail = _without_marks(done.tail()) or f"exit code {done.returncode}"
            return "crashed", f"the replay process died at {stage}: {tail}"
        if result.get("mismatch"):
            return "results", str(result["mismatch"])
        effects = side_effects(base, result)
        return ("side effects", effects) if effects else None

    def held_out_record(self, candidate: Candidate) -> Path:
        """Where the specifics of ``candidate``'s held-out failure are written: the run record's
        ``artifacts/held-out/<target>-<hash of the verified module>.json``."""
        target = candidate.target
        module = self.ws.read(target.path, self.side)
        digest = hashlib.sha1(f"{target.key}\n{module}".encode()).hexdigest()[:12]
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", target.qualname)[:60]
        return self.artifacts / "held-out" / f"{slug}-{digest}.json"

    def _record_held_out(self, candidate: Candidate, held: list[int], problem: dict[str, str]) -> None:
        """Write what the held-out replay found to the run record (never to a check's detail)."""
        path = self.held_out_record(candidate)
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"target": candidate.target.key, "qualname": candidate.target.qualname, "origin": candidate.origin,
                  "rationale": candidate.rationale, "source": candidate.new_source, "held_out_calls": held, **problem}
        write_atomic(path, json.dumps(record, indent=2) + "\n")

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
        """The covering tests when the runner can select them and they pass on the accepted tree; the full
        suite then waits for ``confirm`` (after measuring). Otherwise the full suite runs here."""
        ids = candidate.target.covering_tests
        cmd = covering_command(self.tests, ids)
        if cmd:
            check = self._run_tests("covering tests", cmd, f"{len(ids)} covering test(s) passed")
            if check.passed or self._passes_on_baseline(cmd):
                return [check]
            skipped = Check("covering tests", True, f"skipped: `{cmd}` fails on the baseline too, so the full "
                                                    "tests decide")
            return [skipped, self._full_suite(candidate)]
        return [self._full_suite(candidate)]

    def _full_suite(self, candidate: Candidate) -> Check:
        check = self._run_tests("tests", self.tests, f"`{self.tests}` passed")
        self._full = (candidate, check) if check.passed else None
        return check

    def confirm(self, candidate: Candidate) -> Check:
        """The full test suite on the staged candidate, once it has measured faster; skipped (passed, saying
        so) when ``verify`` already ran it for this candidate. The detail gives the suite's wall time."""
        if self._full is not None and self._full[0] == candidate:
            return Check("full suite", True, f"{self._full[1].detail} (run before measuring: no covering tests "
                                             "could stand in for it)", seconds=self._full[1].seconds)
        self.progress.doing(FULL_SUITE)
        start = time.perf_counter()
        check = self._run_tests("full suite", self.tests, f"`{self.tests}` passed")
        self.seconds["full suite"] = time.perf_counter() - start
        return check

    def _run_tests(self, name: str, cmd: str, success: str, side: Side | None = None) -> Check:
        """One test-suite run, bounded by ``test_timeout``; a passed check's detail ends with its wall time."""
        env = hook_env(self.ws.env_for(side or self.side), OPTILOOP_SEED="0")
        done = proc.run(cmd, self.ws.project_dir(side or self.side), env, self.test_timeout, self.memory_mb)
        if done.ok:
            return Check(name, True, f"{success} in {_secs(done.seconds)}", seconds=done.seconds)
        if done.timed_out:
            return Check(name, False, f"the tests timed out after {_secs(self.test_timeout)} (--test-timeout)")
        return Check(name, False, self._failure(done))

    def _passes_on_baseline(self, cmd: str) -> bool:
        """Whether a covering-tests command passes on the accepted tree (once per command and commit):
        a selection that fails there too is broken, and says nothing about the candidate."""
        key = (cmd, self.ws.head())
        if key not in self._baseline_ok:
            with self._baseline_lock:
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
        run = proc.run(self.workload.cmd, self.ws.project_dir(self.side) / self.workload.cwd,
                       self.ws.env_for(self.side),
                       self.timeout, self.memory_mb)
        if not run.ok:
            return [Check("workload", False, self._failure(run))]
        if self.expected_stdout is not None and run.stdout != self.expected_stdout:
            where = first_difference(self.expected_stdout, run.stdout)
            return [Check("workload output", False, f"differs from the baseline's at {where}")]
        detail = "ran; output identical to the baseline's" if self.expected_stdout is not None else "ran"
        return [Check("workload", True, detail)]


def side_effects(original: dict[str, Any], candidate: dict[str, Any]) -> str:
    """What the candidate's calls did outside their results that the same calls of the original did not."""
    for n, effects in candidate.get("effects", {}).items():
        new = sorted(set(effects) - set(original.get("effects", {}).get(n, ())))
        if new:
            return f"call {n}: {'; '.join(new)}, which the original does not"
    for n, text in candidate.get("output", {}).items():
        if text and not original.get("output", {}).get(n):
            return f"call {n}: stray output {text[:80]!r}, which the original does not print"
    return ""


def local_speedup(original: dict[str, Any], candidate: dict[str, Any]) -> float | None:
    """The original's replay time over the candidate's, on the calls both replayed."""
    base, new = original.get("times", {}), candidate.get("times", {})
    both = [n for n in new if n in base]
    before, after = sum(base[n] for n in both), sum(new[n] for n in both)
    return before / after if both and after > 0 and before > 0 else None
