"""A run as one self-contained HTML page: inline CSS and SVG, no script, nothing fetched.

The Markdown report's content, plus before/after flame graphs of the workload, the chart of cumulative
speedup over attempts, and every rejected attempt with its reason. Everything from the run record is
untrusted text (candidate code, model rationales, reasons) and is escaped.
"""

from __future__ import annotations

from html import escape

from optiloop.report.chart import speedup_chart
from optiloop.report.commit import checks_passed
from optiloop.report.flame import flame_of
from optiloop.report.markdown import interval_text, memory_text, predicted_text, significant, total_figure
from optiloop.report.record import (
    RunRecord,
    branch_text,
    calls_replayed,
    diff_of,
    fmt_cost,
    fmt_when,
    outcome,
    outcome_counts,
    target_name,
)
from optiloop.types import Attempt, fmt_noise, fmt_ratio

CSS = """
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #ffffff; --soft: #f6f8fa;
        --good: #1a7f37; --bad: #cf222e; --accent: #bc4c00; }
* { box-sizing: border-box; }
body { font: 14px/1.5 -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; color: var(--fg);
       background: var(--bg); margin: 0; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 28px 60px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
.meta { color: var(--muted); margin: 0 0 18px; }
code, pre { font: 12.5px/1.45 "DejaVu Sans Mono", Menlo, Consolas, monospace; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; min-width: 170px;
        background: var(--soft); }
.card .big { font-size: 26px; font-weight: 600; }
.card .big.good { color: var(--good); }
.card .small { color: var(--muted); font-size: 12.5px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0; }
th, td { border: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num { text-align: right; white-space: nowrap; }
td.why { color: var(--muted); font-size: 13px; }
.tag { display: inline-block; white-space: nowrap; padding: 0 7px; border-radius: 10px; font-size: 12px;
        background: #eaeef2; }
.tag.acc { background: #dafbe1; color: var(--good); }
.tag.rej { background: #ffebe9; color: var(--bad); }
details { border: 1px solid var(--line); border-radius: 6px; margin: 8px 0; background: var(--bg); }
details > summary { cursor: pointer; padding: 6px 10px; background: var(--soft); }
details pre { margin: 0; padding: 8px 10px; overflow-x: auto; }
pre .add { background: #dafbe1; display: block; }
pre .del { background: #ffebe9; display: block; }
pre .hunk { color: #8250df; display: block; }
blockquote { margin: 8px 10px; color: var(--muted); }
svg text { font: 11px "DejaVu Sans", Helvetica, Arial, sans-serif; fill: #1f2328; }
svg.flame { border: 1px solid var(--line); border-radius: 6px; background: #fcfcfc; }
svg.chart { max-width: 900px; }
.grid { stroke: #eaeef2; }
.one { stroke: #8c959f; stroke-dasharray: 2 3; }
.steps { fill: none; stroke: var(--accent); stroke-width: 2.5; }
.band { fill: #1a7f37; opacity: 0.12; }
.total { stroke: var(--good); stroke-dasharray: 6 4; stroke-width: 1.5; }
svg text.total-label { fill: var(--good); font-weight: 600; }
circle.acc { fill: var(--good); stroke: #fff; stroke-width: 1.5; }
circle.rej { fill: #fff; stroke: #8c959f; stroke-width: 1.5; }
svg text.tick { fill: var(--muted); }
.empty, .note { color: var(--muted); }
.legend span { margin-right: 16px; color: var(--muted); font-size: 12.5px; }
.sw { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -1px; margin-right: 4px; }
"""


def e(text: object) -> str:
    return escape(str(text), quote=True)


def _diff_html(diff: str) -> str:
    out = []
    for line in diff.splitlines():
        cls = ("add" if line.startswith("+") and not line.startswith("+++") else
               "del" if line.startswith("-") and not line.startswith("---") else
               "hunk" if line.startswith("@@") else "")
        out.append(f'<span class="{cls}">{e(line)}</span>' if cls else e(line))
    return "<pre>" + "\n".join(out) + "</pre>"


