"""Taking back a killed run: the lock, finding the run, repairing worktrees, reconciling branch and record."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from optiloop import resume, vcs
from optiloop.app import resume as resume_run
from optiloop.errors import BadInput
from optiloop.journal import runs_dir
from optiloop.proc import child_env
from optiloop.record import (
    Accepting,
    Event,
    Journal,
    Note,
    RunFinished,
    RunLog,
    RunResumed,
    RunStarted,
    Undone,
    find_run,
)
from optiloop.types import Applied, Attempt, Candidate, Check, Hotspot, Target, Verdict
from optiloop.workspace import Workspace
from tests.conftest import git, make_repo, snapshot

OLD = "def f(xs):\n    return [x for x in xs]\n"
NEW = "def f(xs):\n    return list(xs)\n"


def record(root: Path, run_id: str, *extra: Event, base: str = "", when: float = 0.0) -> Journal:
    journal = Journal.create(root, run_id)
    journal.write(RunStarted(run_id=run_id, branch=f"optiloop/{run_id}", base=base or "0" * 40, subdir="",
                             settings={"workload": "true", "tests": "true"}))
    for event in extra:
        journal.write(event)
    if when:  # order runs by their recorded start
        lines = (journal.dir / "events.jsonl").read_text().splitlines()
        first = json.loads(lines[0])
        first["time"] = when
        (journal.dir / "events.jsonl").write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    return journal


def sleeper(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", *args])


def test_a_lock_counts_only_while_its_optiloop_process_lives(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    assert resume.holder(run) is None  # no lock
    resume.take_lock(run)
    assert resume.holder(run) is None  # this very process is not "another run"
    resume.release_lock(run)
    assert not (run / "lock").exists()

    live, other = sleeper("optiloop", "run"), sleeper("something-else")
    try:
        time.sleep(0.2)
        start = resume._start_time(live.pid)
        (run / "lock").write_text(json.dumps({"pid": live.pid, "start": start}))
        assert resume.holder(run) == live.pid
        with pytest.raises(BadInput, match=f"still running \\(pid {live.pid}\\)"):
            resume.refuse_if_alive(run, "resume")
        (run / "lock").write_text(json.dumps({"pid": live.pid, "start": "1"}))
        assert resume.holder(run) is None  # the pid was reused by a later process
        (run / "lock").write_text(json.dumps({"pid": other.pid, "start": resume._start_time(other.pid)}))
        assert resume.holder(run) is None  # not an optiloop process
    finally:
        live.kill()
        other.kill()
        live.wait()
        other.wait()
    (run / "lock").write_text(json.dumps({"pid": live.pid, "start": start}))
    assert resume.holder(run) is None  # dead: a stale lock
    (run / "lock").write_text("not json")
    assert resume.holder(run) is None


def test_which_runs_can_be_resumed(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    record(root, "old", when=100.0)
    record(root, "newer", when=200.0)
    record(root, "done", RunFinished(error=None), when=300.0)
    record(root, "stopped", RunFinished(error="KeyboardInterrupt"), when=50.0)
    assert resume.resumable(root, "last").id == "newer"  # the newest unfinished run
    assert find_run(root, "last").id == "done"
    assert resume.resumable(root, "old").id == "old"
    assert resume.resumable(root, "stopped").id == "stopped"  # Ctrl-C or a failure: it may go on
    assert resume.resumable(root, "ne").id == "newer"  # a unique prefix
    with pytest.raises(BadInput, match="finished already"):
        resume.resumable(root, "done")
    with pytest.raises(BadInput, match="there is no run nope"):
        resume.resumable(root, "nope")
    with pytest.raises(BadInput, match="not a run id"):
        resume.resumable(root, "../done")
    with pytest.raises(BadInput, match="no unfinished run"):
        resume.resumable(tmp_path / "empty", "last")


def attempt(module: str, number: int = 1) -> Attempt:
    hot = Hotspot("f", "m.py", 1, 0.9, 0.9)
    target = Target(hot, OLD, module)
    verdict = Verdict(3.0, 2.5, 3.5, True, True, "faster: 3.00x")
    return Attempt(number, Candidate(target, NEW, "list() copies in C", "scripted:x"), Applied("diff", NEW),
                   (Check("tests", True, "2 passed"),), verdict)


def killed_run(tmp_path: Path, run_id: str) -> tuple[Path, Workspace, Journal, str]:
    """A repository with a run's worktrees and a record that stops at the ``accepting`` event."""
    repo_dir = make_repo(tmp_path / "repo", {"m.py": OLD})
    vcs.exclude_optiloop_dir(vcs.open_repo(repo_dir))
    ws = Workspace(vcs.open_repo(repo_dir), run_id, "", child_env())
    ws.create(carry_dirty=False)
    base = ws.head()
    journal = record(repo_dir, run_id, base=base)
    message = f"Speed up `m.f` 3.00x\n\nlist() copies in C\n\nOptiloop-Target: m.py::f\nOptiloop-Run: {run_id}\n"
    journal.write(Accepting(attempt=attempt(OLD), message=message))
    return repo_dir, ws, journal, message


def test_a_commit_made_before_the_kill_is_recorded_not_made_again(tmp_path: Path) -> None:
    repo_dir, ws, journal, message = killed_run(tmp_path, "r1")
    sha = ws.commit({"m.py": NEW}, message)  # the kill came after the commit, before the attempt event
    base = RunLog.read(journal.dir).start.base
    notes = resume.reconcile(vcs.open_repo(repo_dir), journal, ws, base)
    assert ws.head() == sha
    assert [a.commit for a in RunLog.read(journal.dir).attempts()] == [sha]
    assert "recorded now" in notes[0]
    assert resume.reconcile(vcs.open_repo(repo_dir), journal, ws, base) == []  # idempotent
    ws.close()


