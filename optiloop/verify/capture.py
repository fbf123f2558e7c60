"""Capturing real calls of one target while the workload runs on the accepted (baseline) tree.

The workload runs once with ``hook/sitecustomize.py`` on its ``PYTHONPATH``; the hook records up to
``limit`` outermost calls of the target (see its docstring). Captures live in the run record under
``artifacts/captures/<key>/`` and are made once per (target, baseline commit).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optiloop import proc
from optiloop.journal import write_atomic
from optiloop.paths import module_names
from optiloop.types import Target, Workload
from optiloop.workspace import Workspace

HOOK_DIR = Path(__file__).resolve().parent / "hook"


@dataclass(frozen=True)
class CallLog:
    """What a capture found. ``path`` is None when no calls could be recorded."""

    path: Path | None
    module: str
    calls: int  # recorded
    total: int  # outermost calls the workload made
    skipped: int  # calls whose values could not be pickled
    seconds: float  # the recorded calls' own duration
    executable: str  # the interpreter that ran the workload
    sys_path: tuple[str, ...]  # "rel:<path>" inside the worktree, absolute otherwise
    problem: str = ""


def hook_env(base: dict[str, str], **extra: str) -> dict[str, str]:
    """``base`` with the hook first on ``PYTHONPATH`` plus ``extra`` variables."""
    env = dict(base)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(HOOK_DIR), env.get("PYTHONPATH", "")) if p)
    env.update(extra)
    return env


class Capturer:
    def __init__(self, workspace: Workspace, workload: Workload, directory: Path, limit: int, timeout: float,
                 memory_mb: int | None = None) -> None:
        self.ws = workspace
        self.workload = workload
        self.dir = directory
        self.limit = limit
        self.timeout = timeout
        self.memory_mb = memory_mb
        self._cache: dict[str, CallLog] = {}

    def key(self, target: Target) -> str:
        return hashlib.sha1(f"{target.key}@{self.ws.head()}".encode()).hexdigest()[:16]

    def get(self, target: Target) -> CallLog:
        """The capture for ``target`` on the current baseline commit, made now if there is none yet."""
        key = self.key(target)
        if key in self._cache:
            return self._cache[key]
        where = self.dir / key
        meta = where / "meta.json"
        log = _load_meta(meta)
        if log is None:  # none yet, or one a crash cut short before atomic writes: capture (again)
            log = self._capture(target, where)
            write_atomic(meta, json.dumps({**log.__dict__, "path": str(log.path) if log.path else None}) + "\n")
        self._cache[key] = log
        return log

    def _capture(self, target: Target, where: Path) -> CallLog:
        raw = where / "raw"
        shutil.rmtree(raw, ignore_errors=True)
        raw.mkdir(parents=True)
        for stale in where.glob("selfcheck-seed*.json"):  # the gate's self-checks of an earlier capture here
            stale.unlink(missing_ok=True)
        tree = self.ws.tree_dir("baseline")
        spec = {"modules": module_names(target.path), "file": str(tree / target.path),
                "qualname": target.qualname, "limit": self.limit, "out": str(raw)}
        write_atomic(where / "spec.json", json.dumps(spec))
        env = hook_env(self.ws.env_for("baseline"), OPTILOOP_CAPTURE=str(where / "spec.json"))
        done = proc.run(self.workload.cmd, self.ws.project_dir("baseline") / self.workload.cwd, env, self.timeout,
                        self.memory_mb)
        empty = CallLog(None, "", 0, 0, 0, 0.0, "", ())
        if not done.ok:
            why = done.why()
            return _with_problem(empty, f"the workload failed while calls were captured ({why})")
        files = sorted(raw.glob("*.pkl"))
        if not files:
            return _with_problem(empty, f"the workload never imported {target.path}")
        log = self._merge(files, where / "calls.pkl")
        shutil.rmtree(raw, ignore_errors=True)  # merged into calls.pkl
        return log

    def _merge(self, files: list[Path], out: Path) -> CallLog:
        parts: list[dict[str, Any]] = []
        for f in files:
            with open(f, "rb") as fh:
                parts.append(pickle.load(fh))
        first = max(parts, key=lambda p: len(p["calls"]))
        calls = [c for p in parts for c in p["calls"]][: self.limit]
        total = sum(int(p["total_calls"]) for p in parts)
        skipped = sum(int(p["skipped"]) for p in parts)
        problem = "" if any(p["hooked"] for p in parts) else str(first["problem"])
        write_atomic(out, pickle.dumps({"calls": calls}, pickle.HIGHEST_PROTOCOL))
        tree = self.ws.tree_dir("baseline")
        return CallLog(
            path=out if calls else None,
            module=str(first["module"]),
            calls=len(calls),
            total=total,
            skipped=skipped,
            seconds=sum(float(c["seconds"]) for c in calls),
            executable=str(first.get("executable", "")),
            sys_path=tuple(_portable(p, tree) for p in first["sys_path"] if Path(p) != HOOK_DIR),
            problem=problem,
        )


def _portable(entry: str, tree: Path) -> str:
    """A ``sys.path`` entry inside the worktree as ``rel:<path>``, so it can point into another tree."""
    try:
        return "rel:" + Path(entry).resolve().relative_to(tree.resolve()).as_posix()
    except ValueError:
        return entry


def _with_problem(log: CallLog, problem: str) -> CallLog:
    return CallLog(log.path, log.module, log.calls, log.total, log.skipped, log.seconds, log.executable,
                   log.sys_path, problem)


def _load_meta(meta: Path) -> CallLog | None:
    """The capture ``meta`` describes; None when there is none, or it is unreadable or torn (written by a
    run killed mid-write before writes were atomic), or its ``calls.pkl`` is gone: then it is made again."""
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
        path = data.pop("path")
        data["sys_path"] = tuple(data["sys_path"])
        log = CallLog(path=Path(path) if path else None, **data)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    if log.path is not None and not log.path.is_file():
        return None
    return log
