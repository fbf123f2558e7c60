"""The ``optiloop`` command: one module per subcommand."""

from __future__ import annotations

from typing import Annotated

import typer

from optiloop.cli import bench, compare, demo, init, mcp, pr, profile, run, runs, session, undo

app = typer.Typer(
    name="optiloop",
    help="Make Python code faster, and prove every speedup.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(given: bool) -> None:
    if given:
        from optiloop import __version__

        typer.echo(f"optiloop {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print optiloop's version and exit.")] = False,
) -> None:
    """Make Python code faster, and prove every speedup."""


app.command("init")(init.init)
app.command("run")(run.run)
app.command("demo")(demo.demo)
app.command("profile")(profile.profile)
app.command("bench")(bench.bench_command)
app.command("compare")(compare.compare_command)
app.command("session")(session.session)
app.command("undo")(undo.undo)
app.command("runs")(runs.runs)
app.command("show")(runs.show)
app.command("report")(runs.report)
app.command("pr")(pr.pr_command)
app.command("mcp")(mcp.mcp)


def main() -> None:
    app()
