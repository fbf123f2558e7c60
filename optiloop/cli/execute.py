"""Running a prepared loop with progress on the terminal; shared by ``run`` and ``demo``."""

from __future__ import annotations

from rich.console import Console

from optiloop.app import Prepared, finish
from optiloop.cli.common import out, progress
from optiloop.measure.total import measure_total
from optiloop.progress import WHOLE_RUN
from optiloop.record import TotalMeasured
from optiloop.report import write_reports
from optiloop.report.terminal import attempt_line, closing_lines, noise_line, summary_table
from optiloop.types import RunSummary, Verdict, Workload


def execute(prepared: Prepared, console: Console | None = out) -> RunSummary:
    """Baseline, profile, then attempts until the budget or the ideas run out; the summary table and
    closing lines go to ``console`` (stdout, or stderr where stdout is kept for something else; None:
    nowhere, for ``--json --quiet``)."""
    loop = prepared.loop
    loop.on_note = lambda note: progress(f"note: {note}")
    for note in prepared.notes:
        progress(f"note: {note}")
    progress(f"run {loop.run_id}: working on branch {prepared.workspace.branch}")
    summary: RunSummary | None = None
    total: Verdict | None = None
    error: str | None = None
    try:
        progress("measuring the baseline and profiling the workload ...")
        profile = loop.start()
        for note in loop.s.profiler.notes:  # e.g. py-spy unavailable: the fallback profiler
            progress(f"note: {note}")
        if (noise := loop.s.measurer.noise) is not None:
            progress(noise_line(noise))
        if loop.baseline is not None:
            progress(f"baseline: {loop.baseline.mean:.3f} s per workload run; "
                     f"{len(profile.hotspots)} hot definition(s) in {profile.samples} samples")
        for h in profile.hotspots[:5]:
            progress(f"  {h.self_frac:6.1%}  {h.path}::{h.qualname}")
        summary = loop.run(lambda a: progress(attempt_line(a)))
        total = record_total(prepared, summary)
    except BaseException as exc:  # whatever ended the run is recorded, so it never reads as finished cleanly
        error = str(exc) or type(exc).__name__
        raise
    finally:
        finish(prepared, summary if summary is not None else loop.summary(), error)
        report = write_reports(prepared.journal.dir)
    prepared.progress.idle()
    if console is None:
        return summary
    console.print(summary_table(summary))
    for line in closing_lines(summary, prepared.repo_root, prepared.base_sha, total, report,
                               prepared.branch_removed):
        console.print(line, markup=False)
    return summary


def record_total(prepared: Prepared, summary: RunSummary) -> Verdict | None:
    """With at least one commit: the base against the branch head, interleaved; recorded as event ``total``."""
    if not summary.accepted or not prepared.settings.workload:
        return None
    ws = prepared.workspace
    progress(f"measuring the whole run: the branch head against the base {prepared.base_sha[:10]} ...")
    prepared.progress.stage(WHOLE_RUN)
    verdict = measure_total(ws, Workload(prepared.settings.workload), prepared.base_sha, prepared.settings.rounds,
                            prepared.settings.timeout, prepared.journal.artifacts / "measure" / "total",
                            on_round=prepared.progress.step)
    verdict = prepared.loop.s.measurer.total(verdict, prepared.base_sha)  # cycles: both counted too
    prepared.journal.write(TotalMeasured(verdict=verdict, base=prepared.base_sha, head=ws.head()))
    return verdict
