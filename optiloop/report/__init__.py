"""Turning a run's records into text for people: commit messages, terminal tables, reports.

``render(run_dir, fmt)`` reads one run's record (``.optiloop/runs/<run-id>/``) and returns its report as
Markdown (short, for a pull-request comment), one self-contained HTML page, or JSON (see ``schema.json``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

Format = Literal["md", "html", "json"]
FORMATS: tuple[Format, ...] = ("md", "html", "json")


def render(run_dir: Path, fmt: Format) -> str:
    """The report of the run recorded in ``run_dir``; numbers are the ones the run recorded."""
    from optiloop.errors import BadInput
    from optiloop.report.record import RunRecord

    record = RunRecord.load(run_dir)
    if fmt == "md":
        from optiloop.report.markdown import render_markdown

        return render_markdown(record)
    if fmt == "html":
        from optiloop.report.html import render_html

        return render_html(record)
    if fmt == "json":
        from optiloop.report.jsonreport import render_json

        return render_json(record)
    raise BadInput(f"unknown report format '{fmt}'", f"choose one of: {', '.join(FORMATS)}")


def write_reports(run_dir: Path) -> Path | None:
    """``report.md`` and ``report.html`` into the run directory, each written atomically; returns the HTML
    report's path, or None when the record could not be reported (the run's own outcome stands)."""
    from optiloop.errors import OptiloopError
    from optiloop.journal import write_atomic

    try:
        write_atomic(run_dir / "report.md", render(run_dir, "md"))
        write_atomic(run_dir / "report.html", render(run_dir, "html"))
    except (OptiloopError, OSError, ValueError):
        return None
    return run_dir / "report.html"
