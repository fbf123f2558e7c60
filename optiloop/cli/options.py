"""The options ``run``, ``session`` and ``pr`` share, and those ``compare`` and ``bench`` share, declared once:
typer reads ``Annotated`` aliases, and ``with_settings`` adds the ones a command takes to its signature."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional, get_args

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
Executor = Annotated[Optional[str], typer.Option(
    "--executor", metavar="local|ray", help=(
        "Where candidates are verified and counted: local worktrees (the default) or the workers of a Ray cluster "
        "(pip install 'optiloop[ray]')."))]
RayAddress = Annotated[Optional[str], typer.Option(
    "--ray-address", metavar="ADDR", help="The Ray cluster of --executor ray, e.g. 10.0.0.5:6379 (default: "
                                          "RAY_ADDRESS).")]
AllowDirty = Annotated[bool, typer.Option(help="Carry uncommitted changes into the run's branch.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help=(
    "No status line and no progress lines on stderr: only the result, and errors."))]
Json = Annotated[bool, typer.Option("--json", help=(
    "Print the summary as JSON on stdout (and nothing else there); the table goes to stderr."))]


Timeout = Annotated[Optional[float], typer.Option(help="Seconds one run of the workload (or tests) may take.")]

# the settings a command may take as options, by setting name (``config.Settings``)
SETTING_OPTIONS: dict[str, Any] = {
    "workload": Workload, "tests": Tests, "model": Model, "max_iterations": MaxIterations, "min_speedup": MinSpeedup,
    "rounds": Rounds, "include": Include, "exclude": Exclude, "measure_budget": MeasureBudget,
    "candidates": Candidates, "prompts": Prompts, "api_key_env": ApiKeyEnv, "base_url": BaseUrl, "max_cost": MaxCost,
    "time_budget": TimeBudget, "cache": Cache, "setup": Setup, "python": Python, "test_timeout": TestTimeout,
    "pass_env": PassEnv, "measure": MeasureKind, "max_memory_growth": MaxMemoryGrowth, "jobs": Jobs,
    "executor": Executor, "ray_address": RayAddress, "timeout": Timeout,
}
RUN_SETTINGS = tuple(n for n in SETTING_OPTIONS if n != "timeout")  # run and pr
SESSION_SETTINGS = tuple(n for n in RUN_SETTINGS if n not in ("max_iterations", "time_budget"))  # a person decides
BENCH_SETTINGS = ("workload", "timeout", "measure_budget", "pass_env", "measure")  # bench: one tree, as it is
MEASURE_SETTINGS = (*BENCH_SETTINGS, "rounds", "setup", "python")  # compare: two refs, each built


def with_settings(*names: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A typer command that also takes the settings ``names`` as options (``SETTING_OPTIONS``, declared once)
    and receives the ones given as one ``flags`` dict (``settings_flags``) instead of a parameter each. The
    command's own arguments come first in its signature, then the settings, then its own other options."""
    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        signature = inspect.signature(command, eval_str=True)
        own = [p for p in signature.parameters.values() if p.name != "flags"]
        arguments = [p for p in own if any(isinstance(m, typer.models.ArgumentInfo) for m in _metadata(p))]
        options = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own if p not in arguments]
        settings = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=SETTING_OPTIONS[n])
                    for n in names]

        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> None:
            flags = settings_flags(**{n: kwargs.pop(n, None) for n in names})
            command(*args, flags=flags, **kwargs)

        parameters = [*arguments, *settings, *options]
        run.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in parameters}
        return run

    return decorate


def _metadata(parameter: inspect.Parameter) -> tuple[Any, ...]:
    return get_args(parameter.annotation)[1:] if hasattr(parameter.annotation, "__metadata__") else ()


def settings_flags(**given: Any) -> dict[str, Any]:
    """The options given as settings flags (None: not given); repeatable globs become tuples."""
    return {k: (tuple(v) if v else None) if k in LIST_FIELDS else v for k, v in given.items()}
