"""``optiloop run``: the whole loop on a git repository."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from optiloop.app import RESUME_FLAGS, prepare, resume
from optiloop.cli.common import errors_to_exit
from optiloop.cli.execute import execute
from optiloop.errors import BadInput


def run(
    path: Annotated[Path, typer.Argument(help="The project: a git repository or a directory inside one.")] = Path("."),
    workload: Annotated[str | None, typer.Option(help="Shell command that exercises the code.")] = None,
    tests: Annotated[str | None, typer.Option(help="Shell command that runs the project's tests.")] = None,
    model: Annotated[str | None, typer.Option(
        help="builtin, openai:M, anthropic:M, openai-compatible:M (with --base-url) or scripted:PATH.")] = None,
    max_iterations: Annotated[int | None, typer.Option(help="Most candidates to try.")] = None,
    min_speedup: Annotated[float | None, typer.Option(help="Smallest speedup worth a commit, e.g. 1.05.")] = None,
    rounds: Annotated[int | None, typer.Option(help="A/B rounds at the first look (up to 4x if unclear).")] = None,
    include: Annotated[list[str] | None, typer.Option(help="Glob of files that may change (repeatable).")] = None,
    exclude: Annotated[list[str] | None, typer.Option(help="Glob of files never changed (repeatable).")] = None,
    measure_budget: Annotated[float | None, typer.Option(help="Seconds one measurement verdict may take.")] = None,
    candidates: Annotated[int | None, typer.Option(help="Candidates requested per target.")] = None,
    prompts: Annotated[str | None, typer.Option(help="Directory of Jinja templates overriding the prompts.")] = None,
    api_key_env: Annotated[str | None, typer.Option(help="Environment variable holding the API key.")] = None,
    base_url: Annotated[str | None, typer.Option(help="Base URL of an OpenAI-compatible server.")] = None,
    max_cost: Annotated[float | None, typer.Option(help="Most US dollars to spend on model calls.")] = None,
    time_budget: Annotated[float | None, typer.Option(help="Seconds the whole run may take.")] = None,
    cache: Annotated[bool | None, typer.Option("--cache/--no-cache", help="Reuse cached model replies.")] = None,
    allow_dirty: Annotated[bool, typer.Option(help="Carry uncommitted changes into the run's branch.")] = False,
    resume_id: Annotated[str | None, typer.Option("--resume", metavar="RUN-ID|last", help=(
        "Continue a killed run (its id, or last: the newest unfinished one) with its recorded settings; "
        "only --max-iterations, --time-budget and --max-cost may be given with it."))] = None,
) -> None:
    """Profile the workload, try faster versions of its hottest functions, commit the real speedups."""
    flags = {
        "workload": workload,
        "tests": tests,
        "model": model,
        "max_iterations": max_iterations,
        "min_speedup": min_speedup,
        "rounds": rounds,
        "include": tuple(include) if include else None,
        "exclude": tuple(exclude) if exclude else None,
        "measure_budget": measure_budget,
        "candidates": candidates,
        "prompts": prompts,
        "api_key_env": api_key_env,
        "base_url": base_url,
        "max_cost": max_cost,
        "time_budget": time_budget,
        "cache": cache,
    }
    with errors_to_exit():
        if resume_id is None:
            prepared = prepare(path, flags, allow_dirty=allow_dirty)
        else:
            given = [k for k, v in flags.items() if v is not None and k not in RESUME_FLAGS]
            if given or allow_dirty:
                name = given[0].replace("_", "-") if given else "allow-dirty"
                raise BadInput(f"--{name} cannot be given with --resume",
                               "a resumed run keeps its recorded settings; only --max-iterations, --time-budget "
                               "and --max-cost may change")
            prepared = resume(path, resume_id, flags={k: flags[k] for k in RESUME_FLAGS})
        execute(prepared)
