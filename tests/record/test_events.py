"""The one writer and the one reader: every kind written through ``Journal`` comes back from ``RunLog`` as the
same value, and the lines on disk are what docs/run-record.md says."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from optiloop.record import (
    VERSION,
    Accepting,
    AttemptRecorded,
    BaselineMeasured,
    CandidateStarted,
    CostCalibrated,
    CostCounted,
    Event,
    Journal,
    Measured,
    NoiseFloorMeasured,
    Note,
    Profiled,
    Proposed,
    RunFinished,
    RunLog,
    RunResumed,
    RunStarted,
    SessionCommand,
    TotalMeasured,
    Undone,
)
from optiloop.record.events import KINDS
from optiloop.types import (
    Applied,
    Attempt,
    Candidate,
    Check,
    Cost,
    Hotspot,
    Measurement,
    Rejected,
    Spend,
    Target,
    Usage,
    Verdict,
)

HOT = Hotspot("f", "m.py", 1, 0.5, 0.6, ((2, 0.4),))
TARGET = Target(HOT, "def f(): pass\n", "def f(): pass\n", covering_tests=("tests/t.py::test_f",))
CANDIDATE = Candidate(TARGET, "def f(): return 1\n", "why", "builtin", Usage(1, 2, 0.5))
VERDICT = Verdict(2.0, 1.8, 2.2, True, True, "faster", Measurement.of([1.0, 1.1]), Measurement.of([0.5]),
                  rounds=5, instructions=(10, 5), level=0.99, cause="faster", headline="Faster: 2.00x.",
                  guard=Verdict(1.5, 1.1, 1.9, True, True, "not slower in wall time"))
CHECKS = (Check("replay", True, "12 real call(s) replayed", replayed=12),
          Check("tests", True, "`pytest` passed in 3.1 s", seconds=3.1))
ATTEMPTS = (Attempt(1, CANDIDATE, Rejected("no")),
            Attempt(2, CANDIDATE, Applied("diff", "module"), CHECKS, VERDICT, "abc"),
            Attempt(3, CANDIDATE, Applied("d", "m"), (), VERDICT, declined="rejected by the person"))
COST = Cost(instructions=1000, accesses=1500, l1_misses=20, ll_misses=3, processes=2)


def one_of_each() -> list[Event]:
    """An event of every kind, each field set to something other than its default where it has one."""
    return [
        RunStarted(run_id="r1", repo="/r", subdir="sub", branch="optiloop/r1", base="b" * 40,
                   settings={"include": ["pkg/**"], "rounds": 5}, model="builtin", deterministic_output=True,
                   mode="session", measure="time", measure_why="valgrind is not installed"),
        NoiseFloorMeasured(rounds=5, point=1.01, low=0.97, high=1.05, floor=1.05, round_seconds=0.4),
        BaselineMeasured(measurement=Measurement.of([0.5, 0.52])),
        Profiled(label="initial", samples=400, hotspots=(HOT,), breakdown=(("project", 0.7), ("stdlib", 0.3)),
                 addressable=0.7),
        Proposed(target=TARGET.key, model="builtin", request="optimize", count=1, usage=(Usage(1, 2, 0.5),),
                 spent=Spend(1, 0, 0, 1, 2, 0.5)),
        CandidateStarted(number=2, target=TARGET.key, origin="builtin", rationale="why", source="def f(): ..."),
        Measured(label="attempt-2", looks=(5, 10), levels=(0.99, 0.97), screen=3, rounds=10, seconds=4.5,
                 stopped="early", speedup=2.0, ci_low=1.8, ci_high=2.2, accepted=True, noise_floor=1.03,
                 instructions=(10, 5), outcome="FASTER", rank_p=0.001, family=1, share=0.5,
                 peak_memory=(100, 90), guard=True),
        CostCalibrated(head="h" * 40, baseline=COST, other=COST, difference=0.001, tolerance=0.002, seconds=3.0),
        CostCounted(label="attempt-2", side="candidate", cost=COST, cycles=COST.cycles),
        Accepting(attempt=ATTEMPTS[1], message="Speed up `m.f` 2.00x\n"),
        *(AttemptRecorded.of(a) for a in ATTEMPTS),
        AttemptRecorded.of(ATTEMPTS[1], reconciled=True),
        TotalMeasured(verdict=VERDICT, base="b" * 40, head="abc"),
        Note(text="something to know"),
        SessionCommand(command="hint", argument="use a set"),
        Undone(commit="abc", head="b" * 40, branch="optiloop/r1", forced=True, message="Speed up\n"),
        RunResumed(run_id="r1", head="abc", attempts=3, accepted=("abc",), reconciled=("a note",),
                   flags={"max_iterations": 9}, deterministic_output=True),
        RunFinished(error="KeyboardInterrupt", stop_reason="interrupted", accepted=("abc", None),
                    branch_removed=True),
    ]


def test_every_kind_comes_back_as_the_value_written(tmp_path: Path) -> None:
    written = one_of_each()
    assert {type(e) for e in written} == set(KINDS.values())  # a new kind belongs in this test too
    journal = Journal.create(tmp_path, "r1")
    for event in written:
        journal.write(event)
    log = RunLog.read(journal.dir)
    assert log.version == VERSION and log.id == "r1"
    assert all(e.time > 0 for e in log.events)
    assert [dataclasses.replace(e, time=0.0) for e in log.events] == written
    assert log.attempts() == [*ATTEMPTS, ATTEMPTS[1]]
    assert log.all(Proposed)[0].spent == Spend(1, 0, 0, 1, 2, 0.5)
    assert log.first(Profiled) == log.last(Profiled) and log.first(RunResumed) is not None
    assert log.undone == ("abc",) and log.branch_removed and not log.finished  # it ended on an error


def test_lines_on_disk_carry_kind_version_time_and_fields(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "run")
    journal.write(TotalMeasured(verdict=VERDICT, base="b", head="h"))
    journal.write(RunStarted(run_id="run", settings={"include": ["a/**"]}))
    lines = (tmp_path / "run" / "events.jsonl").read_text().splitlines()
    total, started = (json.loads(line) for line in lines)
    assert list(total)[:3] == ["event", "version", "time"]
    assert total["event"] == "total" and total["version"] == VERSION and total["verdict"]["type"] == "Verdict"
    assert total["verdict"]["baseline"]["samples"] == [1.0, 1.1] and total["verdict"]["guard"]["speedup"] == 1.5
    assert started["settings"] == {"include": ["a/**"]}
    assert RunLog.read(tmp_path / "run").start.settings == {"include": ["a/**"]}  # settings stay plain JSON


def test_the_check_facts_are_fields_on_disk(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "run")
    journal.write(AttemptRecorded.of(ATTEMPTS[1]))
    data = json.loads((tmp_path / "run" / "events.jsonl").read_text())
    replay, tests = data["attempt"]["checks"]
    assert (replay["replayed"], replay["weak"], replay["seconds"]) == (12, False, None)
    assert (tests["replayed"], tests["seconds"]) == (None, 3.1)


def test_write_json_is_atomic_and_leaves_no_temp_file(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "run")
    journal.write_json("summary.json", {"a": (1, 2)})
    assert json.loads((tmp_path / "run" / "summary.json").read_text()) == {"a": [1, 2]}
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["artifacts", "summary.json"]


def test_a_torn_last_event_is_trimmed_before_new_ones(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "run")
    journal.write(Note(text="whole"))
    with open(journal.events_file, "a", encoding="utf-8") as fh:
        fh.write('{"event": "attempt", "attempt": {"num')  # the kill came in the middle of this line
    assert [type(e) for e in RunLog.read(journal.dir).events] == [Note]
    journal.trim_torn_event()
    journal.write(Note(text="after"))
    assert [e.text for e in RunLog.read(journal.dir).all(Note)] == ["whole", "after"]
