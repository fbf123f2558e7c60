"""The local executor on fake trees and gates: batches of --jobs candidates verified at the same time (a barrier
proves it, no clock), results in the loop's order, kept per head, staged where the loop measures them."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from optiloop.executors.local import LocalExecutor, digest
from optiloop.measure.cachegrind import Cost
from optiloop.types import Applied, Candidate, Change, Check, EditResult, Hotspot, Target

TARGET = Target(Hotspot("f", "m.py", 1, 0.5, 0.5), "def f():\n    return 1\n", "def f():\n    return 1\n")


def candidate(n: int, bad: bool = False) -> Candidate:
    body = "raise ValueError" if bad else f"return {n}"
    return Candidate(TARGET, f"def f():\n    {body}\n", f"idea {n}", "fake")


def edit(module: str, qualname: str, new_source: str, path: str) -> EditResult:
    return Applied("diff", new_source)


@dataclass
class Trees:
    now: str = "h1"
    staged: list[tuple[str, str]] = field(default_factory=list)  # (side, source)

    def head(self) -> str:
        return self.now

    def read(self, relpath: str) -> str:
        return TARGET.module_source

    def stage(self, files: dict[str, str], side: str = "candidate", head: str | None = None) -> None:
        self.staged.append((side, files["m.py"]))

    def ensure_slots(self, count: int) -> list[str]:
        return ["candidate", *(f"candidate-{k}" for k in range(1, count))][:count]


class Gate:
    def __init__(self, side: str, barrier: threading.Barrier | None, log: list[tuple[str, str]]) -> None:
        self.side = side
        self.local_speedup: float | None = None
        self.barrier = barrier
        self.log = log

    def prepare(self, c: Candidate, changes: Sequence[Change] = ()) -> None:
        self.log.append(("prepare", self.side))

    def verify(self, c: Candidate, changes: Sequence[Change] = ()) -> tuple[Check, ...]:
        if self.barrier is not None:
            self.barrier.wait(timeout=30)  # every gate of the batch must be verifying at the same time
        self.log.append((self.side, c.rationale))
        self.local_speedup = 2.0
        ok = "raise" not in c.new_source
        return (Check("tests", ok, self.side),)

    def confirm(self, c: Candidate) -> Check:
        return Check("full suite", True, self.side)


def executor(jobs: int, barrier: threading.Barrier | None = None, counted: list[str] | None = None
             ) -> tuple[LocalExecutor, Trees, list[tuple[str, str]]]:
    log: list[tuple[str, str]] = []
    trees = Trees()

    def count(side: str, label: str) -> Cost:
        if counted is not None:
            counted.append(side)
        return Cost(100, 200, 0, 0)

    return LocalExecutor(trees, lambda side: Gate(side, barrier, log), edit, jobs,  # type: ignore[arg-type]
                         count if counted is not None else None), trees, log


def files(c: Candidate) -> dict[str, str]:
    return {"m.py": c.new_source}


def test_a_batch_is_verified_at_once_and_comes_back_in_order() -> None:
    cs = [candidate(n) for n in range(4)]
    ex, trees, log = executor(3, threading.Barrier(3))
    checks = ex.verify(cs[0], files(cs[0]), cs[1:])
    assert checks[0].detail == "candidate"
    assert sorted(entry for entry in log if entry[0] != "prepare") == [
        ("candidate", "idea 0"), ("candidate-1", "idea 1"), ("candidate-2", "idea 2")]
    log.clear()
    ex.gates[0].barrier = ex.gates[1].barrier = ex.gates[2].barrier = None  # type: ignore[attr-defined]
    assert ex.verify(cs[1], files(cs[1]), cs[2:])[0].detail == "candidate-1"  # from the batch: no new verify
    assert log == [] and trees.staged[-1] == ("candidate", cs[1].new_source)  # staged where the loop measures
    assert ex.confirm(cs[1]).detail == "candidate-1"  # the full suite where it was verified
    assert ex.verify(cs[2], files(cs[2]), cs[3:])[0].detail == "candidate-2"
    ex.verify(cs[3], files(cs[3]), [])  # not in the batch: verified now, in the main tree
    assert log == [("candidate", "idea 3")]  # alone: nothing to prepare for other trees


def test_a_commit_makes_the_batch_stale() -> None:
    cs = [candidate(n) for n in range(2)]
    ex, trees, log = executor(2)
    ex.verify(cs[0], files(cs[0]), cs[1:])
    trees.now = "h2"  # the loop committed cs[0]: cs[1] is verified again against the new head
    log.clear()
    ex.verify(cs[1], files(cs[1]), [])
    assert log == [("candidate", "idea 1")]


def test_only_candidates_that_pass_are_counted_where_they_were_verified() -> None:
    counted: list[str] = []
    cs = [candidate(0), candidate(1, bad=True), candidate(2)]
    ex, _, _ = executor(3, counted=counted)
    ex.verify(cs[0], files(cs[0]), cs[1:])
    assert sorted(counted) == ["candidate", "candidate-2"]
    assert ex.cost == Cost(100, 200, 0, 0) and ex.local_speedup == 2.0
    assert not ex.verify(cs[1], files(cs[1]))[0].passed and ex.cost is None


def test_one_job_verifies_one_candidate_at_a_time() -> None:
    cs = [candidate(n) for n in range(3)]
    ex, _, log = executor(1)
    ex.verify(cs[0], files(cs[0]), cs[1:])
    assert [entry for entry in log if entry[0] != "prepare"] == [("candidate", "idea 0")] and len(ex.gates) == 1


def test_a_failing_gate_fails_the_batch_loudly() -> None:
    cs = [candidate(n) for n in range(2)]
    ex, _, _ = executor(2)

    def boom(c: Candidate, changes: Sequence[Change] = ()) -> tuple[Check, ...]:
        raise RuntimeError("the replay child could not start")

    ex.verify(cs[0], files(cs[0]), [])  # makes gate 0
    ex.gates.append(Gate("candidate-1", None, []))
    ex.gates[1].verify = boom  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="could not start"):
        ex.verify(cs[1], files(cs[1]), [cs[0]])
    assert digest(files(cs[0])) != digest(files(cs[1]))
