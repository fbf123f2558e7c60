"""Measuring the workload: baseline and candidate interleaved, a speedup with its interval and one of
three outcomes (FASTER, NOT FASTER, UNKNOWN).

``InterleavedMeasurer`` (in ``interleaved``) is the engine; ``docs/measurement.md`` explains it.
"""

from __future__ import annotations

from typing import Protocol

from optiloop.measure.cachegrind import Cost
from optiloop.measure.interleaved import InterleavedMeasurer, Trees, decide
from optiloop.measure.stats import Noise, amdahl
from optiloop.types import Measurement, Verdict


class Measurer(Protocol):
    @property
    def noise(self) -> Noise | None:
        """The run's A/A wall-time noise, once ``baseline`` measured it."""
        ...

    def baseline(self) -> Measurement: ...

    def total(self, wall: Verdict) -> Verdict:
        """The whole run's check (the branch head against the base, staged in the candidate tree) in this
        measure, beside its wall-time verdict ``wall``."""
        ...

    def compare(self, label: str, predicted: float | None = None, target: str | None = None,
                counted: Cost | None = None) -> Verdict:
        """A FASTER / NOT FASTER / UNKNOWN verdict on the staged candidate, confirmed on fresh samples when
        it passes. ``predicted``: the workload speedup the profile allows (Amdahl); ``target``: the target's
        key, so the confirmation grows stricter with each further candidate of the same target; ``counted``:
        the candidate's simulated cost where the verifier already counted it (the cycles measure)."""
        ...


__all__ = ["InterleavedMeasurer", "Measurer", "Noise", "Trees", "amdahl", "decide"]