def test_a_commit_the_kill_interrupted_is_made_once(tmp_path: Path) -> None:
    repo_dir, ws, journal, _ = killed_run(tmp_path, "r2")
    base = ws.head()
    notes = resume.reconcile(vcs.open_repo(repo_dir), journal, ws, base)
    assert "committed now" in notes[0]
    (done,) = RunLog.read(journal.dir).attempts()
    assert done.commit == ws.head() != base
    assert git(repo_dir, "show", "optiloop/r2:m.py") == NEW
    assert "Optiloop-Run: r2" in git(repo_dir, "log", "-1", "--format=%B", "optiloop/r2")
    ws.close()


def test_an_undone_commit_is_not_made_again_and_counts_as_undone(tmp_path: Path) -> None:
    repo_dir, ws, journal, message = killed_run(tmp_path, "r3")
    base = ws.head()
    sha = ws.commit({"m.py": NEW}, message)
    assert ws.undo_last() == sha
    journal.write(Undone(commit=sha, message=message))
    notes = resume.reconcile(vcs.open_repo(repo_dir), journal, ws, base)
    assert "undone since" in notes[0] and ws.head() == base
    (restored,) = resume.restored_attempts(RunLog.read(journal.dir))
    assert not restored.accepted and restored.declined == resume.UNDONE
    ws.close()


def test_repair_clears_what_a_kill_left_and_reattaches_the_branch(tmp_path: Path) -> None:
    repo_dir, ws, journal, message = killed_run(tmp_path, "r4")
    before = snapshot(repo_dir)
    sha = ws.commit({"m.py": NEW}, message)
    (ws.tree_dir("candidate") / "m.py").write_text("half-written")
    admin = Path(git(ws.tree_dir("baseline"), "rev-parse", "--git-dir").strip())
    (admin / "index.lock").write_text("")
    ref_lock = repo_dir / ".git" / "refs" / "heads" / "optiloop" / "r4.lock"
    ref_lock.write_text("")
    fresh = Workspace(vcs.open_repo(repo_dir), "r4", "", child_env())  # what a new process knows
    resume.repair(vcs.open_repo(repo_dir), fresh)
    assert not ref_lock.exists() and not (admin / "index.lock").exists()
    assert fresh.head() == sha and fresh.read("m.py", "candidate") == NEW
    assert git(repo_dir, "worktree", "list").count("\n") == 3
    fresh.close()
    assert snapshot(repo_dir) == before
    git(repo_dir, "branch", "-D", "optiloop/r4")
    with pytest.raises(BadInput, match="branch optiloop/r4 is gone"):
        resume.repair(vcs.open_repo(repo_dir), fresh)


def test_a_branch_the_run_removed_empty_is_made_again_at_its_base_and_no_other(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", {"m.py": OLD})
    base = git(root, "rev-parse", "HEAD").strip()
    repo = vcs.open_repo(root)
    quit_empty = record(root, "r7", RunFinished(error=None, branch_removed=True), base=base)
    ws = Workspace(repo, "r7", "", child_env())
    assert resume.restore_branch(repo, quit_empty, ws, base)
    assert git(root, "rev-parse", "optiloop/r7").strip() == base
    assert not resume.restore_branch(repo, quit_empty, ws, base)  # it is there now: nothing to do
    deleted = record(root, "r8", RunFinished(error=None), base=base)  # removed by someone else
    assert not resume.restore_branch(repo, deleted, Workspace(repo, "r8", "", child_env()), base)
    assert git(root, "branch", "--list", "optiloop/r8") == ""
    gone = record(root, "r9", RunFinished(error=None, branch_removed=True), base="f" * 40)
    with pytest.raises(BadInput, match="the base commit ffffffffff of run r9 is gone"):
        resume.restore_branch(repo, gone, Workspace(repo, "r9", "", child_env()), "f" * 40)


def test_resume_keeps_the_recorded_settings(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", {"m.py": OLD})
    record(root, "r5")
    with pytest.raises(BadInput, match="--model cannot change when resuming"):
        resume_run(root, "r5", flags={"model": "builtin", "max_iterations": 3})
    assert [p.name for p in runs_dir(root).iterdir()] == ["r5"]
    assert not (runs_dir(root) / "r5" / "lock").exists()


def test_an_event_cut_off_by_the_kill_never_happened(tmp_path: Path) -> None:
    journal = record(tmp_path / "repo", "r6", Note(text="whole"))
    with open(journal.dir / "events.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"event": "attempt", "attempt": {"num')  # the kill came in the middle of this line
    assert [type(e) for e in RunLog.read(journal.dir).events] == [RunStarted, Note]
    assert resume.resumable(tmp_path / "repo", "last").id == "r6"
    journal.trim_torn_event()
    journal.write(RunResumed())
    assert [type(e) for e in RunLog.read(journal.dir).events] == [RunStarted, Note, RunResumed]
    with open(journal.dir / "events.jsonl", "a", encoding="utf-8") as fh:
        fh.write("damaged\n")
    journal.write(Note(text="after the damage"))
    with pytest.raises(BadInput, match="is damaged"):
        resume.resumable(tmp_path / "repo", "r6")
