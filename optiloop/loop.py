"""The loop: profile, pick a target, ask the model, apply, verify, measure, commit, re-profile.

``Loop.step()`` takes one candidate as far as it goes and returns its ``Attempt``; the PR bot and the interactive
session drive the loop through it (a session names the target and decides, after the verdict, whether a measured
speedup is committed). ``run()`` is steps until a budget is spent or nothing is left to try; ``restore()`` takes
back the attempts of a resumed run. Only a measured speedup gets the full test suite (``confirm``).

Each model call asks for ``--candidates`` candidates; duplicates never run (``proposals.Proposals``). A
failed candidate goes back to the model as a repair request, the best verified one as a refinement
(``followup.Followups``). Which target is asked next is ``budget.Turns``; when to stop, ``budget.Budget``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from optiloop.budget import Budget, Limits, Turns
from optiloop.followup import Followups
from optiloop.measure.stats import allowed
from optiloop.models import Feedback, Request
from optiloop.profiling.addressable import unreachable
from optiloop.proposals import Proposals
from optiloop.record import events
from optiloop.report.commit import commit_message
from optiloop.stages import Decide, Explains, Place, Recorder, Stages
from optiloop.targets import dotted_name
from optiloop.types import Applied, Attempt, Candidate, Measurement, Profile, RunSummary, Target, Usage

__all__ = ["Decide", "Limits", "Loop", "Place", "Recorder", "Stages"]


class Loop:
    def __init__(self, stages: Stages, limits: Limits, run_id: str,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.s = stages
        self.limits = limits
        self.run_id = run_id
        self.budget = Budget(limits, stages.model, clock)
        self.turns = Turns(limits)
        self.attempts: list[Attempt] = []
        self.baseline: Measurement | None = None
        self.profile: Profile | None = None
        self.stop_reason = ""
        self._unreachable: str | None = None  # the profile's Amdahl bound is below --min-speedup: why
        self._targets: list[Target] = []
        self.proposals = Proposals()
        self._history: dict[str, list[Feedback]] = {}
        self._unmatched: set[str] = set()  # hottest targets the model had nothing for, said once each
        self.followups = Followups(stages.profiler, stages.place)
        self.on_note: Callable[[str], None] | None = None  # the terminal: what the run should say as it goes

    @property
    def targets(self) -> tuple[Target, ...]:
        """The targets of the latest profile, hottest first."""
        return tuple(self._targets)

    def history(self, key: str) -> tuple[Feedback, ...]:
        """What became of the earlier candidates for the target ``key``: what its next request carries."""
        return tuple(self._history.get(key, ()))

    def forget(self, sha: str, why: str) -> Attempt | None:
        """After an undo: the attempt committed as ``sha`` no longer counts as accepted (nor is refined)."""
        for i, a in enumerate(self.attempts):
            if a.commit == sha:
                self.attempts[i] = replace(a, commit=None, declined=why)
                self.followups.pending.pop(a.candidate.target.key, None)
                return a
        return None

    # -- the steps -------------------------------------------------------------------------

    def start(self) -> Profile:
        """Measure the baseline and profile it; returns the profile the first targets come from."""
        self.budget.started = self.budget.clock()
        self.baseline = self.s.measurer.baseline()
        self.s.journal.write(events.BaselineMeasured(measurement=self.baseline))
        return self.reprofile("initial")

    def reprofile(self, label: str) -> Profile:
        self.profile = self.s.profiler.profile(label)
        self._targets = self.s.find_targets(self.profile, self.s.place.read)
        self.proposals.clear()
        self.s.journal.write(events.Profiled(label=label, samples=self.profile.samples, hotspots=self.profile.hotspots,
                                             breakdown=self.profile.breakdown, addressable=self.profile.addressable))
        self._unreachable = unreachable(self.profile, self.limits.min_speedup)
        return self.profile

    def restore(self, attempts: list[Attempt]) -> None:
        """Take back the attempts of a resumed run: numbering, duplicates, history and turns go on."""
        for attempt in attempts:
            self.proposals.seen(attempt.candidate)
            self._record(attempt, event=False)

    def step(self, hint: str | None = None, target: Target | None = None,
             decide: Decide | None = None) -> Attempt | None:
        """Try the next candidate (of ``target`` when given). None when there is nothing left to try."""
        self.stop_reason = (self._unreachable or "") if target is None else ""  # a person's pick may still try
        candidate = None if self.stop_reason else self._next_candidate(hint, target)
        if candidate is None:
            hot = self.profile is not None and self.profile.hotspots
            self.stop_reason = self.stop_reason or ("no more candidates for the hot targets" if hot
                                                    else "no hot definitions of the project in the profile")
            return None
        return self.attempt(candidate, decide)

    def run(self, on_attempt: Callable[[Attempt], None] | None = None) -> RunSummary:
        if self.profile is None:
            self.start()
        while True:
            spent = self.budget.reason(len(self.attempts))
            if spent is not None:
                self.stop_reason = spent
                break
            attempt = self.step()
            if attempt is None:
                break
            if on_attempt is not None:
                on_attempt(attempt)
        return self.summary()

    def summary(self) -> RunSummary:
        spend = self.budget.spend()
        return RunSummary(self.run_id, self.s.place.branch, tuple(self.attempts), len(self.attempts),
                          self.baseline, self.stop_reason,
                          Usage(spend.input_tokens, spend.output_tokens, spend.cost_usd), spend.calls,
                          spend.cache_hits)

    # -- one attempt ------------------------------------------------------------------------

    def attempt(self, candidate: Candidate, decide: Decide | None = None) -> Attempt:
        """Apply, verify, measure and (if it is a real speedup) commit one candidate, then profile anew."""
        number = len(self.attempts) + 1
        target = candidate.target
        self.s.progress.stage("candidate", target.key, number)
        self.s.journal.write(events.CandidateStarted(number=number, target=target.key, origin=candidate.origin,
                                                     rationale=candidate.rationale, source=candidate.new_source))
        edit = self.s.edit(self.s.place.read(target.path), target.qualname, candidate.new_source, target.path)
        attempt = Attempt(number, candidate, edit)
        if isinstance(edit, Applied):
            attempt = self._verify_and_measure(attempt, edit, decide)
        self._record(attempt)
        if attempt.accepted:  # the next prompt, and the next target, come from the new code's profile
            self.reprofile(f"after-{attempt.number}")
        return attempt

    def _verify_and_measure(self, attempt: Attempt, edit: Applied, decide: Decide | None) -> Attempt:
        candidate, target = attempt.candidate, attempt.candidate.target
        files, changes = edit.written(target.path), edit.changed(target.path, target.qualname)
        ahead = self.limits.max_iterations - len(self.attempts) - 1  # --jobs verifies the next ones alongside
        upcoming = self.proposals.upcoming()[:max(0, ahead)]
        attempt = replace(attempt, checks=self.s.verifier.verify(candidate, files, upcoming,
                                                                 changes=changes))
        if not all(c.passed for c in attempt.checks):
            return attempt
        predicted, bound = allowed(target.hotspot.total_frac, self.s.verifier.local_speedup)  # Amdahl or its bound
        verdict = replace(self.s.measurer.compare(f"attempt-{attempt.number}", predicted, target.key,
                                                  self.s.verifier.cost), predicted_bound=bound)
        attempt = replace(attempt, verdict=verdict)
        if verdict.accepted:  # the full suite, once per accepted candidate, before anyone decides or commits
            attempt = replace(attempt, checks=(*attempt.checks, self.s.verifier.confirm(candidate)))
        if not verdict.accepted or not attempt.checks[-1].passed:
            return attempt
        if decide is not None and (declined := decide(attempt)):
            return replace(attempt, declined=declined)
        author = candidate.author or self.s.model.name  # a person's edit is committed as theirs
        message = commit_message(candidate, verdict, attempt.checks, author, self.run_id, changes)
        # written before the commit, so a resumed run can record (or make) a commit a kill left unrecorded
        self.s.journal.write(events.Accepting(attempt=attempt, message=message))
        return replace(attempt, commit=self.s.place.commit(files, message))

    def _record(self, attempt: Attempt, event: bool = True) -> Attempt:
        self.attempts.append(attempt)
        self.turns.record(attempt)
        c = attempt.candidate
        outcome = f"accepted as {attempt.commit}" if attempt.accepted else attempt.reason
        self._history.setdefault(c.target.key, []).append(Feedback(c.origin, c.rationale, outcome))
        self.followups.record(attempt)
        if event:
            self.s.journal.write(events.AttemptRecorded.of(attempt))
        return attempt

    # -- what to try next -------------------------------------------------------------------

    def _next_candidate(self, hint: str | None, chosen: Target | None = None) -> Candidate | None:
        """The next untried candidate; a ``chosen`` target (a person's pick) gets one model call at most."""
        if chosen is not None:
            self.proposals.only(chosen.key)
        asked = False
        while (candidate := self.proposals.take()) is None:
            over = self.budget.cost_reason()
            if chosen is not None:
                target = None if over or asked else chosen
            else:
                target = None if over else self.turns.pick(self._targets)
            if target is None:
                self.stop_reason = over or ""
                return None
            asked = True
            self._ask(target, hint)
        return candidate

    def _ask(self, target: Target, hint: str | None) -> None:
        target, repair, refine = self.followups.take(target)
        self.s.progress.stage("asking the model", target.key)
        request = Request(target, tuple(self._history.get(target.key, ())), hint, self.limits.candidates,
                          repair, refine)
        proposed = self.s.model.propose(request)
        self.proposals.fill(proposed)
        self.s.journal.write(events.Proposed(target=target.key, model=self.s.model.name, request=request.kind,
                                             count=len(proposed), usage=tuple(c.usage for c in proposed),
                                             spent=self.budget.spend()))
        if not proposed:
            self._nothing_for(target)

    def _nothing_for(self, target: Target) -> None:
        """Say it (once) when the model has nothing for the hottest target, instead of going on in silence to
        cooler ones: a note event, and ``on_note``. A model may explain why (``stages.Explains``)."""
        if target.key in self._unmatched or not self._targets or target.key != self._targets[0].key:
            return
        self._unmatched.add(target.key)
        text = self.s.model.nothing_for(target) if isinstance(self.s.model, Explains) else \
            f"{self.s.model.name} proposed no candidate for {dotted_name(target.path, target.qualname)}, the " \
            f"hottest function ({target.hotspot.self_frac:.0%} of the samples); trying the next hot functions"
        self.s.journal.write(events.Note(text=text))
        if self.on_note is not None:
            self.on_note(text)
