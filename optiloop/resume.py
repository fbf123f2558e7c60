"""Taking back a killed run: which run, whether it is still alive, and what its branch holds.

A run holds a lock file (``lock``: pid and process start time) in its record directory from
``prepare``/``resume`` until ``finish``. A run is alive while that pid is an optiloop process that
started at the recorded time; a lock left by a killed process is stale and ignored.

Reconciling the branch with the record: just before each commit the loop writes an ``accepting``
event with the full attempt and the commit message. A run killed after its commit but before the
``attempt`` event has a commit without a record: it is kept (it was verified and measured) and its
attempt recorded. A run killed before the commit moved the branch has an ``accepting`` event and no
commit: the commit is made now, on the state it was measured against, so no accepted speedup is lost.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import replace
from pathlib import Path

import git

from optiloop import vcs
from optiloop.errors import BadInput
from optiloop.journal import write_atomic
from optiloop.record import Accepting, AttemptRecorded, Journal, Note, RunLog, Undone, find_run
from optiloop.types import Applied, Attempt
from optiloop.workspace import Workspace

LOCK = "lock"
UNDONE = "undone with `optiloop undo`"


# -- the lock file ------------------------------------------------------------------------------

def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (``/proc/<pid>/stat`` field 22), if readable."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def take_lock(run_dir: Path) -> None:
    """Mark the run as held by this process."""
    pid = os.getpid()
    write_atomic(run_dir / LOCK, json.dumps({"pid": pid, "start": _start_time(pid), "time": time.time()}) + "\n")


def release_lock(run_dir: Path) -> None:
    """Remove the lock if this process holds it."""
    path = run_dir / LOCK
    try:
        held = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    if held.get("pid") == os.getpid():
        path.unlink(missing_ok=True)


def mine(run_dir: Path) -> bool:
    """Whether this process holds the run's lock."""
    try:
        return bool(json.loads((run_dir / LOCK).read_text()).get("pid") == os.getpid())
    except (OSError, ValueError, AttributeError):
        return False


