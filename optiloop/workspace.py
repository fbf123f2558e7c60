"""One run's worktrees as places to run things.

Two worktrees of the user's repository live under ``.optiloop/worktrees/<run-id>/``: ``baseline`` is on
the work branch ``optiloop/<run-id>`` and always holds the accepted state; ``cand-00`` (the side
``candidate``) is detached and reset to the branch head before each candidate is written into it, so the
two can be measured side by side. With ``--jobs N``, up to ``N - 1`` more detached candidate trees
(``cand-01`` ..., the sides ``candidate-1`` ...) are made when first needed, so several candidates can be
verified at once. The user's own checkout is only ever read.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Mapping
from pathlib import Path

import git

from optiloop import proc, vcs
from optiloop.errors import BadInput
from optiloop.journal import RECORD_DIR

Side = str  # "baseline", "candidate", or another candidate tree: "candidate-1", "candidate-2", ...
CARRY_MESSAGE = "optiloop: carry uncommitted changes from the checkout\n\nMade by optiloop --allow-dirty."


class Workspace:
    def __init__(
        self,
        repo: git.Repo,
        run_id: str,
        subdir: str,
        env: Mapping[str, str],
    ) -> None:
        self.repo = repo
        self.run_id = run_id
        self.branch = f"optiloop/{run_id}"
        self.subdir = subdir
        self.env = dict(env)
        self.root = Path(repo.working_dir) / RECORD_DIR / "worktrees" / run_id
        self.identity = vcs.identity_env(repo)
        self._trees: dict[Side, git.Repo] = {}
        self.keep: list[str] = []  # untracked paths the setup step made in the candidate tree
        self.slots: list[Side] = ["candidate"]  # the candidate trees made so far
        self._setup: tuple[str, float] | None = None  # the setup command, run in each tree made later too
        self._lock = threading.RLock()  # the baseline tree's git is asked from the verifying threads of --jobs

    def create(self, carry_dirty: bool) -> None:
        """Make both worktrees from HEAD; with ``carry_dirty``, commit the checkout's uncommitted
        changes to tracked files on the branch first (read from the checkout, never changed there)."""
        head = self.repo.head.commit.hexsha
        self._trees["baseline"] = vcs.add_worktree(self.repo, self.tree_dir("baseline"), head, self.branch)
        if carry_dirty:
            self._carry_changes()
        self._trees["candidate"] = vcs.add_worktree(self.repo, self.tree_dir("candidate"), self.head())

    def attach(self) -> None:
        """Make both worktrees again for a resumed run: baseline on the existing branch, candidate at its head."""
        self._trees["baseline"] = vcs.attach_worktree(self.repo, self.tree_dir("baseline"), self.branch)
        self._trees["candidate"] = vcs.add_worktree(self.repo, self.tree_dir("candidate"), self.head())

    def _carry_changes(self) -> None:
        changes = vcs.tracked_changes(self.repo)
        if not changes:
            return
        src, dst = Path(self.repo.working_dir), self.tree_dir("baseline")
        for status, rel in changes:
            target = dst / rel
            if status == "D" or not (src / rel).exists():
                target.unlink(missing_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src / rel, target)
        vcs.commit_paths(self._trees["baseline"], [rel for _, rel in changes], CARRY_MESSAGE, self.identity)

    def env_for(self, side: Side) -> dict[str, str]:
        """The environment of anything run in ``side``'s tree (``proc.project_env``)."""
        return proc.project_env(self.env, self.project_dir(side))

    def setup(self, cmd: str, timeout: float) -> None:
        """Run the setup step once in each tree (a build, an install into the tree's own environment)."""
        self._setup = (cmd, timeout)
        for side in ("baseline", *self.slots):
            self._set_up(side)
        self.keep = vcs.untracked(self._trees["candidate"])

    def _set_up(self, side: Side) -> None:
        if self._setup is None:
            return
        cmd, timeout = self._setup
        done = self.run(cmd, side, timeout)
        if not done.ok:
            why = done.why()
            raise BadInput(f"the setup command fails in the {side} worktree ({why})",
                           f"make `{cmd}` succeed when run in a fresh clone of the project")

    def ensure_slots(self, count: int) -> list[Side]:
        """At least ``count`` candidate trees (the first is ``candidate``), made at the branch head and set up
        as the others were; returns their sides."""
        while len(self.slots) < count:
            side = f"candidate-{len(self.slots)}"
            self._trees[side] = vcs.add_worktree(self.repo, self.tree_dir(side), self.head())
            self._set_up(side)
            self.slots.append(side)
        return self.slots[:count]

    def tree_dir(self, side: Side) -> Path:
        """``baseline``, or ``cand-00``, ``cand-01`` ... for the candidate trees: names of one length, so that a
        simulated count, which the path's length reaches, is the same whichever candidate tree counts."""
        if side == "baseline":
            return self.root / side
        return self.root / f"cand-{int(side.rpartition('-')[2]) if '-' in side else 0:02d}"

    def project_dir(self, side: Side) -> Path:
        return self.tree_dir(side) / self.subdir if self.subdir else self.tree_dir(side)

    def head(self) -> str:
        with self._lock:
            return str(self._trees["baseline"].head.commit.hexsha)

    def run(self, cmd: str, side: Side, timeout: float, cwd: str = ".",
            extra: Mapping[str, str] | None = None) -> proc.Completed:
        return proc.run(cmd, self.project_dir(side) / cwd, {**self.env_for(side), **(extra or {})}, timeout)

    def read(self, relpath: str, side: Side = "baseline") -> str:
        """A file of the repository (path relative to its root) as it is in a worktree."""
        with open(self.tree_dir(side) / relpath, encoding="utf-8", newline="") as fh:
            return fh.read()

    def stage(self, files: Mapping[str, str], side: Side = "candidate", head: str | None = None) -> None:
        """Reset a candidate tree to the accepted state (``head``, when the caller knows it), then write
        ``files`` into it."""
        vcs.reset_tree(self._trees[side], head or self.head(), self.keep)
        for rel, text in files.items():
            _write(self.tree_dir(side) / rel, text)
        vcs.forget_bytecode(self.tree_dir(side), files)

    def stage_ref(self, ref: str) -> None:
        """Make the candidate tree an exact copy of ``ref`` (e.g. the run's base, to measure the whole run)."""
        vcs.reset_tree(self._trees["candidate"], ref, self.keep)

    def commit(self, files: Mapping[str, str], message: str) -> str:
        """Write ``files`` into the baseline tree and commit them on the work branch."""
        for rel, text in files.items():
            _write(self.tree_dir("baseline") / rel, text)
        vcs.forget_bytecode(self.tree_dir("baseline"), files)
        return vcs.commit_paths(self._trees["baseline"], list(files), message, self.identity)

    def reset_git(self) -> None:
        """Drop gitpython's persistent ``git cat-file`` helpers (an interrupt kills them with the step)."""
        for repo in (self.repo, *self._trees.values()):
            repo.git.clear_cache()

    def undo_last(self, force: bool = False) -> str:
        """Drop the last commit of this run from the branch (and the baseline tree); returns its sha."""
        return vcs.undo_last(self.repo, self.branch, self.run_id, force)

    def close(self) -> None:
        """Remove the worktrees; the branch and its commits stay."""
        for side in (*reversed(self.slots), "baseline"):
            vcs.remove_worktree(self.repo, self.tree_dir(side))
        shutil.rmtree(self.root, ignore_errors=True)
        self._trees.clear()
        self.slots = ["candidate"]

    def remove_branch(self) -> bool:
        """Delete the work branch (after ``close``); False when git refused (e.g. it is checked out elsewhere)."""
        vcs.delete_branch(self.repo, self.branch)
        return not vcs.branch_exists(self.repo, self.branch)

    def discard(self) -> None:
        """Undo everything ``create`` did: worktrees and branch."""
        self.close()
        vcs.delete_branch(self.repo, self.branch)


def _write(path: Path, text: str) -> None:
    """Write exactly ``text``: no newline translation, so CRLF files stay CRLF."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
