"""The chart of cumulative speedup over attempts, as inline SVG.

Each accepted attempt's speedup was measured against the state before it, so the cumulative line is the
product of the accepted speedups so far (an estimate, drawn as steps); each attempt is a point on it,
filled when it was accepted. The measured total of the run (base against branch head), when there is
one, is a dashed line with its interval as a band.
"""

from __future__ import annotations

from html import escape

from optiloop.types import Attempt, Verdict, fmt_ratio

W, H = 900.0, 300.0
LEFT, RIGHT, TOP, BOTTOM = 60.0, 20.0, 20.0, 40.0


def cumulative(attempts: tuple[Attempt, ...], undone: frozenset[str] = frozenset()) -> list[float]:
    """The cumulative speedup after each attempt (1.0 before the first)."""
    level = 1.0
    out = [level]
    for a in attempts:
        if a.commit is not None and a.commit not in undone and a.verdict is not None and a.verdict.speedup > 0:
            level *= a.verdict.speedup
        out.append(level)
    return out


def _ticks(low: float, high: float) -> list[float]:
    span = high - low
    step = next(s for s in (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 1e9) if span / s <= 6)
    first = int(low / step) * step
    return [round(first + i * step, 6) for i in range(0, 12) if low <= first + i * step <= high]


def speedup_chart(attempts: tuple[Attempt, ...], total: Verdict | None, undone: frozenset[str] = frozenset()) -> str:
    if not attempts:
        return '<p class="empty">No attempts, so no chart.</p>'
    levels = cumulative(attempts, undone)
    values = levels + ([total.ci_low, total.ci_high] if total is not None and total.ci_high > 0 else [])
    low = min(0.9, min(values) * 0.95)
    high = max(1.1, max(values) * 1.05)
    n = len(attempts)

    def x(i: float) -> float:
        return LEFT + (W - LEFT - RIGHT) * i / max(n, 1)

    def y(v: float) -> float:
        return TOP + (H - TOP - BOTTOM) * (1 - (v - low) / (high - low))

    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W:.0f} {H:.0f}" width="100%" '
             'role="img" aria-label="cumulative speedup over attempts">']
    for t in _ticks(low, high):
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{W - RIGHT}" y1="{y(t):.1f}" y2="{y(t):.1f}"/>'
                     f'<text class="tick" x="{LEFT - 6}" y="{y(t) + 4:.1f}" text-anchor="end">{t:g}x</text>')
    parts.append(f'<line class="one" x1="{LEFT}" x2="{W - RIGHT}" y1="{y(1.0):.1f}" y2="{y(1.0):.1f}"/>')
    if total is not None and total.ci_high > 0:
        band_top, band_bottom = y(total.ci_high), y(total.ci_low)
        label = f"measured total {fmt_ratio(total.speedup)}x ({total.level_pct} CI {total.interval})"
        parts.append(f'<rect class="band" x="{LEFT}" y="{band_top:.1f}" width="{W - LEFT - RIGHT}" '
                     f'height="{max(band_bottom - band_top, 1):.1f}"/>'
                     f'<line class="total" x1="{LEFT}" x2="{W - RIGHT}" y1="{y(total.speedup):.1f}" '
                     f'y2="{y(total.speedup):.1f}"/>'
                     f'<text class="total-label" x="{W - RIGHT - 4}" y="{y(total.speedup) - 6:.1f}" '
                     f'text-anchor="end">{escape(label)}</text>')
    path = [f"M{x(0):.1f},{y(levels[0]):.1f}"]
    for i in range(1, n + 1):
        path.append(f"H{x(i):.1f}V{y(levels[i]):.1f}")
    parts.append(f'<path class="steps" d="{"".join(path)}"/>')
    for i, a in enumerate(attempts, 1):
        accepted = a.commit is not None and a.commit not in undone
        v = a.verdict
        own = f"{fmt_ratio(v.speedup)}x ({v.level_pct} CI {v.interval})" if v is not None else "not measured"
        tip = f"#{a.number} {a.candidate.target.qualname}: {'accepted' if accepted else 'rejected'}, {own}"
        parts.append(f'<g><title>{escape(tip)}</title><circle class="{"acc" if accepted else "rej"}" '
                     f'cx="{x(i):.1f}" cy="{y(levels[i]):.1f}" r="{6 if accepted else 4}"/></g>')
        parts.append(f'<text class="tick" x="{x(i):.1f}" y="{H - BOTTOM + 16}" text-anchor="middle">{a.number}</text>')
    parts.append(f'<text class="tick" x="{(LEFT + W - RIGHT) / 2:.1f}" y="{H - 6}" text-anchor="middle">attempt</text>'
                 f'<text class="tick" x="{LEFT}" y="{TOP - 6}">cumulative speedup</text>')
    parts.append("</svg>")
    return "".join(parts)
