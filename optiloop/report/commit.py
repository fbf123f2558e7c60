"""The commit message of an accepted speedup: subject, evidence, trailers."""

from __future__ import annotations

import textwrap

from optiloop.measure import plain
from optiloop.targets import dotted_name
from optiloop.types import Candidate, Change, Check, Verdict, fmt_seconds


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def checks_passed(checks: tuple[Check, ...]) -> str:
    """The names of the passed checks, the test runs' with their wall time: ``..., full suite (41 s)``."""
    return ", ".join(c.name if c.seconds is None else f"{c.name} ({fmt_seconds(c.seconds)})"
                     for c in checks if c.passed)


def ratio(speedup: float) -> str:
    """``1.13x``, ``2.31x``, ``12.4x``: two decimals where they matter."""
    return f"{speedup:.2f}x" if speedup < 10 else f"{speedup:.1f}x"


def wall_figure(verdict: Verdict) -> str:
    """Wall time with its interval: ``1.24x (95% CI 1.02-1.51)``."""
    return f"{verdict.speedup:.2f}x ({verdict.level_pct} CI {verdict.interval})"


def figures(verdict: Verdict) -> str:
    """The figures that decided, for a line: ``1.24x (95% CI 1.02-1.51)`` in time, ``1.31x fewer cycles
    (simulated); wall time 1.24x (99% CI 1.02-1.51)`` in cycles, where a wall-time figure whose interval
    includes 1.0 is said to be no significant difference (``plain.wall``)."""
    if verdict.measure != "cycles":
        return wall_figure(verdict)
    wall = f"; {plain.wall(verdict.guard)}" if verdict.guard is not None else ""
    return f"{verdict.speedup:.2f}x fewer cycles (simulated){wall}"


def evidence_lines(verdict: Verdict, checks: tuple[Check, ...]) -> list[str]:
    lines = [verdict.plain]
    if verdict.baseline is not None and verdict.candidate is not None:
        n = len(verdict.baseline.samples)
        lines.append(
            f"Workload: {_seconds(verdict.baseline.mean)} -> {_seconds(verdict.candidate.mean)} "
            f"(mean of {n} interleaved pyperf runs each)."
        )
    if verdict.measure == "cycles" and verdict.cycles is not None:
        tolerance = f", A/A tolerance ±{verdict.tolerance:.2%}" if verdict.tolerance is not None else ""
        lines.append(f"Speedup: {figures(verdict)}.")
        lines.append(f"Simulated cycles per run: {verdict.cycles[0]:,} -> {verdict.cycles[1]:,}{tolerance}.")
        if verdict.instructions is not None:
            lines.append(f"Instructions per run: {verdict.instructions[0]:,} -> {verdict.instructions[1]:,}.")
    else:
        lines.append(f"Speedup: {verdict.speedup:.2f}x, {verdict.level_pct} confidence interval {verdict.interval}.")
    if verdict.peak_memory is not None:
        base, cand = verdict.peak_memory
        lines.append(f"Peak memory: {base / 2**20:.1f} MiB -> {cand / 2**20:.1f} MiB.")
    if verdict.rank_p is not None or verdict.predicted is not None:
        rank = f"; rank test (Mann-Whitney U) p = {verdict.rank_p:.2g}" if verdict.rank_p is not None else ""
        allows = "allows at most" if verdict.predicted_bound else "predicted"
        amdahl = f"; the profile (Amdahl) {allows} {verdict.predicted:.2f}x" if verdict.predicted is not None else ""
        lines.append(f"Outcome: {verdict.outcome}{rank}{amdahl}.")
    lines.extend(f"Check {c.name}: {c.detail}" for c in checks if c.passed)
    if any(c.weak for c in checks):
        lines.append("Weak evidence: few real calls of the target could be replayed, so its correctness "
                     "rests mostly on the project's tests.")
    return lines


def changed_lines(changes: tuple[Change, ...], target: str) -> list[str]:
    """The body's list of the definitions a multi-site candidate changes beside the target (``path::qualname``);
    empty when it changes the target alone."""
    others = [c for c in changes if f"{c.path}::{c.qualname}" != target]
    if not others:
        return []
    return ["Also changes:", *(f"- {c.path}::{c.qualname} ({c.kind})" for c in others)]


def commit_message(candidate: Candidate, verdict: Verdict, checks: tuple[Check, ...], model: str, run_id: str,
                   changes: tuple[Change, ...] = ()) -> str:
    """Subject for the target, the rationale, the other changed definitions (``changes``), evidence, trailers."""
    target = candidate.target
    simulated = " (simulated cycles)" if verdict.measure == "cycles" else ""
    subject = f"Speed up `{dotted_name(target.path, target.qualname)}` {ratio(verdict.speedup)}{simulated}"
    body = "\n".join(textwrap.fill(line, 72) for line in candidate.rationale.splitlines())
    also = changed_lines(changes, target.key)
    if also:
        body += "\n\n" + "\n".join(also)
    trailers = [
        f"Optiloop-Speedup: {verdict.speedup:.3f}",
        f"Optiloop-Target: {target.path}::{target.qualname}",
        f"Optiloop-Model: {model}",
        f"Optiloop-Run: {run_id}",
        f"Optiloop-Measure: {verdict.measure}",
    ]
    return "\n\n".join([subject, body, "\n".join(evidence_lines(verdict, checks)), "\n".join(trailers)]) + "\n"
