"""The loop: profile, pick a target, ask the model, apply, verify, measure, commit, re-profile.

``Loop.step()`` takes one candidate as far as it goes and returns its ``Attempt``; the PR bot and
the interactive session drive the loop through it. ``run()`` is steps until the budget is spent or
nothing is left to try. Stages are reached only through the small interfaces in ``Stages``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from optiloop.edit import normalized
from optiloop.measure import Measurer
from optiloop.models import Feedback, Model, Request
from optiloop.profiling import Profiler
from optiloop.report.commit import commit_message
from optiloop.types import (
    Applied,
    Attempt,
    Candidate,
    EditResult,
    Measurement,
    Profile,
    RunSummary,
    Target,
)
from optiloop.verify import Verifier


class Place(Protocol):
    """Where candidates are written, run and committed (a ``Workspace``)."""

    branch: str

    def read(self, relpath: str) -> str: ...

    def stage(self, files: dict[str, str]) -> None: ...

    def commit(self, files: dict[str, str], message: str) -> str: ...


class Recorder(Protocol):
    def event(self, kind: str, **data: Any) -> None: ...


Editor = Callable[[str, str, str, str], EditResult]  # (module, qualname, new_source, path)
TargetFinder = Callable[[Profile, Callable[[str], str]], list[Target]]


@dataclass(frozen=True)
class Stages:
    profiler: Profiler
    find_targets: TargetFinder
    model: Model
    edit: Editor
    verifier: Verifier
    measurer: Measurer
    place: Place
    journal: Recorder


@dataclass(frozen=True)
class Limits:
    max_iterations: int = 10
    max_rounds_per_target: int = 2


class Loop:
    def __init__(self, stages: Stages, limits: Limits, run_id: str) -> None:
        self.s = stages
        self.limits = limits
        self.run_id = run_id
        self.attempts: list[Attempt] = []
        self.baseline: Measurement | None = None
        self.profile: Profile | None = None
        self.stop_reason = ""
        self._targets: list[Target] = []
        self._pending: list[Candidate] = []
        self._asked: Counter[str] = Counter()
        self._seen: set[tuple[str, str]] = set()
        self._history: dict[str, list[Feedback]] = {}

    # -- the steps -------------------------------------------------------------------------

    def start(self) -> Profile:
        """Measure the baseline and profile it; returns the profile the first targets come from."""
        self.baseline = self.s.measurer.baseline()
        self.s.journal.event("baseline", measurement=self.baseline)
        return self.reprofile("initial")

    def reprofile(self, label: str) -> Profile:
        self.profile = self.s.profiler.profile(label)
        self._targets = self.s.find_targets(self.profile, self.s.place.read)
        self._pending = []
        self.s.journal.event("profile", label=label, samples=self.profile.samples,
                             hotspots=self.profile.hotspots)
        return self.profile

    def step(self, hint: str | None = None) -> Attempt | None:
        """Try the next candidate. None when there is nothing left to try."""
        candidate = self._next_candidate(hint)
        if candidate is None:
            hot = self.profile is not None and self.profile.hotspots
            self.stop_reason = ("no more candidates for the hot targets" if hot
                                else "no hot definitions of the project in the profile")
            return None
        attempt = self.attempt(candidate)
        if attempt.accepted:
            self._asked[candidate.target.key] = 0
            self.reprofile(f"after-{attempt.number}")
        return attempt

    def run(self, on_attempt: Callable[[Attempt], None] | None = None) -> RunSummary:
        if self.profile is None:
            self.start()
        while len(self.attempts) < self.limits.max_iterations:
            attempt = self.step()
            if attempt is None:
                break
            if on_attempt is not None:
                on_attempt(attempt)
        else:
            self.stop_reason = f"reached --max-iterations {self.limits.max_iterations}"
        return self.summary()

    def summary(self) -> RunSummary:
        return RunSummary(self.run_id, self.s.place.branch, tuple(self.attempts), len(self.attempts),
                          self.baseline, self.stop_reason)

    # -- one attempt ------------------------------------------------------------------------

    def attempt(self, candidate: Candidate) -> Attempt:
        """Apply, verify, measure and (if it is a real speedup) commit one candidate."""
        number = len(self.attempts) + 1
        target = candidate.target
        self.s.journal.event("candidate", number=number, target=target.key, origin=candidate.origin,
                             rationale=candidate.rationale, source=candidate.new_source)
        edit = self.s.edit(self.s.place.read(target.path), target.qualname, candidate.new_source, target.path)
        attempt = Attempt(number, candidate, edit)
        if isinstance(edit, Applied):
            attempt = self._verify_and_measure(attempt, edit)
        return self._record(attempt)

    def _verify_and_measure(self, attempt: Attempt, edit: Applied) -> Attempt:
        files = {attempt.candidate.target.path: edit.new_module}
        self.s.place.stage(files)
        checks = self.s.verifier.verify(attempt.candidate)
        if not all(c.passed for c in checks):
            return Attempt(attempt.number, attempt.candidate, edit, checks)
        verdict = self.s.measurer.compare(f"attempt-{attempt.number}")
        if not verdict.accepted:
            return Attempt(attempt.number, attempt.candidate, edit, checks, verdict)
        message = commit_message(attempt.candidate, verdict, checks, self.s.model.name, self.run_id)
        sha = self.s.place.commit(files, message)
        return Attempt(attempt.number, attempt.candidate, edit, checks, verdict, sha)

    def _record(self, attempt: Attempt) -> Attempt:
        self.attempts.append(attempt)
        c = attempt.candidate
        outcome = f"accepted as {attempt.commit}" if attempt.accepted else attempt.reason
        self._history.setdefault(c.target.key, []).append(Feedback(c.origin, c.rationale, outcome))
        self.s.journal.event("attempt", attempt=attempt, accepted=attempt.accepted, reason=attempt.reason)
        return attempt

    # -- what to try next -------------------------------------------------------------------

    def _next_candidate(self, hint: str | None) -> Candidate | None:
        while True:
            while self._pending:
                candidate = self._pending.pop(0)
                key = (candidate.target.key, normalized(candidate.new_source))
                if key not in self._seen:
                    self._seen.add(key)
                    return candidate
            target = next((t for t in self._targets
                           if self._asked[t.key] < self.limits.max_rounds_per_target), None)
            if target is None:
                return None
            self._asked[target.key] += 1
            history = tuple(self._history.get(target.key, ()))
            self._pending = list(self.s.model.propose(Request(target, history, hint)))
            self.s.journal.event("proposals", target=target.key, model=self.s.model.name,
                                 count=len(self._pending))
