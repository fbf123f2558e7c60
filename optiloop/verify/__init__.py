"""The correctness gate.

``Gate`` is the full gate (parses → hack check → imports → replay of captured calls → covering tests (the
full suite when there are none) → workload output → held-out calls; ``Gate.confirm`` runs the full
suite once a candidate measured faster; see ``docs/verification.md``), a short sequence of the small
checks in ``checks.py`` and ``replay.py``, configured by ``GateSettings``.
"""

from __future__ import annotations

from typing import Protocol

from optiloop.types import Candidate, Check
from optiloop.verify.gate import MIN_CALLS, WEAK_EVIDENCE, Gate, GateSettings
from optiloop.verify.output import first_difference

__all__ = ["MIN_CALLS", "WEAK_EVIDENCE", "Gate", "GateSettings", "Verifier", "first_difference"]


class Verifier(Protocol):
    local_speedup: float | None  # the original's replay time over the candidate's, from the last verify

    def verify(self, candidate: Candidate) -> tuple[Check, ...]:
        """Checks of the staged candidate, stopping at the first that fails."""
        ...