def _details(a: Attempt, r: RunRecord, what: str) -> str:
    diff = diff_of(a)
    rationale = "".join(f"<div>{e(line)}</div>" for line in a.candidate.rationale.splitlines())
    body = (f"<blockquote>{rationale}</blockquote>" if rationale else "") + (
        _diff_html(diff) if diff else '<p class="note">No diff: the candidate did not apply.</p>')
    return f"<details><summary>{e(what)} #{a.number} {e(target_name(a, r.subdir))}</summary>{body}</details>"


def _cards(r: RunRecord) -> str:
    if r.total is not None:
        v = r.total
        stale = " · before a later undo" if r.total_stale else ""
        big, figure = ("big good", "") if significant(v) else ("big", f"{fmt_ratio(v.speedup)}x, ")
        hint = f"<div class=\"small\">Hint: {e(v.advice)}.</div>" if v.advice else ""
        total = (f'<div class="{big}">{e(total_figure(v))}</div>'
                 f'<div class="small">{e(figure)}{e(v.level_pct)} CI {e(v.interval)}, {v.rounds} rounds{e(stale)}</div>'
                 + hint)
    else:
        total = ('<div class="big">–</div><div class="small">'
                 + ("not measured" if r.accepted else "no change accepted") + "</div>")
    base = f"{r.baseline.mean:.3f} s" if r.baseline is not None else "?"
    noise = fmt_noise(r.noise.floor, r.noise.rounds) if r.noise is not None else "no noise floor"
    cards = [
        ("total workload speedup", total),
        ("accepted", f'<div class="big">{len(r.accepted)}</div><div class="small">of {len(r.attempts)} attempts</div>'),
        ("baseline", f'<div class="big">{e(base)}</div><div class="small">per workload run; {e(noise)}</div>'),
        ("model cost", f'<div class="big">{e(fmt_cost(r.cost))}</div><div class="small">{r.model_calls} call(s), '
                       f'{r.cache_hits} cached; {r.spend.input_tokens} tokens in, {r.spend.output_tokens} out</div>'),
    ]
    return '<div class="cards">' + "".join(
        f'<div class="card"><div class="small">{e(title)}</div>{body}</div>' for title, body in cards) + "</div>"


def _accepted_table(r: RunRecord) -> str:
    if not r.accepted:
        return '<p class="note">No speedup was accepted.</p>'
    rows = []
    for a in r.accepted:
        v = a.verdict
        assert v is not None
        replayed = calls_replayed(a)
        rows.append(
            f"<tr><td class=num>{a.number}</td><td><code>{e(target_name(a, r.subdir))}</code></td>"
            f"<td class=num><b>{fmt_ratio(v.speedup)}x{' fewer cycles' if v.measure == 'cycles' else ''}</b></td>"
            f"<td class=num>{e(interval_text(v))}{e(memory_text(v))}</td>"
            f"<td class=num>{e(predicted_text(v))}</td><td>{e(checks_passed(a.checks))}</td>"
            f"<td class=num>{'-' if replayed is None else replayed}</td><td>{e(a.candidate.origin)}</td>"
            f"<td class=num>{e(fmt_cost(a.candidate.usage.cost_usd))}</td>"
            f"<td><code>{e((a.commit or '')[:10])}</code></td></tr>")
    head = ("<tr><th>#</th><th>target</th><th>speedup</th><th>interval (level)</th>"
            "<th title='the workload speedup the profile allows (Amdahl); ≤: only the bound of an infinitely fast "
            "target, no local speedup was timed'>profile allows</th><th>checks passed</th>"
            "<th>calls replayed</th><th>model</th><th>cost</th><th>commit</th></tr>")
    diffs = "".join(_details(a, r, "diff of") for a in r.accepted)
    return f"<table>{head}{''.join(rows)}</table>{diffs}"


