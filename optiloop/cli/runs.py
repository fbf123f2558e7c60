"""``optiloop runs``, ``optiloop show`` and ``optiloop report``: what the recorded runs did."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table
from rich.text import Text

from optiloop import vcs
from optiloop.cli.common import errors_to_exit, out, progress, say
from optiloop.errors import BadInput, OptiloopError
from optiloop.journal import write_atomic
from optiloop.record import find_run, run_dirs
from optiloop.report import FORMATS, Format, render
from optiloop.report.markdown import significant, total_figure
from optiloop.report.record import RunRecord, branch_text, fmt_cost, fmt_when, outcome, target_name
from optiloop.report.terminal import hint_lines, hint_of
from optiloop.types import fmt_noise, fmt_ratio


def _root(path: Path) -> Path:
    return Path(vcs.open_repo(path).working_dir).resolve()


def _total(r: RunRecord) -> str:
    if r.total is None:
        return "-" if not r.accepted else "not measured"
    t = r.total
    shown = f"{fmt_ratio(t.speedup)}x ({t.interval})" if significant(t) else \
        f"{total_figure(t)} ({fmt_ratio(t.speedup)}x, {t.interval})" if t.speedup > 0 else total_figure(t)
    return shown + (" before undo" if r.total_stale else "")


def _speedups(r: RunRecord) -> list[float]:
    return [a.verdict.speedup for a in r.accepted if a.verdict is not None]


def _accepted(r: RunRecord) -> str:
    """``kept/tried``, then the accepted speedups: ``2/5: 4.98x, 1.12x``."""
    shown = ", ".join(f"{fmt_ratio(s)}x" for s in _speedups(r)[:4]) + (", ..." if len(r.accepted) > 4 else "")
    return f"{len(r.accepted)}/{len(r.attempts)}" + (f": {shown}" if shown else "")


def _row(r: RunRecord) -> dict[str, Any]:
    t = r.total
    return {
        "id": r.id, "date": r.started.isoformat() if r.started else None, "repository": r.repo,
        "subdir": r.subdir, "mode": r.mode, "status": r.status, "branch": r.branch, "attempts": len(r.attempts),
        "accepted": len(r.accepted), "accepted_speedups": _speedups(r), "cost_usd": r.cost,
        "total": None if t is None else {"speedup": t.speedup, "ci_low": t.ci_low, "ci_high": t.ci_high,
                                         "level": t.level, "stale": r.total_stale},
    }  # fmt: skip


def runs(
    path: Annotated[Path, typer.Argument(help="A git repository (or a directory inside one).")] = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="Print the runs as JSON.")] = False,
) -> None:
    """List the recorded runs of a repository, newest first."""
    with errors_to_exit():
        root = _root(path)
        records: list[RunRecord] = []
        damaged: list[tuple[str, OptiloopError]] = []
        for d in run_dirs(root):
            try:
                records.append(RunRecord.load(d))
            except OptiloopError as exc:
                damaged.append((d.name, exc))
        if as_json:
            say(json.dumps([_row(r) for r in records], indent=2))
            return
        if not records and not damaged:
            say(f"No optiloop runs recorded in {root}; start one with `optiloop run`.")
            return
        table = Table(title=f"optiloop runs in {root}")
        for col in ("id", "date", "repository", "mode", "status", "accepted", "total speedup", "cost"):
            table.add_column(col, overflow="fold", justify="right" if col == "cost" else "left")
        for r in records:
            repo = f"{r.repo}/{r.subdir}" if r.subdir else r.repo
            cells = (r.id, fmt_when(r.started), repo, r.mode, r.status, _accepted(r),
                     _total(r), fmt_cost(r.cost))
            table.add_row(*(Text(c) for c in cells))
        out.print(table)
        for name, problem in damaged:
            say(f"{name}: cannot be read: {problem.message}")


def show(
    run_id: Annotated[str, typer.Argument(help="A run id (or a unique prefix of one), or `last`.")] = "last",
    path: Annotated[Path, typer.Option(help="The repository the run belongs to.")] = Path("."),
    verbose: Annotated[bool, typer.Option("--verbose", "-v",
                                          help="Show the statistics behind each verdict, and its hints.")] = False,
) -> None:
    """Print one run's attempts, each led by a plain sentence of what was decided and why."""
    with errors_to_exit():
        r = RunRecord.of(find_run(_root(path), run_id))
        status = r.status if not r.error else f"{r.status} ({r.error})"
        say(f"run {r.id}: {status}, {r.mode}, started {fmt_when(r.started)}, model {r.model}")
        say(f"branch {branch_text(r)} from {r.base[:10]}; {len(r.accepted)} of {len(r.attempts)} attempt(s) "
            f"accepted; model cost {fmt_cost(r.cost)}")
        if r.baseline is not None:
            say(f"baseline: {r.baseline.mean:.3f} s per workload run"
                + (f"; {fmt_noise(r.noise.floor, r.noise.rounds)}" if r.noise else ""))
        if r.attempts:
            out.print(_attempts_table(r, verbose))
        else:
            say("no attempts recorded")
        for line in hint_lines(r.attempts) if not verbose else ():  # --verbose shows it under each attempt
            say(line)
        if r.total is not None:
            say(f"total: {r.total.plain}" + (" (measured before a later undo)" if r.total_stale else ""))
            if verbose:
                say(f"  statistics: {r.total.reason}")
            if r.total.advice:
                say(f"  hint: {r.total.advice}")
        if r.stop_reason:
            say(f"stopped: {r.stop_reason}")
        html = r.dir / "report.html"
        if html.is_file():
            say(f"report: {html}")


