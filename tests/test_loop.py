"""The loop's own logic, with small in-memory stages (the real ones are tested end to end)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from optiloop.edit import apply_candidate
from optiloop.loop import Limits, Loop, Stages
from optiloop.models import Refine, Repair, Request, Spend
from optiloop.record import Event, Note
from optiloop.targets import targets_from
from optiloop.types import Attempt, Candidate, Change, Check, Hotspot, Measurement, Profile, Verdict
from tests.measure.test_interleaved import Fixed

MODULE = "def slow(xs):\n    return sorted(xs)[0]\n\n\ndef other(x):\n    return x + 1\n"


class Files:
    branch = "optiloop/test"

    def __init__(self) -> None:
        self.files = {"m.py": MODULE}
        self.staged: dict[str, str] = {}
        self.commits: list[str] = []

    def read(self, relpath: str) -> str:
        return self.files[relpath]

    def stage(self, files: dict[str, str]) -> None:
        self.staged = dict(files)

    def commit(self, files: dict[str, str], message: str) -> str:
        self.files.update(files)
        self.commits.append(message)
        return f"sha{len(self.commits)}"


class Profiler:
    def __init__(self) -> None:
        self.labels: list[str] = []
        self.notes: list[str] = []

    def profile(self, label: str) -> Profile:
        self.labels.append(label)
        return Profile((Hotspot("slow", "m.py", 1, 0.8, 0.8), Hotspot("other", "m.py", 5, 0.1, 0.1)), 100)


class Model:
    name = "fake"

    def __init__(self, replies: dict[str, list[str]]) -> None:
        self.replies = replies
        self.requests: list[Request] = []

    def propose(self, request: Request) -> list[Candidate]:
        self.requests.append(request)
        sources = self.replies.get(request.target.qualname, [])
        self.replies[request.target.qualname] = []
        return [Candidate(request.target, s, f"idea {i}", "fake") for i, s in enumerate(sources)]


class Verifier:
    """Stages the candidate as an executor does, then passes it unless it raises."""

    local_speedup = None
    cost = None

    def __init__(self, place: Files) -> None:
        self.place = place
        self.confirmed: list[str] = []  # the candidates the full suite ran on
        self.upcoming: list[int] = []  # how many candidates behind each one the loop offered

    def verify(self, candidate: Candidate, files: dict[str, str], upcoming: Sequence[Candidate] = (),
               changes: Sequence[Change] = ()) -> tuple[Check, ...]:
        self.place.stage(files)
        self.upcoming.append(len(upcoming))
        ok = "raise" not in self.place.staged.get("m.py", "")
        return (Check("tests", ok, "passed" if ok else "AssertionError"),)

    def confirm(self, candidate: Candidate) -> Check:
        self.confirmed.append(candidate.new_source)
        ok = "# breaks the suite" not in self.place.staged.get("m.py", "")
        return Check("full suite", ok, "`make test` passed in 1.0 s" if ok else "test_other failed")


class Measurer:
    noise = None

    def __init__(self, place: Files) -> None:
        self.place = place
        self.asked: list[tuple[str, float | None, str | None]] = []

    def restore(self, attempts: object) -> None:
        pass

    def total(self, wall: Verdict) -> Verdict:
        return wall

    def baseline(self) -> Measurement:
        return Measurement.of([1.0, 1.0])

    def compare(self, label: str, predicted: float | None = None, target: str | None = None,
                counted: object = None) -> Verdict:
        self.asked.append((label, predicted, target))
        fast = "min(" in self.place.staged.get("m.py", "")
        s = 2.0 if fast else 1.03 if "# slightly" in self.place.staged.get("m.py", "") else 1.0
        return Verdict(s, s * 0.9, s * 1.1, fast, fast, "faster" if fast else "not significant",
                       Measurement.of([1.0, 1.0]), Measurement.of([1 / s, 1 / s]), predicted=predicted)


class Journal:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def write(self, event: Event) -> None:
        self.events.append(event)


class PaidModel(Model):
    """One reply per call, from a queue per target; every call costs ``price`` dollars."""

    def __init__(self, replies: dict[str, list[str]], price: float = 0.0) -> None:
        super().__init__(replies)
        self.price = price

    def propose(self, request: Request) -> list[Candidate]:
        self.requests.append(request)
        queue = self.replies.get(request.target.qualname, [])
        return [Candidate(request.target, queue.pop(0), "idea", "paid")] if queue else []

    def spent(self) -> Spend:
        return Spend(calls=len(self.requests), input_tokens=100 * len(self.requests),
                     cost_usd=self.price * len(self.requests))


def make(replies: dict[str, list[str]], limit: int = 10, model: Model | None = None, limits: Limits | None = None,
         clock: Any = None, profiler: Profiler | None = None) -> tuple[Loop, Files, Model, Profiler]:
    place, profiler = Files(), profiler or Profiler()
    model = model or Model(replies)
    stages = Stages(profiler, targets_from, model, apply_candidate, Verifier(place), Measurer(place), place,
                    Journal())
    more = {"clock": clock} if clock else {}
    return Loop(stages, limits or Limits(limit, 2), "run1", **more), place, model, profiler


def test_loop_commits_a_speedup_and_reprofiles() -> None:
    loop, place, model, profiler = make({"slow": [
        "def slow(xs):\n    raise ValueError\n",      # fails the tests
        "def slow(xs):\n    return sorted(xs)[0]\n",  # identical: does not apply
        "def slow(xs):\n  return sorted(xs)[0]\n",     # same after normalisation: skipped
        "def slow(xs):\n    return min(xs)\n",         # accepted
    ]})
    summary = loop.run()
    reasons = [a.reason for a in summary.attempts]
    assert reasons[0].startswith("tests failed: AssertionError")
    assert reasons[1] == "did not apply: the candidate is identical to the current code"
    assert [a.accepted for a in summary.attempts] == [False, False, True]
    assert "min(xs)" in place.files["m.py"] and len(place.commits) == 1
    assert "Optiloop-Target: m.py::slow" in place.commits[0]
    assert profiler.labels == ["initial", "after-3"]
    assert summary.stop_reason == "no more candidates for the hot targets"


def test_a_measured_speedup_that_fails_the_full_suite_is_not_committed() -> None:
    loop, place, _, _ = make({"slow": ["def slow(xs):\n    return min(xs)  # breaks the suite\n",
                                       "def slow(xs):\n    raise ValueError\n",
                                       "def slow(xs):\n    return min(iter(xs))\n"]})
    summary = loop.run()
    broken, failing, good = summary.attempts[:3]
    assert broken.verdict is not None and broken.verdict.accepted and not broken.accepted
    assert broken.reason == "full suite failed: test_other failed" and broken.checks[-1].name == "full suite"
    assert failing.verdict is None and good.accepted and len(place.commits) == 1
    assert "min(iter(xs))" in place.files["m.py"]
    assert "Check full suite: `make test` passed in 1.0 s" in place.commits[0]
    # the full suite ran once per measured speedup, and never for a candidate that failed verify
    assert loop.s.verifier.confirmed == [broken.candidate.new_source, good.candidate.new_source]  # type: ignore[attr-defined]


def test_history_of_rejections_reaches_the_next_request() -> None:
    loop, _, model, _ = make({"slow": ["def slow(xs):\n    raise ValueError\n"]})
    loop.run()
    slow_requests = [r for r in model.requests if r.target.qualname == "slow"]
    assert len(slow_requests) == 2  # asked again after its candidate was rejected
    assert slow_requests[0].history == ()
    assert slow_requests[1].history[0].outcome.startswith("tests failed")


def test_max_iterations_is_the_budget() -> None:
    loop, _, _, _ = make({"slow": [f"def slow(xs):\n    raise ValueError({i})\n" for i in range(5)]}, limit=2)
    summary = loop.run()
    assert summary.budget_used == 2
    assert summary.stop_reason == "reached --max-iterations 2"


def test_step_returns_one_attempt_at_a_time() -> None:
    loop, _, _, _ = make({"slow": ["def slow(xs):\n    return min(xs)\n"]})
    loop.start()
    first = loop.step()
    assert first is not None and first.accepted and first.number == 1
    assert loop.step() is None


FAIL = "def slow(xs):\n    raise ValueError({})\n"


def test_a_failed_candidate_comes_back_as_a_repair_request() -> None:
    loop, _, model, _ = make({"slow": [FAIL.format(1)]})
    loop.run()
    slow = [r for r in model.requests if r.target.qualname == "slow"]
    assert slow[0].repair is None and slow[0].kind == "optimize"
    assert slow[1].repair == Repair(FAIL.format(1), "tests: AssertionError") and slow[1].kind == "repair"


def test_an_accepted_candidate_gets_a_refinement_round_with_both_profiles() -> None:
    loop, _, model, _ = make({"slow": ["def slow(xs):\n    return min(xs)\n"]}, limits=Limits(10, 2, candidates=3))
    loop.run()
    assert all(r.n == 3 for r in model.requests)
    refine = [r for r in model.requests if r.refine is not None]
    assert len(refine) == 1 and refine[0].kind == "refine"
    assert isinstance(refine[0].refine, Refine) and refine[0].refine.speedup == 2.0
    assert "sorted(xs)" in refine[0].refine.original.source and "min(xs)" in refine[0].target.source


def test_calls_follow_addressable_time_and_a_failing_target_is_dropped() -> None:
    model = PaidModel({"slow": [FAIL.format(i) for i in range(9)], "other": [
        f"def other(x):\n    raise ValueError({i})\n" for i in range(9)]})
    loop, _, _, _ = make({}, model=model, limits=Limits(20, 6, max_failures=2))
    summary = loop.run()
    asked = [r.target.qualname for r in model.requests]
    assert asked == ["slow", "slow", "other", "other"]  # 0.8 vs 0.1 of the time; each dropped after 2 failures
    assert loop.turns.dropped == {"m.py::slow", "m.py::other"}
    assert summary.stop_reason == "no more candidates for the hot targets"
    assert summary.model_calls == 4 and summary.usage.input_tokens == 400


def test_max_cost_stops_the_run_and_says_so() -> None:
    model = PaidModel({"slow": [FAIL.format(i) for i in range(9)]}, price=0.02)
    loop, _, _, _ = make({}, model=model, limits=Limits(20, 6, max_cost=0.05, max_failures=9))
    summary = loop.run()
    assert len(model.requests) == 3 and summary.budget_used == 3
    assert summary.stop_reason == "spent the --max-cost budget ($0.0600 of $0.05)"
    assert summary.usage.cost_usd == 0.06


def test_time_budget_stops_the_run_and_says_so() -> None:
    now = [0.0]

    def clock() -> float:
        now[0] += 10.0
        return now[0]

    loop, _, _, _ = make({"slow": [FAIL.format(i) for i in range(9)]}, clock=clock,
                         limits=Limits(20, 6, time_budget=25.0, max_failures=9))
    summary = loop.run()
    assert summary.stop_reason == "spent the --time-budget of 25 s"
    assert 0 < summary.budget_used < 9


class SideProfiler(Profiler):
    """A profiler that can profile the candidate tree, as ``PySpyProfiler`` can."""

    def profile(self, label: str, side: str = "baseline") -> Profile:
        self.labels.append(f"{label}/{side}")
        return Profile((Hotspot("slow", "m.py", 1, 0.7, 0.7, ((2, 0.5),)),), 100)


def test_a_verified_but_not_fast_enough_candidate_is_refined_from_its_own_profile() -> None:
    close = "def slow(xs):\n    ys = sorted(xs)  # slightly\n    return ys[0]\n"
    model = PaidModel({"slow": [close, "def slow(xs):\n    return min(xs)\n"]})
    loop, place, _, profiler = make({}, model=model, profiler=SideProfiler())
    summary = loop.run()
    assert [a.accepted for a in summary.attempts] == [False, True]
    refine = model.requests[1].refine
    assert refine is not None and not refine.committed and refine.speedup == 1.03
    assert refine.reason == "not significant" and "sorted(xs)[0]" in refine.original.source
    assert "ys = sorted(xs)" in model.requests[1].target.source  # the candidate, with its own heat
    assert model.requests[1].target.hotspot.line_heat == ((2, 0.5),)
    assert "refine-1/candidate" in profiler.labels and len(place.commits) == 1


def test_a_chosen_target_gets_one_model_call_and_only_its_candidates() -> None:
    loop, _, model, _ = make({"slow": ["def slow(xs):\n    raise ValueError\n"],
                              "other": ["def other(x):\n    raise ValueError\n"]})
    loop.start()
    other = next(t for t in loop._targets if t.qualname == "other")
    attempt = loop.step(target=other)
    assert attempt is not None and attempt.candidate.target.qualname == "other"
    assert loop.step(target=other) is None  # asked once more, nothing new: no fall-back to another target
    assert [r.target.qualname for r in model.requests] == ["other", "other"]


def test_when_the_model_has_nothing_for_the_hottest_target_the_run_says_so_once() -> None:
    loop, _, model, _ = make({"other": ["def other(x):\n    return x + 1  # the same\n"]})
    said: list[str] = []
    loop.on_note = said.append
    loop.run()
    assert "other" in [r.target.qualname for r in model.requests]  # it did go on to the next
    assert said == ["fake proposed no candidate for m.slow, the hottest function (80% of the samples); trying the "
                    "next hot functions"]
    journal = loop.s.journal
    assert isinstance(journal, Journal) and Note(text=said[0]) in journal.events


def test_a_model_may_say_why_it_has_nothing() -> None:
    class Explains(Model):
        def nothing_for(self, target: object) -> str:
            return "no rule matches"

    loop, _, _, _ = make({}, model=Explains({}))
    said: list[str] = []
    loop.on_note = said.append
    loop.run()
    assert said == ["no rule matches"]  # once, though the target was asked twice


def test_decide_can_decline_a_measured_speedup_and_nothing_is_committed() -> None:
    loop, place, _, _ = make({"slow": ["def slow(xs):\n    return min(xs)\n"]})
    loop.start()
    seen: list[float] = []

    def decline(attempt: Attempt) -> str:
        assert attempt.verdict is not None
        seen.append(attempt.verdict.speedup)
        return "rejected by the person"

    attempt = loop.step(decide=decline)
    assert attempt is not None and not attempt.accepted and attempt.reason == "rejected by the person"
    assert seen == [2.0] and place.commits == []


def test_restore_continues_numbering_and_skips_tried_candidates() -> None:
    first, _, _, _ = make({"slow": ["def slow(xs):\n    raise ValueError\n"]})
    first.start()
    tried = first.step()
    assert tried is not None
    loop, _, model, _ = make({"slow": ["def slow(xs):\n    raise ValueError\n", "def slow(xs):\n    return min(xs)\n"]})
    loop.start()
    loop.restore([tried])
    attempt = loop.step()
    assert attempt is not None and attempt.number == 2 and attempt.accepted
    assert model.requests[0].repair is not None  # the restored failure comes back as a repair request


def test_the_measurer_hears_what_the_profile_allows_and_which_target_it_is() -> None:
    loop, _, _, _ = make({"slow": ["def slow(xs):\n    return min(xs)\n"]})
    loop.s.verifier.local_speedup = 4.0  # type: ignore[misc]
    loop.start()
    loop.step()
    (label, predicted, target), = loop.s.measurer.asked  # type: ignore[attr-defined]
    assert label == "attempt-1" and target == "m.py::slow"
    assert predicted == pytest.approx(1 / (0.2 + 0.8 / 4.0))  # Amdahl: 80% of the time, 4x faster
    assert loop.attempts[0].verdict is not None and not loop.attempts[0].verdict.predicted_bound


def test_without_a_local_speedup_the_measurer_hears_the_bound_of_an_infinitely_fast_target() -> None:
    loop, _, _, _ = make({"slow": ["def slow(xs):\n    return min(xs)\n"]})  # the Verifier times no local speedup
    loop.start()
    attempt = loop.step()
    (_, predicted, _), = loop.s.measurer.asked  # type: ignore[attr-defined]
    assert predicted == pytest.approx(1 / (1 - 0.8))  # 80% of the time: at most 5x, however fast the target
    assert attempt is not None and attempt.verdict is not None and attempt.verdict.predicted_bound


def test_a_gain_far_above_the_bound_gets_a_second_confirmation_before_the_commit(tmp_path: Path) -> None:
    place, profiler = Files(), Profiler()
    ten_x = [0.1, 0.101, 0.099, 0.1, 0.1]  # 10x: far above the 5x that 80% of the profile allows
    measurer = Fixed(tmp_path, ten_x * 3)
    stages = Stages(profiler, targets_from, Model({"slow": ["def slow(xs):\n    return min(xs)\n"]}), apply_candidate,
                    Verifier(place), measurer, place, Journal())
    loop = Loop(stages, Limits(10, 2), "run1")
    loop.start()
    attempt = loop.step()
    assert attempt is not None and attempt.accepted and attempt.verdict is not None
    assert attempt.verdict.predicted == pytest.approx(5.0) and attempt.verdict.predicted_bound
    assert any(c.startswith("attempt-1-confirm2/") for c in measurer.calls)
    assert "confirmed twice on fresh samples" in attempt.verdict.reason
    assert "far above the 5.00x the profile allows" in attempt.verdict.reason
    assert "the profile (Amdahl) allows at most 5.00x" in place.commits[0]
