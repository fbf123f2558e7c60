"""``optiloop session``: a person steers the loop, candidate by candidate, in the terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from optiloop.cli.common import errors_to_exit, out, progress, say
from optiloop.cli.execute import record_total
from optiloop.cli.options import (
    AllowDirty,
    ApiKeyEnv,
    BaseUrl,
    Cache,
    Candidates,
    Exclude,
    Include,
    Jobs,
    MaxCost,
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
    Workload,
    settings_flags,
)
from optiloop.cli.status import status_line
from optiloop.errors import BadInput
from optiloop.report import write_reports
from optiloop.report.terminal import closing_lines, summary_table


def session(
    path: ProjectPath = Path("."),
    resume: Annotated[Optional[str], typer.Option(
        help="Continue the session (or run) with this id, or `last`; its recorded settings are used.")] = None,
    workload: Workload = None,
    tests: Tests = None,
    model: Model = None,
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
    cache: Cache = None,
    setup: Setup = None,
    python: Python = None,
    test_timeout: TestTimeout = None,
    pass_env: PassEnv = None,
    measure: MeasureKind = None,
    max_memory_growth: MaxMemoryGrowth = None,
    jobs: Jobs = None,
    allow_dirty: AllowDirty = False,
    quiet: Quiet = False,
) -> None:
    """Steer the loop yourself: pick targets, give hints, edit, accept or reject each verified candidate."""
    flags = settings_flags(workload=workload, tests=tests, model=model, min_speedup=min_speedup, rounds=rounds,
        include=include, exclude=exclude, measure_budget=measure_budget, candidates=candidates, prompts=prompts,
        api_key_env=api_key_env, base_url=base_url, max_cost=max_cost, cache=cache,
        setup=setup, python=python, test_timeout=test_timeout, pass_env=pass_env,
        measure=measure, max_memory_growth=max_memory_growth, jobs=jobs)
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
