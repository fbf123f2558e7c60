"""A run as Markdown, short enough for a pull-request comment.

Total workload speedup, one table row per accepted change, each diff folded in a ``<details>`` block,
and the rejected attempts counted in one line. Everything shown is read from the run record.
"""

from __future__ import annotations

import html
import math

from optiloop.profiling.addressable import LABELS, PROJECT, bound_of, pct
from optiloop.report.commit import checks_passed
from optiloop.report.record import (
    RunRecord,
    calls_replayed,
    diff_of,
    fmt_cost,
    fmt_when,
    outcome_counts,
    target_name,
)
from optiloop.types import Applied, Attempt, Verdict, fmt_ratio

MAX_DIFF_LINES = 200  # a longer diff is cut in the comment; the branch has all of it


def cell(text: str) -> str:
    """Table-cell text: no line breaks, pipes escaped, HTML-looking text made inert."""
    return html.escape(" ".join(text.split()), quote=False).replace("|", "\\|")


def code(text: str) -> str:
    """Inline code that survives backticks inside it."""
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def fenced(body: str, lang: str) -> str:
    fence = "```"
    while fence in body:
        fence += "`"
    return f"{fence}{lang}\n{body.rstrip(chr(10))}\n{fence}"


def speedup_text(v: Verdict) -> str:
    return f"{fmt_ratio(v.speedup)}x"


def memory_text(v: Verdict) -> str:
    """``; peak memory 80.1 -> 81.0 MiB`` where both peaks were recorded, else ""."""
    if v.peak_memory is None:
        return ""
    return f"; peak memory {v.peak_memory[0] / 2**20:.1f} -> {v.peak_memory[1] / 2**20:.1f} MiB"


def interval_text(v: Verdict) -> str:
    """The interval (level) of a time verdict; a cycles verdict's exact band and its wall-time guard."""
    if v.measure != "cycles":
        return f"{v.interval} ({v.level_pct})"
    guard = v.guard
    wall = f"; wall time {fmt_ratio(guard.speedup)}x ({guard.interval}, {guard.level_pct})" if guard is not None else ""
    tolerance = f"±{v.tolerance:.2%}" if v.tolerance is not None else "exact"
    return f"simulated, {tolerance}{wall}"


def predicted_text(v: Verdict) -> str:
    """The workload speedup the profile allows for this change (Amdahl: the target's share of the time
    and its speedup on the replayed calls), shown beside the measured one; ``≤ 4.20x`` when it is only the
    bound of an infinitely fast target (no local speedup was timed)."""
    if v.predicted is None:
        return "-"
    return f"{'≤ ' if v.predicted_bound else ''}{fmt_ratio(v.predicted)}x"


def significant(v: Verdict) -> bool:
    """Whether the verdict's interval excludes 1.0: only then may its figure lead."""
    return v.speedup > 0 and (v.ci_low > 1.0 or v.ci_high < 1.0)


def total_figure(v: Verdict) -> str:
    """The whole run's lead: its speedup when the interval excludes 1.0, else what was found instead."""
    if v.speedup <= 0:
        return "not measured"
    return speedup_text(v) if significant(v) else "no significant difference"


def total_line(r: RunRecord) -> str:
    if r.total is not None:
        v = r.total
        rounds = f", {v.rounds} interleaved rounds" if v.rounds else ""
        stale = " (measured before a later undo)" if r.total_stale else ""
        figure = "" if significant(v) or v.speedup <= 0 else f"{speedup_text(v)}, "
        advice = f" Hint: {cell(v.advice)}." if v.advice else ""
        return (f"**Total workload speedup: {total_figure(v)}** ({figure}{v.level_pct} CI {v.interval}{rounds}; "
                f"branch head against base {code(r.base[:10])}){stale}.{advice}")
    if r.accepted:
        return "**Total workload speedup:** not measured (the run ended before it)"
    return "**Total workload speedup:** none, no change was accepted"


def _row(a: Attempt, r: RunRecord) -> str:
    v = a.verdict
    assert v is not None
    checks = checks_passed(a.checks)
    replayed = calls_replayed(a)
    return "| " + " | ".join([
        str(a.number),
        code(target_name(a, r.subdir)),
        f"**{speedup_text(v)}**" + (" fewer cycles" if v.measure == "cycles" else ""),
        interval_text(v) + memory_text(v),
        predicted_text(v),
        cell(checks) or "none",
        "-" if replayed is None else str(replayed),
        cell(a.candidate.origin),
        fmt_cost(a.candidate.usage.cost_usd),
        code((a.commit or "")[:10]),
    ]) + " |"


