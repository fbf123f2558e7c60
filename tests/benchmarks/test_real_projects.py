"""The pure parts of benchmarks/real_projects.py: test counts, the run-record summary, the table and the bar.

No network, no downloads: the benchmark's runs are not part of the suite."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import ROOT, git, make_repo


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("real_projects", ROOT / "benchmarks" / "real_projects.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["real_projects"] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


rp = _load()

PYTEST_OUT = "........F.E\n=== short test summary info ===\n3 failed, 26918 passed, 2 errors, 6 warnings in 24.84s\n"
UNITTEST_OK = "......\n" + "-" * 70 + "\nRan 817 tests in 2.1s\n\nOK\n"
UNITTEST_BAD = "F.E\n------\nRan 40 tests in 0.1s\n\nFAILED (failures=2, errors=1, skipped=3)\n"


@pytest.mark.parametrize(("output", "expected"), [
    (PYTEST_OUT, (26918, 5)),
    ("247 passed in 1.20s", (247, 0)),
    (UNITTEST_OK, (817, 0)),
    (UNITTEST_BAD, (37, 3)),
    ("Traceback (most recent call last):\nImportError: no module named pytest\n", (0, 0)),
])
def test_count_tests_reads_pytest_and_unittest_summaries(output: str, expected: tuple[int, int]) -> None:
    assert rp.count_tests(output) == expected


def test_reason_kind_groups_rejections_without_numbers() -> None:
    assert rp.reason_kind("not significant: 0.98x (96.25% CI 0.87-1.03, rank test p=0.59)") == "not significant"
    assert rp.reason_kind("unknown: not significant: 0.94x (96.25% CI 0.86-1.11)") == "not significant"
    assert rp.reason_kind("tests failed: test_x.py::test_y") == "tests failed"
    assert rp.reason_kind("slower: 0.80x") == "slower"
    assert rp.reason_kind("") == "unknown"


def _attempt(number: int, accepted: bool, reason: str) -> dict[str, Any]:
    return {"event": "attempt", "attempt": {"number": number, "type": "Attempt"}, "accepted": accepted,
            "reason": reason}


EVENTS: list[dict[str, Any]] = [
    {"event": "run_started", "run_id": "20261124-123428-7295", "branch": "optiloop/20261124-123428-7295",
     "base": "865df582f0"},
    {"event": "baseline", "measurement": {}},
    {"event": "profile", "label": "initial", "samples": 400, "hotspots": [{"qualname": "a"}, {"qualname": "b"},
                                                                          {"qualname": "c"}]},
    {"event": "proposals", "target": "t.py::a", "count": 2},
    {"event": "proposals", "target": "t.py::b", "count": 0},
    {"event": "candidate", "number": 1, "target": "t.py::a"},
    _attempt(1, False, "unknown: not significant: 0.94x (96.25% CI 0.86-1.11)"),
    {"event": "candidate", "number": 2, "target": "t.py::a"},
    _attempt(2, True, "faster: 1.20x"),
    {"event": "profile", "label": "after-2", "samples": 300, "hotspots": [{"qualname": "a"}]},
    {"event": "proposals", "target": "t.py::a", "count": 1},
    {"event": "candidate", "number": 3, "target": "t.py::a"},
    _attempt(3, False, "tests failed: 1 failed"),
    _attempt(3, False, "tests failed: 1 failed"),  # a resume that reconciled the same attempt: counted once
    {"event": "note", "text": "something"},
    {"event": "run_finished", "error": None, "stop_reason": "budget", "accepted": ["abc123"]},
]


def test_summarise_counts_the_run_record() -> None:
    rec = rp.summarise(EVENTS)
    assert (rec.run_id, rec.branch, rec.base) == ("20261124-123428-7295", "optiloop/20261124-123428-7295",
                                                  "865df582f0")
    assert (rec.profiles, rec.hotspots, rec.targets) == (2, 3, ["t.py::a", "t.py::b"])
    assert (rec.proposed, rec.tried, rec.accepted) == (3, 3, 1)
    assert rec.rejected == Counter({"not significant": 1, "tests failed": 1})
    assert rec.finished and rec.error is None and rec.commits == ["abc123"] and rec.notes == ["something"]


def test_summarise_an_unfinished_record(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in EVENTS[:7]) + "\n\n")
    rec = rp.summarise(rp.read_events(path))
    assert not rec.finished and rec.tried == 1 and rec.accepted == 0


def _row(name: str, before: tuple[int, int], after: tuple[int, int] | None, committed: int,
         speedup: tuple[float, float, float] | None, unchanged: bool = True) -> Any:
    project = rp.PROJECTS[name]
    rec = rp.summarise(EVENTS)
    return rp.Row(project, rp.Tests(*before, 1.25, before[1] == 0),
                  rp.Tests(*after, 2.0, after[1] == 0) if after else None, rec, committed,
                  {"speedup": speedup[0], "ci_low": speedup[1], "ci_high": speedup[2]} if speedup else None,
                  unchanged, wall=61.4)


def test_table_has_one_line_per_project_with_every_column() -> None:
    rows = [_row("tabulate", (247, 0), (247, 0), 0, None),
            _row("packaging", (26921, 0), (26921, 0), 2, (1.0734, 1.01, 1.1449))]
    lines = rp.table(rows).splitlines()
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    assert header[0] == "project" and header[-2] == "workload speedup (95% CI)" and len(header) == 12
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines[2:]]
    assert len(cells) == 2 and all(len(c) == len(header) for c in cells)
    assert cells[0][:5] == ["tabulate", "0.9.0", "flat, installed (copy in site-packages)",
                            "247 passed / 0 failed, 1.2 s", "247 passed / 0 failed, 2.0 s"]
    assert cells[0][5] == "3 hot, 2 sent to the model, 2 profile(s)"
    assert cells[0][6:11] == ["3", "3", "1", "not significant: 1, tests failed: 1", "no commit: base = head"]
    assert cells[1][2] == "src/, editable" and cells[1][10] == "1.073x [1.010, 1.145]" and cells[1][11] == "61 s"


def test_bar_passes_a_clean_set_of_rows() -> None:
    rows = [_row("tabulate", (247, 0), (247, 0), 0, None),
            _row("packaging", (26921, 0), (26921, 0), 1, (0.99, 0.95, 1.03))]
    assert rp.bar(rows) == ["PASS: no project's tests broken", "PASS: no user checkout changed",
                            "PASS: no slowdown committed", "PASS: optiloop ran to the end without an error"]


def test_bar_names_the_projects_that_fail_each_line() -> None:
    broken = _row("tabulate", (247, 0), (246, 1), 0, None)
    missing = _row("more-itertools", (817, 0), None, 0, None, unchanged=False)
    slower = _row("packaging", (10, 0), (10, 0), 1, (0.90, 0.85, 0.95))
    failed = _row("packaging", (10, 0), (10, 0), 0, None)
    failed.failure = "optiloop run exit 1: Argument list too long"
    lines = rp.bar([broken, missing, slower, failed])
    assert lines[0] == "FAIL: no project's tests broken (tabulate, more-itertools)"
    assert lines[1] == "FAIL: no user checkout changed (more-itertools)"
    assert lines[2] == "FAIL: no slowdown committed (packaging)"
    assert lines[3] == "FAIL: optiloop ran to the end without an error (packaging)"


def test_snapshot_sees_every_kind_of_change_to_a_checkout(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"pkg/mod.py": "x = 1\n", "README": "r\n"})
    (repo / ".git" / "info" / "exclude").write_text(".optiloop/\n")  # as optiloop keeps it out of status
    before = rp.snapshot(repo)
    (repo / ".optiloop").mkdir()
    (repo / ".optiloop" / "run.json").write_text("{}")  # the run record is allowed
    assert rp.changes(before, rp.snapshot(repo)) == []
    (repo / "pkg" / "mod.py").write_text("x = 2\n")
    (repo / "new.txt").write_text("n")
    git(repo, "add", "new.txt")
    assert rp.changes(before, rp.snapshot(repo)) == ["status", "index", "file new.txt", "file pkg/mod.py"]


def test_every_project_has_its_workload_script() -> None:
    for project in rp.PROJECTS.values():
        assert (rp.HERE / project.workload).is_file(), project.workload
    assert any(p.layout.startswith("src/") and "-e" in p.install for p in rp.PROJECTS.values())
