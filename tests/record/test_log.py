"""Reading a record: finding a run by its id, damage, versions, kinds this optiloop does not know."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optiloop.errors import BadInput
from optiloop.record import VERSION, Journal, Note, RunFinished, RunLog, RunStarted, all_runs, find_run, run_dirs
from tests.conftest import make_repo, optiloop, snapshot
from tests.report.records import RUN_ID, write_record


def started(root: Path, run_id: str, when: float = 0.0, error: str | None = "", mode: str = "run") -> Path:
    """A run that started (at ``when``, when given) and, unless ``error`` is "", finished with that error."""
    journal = Journal.create(root, run_id)
    journal.write(RunStarted(run_id=run_id, base="0" * 40, settings={"workload": "true"}, mode=mode))
    if error != "":
        journal.write(RunFinished(error=error))
    if when:
        lines = journal.events_file.read_text().splitlines()
        first = {**json.loads(lines[0]), "time": when}
        journal.events_file.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    return journal.dir


def test_find_run_by_id_prefix_and_last(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="there are no optiloop runs recorded in"):
        find_run(tmp_path, "last")
    older = write_record(tmp_path, run_id="20250101-000000-aaaa")
    newer = write_record(tmp_path)
    assert find_run(tmp_path, "last").dir == newer
    assert find_run(tmp_path, "2025").dir == older
    assert find_run(tmp_path, RUN_ID).start.run_id == RUN_ID
    with pytest.raises(BadInput, match="matches 2 runs"):
        find_run(tmp_path, "20")
    with pytest.raises(BadInput, match="there is no run zzz"):
        find_run(tmp_path, "zzz")
    with pytest.raises(BadInput, match="not a run id"):
        find_run(tmp_path, "../x")
    assert run_dirs(tmp_path) == [newer, older]


def test_last_is_the_newest_start_and_unfinished_skips_clean_ends(tmp_path: Path) -> None:
    started(tmp_path, "old", when=100.0)
    started(tmp_path, "newer", when=200.0)
    started(tmp_path, "done", when=300.0, error=None)
    started(tmp_path, "stopped", when=50.0, error="KeyboardInterrupt")
    assert [r.id for r in all_runs(tmp_path)] == ["stopped", "old", "newer", "done"]  # by start, not by name
    assert find_run(tmp_path, "last").id == "done"
    assert find_run(tmp_path, "last", unfinished=True).id == "newer"
    assert find_run(tmp_path, "stopped").finished is False and find_run(tmp_path, "done").finished


def test_a_record_without_a_start_is_no_run(tmp_path: Path) -> None:
    Journal.create(tmp_path, "r1").write(Note(text="only a note"))
    with pytest.raises(BadInput, match="there is no run r1"):
        find_run(tmp_path, "r1")
    assert all_runs(tmp_path) == [] and RunLog.read(tmp_path / ".optiloop" / "runs" / "r1").start == RunStarted()


def test_damage_before_the_last_line_is_bad_input(tmp_path: Path) -> None:
    run_dir = write_record(tmp_path)
    lines = (run_dir / "events.jsonl").read_text().splitlines()
    lines[2] = lines[2][:10]
    (run_dir / "events.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(BadInput, match="damaged at line 3"):
        RunLog.read(run_dir)


def test_an_event_that_lacks_what_its_kind_needs_is_damage(tmp_path: Path) -> None:
    run_dir = started(tmp_path, "r1")
    with open(run_dir / "events.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"event": "attempt", "version": VERSION, "time": 1.0}) + "\n")
    with pytest.raises(BadInput, match=r"line 2\) is damaged: a attempt event cannot be read"):
        RunLog.read(run_dir)
    (run_dir / "events.jsonl").write_text(json.dumps({"event": "total", "verdict": {"speedup": 2}}) + "\n")
    with pytest.raises(BadInput, match="holds no Verdict in its verdict"):
        RunLog.read(run_dir)


def test_kinds_it_does_not_know_are_left_out(tmp_path: Path) -> None:
    run_dir = started(tmp_path, "r1")
    with open(run_dir / "events.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"event": "something_new", "version": VERSION, "time": 1.0, "x": 1}) + "\n")
    assert [type(e) for e in RunLog.read(run_dir).events] == [RunStarted]


def newer_record(root: Path, run_id: str) -> Path:
    run_dir = started(root, run_id, error=None)
    lines = (run_dir / "events.jsonl").read_text().splitlines()
    lines[-1] = json.dumps({**json.loads(lines[-1]), "version": VERSION + 1})
    (run_dir / "events.jsonl").write_text("\n".join(lines) + "\n")
    return run_dir


def test_a_newer_version_is_refused_naming_it(tmp_path: Path) -> None:
    run_dir = newer_record(tmp_path, "r1")
    with pytest.raises(BadInput, match=f"written by a newer optiloop \\(record version {VERSION + 1}; this one "
                                       f"reads versions up to {VERSION}\\)") as caught:
        RunLog.read(run_dir)
    assert "upgrade optiloop" in str(caught.value)
    with pytest.raises(BadInput, match=f"record version {VERSION + 1}"):  # the only run: last names the version
        find_run(tmp_path, "last")
    for bad in ("2", -1, True):
        lines = (run_dir / "events.jsonl").read_text().splitlines()
        lines[-1] = json.dumps({**json.loads(lines[-1]), "version": bad})
        (run_dir / "events.jsonl").write_text("\n".join(lines) + "\n")
        with pytest.raises(BadInput, match="unknown version"):
            RunLog.read(run_dir)


def test_the_cli_refuses_a_newer_record_in_one_line_and_exit_2(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.py": "x = 1\n"})
    newer_record(repo, "20260101-000000-abcd")
    before = snapshot(repo)
    for args in (("show", "20260101-000000-abcd", "--path", str(repo)),
                 ("report", "last", "--path", str(repo), "--format", "json"),
                 ("undo", "20260101-000000-abcd", "--path", str(repo), "--yes")):
        done = optiloop(*args)
        assert done.returncode == 2, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and f"record version {VERSION + 1}" in done.stderr, \
            done.stderr
        assert done.stdout == "" and "Traceback" not in done.stderr
    listed = optiloop("runs", str(repo))
    assert listed.returncode == 0 and f"record version {VERSION + 1}" in listed.stdout + listed.stderr
    assert snapshot(repo) == before
