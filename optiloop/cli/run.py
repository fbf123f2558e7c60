"""``optiloop run``: the whole loop on a git repository."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from optiloop.app import RESUME_FLAGS, prepare, resume
from optiloop.cli.common import err, errors_to_exit, out
from optiloop.cli.execute import execute
from optiloop.cli.options import RUN_SETTINGS, AllowDirty, Json, ProjectPath, Quiet, with_settings
from optiloop.cli.status import status_line
from optiloop.errors import BadInput
from optiloop.report import render


@with_settings(*RUN_SETTINGS)
def run(
    path: ProjectPath = Path("."),
    allow_dirty: AllowDirty = False,
    resume_id: Annotated[Optional[str], typer.Option("--resume", metavar="RUN-ID|last", help=(
        "Continue a killed run (its id, or last: the newest unfinished one) with its recorded settings; "
        "only --max-iterations, --time-budget and --max-cost may be given with it."))] = None,
    quiet: Quiet = False,
    json: Json = False,
    *,
    flags: dict[str, Any],
) -> None:
    """Profile the workload, try faster versions of its hottest functions, commit the real speedups."""
    with errors_to_exit(), status_line(quiet) as status:
        if resume_id is None:
            prepared = prepare(path, flags, allow_dirty=allow_dirty, progress=status)
        else:
            given = [k for k, v in flags.items() if v is not None and k not in RESUME_FLAGS]
            if given or allow_dirty:
                name = given[0].replace("_", "-") if given else "allow-dirty"
                raise BadInput(f"--{name} cannot be given with --resume",
                               "a resumed run keeps its recorded settings; only --max-iterations, --time-budget "
                               "and --max-cost may change")
            prepared = resume(path, resume_id, flags={k: flags[k] for k in RESUME_FLAGS}, progress=status)
        execute(prepared, out if not json else None if quiet else err)  # with --json, stdout holds the JSON alone
        if json:
            typer.echo(render(prepared.journal.dir, "json"), nl=False)
