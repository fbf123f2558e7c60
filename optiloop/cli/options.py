"""The options ``run``, ``session`` and ``pr`` share, declared once (typer reads ``Annotated`` aliases)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from optiloop.config import LIST_FIELDS

ProjectPath = Annotated[Path, typer.Argument(help="The project: a git repository or a directory inside one.")]
Workload = Annotated[Optional[str], typer.Option(help="Shell command that exercises the code.")]
Tests = Annotated[Optional[str], typer.Option(help="Shell command that runs the project's tests.")]
Model = Annotated[Optional[str], typer.Option(
    help="builtin, openai:M, anthropic:M, openai-compatible:M (with --base-url) or scripted:PATH.")]
MaxIterations = Annotated[Optional[int], typer.Option(help="Most candidates to try.")]
MinSpeedup = Annotated[Optional[float], typer.Option(help="Smallest speedup worth a commit, e.g. 1.05.")]
Rounds = Annotated[Optional[int], typer.Option(help="A/B rounds at the first look (up to 4x if unclear).")]
Include = Annotated[Optional[list[str]], typer.Option(help="Glob of files that may change (repeatable).")]
Exclude = Annotated[Optional[list[str]], typer.Option(help="Glob of files never changed (repeatable).")]
MeasureBudget = Annotated[Optional[float], typer.Option(help="Seconds one measurement verdict may take.")]
Candidates = Annotated[Optional[int], typer.Option(help="Candidates requested per target.")]
Prompts = Annotated[Optional[str], typer.Option(help="Directory of Jinja templates overriding the prompts.")]
ApiKeyEnv = Annotated[Optional[str], typer.Option(help="Environment variable holding the API key.")]
BaseUrl = Annotated[Optional[str], typer.Option(help="Base URL of an OpenAI-compatible server.")]
MaxCost = Annotated[Optional[float], typer.Option(help="Most US dollars to spend on model calls.")]
TimeBudget = Annotated[Optional[float], typer.Option(help="Seconds the whole run may take.")]
Cache = Annotated[Optional[bool], typer.Option("--cache/--no-cache", help="Reuse cached model replies.")]
Setup = Annotated[Optional[str], typer.Option(
    help="Shell command run once in each worktree before anything else, e.g. a build step.")]
Python = Annotated[Optional[str], typer.Option(
    "--python", help="The project's interpreter, which runs its tests and workload (default: python on PATH).")]
TestTimeout = Annotated[Optional[float], typer.Option(help="Seconds one run of the test suite may take.")]
PassEnv = Annotated[Optional[list[str]], typer.Option(
    "--pass-env", metavar="NAME", help=(
        "Environment variable (or glob) the project's tests and workload also get (repeatable); everything "
        "outside a small base (PATH, HOME, LANG, ...) is withheld from them."))]
MeasureKind = Annotated[Optional[str], typer.Option(
    "--measure", metavar="time|cycles|auto", help=(
        "What decides: wall time, simulated cycles (valgrind; load-independent, with a wall-time guard), or "
        "auto (the default): cycles where valgrind is installed and a simulated run fits the budget."))]
MaxMemoryGrowth = Annotated[Optional[float], typer.Option(
    help="Most a candidate may raise the workload's peak memory, e.g. 1.5 (the default).")]
Jobs = Annotated[Optional[int], typer.Option(
    help="Candidates verified (and counted) at the same time, each in its own worktree (default: the cores).")]
AllowDirty = Annotated[bool, typer.Option(help="Carry uncommitted changes into the run's branch.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help=(
    "No status line and no progress lines on stderr: only the result, and errors."))]
Json = Annotated[bool, typer.Option("--json", help=(
    "Print the summary as JSON on stdout (and nothing else there); the table goes to stderr."))]


def settings_flags(**given: Any) -> dict[str, Any]:
    """The options given as settings flags (None: not given); repeatable globs become tuples."""
    return {k: (tuple(v) if v else None) if k in LIST_FIELDS else v for k, v in given.items()}
