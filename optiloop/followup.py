"""What the next request for a target carries besides the target: a repair or a refinement.

A candidate that applied but failed the checks comes back as a ``Repair`` with the failure text. The
best verified candidate comes back as a ``Refine`` with its own profile beside the original's: an
accepted one is the target itself after the commit (the loop re-profiles then); one that passed the
checks but was not fast enough is staged and profiled in the candidate tree, when the profiler can
(``profile(label, side="candidate")``), and becomes the target of the request.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

from optiloop.edit import find_definition
from optiloop.models import Refine, Repair
from optiloop.types import Applied, Attempt, Profile, Target

MAX_FAILURE_TEXT = 4000


class Stager(Protocol):
    def stage(self, files: dict[str, str]) -> None: ...


def _parameters(fn: Callable[..., object]) -> set[str]:
    try:
        return set(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return set()


class Followups:
    def __init__(self, profiler: Any, place: Stager) -> None:
        self.profiler = profiler
        self.place = place
        self.pending: dict[str, Repair | Refine] = {}
        self.best: dict[str, tuple[Attempt, str]] = {}  # best verified, not accepted: (attempt, new module)

    def record(self, attempt: Attempt) -> None:
        c, v = attempt.candidate, attempt.verdict
        key = c.target.key
        failed = [f"{ch.name}: {ch.detail}" for ch in attempt.checks if not ch.passed]
        if attempt.accepted and v is not None:
            self.pending[key] = Refine(c.target, v.speedup)
            self.best.pop(key, None)
        elif failed and not isinstance(self.pending.get(key), Refine):
            self.pending[key] = Repair(c.new_source, "\n".join(failed)[-MAX_FAILURE_TEXT:])
        elif v is not None and v.speedup > 1.0 and isinstance(attempt.edit, Applied):
            best = self.best.get(key)
            if best is None or best[0].verdict is None or v.speedup > best[0].verdict.speedup:
                self.best[key] = (attempt, attempt.edit.new_module)

    def take(self, target: Target) -> tuple[Target, Repair | None, Refine | None]:
        """The target to send (a candidate's, for its refinement) and what goes with it."""
        follow = self.pending.pop(target.key, None)
        if isinstance(follow, Repair):
            return target, follow, None
        if isinstance(follow, Refine):
            return target, None, follow
        best = self.best.pop(target.key, None)
        if best is None or best[0].verdict is None or "side" not in _parameters(self.profiler.profile):
            return target, None, None
        attempt, module = best
        assert attempt.verdict is not None
        return self._candidate_target(target, attempt, module), None, Refine(
            target, attempt.verdict.speedup, committed=False, reason=attempt.verdict.reason)

    def _candidate_target(self, target: Target, attempt: Attempt, module: str) -> Target:
        self.place.stage({target.path: module})
        profile: Profile = self.profiler.profile(f"refine-{attempt.number}", side="candidate")
        hot = next((h for h in profile.hotspots if (h.path, h.qualname) == (target.path, target.qualname)),
                   replace(target.hotspot, line_heat=()))
        source = find_definition(module, target.qualname) or attempt.candidate.new_source
        return replace(target, hotspot=hot, source=source, module_source=module)
