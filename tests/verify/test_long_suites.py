"""Long suites: verify runs only the covering tests, the full suite runs once per accepted candidate
(``Gate.confirm``, after measuring, before the commit), and ``--test-timeout`` bounds every test run.

A real worktree of a tiny pytest project and the real ``Gate``; the measurer is a stand-in that says
"faster" (a real measurement is timing-dependent, and is tested in tests/measure). Every pytest session
appends how many tests it collected to a log outside the repository, so the runs can be counted.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import git
import pytest

from optiloop.edit import apply_candidate, find_definition
from optiloop.executors import LocalExecutor
from optiloop.loop import Limits, Loop, Stages
from optiloop.proc import child_env
from optiloop.record import Event
from optiloop.report.commit import checks_passed
from optiloop.types import Attempt, Candidate, Hotspot, Measurement, Profile, Target, Verdict, Workload
from optiloop.verify import Gate, GateSettings
from optiloop.workspace import Workspace
from tests.cli.test_run import CORE as SLOW_CORE
from tests.conftest import git as run_git
from tests.conftest import make_repo

CORE = f'''"""Small list helpers."""


{SLOW_CORE}'''  # test_run's slow dedupe, and total

TESTS = '''import os
import time

from pkg import core
from pkg.core import dedupe, total


def test_dedupe():
    assert dedupe([3, 1, 3, 2, 1]) == [3, 1, 2]


def test_total():
    if os.environ.get("SLOW_SUITE"):
        time.sleep(120)
    assert total([1, 2]) == 3


def test_public_names():
    assert sorted(n for n in vars(core) if not n.startswith("_")) == ["dedupe", "total"]
'''

CONFTEST = '''import os


def pytest_sessionfinish(session, exitstatus):
    with open(os.environ["SUITE_LOG"], "a") as fh:
        fh.write(f"{session.testscollected} {int(exitstatus)}\\n")
'''

BENCH = '''from pkg.core import dedupe

data = [i % 400 for i in range(2400)]
for _ in range(6):
    out = dedupe(data)
print(len(out), out[:3])
'''

FILES = {"pkg/__init__.py": "", "pkg/core.py": CORE, "tests/test_core.py": TESTS, "conftest.py": CONFTEST,
         "bench.py": BENCH, "pytest.ini": "[pytest]\naddopts = -p no:cacheprovider\n"}
TESTS_CMD = "python -m pytest -q"
PATH = "pkg/core.py"
COVERING = ("tests/test_core.py::test_dedupe",)

FASTER = 'def dedupe(items):\n    """Items in first-seen order."""\n    return list(dict.fromkeys(items))\n'
# passes its covering test and the replay, but adds a public name, which test_public_names (not covering) forbids
NEW_NAME = ("def first_seen(items):\n    return dict.fromkeys(items)\n\n\n"
            "def dedupe(items):\n    return list(first_seen(items))\n")
# the workload's data is already in sorted order, so the replay cannot tell; the covering test can
SORTED = "def dedupe(items):\n    return sorted(set(items))\n"


class Unprofiled:
    """The loop profiles anew after a commit: here, nothing is hot any more."""

    notes: list[str] = []

    def profile(self, label: str) -> Profile:
        return Profile((), 0)


class Measured:
    """The measurer stage: always "faster", and what the suite log held when it was asked."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.asked: list[list[str]] = []

    def baseline(self) -> Measurement:
        return Measurement.of([1.0, 1.0])

    def compare(self, label: str, predicted: float | None = None, target: str | None = None,
                counted: object = None) -> Verdict:
        self.asked.append(runs(self.log))
        return Verdict(2.0, 1.8, 2.2, True, True, "faster: 2.00x", Measurement.of([1.0, 1.0]),
                       Measurement.of([0.5, 0.5]))


class Model:
    name = "test"

    def propose(self, request: Any) -> list[Candidate]:
        return []


@dataclass
class Journal:
    events: list[Event] = field(default_factory=list)

    def write(self, event: Event) -> None:
        self.events.append(event)


@dataclass
class Project:
    root: Path
    ws: Workspace
    log: Path
    workload: Workload
    expected: str

    def loop(self, tests: str = TESTS_CMD, test_timeout: float | None = None) -> tuple[Loop, Measured]:
        gate = Gate(self.ws, GateSettings(tests, self.workload, self.expected, timeout=120,
                                          artifacts=self.root / ".optiloop" / "artifacts", replay_calls=20,
                                          memory_mb=1024, replay_floor=5.0, test_timeout=test_timeout))
        measurer = Measured(self.log)
        stages = Stages(profiler=Unprofiled(), find_targets=lambda p, r: [], model=Model(), edit=apply_candidate,  # type: ignore[arg-type]
                        verifier=LocalExecutor(self.ws, lambda side: gate, apply_candidate), measurer=measurer,
                        place=self.ws, journal=Journal())
        return Loop(stages, Limits(1, 1), "long-suites"), measurer

    def attempt(self, new_source: str, covering: tuple[str, ...] = COVERING, **gate: Any) -> tuple[Attempt, Measured]:
        self.log.write_text("")
        module = self.ws.read(PATH)
        source = find_definition(module, "dedupe")
        assert source is not None
        target = Target(Hotspot("dedupe", PATH, 4, 0.9, 0.9), source, module, covering_tests=covering)
        loop, measurer = self.loop(**gate)
        return loop.attempt(Candidate(target, new_source, "test", "test")), measurer


