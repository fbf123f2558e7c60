"""``optiloop mcp``: serve one repository to a coding agent over the Model Context Protocol (stdio)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from optiloop.cli.common import errors_to_exit
from optiloop.cli.options import RUN_SETTINGS, AllowDirty, ProjectPath, with_settings
from optiloop.errors import BadInput


@with_settings(*RUN_SETTINGS)
def mcp(
    path: ProjectPath = Path("."),
    allow_dirty: AllowDirty = False,
    resume: Annotated[Optional[str], typer.Option(
        metavar="RUN-ID|last", help="Continue the run with this id (or the newest, last) with its recorded "
                                    "settings.")] = None,
    *,
    flags: dict[str, Any],
) -> None:
    """Serve the repository to a coding agent over MCP (stdio): the agent proposes, optiloop verifies, measures
    and commits.

    Tools: profile, context, evaluate, commit, undo, status, report. Register it with your agent as
    `optiloop mcp PATH` (see docs/agents.md). The agent is the model: none is asked and no key is needed;
    --model only names the one `optiloop run --resume` would go on with (default: builtin)."""
    with errors_to_exit():
        from optiloop.agent import serve

        if resume is not None:
            given = sorted(k.replace("_", "-") for k, v in flags.items() if v is not None)
            if given or allow_dirty:
                raise BadInput(f"--resume continues with the recorded settings; --{(given or ['allow-dirty'])[0]} "
                               "cannot change them", "drop the other options, or start a new run")
        elif flags.get("model") is None:
            flags = {**flags, "model": "builtin"}  # the agent proposes: a configured model (and its key) is unused
        code = serve(path, flags, allow_dirty, resume)
    if code:
        raise typer.Exit(code)
