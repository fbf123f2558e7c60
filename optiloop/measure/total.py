"""The whole run's effect: the run's base against the branch head, measured interleaved at the end.

The baseline tree holds the branch head; the candidate tree is reset to the base commit. The verdict is
turned around so that ``speedup`` > 1 means the branch is faster than the base. It takes the run's
``--rounds`` rounds and no sequential looks: it reports, it decides nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from optiloop.measure import plain
from optiloop.measure.interleaved import Trees
from optiloop.measure.pyperf_run import MeasureError, pyperf_command
from optiloop.measure.stats import interval
from optiloop.types import Measurement, Verdict, Workload, fmt_pct, fmt_ratio
from optiloop.workspace import Side

LEVEL = 0.95


class Staging(Trees, Protocol):
    def stage_ref(self, ref: str) -> None: ...


def measure_total(
    ws: Staging,
    workload: Workload,
    base: str,
    rounds: int,
    timeout: float,
    artifact_dir: Path,
    on_round: Callable[[int, int], None] | None = None,
) -> Verdict:
    """``rounds`` interleaved rounds of the branch head (baseline tree) and ``base`` (candidate tree);
    the pyperf JSON files go to ``artifact_dir``; ``on_round(i, rounds)`` as round ``i`` (from 1) begins."""
    ws.stage_ref(base)
    start = time.monotonic()
    samples: dict[Side, list[float]] = {"baseline": [], "candidate": []}
    try:
        for i in range(rounds):
            if on_round is not None:
                on_round(i + 1, rounds)
            order: tuple[Side, Side] = ("baseline", "candidate") if i % 2 == 0 else ("candidate", "baseline")
            for side in order:
                samples[side] += pyperf_command(workload.cmd, ws.project_dir(side) / workload.cwd, ws.env_for(side),
                                                artifact_dir / f"{side}-{i}.json", 1, timeout,
                                                warmups=1 if i == 0 else 0)
    except MeasureError as exc:
        return Verdict(0.0, 0.0, 0.0, False, False, f"the total could not be measured: {exc}",
                       seconds=time.monotonic() - start, cause="failed",
                       headline="Not measured: the workload failed while measuring the whole run.")
    base_times, head_times = samples["candidate"], samples["baseline"]
    point, low, high = interval(base_times, head_times, LEVEL)
    significant = low > 1.0 or high < 1.0
    ci = f"{fmt_pct(LEVEL)} CI {fmt_ratio(low)}-{fmt_ratio(high)}"
    evidence = f"{fmt_ratio(point)}x ({ci}, {rounds} interleaved rounds)"
    if low > 1.0:
        reason = f"the branch is faster than its base: {evidence}"
    elif high < 1.0:
        reason = f"the branch is slower than its base: {evidence}"
    else:
        reason = f"no significant difference between the branch and its base: {evidence}"
    cause, headline, advice = plain.total(point, low, high, rounds)
    return Verdict(point, low, high, significant, low > 1.0, reason, Measurement.of(base_times),
                   Measurement.of(head_times), rounds=rounds, seconds=time.monotonic() - start, level=LEVEL,
                   stopped="full", headline=headline, cause=cause, advice=advice)