def holder(run_dir: Path) -> int | None:
    """The pid of another live optiloop process that holds the run, or None (no lock, or a stale one)."""
    try:
        held = json.loads((run_dir / LOCK).read_text())
        pid = int(held["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if pid == os.getpid() or pid <= 0:
        return None
    proc = Path(f"/proc/{pid}")
    if not proc.parent.is_dir():  # no procfs: all we can tell is whether the pid exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        return pid
    try:
        cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return None
    if "optiloop" not in cmdline:
        return None
    if held.get("start") is not None and _start_time(pid) != held["start"]:
        return None  # the pid was reused by a later process
    return pid


def refuse_if_alive(run_dir: Path, doing: str) -> None:
    pid = holder(run_dir)
    if pid is not None:
        raise BadInput(f"run {run_dir.name} is still running (pid {pid}); cannot {doing} it now",
                       f"wait until it ends, or stop it first (kill {pid})")


# -- which run ------------------------------------------------------------------------------

def resumable(root: Path, run_id: str, finished_ok: bool = False) -> RunLog:
    """A killed run that may be taken back (with ``finished_ok``, a finished one too: a session a person
    quit); bad input for an unknown, finished or live run, and for a PR run (its target filter is the
    pull request's diff, not recorded: run ``optiloop pr`` again)."""
    log = find_run(root, run_id, unfinished=not finished_ok)
    if log.start.mode == "pr":
        raise BadInput(f"run {log.id} was made by `optiloop pr`", "run `optiloop pr` again instead of resuming it")
    if log.finished and not finished_ok:
        raise BadInput(f"run {log.id} finished already", "start a new run with `optiloop run`")
    if not log.start.base or not isinstance(log.start.settings, dict):
        raise BadInput(f"the record of run {log.id} lacks its base commit or settings",
                       "that run cannot be taken back; start a new one")
    refuse_if_alive(log.dir, "resume")
    return log


# -- the branch and the record -----------------------------------------------------------------

def _undone_messages(log: RunLog) -> dict[tuple[str, ...], str]:
    return {tuple(_normal(u.message)): u.commit for u in log.all(Undone)}


def restored_attempts(log: RunLog) -> list[Attempt]:
    """The recorded attempts, with commits that were undone since no longer counted as accepted."""
    gone = set(log.undone)
    return [replace(a, commit=None, declined=UNDONE) if a.commit in gone else a for a in log.attempts()]


def _normal(message: str) -> list[str]:
    return [line.rstrip() for line in message.strip().splitlines() if line.strip()]


def reconcile(repo: git.Repo, journal: Journal, ws: Workspace, base: str) -> list[str]:
    """Make the record and the branch agree after a kill (see the module doc); returns notes on what it did."""
    log = RunLog.read(journal.dir)
    attempts = log.attempts()
    numbers = {a.number for a in attempts}
    recorded = {a.commit for a in attempts} | set(log.undone)
    commits = [c for c in repo.iter_commits(f"{base}..{ws.branch}", reverse=True)
               if vcs.trailer(str(c.message), "Optiloop-Run") == ws.run_id and c.hexsha not in recorded]
    gone = _undone_messages(log)
    notes: list[str] = []
    for accepting in log.all(Accepting):
        attempt, message = accepting.attempt, accepting.message
        if attempt.number in numbers:
            continue
        made = next((c for c in commits if _normal(str(c.message)) == _normal(message)), None)
        if made is not None:
            commits.remove(made)
            sha = made.hexsha
            note = f"attempt {attempt.number} was committed as {sha[:10]} before the run was killed; recorded now"
        elif tuple(_normal(message)) in gone:
            sha = gone[tuple(_normal(message))]
            note = f"attempt {attempt.number} was committed as {sha[:10]} and undone since; recorded now"
        else:
            if not isinstance(attempt.edit, Applied):
                continue
            target = attempt.candidate.target
            if ws.read(target.path) != target.module_source:
                notes.append(f"attempt {attempt.number} was killed before its commit and the branch moved on "
                             "since; it is not committed")
                continue
            sha = ws.commit(attempt.edit.written(target.path), message)
            note = f"attempt {attempt.number} was killed before its commit; committed now as {sha[:10]}"
        journal.write(AttemptRecorded.of(replace(attempt, commit=sha), reconciled=True))
        numbers.add(attempt.number)
        notes.append(note)
    for commit in commits:
        notes.append(f"commit {commit.hexsha[:10]} of this run has no record; it stays on the branch")
    for note in notes:
        journal.write(Note(text=note))
    return notes


def clear_leftovers(repo: git.Repo, ws: Workspace) -> None:
    """Remove a dead run's worktrees and the lock files git left in them and on its branch."""
    # every candidate tree (--jobs makes several; a run of an older optiloop named its one ``candidate``)
    trees = sorted({*ws.root.glob("cand-*"), ws.root / "candidate"}) if ws.root.is_dir() else []
    vcs.clear_worktrees(repo, [*trees, ws.tree_dir("baseline")], ws.branch)
    with contextlib.suppress(OSError):
        ws.root.rmdir()


def restore_branch(repo: git.Repo, journal: Journal, ws: Workspace, base: str) -> bool:
    """Make the branch again at ``base`` when the run removed it because it held no commit (a session the
    person quit with nothing accepted); returns whether it did."""
    if vcs.branch_exists(repo, ws.branch) or not RunLog.read(journal.dir).branch_removed:
        return False
    try:
        repo.git.branch(ws.branch, base)
    except git.GitCommandError:
        raise BadInput(f"the base commit {base[:10]} of run {ws.run_id} is gone from the repository",
                       "start a new run") from None
    return True


def repair(repo: git.Repo, ws: Workspace) -> None:
    """Remove what a killed run left (worktrees, git's lock files), then re-attach both worktrees."""
    if not vcs.branch_exists(repo, ws.branch):
        raise BadInput(f"the run's branch {ws.branch} is gone", "a run whose branch was deleted cannot resume")
    clear_leftovers(repo, ws)
    where = vcs.worktree_of(repo, ws.branch)
    if where is not None:
        raise BadInput(f"{ws.branch} is checked out at {where}", "switch that checkout to another branch first")
    ws.attach()
