"""The end-of-run summary on the terminal."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from optiloop.report.commit import checks_passed, figures
from optiloop.report.markdown import predicted_text
from optiloop.report.record import median_prompt_chars
from optiloop.targets import dotted_name
from optiloop.types import Attempt, Noise, RunSummary, Verdict, fmt_noise


def noise_line(noise: Noise) -> str:
    """The run's one noise floor figure, and what it does (shared by ``run`` and ``session``)."""
    return (f"{fmt_noise(noise.ratio, noise.rounds)}: measured against itself, the baseline shows up to that "
            "speedup from noise alone; no smaller gain is accepted (a verdict with more rounds narrows it)")


def hint_of(a: Attempt) -> str:
    """The advice of an attempt that noise kept from showing a gain, else ""."""
    return a.verdict.advice if a.verdict is not None and a.decided_by_verdict else ""


def hint_lines(attempts: tuple[Attempt, ...], label: str = "hint") -> list[str]:
    """One line per distinct hint, naming the attempts it is for: ``hint for #2, #3: ...``."""
    hints: dict[str, list[str]] = {}
    for a in attempts:
        if hint := hint_of(a):
            hints.setdefault(hint, []).append(f"#{a.number}")
    return [f"{label} for {', '.join(numbers)}: {hint}" for hint, numbers in hints.items()]


def attempt_line(a: Attempt) -> str:
    """The attempt's plain headline, then its statistics and any hint, each on a line of its own."""
    name = dotted_name(a.candidate.target.path, a.candidate.target.qualname)
    status = "ACCEPTED" if a.accepted else "rejected"
    lines = [f"[{a.number}] {name} ({a.candidate.origin}): {status}. {a.headline}"]
    if a.statistics:
        lines.append(f"    statistics: {a.statistics}")
    if hint := hint_of(a):
        lines.append(f"    hint: {hint}")
    return "\n".join(lines)


def summary_table(summary: RunSummary) -> Table:
    table = Table(title=f"optiloop run {summary.id}", show_lines=False)
    for col in ("#", "target", "candidate", "result", "why"):
        table.add_column(col, overflow="fold")
    for a in summary.attempts:
        t = a.candidate.target
        table.add_row(str(a.number), dotted_name(t.path, t.qualname), a.candidate.origin,
                      "accepted" if a.accepted else "rejected", a.headline)
    return table


def closing_lines(summary: RunSummary, repo_root: Path, base_sha: str, total: Verdict | None = None,
                  report: Path | None = None, branch_removed: bool = False) -> list[str]:
    """Branch, each accepted speedup with its evidence, the whole run's speedup, how to look at it,
    and where the HTML report is."""
    lines = _closing_lines(summary, repo_root, base_sha, total, branch_removed)
    if report is not None:
        lines.append(f"Report: {report}")
    return lines


def total_lines(total: Verdict, base_sha: str) -> list[str]:
    """The whole run's check: its plain headline, then the statistics and any hint."""
    lines = [f"Whole workload, branch head against {base_sha[:10]}: {total.plain}",
             f"  statistics: {total.reason}"]
    if total.advice:
        lines.append(f"  hint: {total.advice}")
    return lines


def _closing_lines(summary: RunSummary, repo_root: Path, base_sha: str, total: Verdict | None,
                   branch_removed: bool) -> list[str]:
    lines = [f"Stopped: {summary.stop_reason}.", *hint_lines(summary.attempts, "Hint")]
    if summary.model_calls or summary.cache_hits:
        u = summary.usage
        lines.append(f"Model: {summary.model_calls} call(s) and {summary.cache_hits} from the cache; "
                     f"{u.input_tokens} tokens in, {u.output_tokens} out; ${u.cost_usd:.4f}.")
    prompt = median_prompt_chars(summary.attempts)
    if prompt is not None:
        lines.append(f"Prompts: median {prompt:,} characters (~{prompt // 4:,} tokens) per candidate's request.")
    if not summary.accepted:
        lines.append(f"No speedup was accepted, so the branch {summary.branch} was removed." if branch_removed
                     else f"No speedup was accepted; branch {summary.branch} holds no new commits.")
        return lines
    lines.append(f"Committed {len(summary.accepted)} speedup(s) to branch {summary.branch}:")
    for a in summary.accepted:
        v = a.verdict
        assert v is not None and a.commit is not None
        t = a.candidate.target
        checks = checks_passed(a.checks)
        allows = f"; the profile allows {predicted_text(v)}" if v.predicted is not None else ""
        if v.measure == "cycles":  # both figures lead; the profile's allowance and the checks follow
            lead, inner = figures(v), f"{allows.removeprefix('; ')}; " if allows else ""
        else:
            lead, inner = f"{v.speedup:.2f}x", f"{v.level_pct} CI {v.interval}{allows}; "
        lines.append(f"  {a.commit[:10]}  {dotted_name(t.path, t.qualname)}  {lead} ({inner}checks passed: {checks})")
        lines.extend(f"      {line}" for line in a.candidate.rationale.splitlines())
    if total is not None:
        lines.extend(total_lines(total, base_sha))
    git = f"git -C {repo_root}"
    lines.append("Inspect it with:")
    lines.append(f"  {git} log --stat {base_sha[:10]}..{summary.branch}")
    lines.append(f"  {git} diff {base_sha[:10]}..{summary.branch}")
    return lines
