"""``optiloop undo``: remove optiloop's own last commit from a run's branch."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import git
import typer

from optiloop import vcs
from optiloop.cli.common import errors_to_exit, say
from optiloop.errors import BadInput
from optiloop.record import Journal, RunLog, Undone, find_run
from optiloop.resume import clear_leftovers, refuse_if_alive
from optiloop.workspace import Workspace


def undo(
    run_id: Annotated[Optional[str], typer.Argument(
        metavar="[RUN-ID|last]", help="The run whose last commit goes (default: last, the newest run, after you "
                                      "confirm it).")] = None,
    path: Annotated[Path, typer.Option(help="The repository (or a directory inside it).")] = Path("."),
    force: Annotated[bool, typer.Option(help="Remove the commit even when a remote branch already has it.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before removing the newest run's commit.")]
    = False,
) -> None:
    """Remove the last commit optiloop made on a run's branch (never a user's commit; never a pushed one
    without --force). Without a run id it shows the commit and asks first (or takes --yes). The run record
    keeps an `undo` event, so reports treat that commit as gone."""
    with errors_to_exit():
        repo = vcs.open_repo(path)
        root = Path(repo.working_dir).resolve()
        info = find_run(root, run_id or "last", unfinished=False)
        refuse_if_alive(info.dir, "undo a commit of")
        branch = info.start.branch or f"optiloop/{info.id}"
        if not vcs.branch_exists(repo, branch) and info.branch_removed:
            raise BadInput(f"run {info.id} committed nothing, so its branch {branch} was removed at its end",
                           "there is nothing to undo; see `optiloop runs` for the other runs")
        ours = vcs.branch_exists(repo, branch) and vcs.trailer(str(repo.commit(branch).message),
                                                               "Optiloop-Run") == info.id
        if ours and run_id in (None, "last") and not yes and not _confirmed(repo.commit(branch), branch, info):
            say("Nothing was removed.")
            return
        if ours and not info.finished:  # a killed run's worktrees: --resume makes them again anyway
            clear_leftovers(repo, Workspace(repo, info.id, info.start.subdir, {}))
        sha = vcs.undo_last(repo, branch, info.id, force)
        gone = repo.commit(sha)
        head = repo.commit(branch)
        Journal(info.dir).write(Undone(commit=sha, head=head.hexsha, branch=branch, forced=force,
                                       message=str(gone.message)))
        say(f"Removed {sha[:10]} {gone.summary!s} from {branch}.")
        say(f"The branch head is now {head.hexsha[:10]} {head.summary!s}.")


def _confirmed(commit: git.Commit, branch: str, info: RunLog) -> bool:
    """Ask the person, naming the commit, before the newest run's last commit goes; without a terminal to
    ask on, bad input that names --yes."""
    what = f"{commit.hexsha[:10]} {commit.summary!s}"
    if not sys.stdin.isatty():
        raise BadInput(f"`optiloop undo` without a run id asks before it removes {what} from {branch}, and "
                       "there is no terminal to ask on", f"pass --yes, or the run id ({info.id})")
    return typer.confirm(f"Remove {what} from {branch} (run {info.id})?", default=False)
