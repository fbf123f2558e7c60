"""``optiloop bench``: how long the workload takes, mean ± stdev over fresh processes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from optiloop.cli.common import err, errors_to_exit, say
from optiloop.cli.options import BENCH_SETTINGS, with_settings
from optiloop.config import load_settings
from optiloop.errors import BadInput
from optiloop.measure.instructions import fmt_count
from optiloop.measure.standalone import BenchResult, bench
from optiloop.proc import child_env


@contextmanager
def progress_bar(what: str) -> Iterator[Callable[[int, int], None]]:
    """A transient progress bar on a terminal's stderr; nothing when stderr is not a terminal."""
    if not err.is_terminal:
        yield lambda done, total: None
        return
    with Progress(TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task(what, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def fmt_seconds(s: float) -> str:
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.3f} s"


def bench_text(r: BenchResult) -> str:
    m = r.measurement
    text = (f"workload: {fmt_seconds(m.mean)} ± {fmt_seconds(m.stdev)} (mean ± stdev of {len(m.samples)} runs, "
            f"each in a fresh process; median {fmt_seconds(r.median)}, min {fmt_seconds(min(m.samples))}, "
            f"max {fmt_seconds(max(m.samples))})")
    if r.instructions is not None:
        text += f"; {fmt_count(r.instructions)} instructions per run"
    if r.cost is not None:
        text += (f"\nsimulated: {fmt_count(r.cost.cycles)} cycles, {fmt_count(r.cost.instructions)} instructions per "
                 f"run ({r.why}, {r.cost.processes} process(es); load-independent)")
    elif r.why and r.why != "--measure time was asked for":
        text += f"\nnot counted in cycles: {r.why}"
    return text


def bench_json(r: BenchResult) -> dict[str, object]:
    m = r.measurement
    return {"command": r.command, "path": r.path, "runs": len(m.samples), "mean": m.mean, "stdev": m.stdev,
            "median": r.median, "min": min(m.samples), "max": max(m.samples), "samples": list(m.samples),
            "instructions": r.instructions, "measure": "cycles" if r.cost is not None else "time",
            "measure_why": r.why, "cycles": r.cost.cycles if r.cost else None,
            "simulated_instructions": r.cost.instructions if r.cost else None}


@with_settings(*BENCH_SETTINGS)
def bench_command(
    path: Annotated[Path, typer.Argument(help="The project directory the workload runs in.")] = Path("."),
    runs: Annotated[int, typer.Option(min=2, max=1000, help="Timed runs, each in a fresh process.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    *,
    flags: dict[str, Any],
) -> None:
    """Time the workload: mean ± stdev over fresh processes, after a warm-up run."""
    with errors_to_exit():
        if not path.is_dir():
            raise BadInput(f"{path} is not a directory", "pass the project's directory")
        settings = load_settings(path, flags)
        if not settings.workload:
            raise BadInput("no workload command given",
                           "pass --workload CMD or set workload = \"...\" under [tool.optiloop] in pyproject.toml")
        env = child_env(pass_env=settings.pass_env)
        with progress_bar("timing the workload") as update:
            result = bench(path.resolve(), settings.workload, runs, settings.timeout, env, update,
                           settings.measure, settings.measure_budget)
        say(json.dumps(bench_json(result), indent=2) if as_json else bench_text(result))
