"""Measuring the workload: baseline and candidate interleaved, a speedup with its interval and one of
three outcomes (FASTER, NOT FASTER, UNKNOWN).

``InterleavedMeasurer`` (in ``interleaved``) is the engine; ``docs/measurement.md`` explains it.
"""

from __future__ import annotations

from optiloop.measure.interleaved import InterleavedMeasurer, Trees, decide
from optiloop.measure.stats import amdahl
from optiloop.stages import Measurer
from optiloop.types import Noise

__all__ = ["InterleavedMeasurer", "Measurer", "Noise", "Trees", "amdahl", "decide"]
