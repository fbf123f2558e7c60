"""What a real small run tells its ``Progress``: every long stage, in order, with target and candidate."""

from __future__ import annotations

from pathlib import Path

from optiloop import app
from optiloop.progress import (
    ASKING,
    BASELINE,
    CANDIDATE,
    CONFIRMING,
    COVERING,
    FULL_SUITE,
    MEASURING,
    NO_PROGRESS,
    PROFILING,
    TESTS,
    WORKLOAD,
)
from tests.cli.test_run import TEST_CMD, project
from tests.cli.test_run import WORKLOAD as WORKLOAD_CMD

Event = tuple[object, ...]


class Recording:
    """A ``Progress`` that keeps what it is told."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def stage(self, name: str, target: str | None = None, candidate: int | None = None) -> None:
        self.events.append(("stage", name, target, candidate))

    def doing(self, what: str) -> None:
        self.events.append(("doing", what))

    def step(self, done: int, total: int, unit: str = "round") -> None:
        self.events.append(("step", done, total, unit))

    def idle(self) -> None:
        self.events.append(("idle",))


def test_no_progress_does_nothing() -> None:
    NO_PROGRESS.stage(BASELINE, "a.py::f", 1)
    NO_PROGRESS.doing(TESTS)
    NO_PROGRESS.step(1, 2)
    NO_PROGRESS.idle()


def steps_after(events: list[Event], i: int) -> list[Event]:
    """The step events right after ``events[i]``."""
    out = []
    for e in events[i + 1:]:
        if e[0] != "step":
            break
        out.append(e)
    return out


def test_a_real_run_reports_each_stage_with_its_target_candidate_and_rounds(
        tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = project(tmp_path / "repo")
    rec = Recording()
    flags = {"workload": WORKLOAD_CMD, "tests": TEST_CMD, "model": "builtin", "rounds": 3, "max_iterations": 1}
    prepared = app.prepare(repo, flags, extra_env=python_on_path, progress=rec)
    assert prepared.progress is rec
    summary = None
    try:
        summary = prepared.loop.run()
    finally:
        app.finish(prepared, summary)
    events = rec.events
    # the checks of the baseline, before the loop: the tests, then the workload twice
    assert events[:5] == [("stage", BASELINE, None, None), ("doing", TESTS), ("doing", WORKLOAD),
                          ("step", 1, 2, "run"), ("step", 2, 2, "run")]
    # the A/A measurement of the baseline: at least 5 rounds, counted
    i = events.index(("doing", MEASURING))
    assert events[i - 1] == ("stage", BASELINE, None, None)
    assert steps_after(events, i) == [("step", n, 5, "round") for n in range(1, 6)]
    # then the profile, and the coverage run that finds each target's tests
    p = events.index(("stage", PROFILING, None, None))
    assert p > i and events[p + 1] == ("doing", COVERING)
    # the model is asked about the hot function, then its candidate 1 goes through the gate and the measurer
    target = "pkg/core.py::dedupe"
    a = events.index(("stage", ASKING, target, None))
    c = events.index(("stage", CANDIDATE, target, 1))
    assert p < a < c
    gate = [e[1] for e in events[c + 1:] if e[0] == "doing"]
    assert gate[:8] == ["parsing", "hack check", "replay", "capturing calls", "replay", TESTS, WORKLOAD,
                        "held-out calls"]
    assert gate[8] == MEASURING
    m = events.index(("doing", MEASURING), c)
    rounds = [e for e in events[m + 1:] if e[0] == "step"][:2]
    assert rounds and rounds[0][1] == 2  # the plan (and so the count) is known once the first round is in
    assert all(int(str(e[1])) <= int(str(e[2])) and e[3] == "round" for e in rounds)
    assert summary is not None and summary.attempts[0].verdict is not None
    if summary.attempts[0].verdict.accepted:  # measured faster: confirmed (once or twice), then the full suite
        k = gate.index(FULL_SUITE)
        assert gate[9:k] in ([CONFIRMING], [CONFIRMING, CONFIRMING])
        assert ("stage", PROFILING, None, None) in events[c:]  # the new code is profiled again
    else:  # the full suite runs only for a confirmed speedup
        assert FULL_SUITE not in gate