def runs(log: Path) -> list[str]:
    """The test runs so far: "3 0" is the full suite passing, "1 0" the covering test passing."""
    return log.read_text().split("\n")[:-1] if log.is_file() else []


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    base = tmp_path_factory.mktemp("long-suites")
    root = make_repo(base / "repo", FILES)
    log = base / "suite.log"  # outside the repository
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    ws = Workspace(git.Repo(root), "long-suites", "", child_env({"PATH": path, "SUITE_LOG": str(log)}))
    ws.create(carry_dirty=False)
    workload = Workload("python bench.py")
    baseline = ws.run(workload.cmd, "baseline", 60)
    assert baseline.ok, baseline.tail()
    try:
        yield Project(root, ws, log, workload, baseline.stdout)
    finally:
        ws.discard()


def test_covering_tests_pass_but_the_full_suite_fails_after_measuring(project: Project) -> None:
    head = project.ws.head()
    attempt, measurer = project.attempt(NEW_NAME)

    assert measurer.asked == [["1 0"]]  # measured after the covering test alone passed
    assert runs(project.log) == ["1 0", "3 1"]  # then the full suite, once, which fails
    assert attempt.verdict is not None and attempt.verdict.accepted and not attempt.accepted
    assert attempt.reason.startswith("full suite failed:") and "test_public_names" in attempt.reason
    names = [c.name for c in attempt.checks]
    assert "covering tests" in names and "tests" not in names and names[-1] == "full suite"
    assert project.ws.head() == head  # nothing committed


def test_failing_covering_tests_are_never_measured(project: Project) -> None:
    attempt, measurer = project.attempt(SORTED)

    assert measurer.asked == []
    assert attempt.verdict is None and not attempt.accepted
    assert attempt.reason.startswith("covering tests failed:") and "test_dedupe" in attempt.reason
    assert "3 0" not in runs(project.log) and "3 1" not in runs(project.log)  # the full suite never ran


def test_test_timeout_bounds_the_full_suite(project: Project) -> None:
    attempt, measurer = project.attempt(FASTER, tests=f"SLOW_SUITE=1 {TESTS_CMD}", test_timeout=4.0)

    assert len(measurer.asked) == 1  # the covering test (no sleep) passed within the limit
    assert not attempt.accepted
    assert attempt.reason == "full suite failed: the tests timed out after 4.0 s (--test-timeout)"


def test_without_covering_tests_the_full_suite_runs_once_before_measuring(project: Project) -> None:
    head = project.ws.head()
    attempt, measurer = project.attempt(NEW_NAME, covering=())

    assert measurer.asked == []  # the full suite decided before any measurement
    assert runs(project.log) == ["3 1"]
    assert attempt.reason.startswith("tests failed:") and project.ws.head() == head


def test_an_accepted_candidate_runs_the_full_suite_exactly_once(project: Project) -> None:
    """Last in this module: it commits, so the worktree's accepted state changes."""
    attempt, measurer = project.attempt(FASTER)

    assert measurer.asked == [["1 0"]]
    assert runs(project.log) == ["1 0", "3 0"]
    assert attempt.accepted, attempt.reason
    full = attempt.checks[-1]
    assert full.name == "full suite" and full.detail.startswith(f"`{TESTS_CMD}` passed in ")
    assert full.seconds is not None and full.seconds > 0  # the reports read the time here, not in the detail
    message = run_git(project.ws.tree_dir("baseline"), "log", "-1", "--format=%B")
    assert f"Check full suite: `{TESTS_CMD}` passed in " in message
    assert re.search(r"covering tests \([0-9.]+ m?s\), workload, held-out calls, full suite \([0-9.]+ m?s\)$",
                     checks_passed(attempt.checks)), checks_passed(attempt.checks)  # the reports' checks column

    # no covering tests: the suite that verify ran is not run again before the commit
    attempt, measurer = project.attempt(FASTER.replace("list(dict", "[*dict").replace("items))", "items)]"),
                                        covering=())
    assert runs(project.log) == ["3 0"] and len(measurer.asked) == 1
    assert attempt.accepted, attempt.reason
    assert "(run before measuring: no covering tests could stand in for it)" in attempt.checks[-1].detail
    suite = next(c for c in attempt.checks if c.name == "tests")  # the run verify made, whose time it repeats
    assert suite.seconds is not None and attempt.checks[-1].seconds == suite.seconds
