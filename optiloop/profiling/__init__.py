"""Profiling the workload: where does its time go, in the project's own definitions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from optiloop.errors import RunFailure
from optiloop.profiling.collapsed import Resolver, Stack, attribute, format_raw, parse_raw
from optiloop.profiling.pyspy import record
from optiloop.types import Profile, Workload
from optiloop.workspace import Side, Workspace

MAX_FAILURES = 3
TOO_BRIEF = "No python processes found"


class Profiler(Protocol):
    def profile(self, label: str) -> Profile: ...


class PySpyProfiler:
    """py-spy record of the workload in a worktree, attributed to in-scope definitions.

    A short workload gives few samples per run, so it is recorded again until ``min_samples``
    samples or ``max_runs`` runs; py-spy now and then fails on a process that exits as it samples,
    so a failed recording is retried a few times before the profile is given up.
    """

    def __init__(
        self,
        workspace: Workspace,
        workload: Workload,
        artifacts: Callable[[str], Path],
        in_scope: Callable[[str], bool],
        rate: int,
        timeout: float,
        min_frac: float = 0.01,
        min_samples: int = 400,
        max_runs: int = 8,
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

    def profile(self, label: str, side: Side = "baseline") -> Profile:
        cwd = self.ws.project_dir(side) / self.workload.cwd
        stacks: list[tuple[Stack, int]] = []
        failures: list[str] = []
        runs = 0
        while runs < self.max_runs and sum(c for f, c in stacks if f) < self.min_samples:
            raw = self.artifacts(f"profiles/{label}-{runs + len(failures)}.txt")
            try:
                record(self.workload.cmd, cwd, self.ws.env, raw, self.rate, self.timeout)
            except RunFailure as exc:
                if TOO_BRIEF in str(exc):  # the process ended before py-spy found it: no samples
                    runs += 1
                    continue
                failures.append(str(exc))
                if len(failures) > MAX_FAILURES:
                    raise
                continue
            stacks += parse_raw(raw.read_text())
            runs += 1
        merged = self.artifacts(f"profiles/{label}.txt")
        merged.write_text(format_raw(stacks))
        hotspots, total = attribute(stacks, Resolver(self.ws.tree_dir(side), self.in_scope))
        hot = tuple(h for h in hotspots if h.self_frac >= self.min_frac)
        return Profile(hot, total, merged)
