"""The ``optiloop`` command: one module per subcommand."""

from __future__ import annotations

import typer

from optiloop.cli import demo, run

app = typer.Typer(
    name="optiloop",
    help="Make Python code faster, and prove every speedup.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("run")(run.run)
app.command("demo")(demo.demo)


def main() -> None:
    app()