def _rejected_table(r: RunRecord) -> str:
    others = [a for a in r.attempts if a not in r.accepted]
    if not others:
        return '<p class="note">No attempt was rejected.</p>'
    counts = ", ".join(f"{n} {what}" for what, n in outcome_counts(tuple(others), r.undone))
    rows = []
    for a in others:
        v = a.verdict
        speed = f"{fmt_ratio(v.speedup)}x" if v is not None and v.speedup > 0 else "-"
        rows.append(f"<tr><td class=num>{a.number}</td><td><code>{e(target_name(a, r.subdir))}</code></td>"
                    f"<td>{e(a.candidate.origin)}</td><td><span class='tag{'' if a.commit else ' rej'}'>"
                    f"{e(outcome(a, r.undone))}</span></td>"
                    f"<td class=num>{e(speed)}</td><td class=why>{_why(a)}</td></tr>")
    head = "<tr><th>#</th><th>target</th><th>model</th><th>outcome</th><th>speedup</th><th>reason</th></tr>"
    diffs = "".join(_details(a, r, "candidate") for a in others if diff_of(a))
    what = "not on the branch" if any(a.commit is not None for a in others) else "rejected"
    return f"<p>{len(others)} attempt(s) {what}: {e(counts)}.</p><table>{head}{''.join(rows)}</table>{diffs}"


def _why(a: Attempt) -> str:
    """The attempt's plain headline, then the statistics and any hint in small print."""
    more = "".join(f'<div class="small">{e(line)}</div>' for line in (
        a.statistics, f"Hint: {a.verdict.advice}." if a.verdict is not None and a.verdict.advice else "") if line)
    return e(a.headline) + more


def _flames(r: RunRecord) -> str:
    if not r.profiles:
        return '<p class="empty">No profile was recorded.</p>'
    first, last = r.profiles[0], r.profiles[-1]
    legend = ('<p class="legend"><span><i class="sw" style="background:hsl(25,85%,60%)"></i>the project\'s code'
              '</span><span><i class="sw" style="background:hsl(210,35%,75%)"></i>libraries, standard library, '
              'interpreter</span><span>width = share of samples; hover a frame for its numbers</span></p>')
    before = (f"<h3>Before: profile <code>{e(first.label)}</code>, {first.samples} samples</h3>"
              + flame_of(first.raw, f"flame graph of profile {first.label}"))
    if last is first:
        return legend + before + '<p class="note">No later profile: nothing was accepted, the code is unchanged.</p>'
    after = (f"<h3>After: profile <code>{e(last.label)}</code>, {last.samples} samples</h3>"
             + flame_of(last.raw, f"flame graph of profile {last.label}"))
    return legend + before + after


def render_html(r: RunRecord) -> str:
    status = r.status if not r.error else f"{r.status}: {r.error}"
    meta = (f"{fmt_when(r.started)} · {r.mode} · {status} · branch {branch_text(r)} from {r.base[:10]} · "
            f"model {r.model} · repository {r.repo}")
    notes = "".join(f"<li>{e(n)}</li>" for n in r.notes)
    settings = "".join(f"<tr><td><code>{e(k)}</code></td><td><code>{e(v)}</code></td></tr>"
                       for k, v in sorted(r.settings.items()))
    body = [
        f"<h1>optiloop run <code>{e(r.id)}</code></h1>",
        f'<p class="meta">{e(meta)}</p>',
        _cards(r),
        "<h2>Accepted changes</h2>",
        _accepted_table(r),
        "<h2>Cumulative speedup over attempts</h2>",
        speedup_chart(r.attempts, r.total, r.undone),
        "<h2>Where the time goes: flame graphs of the workload</h2>",
        _flames(r),
        "<h2>Rejected attempts</h2>" if not any(a.commit in r.undone for a in r.attempts)
        else "<h2>Rejected and undone attempts</h2>",
        _rejected_table(r),
        f'<h2>Run</h2><p>Stopped: {e(r.stop_reason or "?")}.</p>',
        f"<ul>{notes}</ul>" if notes else "",
        f"<details><summary>Settings</summary><table>{settings}</table></details>",
    ]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>optiloop run {e(r.id)}</title><style>{CSS}</style></head>"
            f"<body><main>{''.join(body)}</main></body></html>\n")
