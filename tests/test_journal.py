import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from optiloop.journal import Journal, new_run_id, write_atomic
from optiloop.types import Applied, Attempt, Candidate, Check, Hotspot, Measurement, Rejected, Target, Usage, Verdict


def test_events_are_json_lines_with_dataclasses(tmp_path: Path) -> None:
    journal = Journal.create(tmp_path, "r1")
    verdict = Verdict(2.0, 1.8, 2.2, True, True, "faster", Measurement.of([1.0, 1.0]), None)
    journal.event("attempt", verdict=verdict, path=tmp_path)
    journal.event("done")
    lines = (tmp_path / ".optiloop" / "runs" / "r1" / "events.jsonl").read_text().splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["event"] == "attempt" and first["verdict"]["speedup"] == 2.0
    assert first["verdict"]["baseline"]["samples"] == [1.0, 1.0] and first["path"] == str(tmp_path)
    assert [e["event"] for e in journal.events()] == ["attempt", "done"]


def test_write_json_is_atomic_and_leaves_no_temp_file(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "run")
    journal.write_json("summary.json", {"a": (1, 2)})
    assert json.loads((tmp_path / "run" / "summary.json").read_text()) == {"a": [1, 2]}
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["artifacts", "summary.json"]


def test_run_ids_are_unique_and_sortable() -> None:
    ids = {new_run_id() for _ in range(20)}
    assert len(ids) == 20
    assert all(len(i.split("-")) == 3 for i in ids)


def test_recorded_attempts_come_back_as_equal_values(tmp_path: Path) -> None:
    hot = Hotspot("f", "m.py", 1, 0.5, 0.6, ((2, 0.4),))
    target = Target(hot, "def f(): pass\n", "def f(): pass\n", covering_tests=("tests/t.py::test_f",))
    candidate = Candidate(target, "def f(): return 1\n", "why", "builtin", Usage(1, 2, 0.5))
    verdict = Verdict(2.0, 1.8, 2.2, True, True, "faster", Measurement.of([1.0, 1.1]), Measurement.of([0.5]),
                      rounds=5, instructions=(10, 5), level=0.99)
    attempts = [Attempt(1, candidate, Rejected("no")),
                Attempt(2, candidate, Applied("diff", "module"), (Check("tests", True, "ok"),), verdict, "abc"),
                Attempt(3, candidate, Applied("d", "m"), (), verdict, declined="rejected by the person")]
    journal = Journal.create(tmp_path, "r1")
    for a in attempts:
        journal.event("attempt", attempt=a, accepted=a.accepted)
    journal.event("other", attempt_count=3)
    assert journal.attempts() == attempts
    assert journal.run_id == "r1"


def test_write_atomic_that_fails_midway_keeps_the_old_file_and_no_temp_file(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "meta.json"
    target.write_text('{"old": true}\n')

    def disk_full(fd: int) -> None:  # the data is written to the temporary file; then the disk fails
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        write_atomic(target, json.dumps({"new": "x" * 100_000}))
    assert json.loads(target.read_text()) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["meta.json"]


KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
from optiloop.journal import write_atomic

os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)  # kill -9 after the data, before the rename
for name in sys.argv[1:]:
    write_atomic(Path(name), '{"new": "' + "x" * 100_000 + '"}')
"""


@pytest.mark.parametrize("existing", [True, False], ids=["over an old file", "a new file"])
def test_a_kill_9_in_the_middle_of_write_atomic_never_leaves_a_torn_file(tmp_path: Path, existing: bool) -> None:
    target = tmp_path / "summary.json"
    if existing:
        target.write_text('{"old": true}\n')
    done = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(target)], capture_output=True, text=True)
    assert done.returncode == -signal.SIGKILL, done.stderr
    if existing:
        assert json.loads(target.read_text()) == {"old": True}
    else:
        assert not target.exists()
    # what is left is a hidden temporary file no reader looks for; the next write replaces the target whole
    assert all(p.name.startswith(".summary.json.") for p in tmp_path.iterdir() if p != target)
    write_atomic(target, b'{"new": 1}\n')
    assert json.loads(target.read_text()) == {"new": 1}
