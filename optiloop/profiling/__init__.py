"""Profiling the workload: where does its time go, in the project's own definitions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

from optiloop import proc
from optiloop.errors import RunFailure
from optiloop.journal import write_atomic
from optiloop.profiling import fallback
from optiloop.profiling.addressable import addressable_share, breakdown
from optiloop.profiling.collapsed import Resolver, Stack, format_raw, parse_raw, ranked
from optiloop.profiling.pyspy import NativeUnsupported, PySpyUnavailable, record
from optiloop.profiling.speedscope import write_speedscope
from optiloop.progress import NO_PROGRESS, PROFILING, Progress
from optiloop.types import Profile, Workload
from optiloop.workspace import Side

MAX_FAILURES = 3
TOO_BRIEF = "No python processes found"
FALLBACK_NOTE = ("py-spy is unavailable ({why}); profiling with cProfile and a stack sampler inside the "
                 "workload's interpreter instead")
NATIVE_NOTE = ("py-spy cannot record native frames here ({why}); time in C extensions called directly from the "
               "project's code counts as the project's")


class Tree(Protocol):
    """Where the workload runs (a ``Workspace``, or ``InPlace`` for the user's checkout)."""

    def env_for(self, side: Side) -> dict[str, str]: ...

    def tree_dir(self, side: Side) -> Path: ...

    def project_dir(self, side: Side) -> Path: ...


class InPlace:
    """The user's own checkout as a ``Tree``: both sides are the checkout itself."""

    def __init__(self, root: Path, subdir: str, env: Mapping[str, str]) -> None:
        self.root = root
        self.subdir = subdir
        self.env = dict(env)

    def tree_dir(self, side: Side) -> Path:
        return self.root

    def project_dir(self, side: Side) -> Path:
        return self.root / self.subdir if self.subdir else self.root

    def env_for(self, side: Side) -> dict[str, str]:
        return proc.project_env(self.env, self.project_dir(side))


class PySpyProfiler:
    """py-spy record of the workload in a worktree, attributed to in-scope definitions.

    A short workload gives few samples per run, so it is recorded again until ``min_samples``
    samples or ``max_runs`` runs; py-spy now and then fails on a process that exits as it samples,
    so a failed recording is retried a few times. When py-spy is missing or may not attach, or keeps
    failing, the profile is taken by the fallback sampler (``fallback.sample``) from then on, plus
    one cProfile run per profile for exact call counts (``profiles/<label>-cprofile/<pid>.prof``);
    ``notes`` says so once. py-spy records with ``--native`` where it can, so that time in C extensions
    shows as such (``addressable``); where it cannot, without, and ``notes`` says so. Each profile leaves
    ``profiles/<label>.txt`` (merged raw stacks) and ``profiles/<label>.speedscope.json`` in the run record.
    """

    def __init__(
        self,
        workspace: Tree,
        workload: Workload,
        artifacts: Callable[[str], Path],
        in_scope: Callable[[str], bool],
        rate: int,
        timeout: float,
        min_frac: float = 0.01,
        min_samples: int = 400,
        max_runs: int = 8,
        on_note: Callable[[str], None] | None = None,
        native: bool = True,
        progress: Progress = NO_PROGRESS,
    ) -> None:
        self.ws = workspace
        self.workload = workload
        self.artifacts = artifacts
        self.in_scope = in_scope
        self.rate = rate
        self.timeout = timeout
        self.min_frac = min_frac
        self.min_samples = min_samples
        self.max_runs = max_runs
        self.on_note = on_note
        self.notes: list[str] = []
        self.fallback = False
        self.native = native
        self.progress = progress

    def _note(self, note: str) -> None:
        self.notes.append(note)
        if self.on_note is not None:
            self.on_note(note)

    def _fall_back(self, why: str) -> None:
        if not self.fallback:
            self.fallback = True
            self._note(FALLBACK_NOTE.format(why=why))

    def _record(self, cwd: Path, env: dict[str, str], raw: Path) -> None:
        try:
            record(self.workload.cmd, cwd, env, raw, self.rate, self.timeout, self.native)
        except NativeUnsupported as exc:
            self.native = False
            self._note(NATIVE_NOTE.format(why=exc.message))
            record(self.workload.cmd, cwd, env, raw, self.rate, self.timeout)

    def _record_once(self, cwd: Path, env: dict[str, str], raw: Path) -> list[tuple[Stack, int]] | None:
        """One recording; None when the process ended before py-spy found it (no samples)."""
        if not self.fallback:
            try:
                self._record(cwd, env, raw)
                return parse_raw(raw.read_text(encoding="utf-8", errors="replace"))
            except PySpyUnavailable as exc:
                self._fall_back(exc.message)
            except RunFailure as exc:
                if TOO_BRIEF in str(exc):
                    return None
                raise
        return fallback.sample(self.workload.cmd, cwd, env, raw, self.rate, self.timeout)

    def stacks(self, label: str, side: Side = "baseline") -> list[tuple[Stack, int]]:
        """Recordings of the workload until enough samples, merged into ``profiles/<label>.txt``."""
        cwd = self.ws.project_dir(side) / self.workload.cwd
        env = {**self.ws.env_for(side), **dict(self.workload.env)}
        stacks: list[tuple[Stack, int]] = []
        failures: list[str] = []
        runs = 0
        while runs < self.max_runs and sum(c for f, c in stacks if f) < self.min_samples:
            raw = self.artifacts(f"profiles/{label}-{runs + len(failures)}.txt")
            try:
                got = self._record_once(cwd, env, raw)
            except RunFailure as exc:
                if self.fallback or "timed out" in exc.message:
                    raise
                failures.append(exc.message)
                if len(failures) > MAX_FAILURES:
                    self._fall_back(f"it failed {len(failures)} times: {failures[-1]}")
                continue
            runs += 1
            stacks += got or []
            if not got and runs >= 2 and not stacks and not self.fallback:
                self._fall_back("the workload ends before py-spy can attach to it; it needs about 50 ms")
        if self.fallback:  # exact call counts for the record, from a run of its own (cProfile's overhead)
            fallback.cprofile(self.workload.cmd, cwd, env, self.artifacts(f"profiles/{label}-cprofile"), self.timeout)
        write_atomic(self.artifacts(f"profiles/{label}.txt"), format_raw(stacks))  # reports read it back
        write_speedscope(self.artifacts(f"profiles/{label}.speedscope.json"), stacks, label, self.rate)
        return stacks

    def profile(self, label: str, side: Side = "baseline") -> Profile:
        self.progress.stage(PROFILING)
        stacks = self.stacks(label, side)
        resolve = Resolver(self.ws.tree_dir(side), self.in_scope)
        hot, total = ranked(stacks, resolve, self.min_frac)
        shares = breakdown(stacks, resolve)
        return Profile(hot, total, self.artifacts(f"profiles/{label}.txt"), shares, addressable_share(shares))
