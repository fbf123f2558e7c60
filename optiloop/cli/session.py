"""``optiloop session``: a person steers the loop, candidate by candidate, in the terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from optiloop.cli.common import errors_to_exit, out, progress, say
from optiloop.cli.execute import record_total
from optiloop.errors import BadInput
from optiloop.report import write_reports
from optiloop.report.terminal import closing_lines, summary_table


def session(
    path: Annotated[Path, typer.Argument(help="The project: a git repository or a directory inside one.")] = Path("."),
    resume: Annotated[str | None, typer.Option(
        help="Continue the session (or run) with this id, or `last`; its recorded settings are used.")] = None,
    workload: Annotated[str | None, typer.Option(help="Shell command that exercises the code.")] = None,
    tests: Annotated[str | None, typer.Option(help="Shell command that runs the project's tests.")] = None,
    model: Annotated[str | None, typer.Option(
        help="builtin, openai:M, anthropic:M, openai-compatible:M (with --base-url) or scripted:PATH.")] = None,
    min_speedup: Annotated[float | None, typer.Option(help="Smallest speedup worth a commit, e.g. 1.05.")] = None,
    rounds: Annotated[int | None, typer.Option(help="A/B rounds at the first look (up to 4x if unclear).")] = None,
    include: Annotated[list[str] | None, typer.Option(help="Glob of files that may change (repeatable).")] = None,
    exclude: Annotated[list[str] | None, typer.Option(help="Glob of files never changed (repeatable).")] = None,
    measure_budget: Annotated[float | None, typer.Option(help="Seconds one measurement verdict may take.")] = None,
    candidates: Annotated[int | None, typer.Option(help="Candidates requested per model call.")] = None,
    prompts: Annotated[str | None, typer.Option(help="Directory of Jinja templates overriding the prompts.")] = None,
    api_key_env: Annotated[str | None, typer.Option(help="Environment variable holding the API key.")] = None,
    base_url: Annotated[str | None, typer.Option(help="Base URL of an OpenAI-compatible server.")] = None,
    max_cost: Annotated[float | None, typer.Option(help="Most US dollars to spend on model calls.")] = None,
    cache: Annotated[bool | None, typer.Option("--cache/--no-cache", help="Reuse cached model replies.")] = None,
    allow_dirty: Annotated[bool, typer.Option(help="Carry uncommitted changes into the run's branch.")] = False,
) -> None:
    """Steer the loop yourself: pick targets, give hints, edit, accept or reject each verified candidate."""
    flags: dict[str, Any] = {
        "workload": workload,
        "tests": tests,
        "model": model,
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
        "cache": cache,
    }
    with errors_to_exit():
        from optiloop import app
        from optiloop.session import Session

        if resume is not None:
            given = sorted(k.replace("_", "-") for k, v in flags.items() if v is not None)
            if given or allow_dirty:
                raise BadInput(f"--resume continues with the recorded settings; --{(given or ['allow-dirty'])[0]} "
                               "cannot change them", "drop the other options, or start a new session")
            prepared = app.resume(path, resume, finished_ok=True)  # a person may quit and come back
        else:
            prepared = app.prepare(path, flags, allow_dirty=allow_dirty, mode="session")
        try:
            summary, total = Session(prepared, out, progress).run(record_total)
        finally:
            report = write_reports(prepared.journal.dir)
        out.print(summary_table(summary))
        for line in closing_lines(summary, prepared.repo_root, prepared.base_sha, total, report):
            say(line)
