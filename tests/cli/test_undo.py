"""`optiloop undo` on real repositories with a run's branch and record."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pexpect

from optiloop import vcs
from optiloop.proc import child_env
from optiloop.record import Journal, RunFinished, RunStarted
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
    journal.write(RunStarted(run_id=run_id, branch=ws.branch, base=ws.head(), subdir="", settings={}))
    shas = [ws.commit({"m.py": f"x = {n}\n"}, f"Speed up x {n}\n\nOptiloop-Run: {run_id}\n") for n in (2, 3)]
    if finished:
        ws.close()
        journal.write(RunFinished(error=None))
    return repo_dir, ws, shas


def undo_events(repo_dir: Path, run_id: str) -> list[dict[str, object]]:
    lines = (repo_dir / ".optiloop" / "runs" / run_id / "events.jsonl").read_text().splitlines()
    return [e for e in map(json.loads, lines) if e["event"] == "undo"]


def test_undo_removes_optiloops_commits_one_at_a_time_and_never_the_users(tmp_path: Path) -> None:
    repo_dir, _, (first, second) = run_with_commits(tmp_path, "u1")
    before = snapshot(repo_dir)

    unasked = optiloop("undo", "--path", str(repo_dir))  # no id and no terminal to ask on: nothing changes
    assert unasked.returncode == 2 and len(unasked.stderr.strip().splitlines()) == 1
    assert f"asks before it removes {second[:10]} Speed up x 3 from optiloop/u1" in unasked.stderr
    assert "pass --yes, or the run id (u1)" in unasked.stderr
    assert git(repo_dir, "rev-parse", "optiloop/u1").strip() == second and undo_events(repo_dir, "u1") == []

    done = optiloop("undo", "--path", str(repo_dir), "--yes")
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
    done = optiloop("undo", "--path", str(repo_dir), "-y")
    assert done.returncode == 0, done.stderr
    assert git(repo_dir, "rev-parse", "optiloop/u3").strip() == first
    assert not ws.root.exists() and git(repo_dir, "worktree", "list").count("\n") == 1


def test_undo_without_an_id_shows_the_commit_and_asks_first(tmp_path: Path) -> None:
    repo_dir, _, (first, second) = run_with_commits(tmp_path, "u4")
    env = {**{k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}, "TERM": "dumb", "NO_COLOR": "1"}

    def ask(answer: str) -> str:
        child = pexpect.spawn(sys.executable, ["-m", "optiloop", "undo", "--path", str(repo_dir)], env=env,
                              encoding="utf-8", timeout=60)
        child.expect_exact(f"Remove {second[:10]} Speed up x 3 from optiloop/u4 (run u4)? [y/N]: ")
        child.sendline(answer)
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0, child.before
        return str(child.before)

    assert "Nothing was removed." in ask("n")
    assert git(repo_dir, "rev-parse", "optiloop/u4").strip() == second and undo_events(repo_dir, "u4") == []
    assert f"Removed {second[:10]} Speed up x 3 from optiloop/u4." in ask("y")
    assert git(repo_dir, "rev-parse", "optiloop/u4").strip() == first
    assert [e["commit"] for e in undo_events(repo_dir, "u4")] == [second]
    assert optiloop("undo", "u4", "--path", str(repo_dir)).returncode == 0  # with its id: no question
    assert git(repo_dir, "rev-parse", "optiloop/u4").strip() == git(repo_dir, "rev-parse", "main").strip()


def test_undo_of_a_run_that_removed_its_empty_branch_says_so(tmp_path: Path) -> None:
    repo_dir = make_repo(tmp_path / "repo", {"m.py": "x = 1\n"})
    journal = Journal.create(repo_dir, "u5")
    base = git(repo_dir, "rev-parse", "HEAD").strip()
    journal.write(RunStarted(run_id="u5", branch="optiloop/u5", base=base, subdir="", settings={}))
    journal.write(RunFinished(error=None, branch_removed=True))
    done = optiloop("undo", "--path", str(repo_dir), "--yes")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "run u5 committed nothing, so its branch optiloop/u5 was removed" in done.stderr
