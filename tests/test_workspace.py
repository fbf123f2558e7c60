import os
import subprocess
import sys
from pathlib import Path

import git as gitpython
import pytest

from optiloop import vcs
from optiloop.errors import BadInput
from optiloop.proc import child_env
from optiloop.workspace import Workspace
from tests.conftest import git, make_repo, snapshot


def test_two_worktrees_stage_commit_and_close(tmp_path: Path) -> None:
    repo_dir = make_repo(tmp_path / "r", {"pkg/m.py": "x = 1\r\ny = 2\r\n", "README": "hi\n"})
    before = snapshot(repo_dir)
    ws = Workspace(vcs.open_repo(repo_dir), "run1", "", child_env())
    ws.create(carry_dirty=False)
    assert ws.read("pkg/m.py") == "x = 1\r\ny = 2\r\n"  # line endings kept as they are

    ws.stage({"pkg/m.py": "x = 10\r\ny = 2\r\n"})
    assert ws.read("pkg/m.py", "candidate") == "x = 10\r\ny = 2\r\n"
    assert ws.read("pkg/m.py") == "x = 1\r\ny = 2\r\n"
    (ws.tree_dir("candidate") / "junk.txt").write_text("left by a test run")
    ws.run("echo hi > out.txt", "baseline", 10)  # output of runs is never committed

    sha = ws.commit({"pkg/m.py": "x = 3\r\ny = 2\r\n"}, "Speed up x\n\nOptiloop-Run: run1\n")
    assert ws.head() == sha
    ws.stage({})
    assert not (ws.tree_dir("candidate") / "junk.txt").exists()
    assert ws.read("pkg/m.py", "candidate") == "x = 3\r\ny = 2\r\n"
    ws.close()

    assert snapshot(repo_dir) == before
    assert git(repo_dir, "show", "--stat", "--format=%s", "optiloop/run1").splitlines()[0] == "Speed up x"
    assert "out.txt" not in git(repo_dir, "show", "--name-only", "--format=", "optiloop/run1")
    assert git(repo_dir, "worktree", "list").count("\n") == 1


def test_discard_removes_branch_and_worktrees(tmp_path: Path) -> None:
    repo_dir = make_repo(tmp_path / "r", {"m.py": "x = 1\n"})
    ws = Workspace(vcs.open_repo(repo_dir), "run2", "", child_env())
    ws.create(carry_dirty=False)
    ws.discard()
    assert git(repo_dir, "branch", "--list", "optiloop/*") == ""
    assert not ws.root.exists()


def test_identity_falls_back_when_none_is_configured(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    repo_dir = make_repo(tmp_path / "r", {"m.py": "x = 1\n"})
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("GIT_AUTHOR_NAME", raising=False)
    monkeypatch.delenv("GIT_AUTHOR_EMAIL", raising=False)
    env = vcs.identity_env(gitpython.Repo(repo_dir))
    assert env["GIT_AUTHOR_NAME"] == "optiloop" and env["GIT_COMMITTER_EMAIL"] == "optiloop@localhost"


def test_exclude_line_added_once_and_restorable(tmp_path: Path) -> None:
    repo = gitpython.Repo(make_repo(tmp_path / "r", {"m.py": "x = 1\n"}))
    exclude = Path(repo.git_dir) / "info" / "exclude"
    original = exclude.read_bytes()
    before = vcs.exclude_optiloop_dir(repo)
    assert before == original and "/.optiloop/" in exclude.read_text()
    assert vcs.exclude_optiloop_dir(repo) is None
    vcs.restore_exclude(repo, original)
    assert exclude.read_bytes() == original


def test_undo_last_removes_only_optiloops_own_unpushed_commit(tmp_path: Path) -> None:
    repo_dir = make_repo(tmp_path / "r", {"m.py": "x = 1\n"})
    ws = Workspace(vcs.open_repo(repo_dir), "run3", "", child_env())
    ws.create(carry_dirty=False)
    base = ws.head()
    first = ws.commit({"m.py": "x = 2\n"}, "Speed up\n\nOptiloop-Run: run3\n")
    second = ws.commit({"m.py": "x = 3\n"}, "Speed up more\n\nOptiloop-Run: run3\n")
    assert ws.undo_last() == second  # live worktree: reset with the branch
    assert ws.head() == first and ws.read("m.py") == "x = 2\n"
    ws.close()
    repo = vcs.open_repo(repo_dir)
    git(repo_dir, "update-ref", "refs/remotes/origin/optiloop/run3", first)  # as if pushed
    with pytest.raises(BadInput, match="already pushed"):
        vcs.undo_last(repo, "optiloop/run3", "run3")
    assert vcs.undo_last(repo, "optiloop/run3", "run3", force=True) == first
    assert git(repo_dir, "rev-parse", "optiloop/run3").strip() == base
    with pytest.raises(BadInput, match="not made by optiloop run run3"):  # the user's own commit
        vcs.undo_last(repo, "optiloop/run3", "run3")
    with pytest.raises(BadInput, match="no branch"):
        vcs.undo_last(repo, "optiloop/nope", "nope")


def _import_x(where: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    done = subprocess.run([sys.executable, "-c", "import mod; print(mod.X)"], cwd=where, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_rewrite_within_the_same_second_never_runs_the_old_bytecode(tmp_path: Path) -> None:
    """CPython trusts a .pyc while the source's mtime (whole seconds) and size match: a candidate of the
    same length written in the same second as the code compiled before must not run that code."""
    repo = make_repo(tmp_path / "repo", {"mod.py": "X = 1\n"})
    source = repo / "mod.py"
    assert _import_x(repo) == "1"  # compiled: __pycache__/mod.*.pyc
    stamp = source.stat().st_mtime
    source.write_text("X = 2\n")
    os.utime(source, (stamp, stamp))  # same size, same second
    assert _import_x(repo) == "1"  # the hazard is real: the old bytecode runs
    vcs.forget_bytecode(repo, ["mod.py", "README"])
    assert _import_x(repo) == "2"
    stamp = source.stat().st_mtime
    vcs.reset_tree(gitpython.Repo(repo), "HEAD")  # back to X = 1, which is the same size again
    os.utime(source, (stamp, stamp))
    assert _import_x(repo) == "1"
