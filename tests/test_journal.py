"""Run ids and atomic writes (the events of a record: tests/record/)."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from optiloop.journal import new_run_id, write_atomic


def test_run_ids_are_unique_and_sortable() -> None:
    ids = {new_run_id() for _ in range(20)}
    assert len(ids) == 20
    assert all(len(i.split("-")) == 3 for i in ids)


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
