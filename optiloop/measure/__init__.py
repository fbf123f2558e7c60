"""Measuring the workload: baseline and candidate interleaved, a speedup with its interval."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from optiloop.errors import RunFailure
from optiloop.journal import Journal
from optiloop.measure.pyperf_run import MeasureError, pyperf_command
from optiloop.measure.stats import paired_speedup
from optiloop.types import Measurement, Verdict, Workload, fmt_ratio
from optiloop.workspace import Side


class Trees(Protocol):
    """Two copies of the project to run the workload in (a ``Workspace`` is one)."""

    env: dict[str, str]

    def project_dir(self, side: Side) -> Path: ...


class Measurer(Protocol):
    def baseline(self) -> Measurement: ...

    def compare(self, label: str) -> Verdict: ...


def decide(baseline: Sequence[float], candidate: Sequence[float], min_speedup: float) -> Verdict:
    """Accept only when the interval is above 1.0 and the point estimate reaches ``min_speedup``."""
    point, low, high = paired_speedup(baseline, candidate)
    a, b = Measurement.of(list(baseline)), Measurement.of(list(candidate))
    evidence = f"{point:.2f}x (95% CI {fmt_ratio(low)}-{fmt_ratio(high)}, {len(baseline)} interleaved rounds)"
    significant = low > 1.0 or high < 1.0
    if low > 1.0 and point >= min_speedup:
        return Verdict(point, low, high, True, True, f"faster: {evidence}", a, b)
    if high < 1.0:
        reason = f"slower: {evidence}"
    elif low > 1.0:
        reason = f"faster but below --min-speedup {min_speedup:.2f}: {evidence}"
    else:
        reason = f"not significant: {evidence}; the interval includes 1.0"
    return Verdict(point, low, high, significant, False, reason, a, b)


class InterleavedMeasurer:
    """pyperf runs of the workload in both worktrees, alternating A B, B A, A B ... per round."""

    def __init__(
        self,
        workspace: Trees,
        workload: Workload,
        journal: Journal,
        rounds: int,
        min_speedup: float,
        timeout: float,
    ) -> None:
        self.ws = workspace
        self.workload = workload
        self.journal = journal
        self.rounds = rounds
        self.min_speedup = min_speedup
        self.timeout = timeout

    def _values(self, side: Side, name: str, values: int) -> tuple[float, ...]:
        return pyperf_command(
            self.workload.cmd,
            self.ws.project_dir(side) / self.workload.cwd,
            self.ws.env,
            self.journal.artifact(f"measure/{name}.json"),
            values,
            self.timeout,
        )

    def baseline(self) -> Measurement:
        try:
            values = self._values("baseline", "baseline", self.rounds)
        except MeasureError as exc:
            raise RunFailure(f"measuring the baseline workload failed: {exc}") from None
        return Measurement.of(list(values))

    def compare(self, label: str) -> Verdict:
        """An interleaved A/B; a speedup that passes is measured again on fresh samples, and only
        that confirmation decides and is reported (the first measurement picked it, so it is biased)."""
        first = self.measure(label)
        if not first.accepted:
            return first
        confirmation = self.measure(f"{label}-confirm")
        if confirmation.accepted:
            return replace(confirmation, reason=f"{confirmation.reason}; confirmed on fresh samples")
        return replace(confirmation, reason=f"not confirmed on fresh samples ({first.speedup:.2f}x at first): "
                                            f"{confirmation.reason}")

    def measure(self, label: str) -> Verdict:
        """One interleaved A/B comparison, without confirmation."""
        samples: dict[Side, list[float]] = {"baseline": [], "candidate": []}
        for i in range(self.rounds):
            order: tuple[Side, Side] = ("baseline", "candidate") if i % 2 == 0 else ("candidate", "baseline")
            for side in order:
                try:
                    samples[side] += self._values(side, f"{label}/{side}-{i}", 1)
                except MeasureError as exc:
                    if side == "baseline":
                        raise RunFailure(f"the baseline workload failed while measuring: {exc}") from None
                    return Verdict(0.0, 0.0, 0.0, False, False, f"the workload failed on the candidate: {exc}")
        return decide(samples["baseline"], samples["candidate"], self.min_speedup)
