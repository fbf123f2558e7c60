"""The loop's own logic, with small in-memory stages (the real ones are tested end to end)."""

from __future__ import annotations

from typing import Any

from optiloop.edit import apply_candidate
from optiloop.loop import Limits, Loop, Stages
from optiloop.models import Request
from optiloop.targets import targets_from
from optiloop.types import Candidate, Check, Hotspot, Measurement, Profile, Verdict

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
    def __init__(self, place: Files) -> None:
        self.place = place

    def verify(self, candidate: Candidate) -> tuple[Check, ...]:
        ok = "raise" not in self.place.staged.get("m.py", "")
        return (Check("tests", ok, "passed" if ok else "AssertionError"),)


class Measurer:
    def __init__(self, place: Files) -> None:
        self.place = place

    def baseline(self) -> Measurement:
        return Measurement.of([1.0, 1.0])

    def compare(self, label: str) -> Verdict:
        fast = "min(" in self.place.staged.get("m.py", "")
        s = 2.0 if fast else 1.0
        return Verdict(s, s * 0.9, s * 1.1, fast, fast, "faster" if fast else "not significant",
                       Measurement.of([1.0, 1.0]), Measurement.of([1 / s, 1 / s]))


class Journal:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def event(self, kind: str, **data: Any) -> None:
        self.events.append((kind, data))


def make(replies: dict[str, list[str]], limit: int = 10) -> tuple[Loop, Files, Model, Profiler]:
    place, model, profiler = Files(), Model(replies), Profiler()
    stages = Stages(profiler, targets_from, model, apply_candidate, Verifier(place), Measurer(place), place,
                    Journal())
    return Loop(stages, Limits(limit, 2), "run1"), place, model, profiler


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
