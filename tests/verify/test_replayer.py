"""The gate's reading of a replay child: what went wrong in a candidate's replay, the budget it had, and the
stage a killed child was at (the child's runs themselves are tested through the gate)."""

from __future__ import annotations

from pathlib import Path

import pytest

from optiloop.proc import Completed
from optiloop.verify.capture import CallLog
from optiloop.verify.exchange import Result
from optiloop.verify.replayer import ChildRun, ReplayLimits, local_speedup, replay_failure, stage, without_marks

LIMITS = ReplayLimits(floor=4.0, factor=20.0, memory_mb=512)
LOG = CallLog(Path("calls.pkl"), "shop.core", 50, 60, 0, 0.05, "python", ())
MARKS = "\n@@optiloop importing\n\n@@optiloop call 3 of 50: rank({'a': 1})\n"


def run(result: Result, stderr: str = "", code: int = 0, timed_out: bool = False) -> ChildRun:
    return ChildRun(Completed(code, "", stderr, 1.0, timed_out), result, "shop.core")


def test_the_budget_is_a_floor_plus_a_multiple_of_the_captured_time() -> None:
    assert LIMITS.budget(LOG) == pytest.approx(5.0)
    assert LIMITS.budget(None) == 4.0


def test_the_stage_is_the_last_mark() -> None:
    assert stage(MARKS) == "call 3 of 50: rank({'a': 1})"
    assert stage("Traceback ...") == "start-up"
    assert without_marks(MARKS + "Killed") == "Killed"


def test_each_way_a_replay_fails_has_its_kind() -> None:
    original = Result(effects={"1": ["reads data.csv"]}, done=True)
    hung = replay_failure(run(Result(imported=True), MARKS, -9, timed_out=True), 5.0, LOG, original, LIMITS)
    assert hung == ("timed out", "timed out after 5.0 s (limit: 20 x the 50.0 ms the original took, at least "
                                 "4.0 s) at call 3 of 50: rank({'a': 1})")
    full = Result(imported=True, memory=True, mismatch="call 3 of 50: rank({'a': 1}) raised MemoryError", done=True)
    assert replay_failure(run(full), 5.0, LOG, original, LIMITS) == (
        "memory", "exceeded the memory limit of 512 MB at call 3 of 50: rank({'a': 1}) raised MemoryError")
    killed = run(Result(imported=True), MARKS + "MemoryError", 1)  # died allocating, before writing its result
    assert replay_failure(killed, 5.0, LOG, original, LIMITS) == (
        "memory", "exceeded the memory limit of 512 MB at call 3 of 50: rank({'a': 1})")
    crashed = run(Result(imported=True), MARKS + "Segmentation fault", -11)
    assert replay_failure(crashed, 5.0, LOG, original, LIMITS) == (
        "crashed", "the replay process died at call 3 of 50: rank({'a': 1}): Segmentation fault")
    wrong = Result(imported=True, mismatch="call 2 of 50: rank({}) wrong result: result: expected [], got None",
                   done=True)
    assert replay_failure(run(wrong), 5.0, LOG, original, LIMITS) == ("results", wrong.mismatch)
    sneaky = Result(imported=True, effects={"1": ["reads data.csv", "writes out.log"]}, done=True)
    assert replay_failure(run(sneaky), 5.0, LOG, original, LIMITS) == (
        "side effects", "call 1: writes out.log, which the original does not")
    same = Result(imported=True, replayed=40, effects={"1": ["reads data.csv"]}, done=True)
    assert replay_failure(run(same), 5.0, LOG, original, LIMITS) is None


def test_the_local_speedup_counts_only_calls_both_replayed() -> None:
    original = Result(times={"1": 0.3, "2": 0.1, "3": 5.0})
    assert local_speedup(original, Result(times={"1": 0.1, "2": 0.1})) == pytest.approx(2.0)
    assert local_speedup(original, Result(times={"4": 0.1})) is None
    assert local_speedup(original, Result(times={"1": 0.0})) is None