def _attempts_table(r: RunRecord, verbose: bool) -> Table:
    """One row per attempt: how it ended and its plain headline; ``verbose`` adds the statistics (speedup,
    interval, reason) and any hint under the headline."""
    table = Table(show_lines=verbose)
    columns = ("#", "target", "candidate", "outcome", "speedup", "interval", "why") if verbose else \
        ("#", "target", "candidate", "outcome", "why")
    for col in columns:
        table.add_column(col, overflow="fold")
    for a in r.attempts:
        v = a.verdict
        why = Text(a.headline)
        cells = [Text(str(a.number)), Text(target_name(a, r.subdir)), Text(a.candidate.origin),
                 Text(outcome(a, r.undone))]
        if verbose:
            measured = v is not None and v.speedup > 0
            cells += [Text(f"{fmt_ratio(v.speedup)}x" if measured and v is not None else ""),
                      Text(f"{v.interval} ({v.level_pct})" if measured and v is not None else "")]
            if a.statistics:
                why.append(f"\nstatistics: {a.statistics}", style="dim")
        if verbose and (hint := hint_of(a)):
            why.append(f"\nhint: {hint}", style="dim")
        table.add_row(*cells, why)
    return table


def report(
    run_id: Annotated[str, typer.Argument(help="A run id (or a unique prefix of one), or `last`.")] = "last",
    path: Annotated[Path, typer.Option(help="The repository the run belongs to.")] = Path("."),
    fmt: Annotated[str, typer.Option("--format", help="md (for a PR comment), html (one file) or json (for CI).")]
    = "md",
    output: Annotated[Optional[Path], typer.Option(help="Write the report to this file instead of stdout.")] = None,
) -> None:
    """Print (or write) one run's report as Markdown, self-contained HTML, or JSON."""
    with errors_to_exit():
        if fmt not in FORMATS:
            raise BadInput(f"unknown report format '{fmt}'", f"choose one of: {', '.join(FORMATS)}")
        if output is not None and not output.parent.resolve().is_dir():
            raise BadInput(f"the directory of --output {output} does not exist", "create it or pick another file")
        if output is not None and output.is_dir():
            raise BadInput(f"--output {output} is a directory", "give a file name")
        chosen: Format = "md" if fmt == "md" else "html" if fmt == "html" else "json"
        text = render(find_run(_root(path), run_id).dir, chosen)
        if output is None:
            typer.echo(text, nl=False)
            return
        write_atomic(output, text)
        progress(f"wrote {output}")