def _diff_block(a: Attempt, r: RunRecord) -> list[str]:
    diff = diff_of(a)
    lines = diff.splitlines()
    cut = ""
    if len(lines) > MAX_DIFF_LINES:
        cut = f"\n\n({len(lines) - MAX_DIFF_LINES} more lines on the branch, commit {code((a.commit or '')[:10])})"
        diff = "\n".join(lines[:MAX_DIFF_LINES])
    v = a.verdict
    speed = f" {speedup_text(v)}" if v is not None else ""
    summary = html.escape(f"#{a.number} {target_name(a, r.subdir)}{speed}", quote=False)
    rationale = "\n".join(f"> {html.escape(line, quote=False)}" for line in a.candidate.rationale.splitlines())
    t = a.candidate.target
    others = [c for c in (a.edit.changed(t.path, t.qualname) if isinstance(a.edit, Applied) else ())
              if (c.path, c.qualname) != (t.path, t.qualname)]
    also = ("Also changes: " + ", ".join(f"{code(f'{c.path}::{c.qualname}')} ({c.kind})" for c in others)) if others \
        else ""
    return ["<details>", f"<summary>Diff of {summary}</summary>", "", *([rationale, ""] if rationale else []),
            *([also, ""] if also else []),
            fenced(diff, "diff") + cut, "", "</details>"]


def rejected_line(r: RunRecord) -> str:
    rejected = r.rejected
    if not rejected:
        return "No attempt was rejected."
    parts = ", ".join(f"{n} {what}" for what, n in outcome_counts(rejected, r.undone))
    return f"{len(rejected)} rejected attempt(s): {parts}."


def header_line(r: RunRecord) -> str:
    status = r.status if not r.error else f"{r.status}: {r.error}"
    removed = " (removed: nothing was committed)" if r.branch_removed else ""
    return (f"Run {code(r.id)} ({fmt_when(r.started)}, {r.mode}, {cell(status)}) on branch {code(r.branch)}{removed} "
            f"from {code(r.base[:10])}; model {code(r.model)}; {len(r.attempts)} attempt(s); "
            f"model cost {fmt_cost(r.cost)}" + (f"; median prompt {r.prompt_chars:,} characters." if r.prompt_chars
                                                 else "."))


def bound_line(r: RunRecord) -> str | None:
    """What the run's first profile allows (Amdahl: the time outside the project's own Python code stays);
    None when it allows any speedup or the record predates the breakdown."""
    first = next((p for p in r.profiles if p.addressable is not None), None)
    if first is None or first.addressable is None or not first.samples:
        return None
    best = bound_of(first.addressable)
    if math.isinf(best):
        return None
    shares = [(c, f) for c, f in first.breakdown if c != PROJECT and c in LABELS]
    rest = ", ".join(f"{LABELS[c]} {pct(f)}" for c, f in shares)
    return (f"The profile allows at most {fmt_ratio(best)}x: only {pct(first.addressable)} of the "
            f"workload's time is in the project's own Python code{f' ({cell(rest)})' if rest else ''}.")


def render_markdown(r: RunRecord) -> str:
    lines = ["### optiloop report", "", total_line(r), "", header_line(r), ""]
    allows = bound_line(r)
    if allows is not None:
        lines += [allows, ""]
    if r.accepted:
        lines += [
            "| # | target | speedup | interval (level) | profile allows | checks passed | calls replayed | model "
            "| cost | commit |",
            "| ---: | --- | ---: | --- | ---: | --- | ---: | --- | ---: | --- |",
            *(_row(a, r) for a in r.accepted),
            "",
        ]
    else:
        lines += ["No speedup was accepted.", ""]
    undone = [a for a in r.attempts if a.commit is not None and a.commit in r.undone]
    if undone:
        lines += [f"Undone after the run: {', '.join(f'#{a.number}' for a in undone)}.", ""]
    lines += [rejected_line(r), ""]
    for a in r.accepted:
        lines += [*_diff_block(a, r), ""]
    if r.stop_reason:
        lines.append(f"Stopped: {cell(r.stop_reason)}.")
    return "\n".join(lines).rstrip("\n") + "\n"
