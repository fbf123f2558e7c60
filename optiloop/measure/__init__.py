"""Measuring the workload: baseline and candidate interleaved, a speedup with its interval.

``InterleavedMeasurer`` (in ``interleaved``) is the engine; ``docs/measurement.md`` explains it.
"""

from __future__ import annotations

from typing import Protocol

from optiloop.measure.interleaved import InterleavedMeasurer, Trees, decide
from optiloop.measure.stats import Noise
from optiloop.types import Measurement, Verdict


class Measurer(Protocol):
    noise: Noise | None

    def baseline(self) -> Measurement: ...

    def compare(self, label: str) -> Verdict: ...


__all__ = ["InterleavedMeasurer", "Measurer", "Noise", "Trees", "decide"]
