"""The options ``run``, ``session`` and ``pr`` share, declared once (typer reads ``Annotated`` aliases)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

ProjectPath = Annotated[Path, typer.Argument(help="The project: a git repository or a directory inside one.")]
Workload = Annotated[str | None, typer.Option(help="Shell command that exercises the code.")]
Tests = Annotated[str | None, typer.Option(help="Shell command that runs the project's tests.")]
Model = Annotated[str | None, typer.Option(
    help="builtin, openai:M, anthropic:M, openai-compatible:M (with --base-url) or scripted:PATH.")]
MaxIterations = Annotated[int | None, typer.Option(help="Most candidates to try.")]
MinSpeedup = Annotated[float | None, typer.Option(help="Smallest speedup worth a commit, e.g. 1.05.")]
Rounds = Annotated[int | None, typer.Option(help="A/B rounds at the first look (up to 4x if unclear).")]
Include = Annotated[list[str] | None, typer.Option(help="Glob of files that may change (repeatable).")]
Exclude = Annotated[list[str] | None, typer.Option(help="Glob of files never changed (repeatable).")]
MeasureBudget = Annotated[float | None, typer.Option(help="Seconds one measurement verdict may take.")]
Candidates = Annotated[int | None, typer.Option(help="Candidates requested per target.")]
Prompts = Annotated[str | None, typer.Option(help="Directory of Jinja templates overriding the prompts.")]
ApiKeyEnv = Annotated[str | None, typer.Option(help="Environment variable holding the API key.")]
BaseUrl = Annotated[str | None, typer.Option(help="Base URL of an OpenAI-compatible server.")]
MaxCost = Annotated[float | None, typer.Option(help="Most US dollars to spend on model calls.")]
TimeBudget = Annotated[float | None, typer.Option(help="Seconds the whole run may take.")]
Cache = Annotated[bool | None, typer.Option("--cache/--no-cache", help="Reuse cached model replies.")]
AllowDirty = Annotated[bool, typer.Option(help="Carry uncommitted changes into the run's branch.")]


def settings_flags(**given: Any) -> dict[str, Any]:
    """The options given as settings flags (None: not given); repeatable globs become tuples."""
    return {k: (tuple(v) if v else None) if k in ("include", "exclude") else v for k, v in given.items()}
