"""``optiloop session``: a person steers the loop, candidate by candidate, in the terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from optiloop.cli.common import errors_to_exit, out, progress, say
from optiloop.cli.execute import record_total
from optiloop.cli.options import SESSION_SETTINGS, AllowDirty, ProjectPath, Quiet, with_settings
from optiloop.cli.status import status_line
from optiloop.errors import BadInput
from optiloop.report import write_reports
from optiloop.report.terminal import closing_lines, summary_table


@with_settings(*SESSION_SETTINGS)
def session(
    path: ProjectPath = Path("."),
    resume: Annotated[Optional[str], typer.Option(
        help="Continue the session (or run) with this id, or `last`; its recorded settings are used.")] = None,
    allow_dirty: AllowDirty = False,
    quiet: Quiet = False,
    *,
    flags: dict[str, Any],
) -> None:
    """Steer the loop yourself: pick targets, give hints, edit, accept or reject each verified candidate."""
    with errors_to_exit(), status_line(quiet) as status:
        from optiloop import app
        from optiloop.session import Session

        if resume is not None:
            given = sorted(k.replace("_", "-") for k, v in flags.items() if v is not None)
            if given or allow_dirty:
                raise BadInput(f"--resume continues with the recorded settings; --{(given or ['allow-dirty'])[0]} "
                               "cannot change them", "drop the other options, or start a new session")
            prepared = app.resume(path, resume, finished_ok=True, progress=status)  # a person may quit, come back
        else:
            prepared = app.prepare(path, flags, allow_dirty=allow_dirty, mode="session", progress=status)

        def read_line(prompt: str) -> str:  # no status line while a person reads and types
            status.idle()
            return input(prompt)

        try:
            summary, total = Session(prepared, out, progress, read_line).run(record_total)
        finally:
            report = write_reports(prepared.journal.dir)
        status.idle()
        out.print(summary_table(summary))
        for line in closing_lines(summary, prepared.repo_root, prepared.base_sha, total, report,
                               prepared.branch_removed):
            say(line)
