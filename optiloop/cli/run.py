"""``optiloop run``: the whole loop on a git repository."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from optiloop.app import RESUME_FLAGS, prepare, resume
from optiloop.cli.common import err, errors_to_exit, out
from optiloop.cli.execute import execute
from optiloop.cli.options import (
    AllowDirty,
    ApiKeyEnv,
    BaseUrl,
    Cache,
    Candidates,
    Exclude,
    Include,
    Jobs,
    Json,
    MaxCost,
    MaxIterations,
    MaxMemoryGrowth,
    MeasureBudget,
    MeasureKind,
    MinSpeedup,
    Model,
    PassEnv,
    ProjectPath,
    Prompts,
    Python,
    Quiet,
    Rounds,
    Setup,
    Tests,
    TestTimeout,
    TimeBudget,
    Workload,
    settings_flags,
)
from optiloop.cli.status import status_line
from optiloop.errors import BadInput
from optiloop.report import render


def run(
    path: ProjectPath = Path("."),
    workload: Workload = None,
    tests: Tests = None,
    model: Model = None,
    max_iterations: MaxIterations = None,
    min_speedup: MinSpeedup = None,
    rounds: Rounds = None,
    include: Include = None,
    exclude: Exclude = None,
    measure_budget: MeasureBudget = None,
    candidates: Candidates = None,
    prompts: Prompts = None,
    api_key_env: ApiKeyEnv = None,
    base_url: BaseUrl = None,
    max_cost: MaxCost = None,
    time_budget: TimeBudget = None,
    cache: Cache = None,
    setup: Setup = None,
    python: Python = None,
    test_timeout: TestTimeout = None,
    pass_env: PassEnv = None,
    measure: MeasureKind = None,
    max_memory_growth: MaxMemoryGrowth = None,
    jobs: Jobs = None,
    allow_dirty: AllowDirty = False,
    resume_id: Annotated[Optional[str], typer.Option("--resume", metavar="RUN-ID|last", help=(
        "Continue a killed run (its id, or last: the newest unfinished one) with its recorded settings; "
        "only --max-iterations, --time-budget and --max-cost may be given with it."))] = None,
    quiet: Quiet = False,
    json: Json = False,
) -> None:
    """Profile the workload, try faster versions of its hottest functions, commit the real speedups."""
    flags = settings_flags(workload=workload, tests=tests, model=model, max_iterations=max_iterations,
        min_speedup=min_speedup, rounds=rounds, include=include, exclude=exclude, measure_budget=measure_budget,
        candidates=candidates, prompts=prompts, api_key_env=api_key_env, base_url=base_url, max_cost=max_cost,
        time_budget=time_budget, cache=cache,
        setup=setup, python=python, test_timeout=test_timeout, pass_env=pass_env,
        measure=measure, max_memory_growth=max_memory_growth, jobs=jobs)
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
