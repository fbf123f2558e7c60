"""The gate's side of the replay child: running it against a tree, and reading what it found.

``ReplayChild`` writes an ``exchange.Spec``, runs ``replay_child.py`` in the project's interpreter (a fresh
subprocess with a timeout and a memory limit, under a fixed ``PYTHONHASHSEED``) and reads back its
``exchange.Result``. ``SelfChecks`` replays the original against its own capture, once per capture and hash
seed (cached next to the capture, made one at a time on the shared baseline tree). ``replay_failure``
says what went wrong in a replay of a candidate, against the original's self-check.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from optiloop import proc
from optiloop.journal import write_atomic
from optiloop.paths import module_parts
from optiloop.types import Target, Workload
from optiloop.verify.capture import CallLog
from optiloop.verify.exchange import Result, Spec
from optiloop.workspace import Side, Workspace

CHILD = Path(__file__).resolve().parent / "replay_child.py"
_MARK = re.compile(r"^@@optiloop (.*)$", re.MULTILINE)


def secs(value: float) -> str:
    if value < 0.1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.0f} s" if value >= 10 else f"{value:.1f} s"


def stage(stderr: str) -> str:
    """Where a replay child was when it stopped: its last ``@@optiloop`` mark."""
    marks = _MARK.findall(stderr)
    return marks[-1] if marks else "start-up"


def without_marks(text: str) -> str:
    return _MARK.sub("", text).strip()


@dataclass(frozen=True)
class ReplayLimits:
    """How long a replay may take (``floor`` seconds plus ``factor`` times the captured calls' own time),
    and how much memory it may use."""

    floor: float
    factor: float
    memory_mb: int | None

    def budget(self, log: CallLog | None) -> float:
        return self.floor + self.factor * (log.seconds if log is not None else 0.0)


@dataclass(frozen=True)
class ChildRun:
    """One run of the replay child: the process, what it wrote, and the module it imported."""

    done: proc.Completed
    result: Result
    module: str

    @property
    def out_of_memory(self) -> bool:
        return self.result.memory or (not self.result.done and "MemoryError" in self.done.stderr)


class ReplayChild:
    """Runs the replay child against one tree of the workspace; its scratch files go under ``workdir``."""

    def __init__(self, workspace: Workspace, workload: Workload, workdir: Path, memory_mb: int | None) -> None:
        self.ws = workspace
        self.workload = workload
        self.workdir = workdir
        self.memory_mb = memory_mb

    def run(self, target: Target, log: CallLog | None, side: Side, budget: float, seed: str = "0",
            skip: Sequence[int] = (), collect: bool = False) -> ChildRun:
        """Replay ``log``'s calls of ``target`` (but ``skip``) against ``side``'s tree under ``seed``."""
        module, paths = self.module_and_path(target, log, side)
        self.workdir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=self.workdir))
        spec = Spec(module=module, file=str(self.ws.tree_dir(side) / target.path), qualname=target.qualname,
                    sys_path=paths, result=str(tmp / "result.json"),
                    captures=[str(log.path)] if log is not None and log.path is not None else [],
                    skip=list(skip), collect=collect)
        spec.write(str(tmp / "spec.json"))
        done = proc.run([self.python(log), str(CHILD), str(tmp / "spec.json")],
                        self.ws.project_dir(side) / self.workload.cwd,
                        {**self.ws.env_for(side), "PYTHONHASHSEED": seed}, budget, self.memory_mb)
        result = Result.read(spec.result)
        shutil.rmtree(tmp, ignore_errors=True)
        return ChildRun(done, result, module)

    def module_and_path(self, target: Target, log: CallLog | None, side: Side) -> tuple[str, list[str]]:
        """The module to import ``target`` from in ``side``'s tree, and the ``sys.path`` entries to put first:
        those the workload had when it was captured, else the project's directory and its ``src``."""
        tree = self.ws.tree_dir(side)
        project = self.ws.project_dir(side)
        if log is not None and log.module:
            paths = [str(tree / p[4:]) if p.startswith("rel:") else p for p in log.sys_path]
            return log.module, paths
        return ".".join(module_parts(target.path, self.ws.subdir)), [str(project), str(project / "src")]

    def python(self, log: CallLog | None) -> str:
        """The interpreter that ran the workload, else the project's ``python`` on its ``PATH``."""
        if log is not None and log.executable:
            return log.executable
        found = shutil.which("python", path=self.ws.env.get("PATH")) or shutil.which(
            "python3", path=self.ws.env.get("PATH"))
        return found or sys.executable


class SelfChecks:
    """The original replayed against its own capture, once per capture and hash seed: which calls do not
    replay reproducibly (time, unseeded randomness, ids, the outside world, and under another seed, set or
    dict order), and each call's effects, output and time. Cached next to the capture as
    ``selfcheck-seed<seed>.json``; made under ``lock``, which the gates of all candidate trees share."""

    def __init__(self, child: ReplayChild, limits: ReplayLimits, lock: threading.Lock,
                 timed: Callable[[str, float], None]) -> None:
        self.child = child
        self.limits = limits
        self.lock = lock
        self.timed = timed  # told how long each self-check that really ran took

    def get(self, target: Target, log: CallLog, seed: str = "0") -> Result:
        if log.path is None:
            return Result()
        with self.lock:
            return self._get(target, log, log.path.parent / f"selfcheck-seed{seed}.json", seed)

    def _get(self, target: Target, log: CallLog, cached: Path, seed: str) -> Result:
        known = _read_json(cached)
        if known is not None and "unstable" in known:
            return Result.from_dict(known)
        start = time.perf_counter()
        run = self.child.run(target, log, "baseline", self.limits.budget(log), seed, collect=True)
        # when the original cannot be replayed at all here, no call counts as evidence
        found = run.result if run.result.done else Result(unstable=list(range(1, log.calls + 1)))
        kept = Result(effects=found.effects, output=found.output, times=found.times,
                      unstable=[int(n) for n in found.unstable])
        write_atomic(cached, json.dumps({"effects": kept.effects, "output": kept.output, "times": kept.times,
                                         "unstable": kept.unstable}))
        self.timed(f"self-check-{seed}", time.perf_counter() - start)
        return kept


def _read_json(path: Path) -> dict[str, object] | None:
    """A JSON object from ``path``; None when it is missing, unreadable or torn (then it is made again)."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def replay_failure(run: ChildRun, budget: float, log: CallLog | None, original: Result,
                   limits: ReplayLimits) -> tuple[str, str] | None:
    """What went wrong in a replay of a candidate that imported, as (kind, detail): ``timed out``,
    ``memory``, ``crashed``, ``results`` or ``side effects`` (against the ``original``'s self-check); None
    when every call replayed the same."""
    done, result = run.done, run.result
    where = stage(done.stderr)
    if done.timed_out:
        return "timed out", (f"timed out after {secs(budget)} (limit: {limits.factor:g} x the "
                             f"{secs(log.seconds if log else 0.0)} the original took, at least "
                             f"{secs(limits.floor)}) at {where}")
    if run.out_of_memory:
        return "memory", f"exceeded the memory limit of {limits.memory_mb} MB at {result.mismatch or where}"
    if not result.done:
        tail = without_marks(done.tail()) or f"exit code {done.returncode}"
        return "crashed", f"the replay process died at {where}: {tail}"
    if result.mismatch:
        return "results", result.mismatch
    effects = side_effects(original, result)
    return ("side effects", effects) if effects else None


def side_effects(original: Result, candidate: Result) -> str:
    """What the candidate's calls did outside their results that the same calls of the original did not."""
    for n, effects in candidate.effects.items():
        new = sorted(set(effects) - set(original.effects.get(n, ())))
        if new:
            return f"call {n}: {'; '.join(new)}, which the original does not"
    for n, text in candidate.output.items():
        if text and not original.output.get(n):
            return f"call {n}: stray output {text[:80]!r}, which the original does not print"
    return ""


def local_speedup(original: Result, candidate: Result) -> float | None:
    """The original's replay time over the candidate's, on the calls both replayed."""
    base, new = original.times, candidate.times
    both = [n for n in new if n in base]
    before, after = sum(base[n] for n in both), sum(new[n] for n in both)
    return before / after if both and after > 0 and before > 0 else None
