"""``optiloop undo``: remove optiloop's own last commit from a run's branch."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from optiloop import vcs
from optiloop.cli.common import errors_to_exit, say
from optiloop.journal import Journal
from optiloop.resume import clear_leftovers, find_run, refuse_if_alive
from optiloop.workspace import Workspace


def undo(
    run_id: Annotated[str, typer.Argument(metavar="[RUN-ID|last]",
                                          help="The run whose last commit goes (default: last, the newest run).")]
    = "last",
    path: Annotated[Path, typer.Option(help="The repository (or a directory inside it).")] = Path("."),
    force: Annotated[bool, typer.Option(help="Remove the commit even when a remote branch already has it.")] = False,
) -> None:
    """Remove the last commit optiloop made on a run's branch (never a user's commit; never a pushed one
    without --force). The run record keeps an `undo` event, so reports treat that commit as gone."""
    with errors_to_exit():
        repo = vcs.open_repo(path)
        root = Path(repo.working_dir).resolve()
        info = find_run(root, run_id, unfinished=False)
        refuse_if_alive(info.dir, "undo a commit of")
        branch = str(info.started.get("branch") or f"optiloop/{info.id}")
        ours = vcs.branch_exists(repo, branch) and vcs.trailer(str(repo.commit(branch).message),
                                                               "Optiloop-Run") == info.id
        if ours and not info.finished:  # a killed run's worktrees: --resume makes them again anyway
            clear_leftovers(repo, Workspace(repo, info.id, str(info.started.get("subdir", "")), {}))
        sha = vcs.undo_last(repo, branch, info.id, force)
        gone = repo.commit(sha)
        head = repo.commit(branch)
        Journal(info.dir).event("undo", commit=sha, head=head.hexsha, branch=branch, forced=force,
                                message=str(gone.message))
        say(f"Removed {sha[:10]} {gone.summary!s} from {branch}.")
        say(f"The branch head is now {head.hexsha[:10]} {head.summary!s}.")
