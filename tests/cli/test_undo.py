"""`optiloop undo` on real repositories with a run's branch and record."""

from __future__ import annotations

import json
from pathlib import Path

from optiloop import vcs
from optiloop.journal import Journal
from optiloop.proc import child_env
from optiloop.workspace import Workspace
from tests.conftest import git, make_repo, optiloop, snapshot


def run_with_commits(tmp_path: Path, run_id: str, finished: bool = True) -> tuple[Path, Workspace, list[str]]:
    """A repository with two optiloop commits on ``optiloop/<run_id>`` and the run's record."""
    repo_dir = make_repo(tmp_path / "repo", {"m.py": "x = 1\n"})
    repo = vcs.open_repo(repo_dir)
    vcs.exclude_optiloop_dir(repo)
    ws = Workspace(repo, run_id, "", child_env())
    ws.create(carry_dirty=False)
    journal = Journal.create(repo_dir, run_id)
    journal.event("run_started", run_id=run_id, branch=ws.branch, base=ws.head(), subdir="", settings={})
    shas = [ws.commit({"m.py": f"x = {n}\n"}, f"Speed up x {n}\n\nOptiloop-Run: {run_id}\n") for n in (2, 3)]
    if finished:
        ws.close()
        journal.event("run_finished", error=None)
    return repo_dir, ws, shas


def undo_events(repo_dir: Path, run_id: str) -> list[dict[str, object]]:
    lines = (repo_dir / ".optiloop" / "runs" / run_id / "events.jsonl").read_text().splitlines()
    return [e for e in map(json.loads, lines) if e["event"] == "undo"]


def test_undo_removes_optiloops_commits_one_at_a_time_and_never_the_users(tmp_path: Path) -> None:
    repo_dir, _, (first, second) = run_with_commits(tmp_path, "u1")
    before = snapshot(repo_dir)

    done = optiloop("undo", "--path", str(repo_dir))
    assert done.returncode == 0, done.stderr
    assert f"Removed {second[:10]} Speed up x 3 from optiloop/u1." in done.stdout
    assert f"The branch head is now {first[:10]} Speed up x 2." in done.stdout
    assert git(repo_dir, "rev-parse", "optiloop/u1").strip() == first
    (event,) = undo_events(repo_dir, "u1")
    assert event["commit"] == second and event["head"] == first

    assert optiloop("undo", "u1", "--path", str(repo_dir)).returncode == 0
    user = git(repo_dir, "rev-parse", "main").strip()
    assert git(repo_dir, "rev-parse", "optiloop/u1").strip() == user

    refused = optiloop("undo", "u1", "--path", str(repo_dir))
    assert refused.returncode == 2
    assert "was not made by optiloop run u1" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert len(undo_events(repo_dir, "u1")) == 2  # nothing recorded for a refusal
    assert snapshot(repo_dir) == before


def test_undo_refuses_a_pushed_commit_without_force_and_an_unknown_run(tmp_path: Path) -> None:
    repo_dir, _, (first, second) = run_with_commits(tmp_path, "u2")
    git(repo_dir, "update-ref", "refs/remotes/origin/optiloop/u2", second)  # as if pushed
    refused = optiloop("undo", "u2", "--path", str(repo_dir))
    assert refused.returncode == 2 and "already pushed" in refused.stderr and "--force" in refused.stderr
    assert undo_events(repo_dir, "u2") == []
    forced = optiloop("undo", "u2", "--path", str(repo_dir), "--force")
    assert forced.returncode == 0, forced.stderr
    assert undo_events(repo_dir, "u2")[0]["forced"] is True
    assert git(repo_dir, "rev-parse", "optiloop/u2").strip() == first

    unknown = optiloop("undo", "nope", "--path", str(repo_dir))
    assert unknown.returncode == 2 and "there is no run nope" in unknown.stderr


def test_undo_of_a_killed_run_clears_its_worktrees(tmp_path: Path) -> None:
    repo_dir, ws, (first, second) = run_with_commits(tmp_path, "u3", finished=False)
    admin = Path(git(ws.tree_dir("baseline"), "rev-parse", "--git-dir").strip())
    (admin / "index.lock").write_text("")  # left by a git killed with the run
    done = optiloop("undo", "--path", str(repo_dir))
    assert done.returncode == 0, done.stderr
    assert git(repo_dir, "rev-parse", "optiloop/u3").strip() == first
    assert not ws.root.exists() and git(repo_dir, "worktree", "list").count("\n") == 1
