"""What the session shows: the hotspot table, a candidate with its diff and verdict, help."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.rule import Rule
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from optiloop.profiling.addressable import footer
from optiloop.session.commands import COMMANDS
from optiloop.targets import dotted_name
from optiloop.types import Applied, Attempt, Profile, Target


def target_name(target: Target) -> str:
    return dotted_name(target.path, target.qualname)


def hotspot_table(targets: Sequence[Target], attempts: Sequence[Attempt], label: str,
                  profile: Profile | None = None) -> Table:
    """Ranked targets: the number to ``pick``, share of samples, and what was tried on each so far; under it,
    the time ``profile`` shows outside the project's own code (never targeted) and the bound that leaves."""
    table = Table(title=f"hot definitions ({label}): self = own share of the samples, total = with callees",
                  title_justify="left", caption=footer(profile) if profile is not None else None,
                  caption_justify="left")
    for col in ("#", "self", "total"):
        table.add_column(col, justify="right")
    table.add_column("target", overflow="fold")
    for col in ("line", "tried", "kept"):
        table.add_column(col, justify="right")
    for rank, t in enumerate(targets, 1):
        mine = [a for a in attempts if a.candidate.target.key == t.key]
        table.add_row(str(rank), f"{t.hotspot.self_frac:.1%}", f"{t.hotspot.total_frac:.1%}", target_name(t),
                      str(t.hotspot.line), str(len(mine)), str(sum(a.accepted for a in mine)))
    return table


def check_lines(attempt: Attempt) -> list[Text]:
    lines = []
    for c in attempt.checks:
        mark = Text("  ✓ ", style="green") if c.passed else Text("  ✗ ", style="bold red")
        lines.append(mark + Text(f"{c.name}: {c.detail}" if c.detail else c.name))
    return lines


def verdict_line(attempt: Attempt) -> Text:
    """The verdict's plain headline, then its statistics and any hint on lines of their own."""
    v = attempt.verdict
    if v is None:
        return Text("  not measured", style="dim")
    text = Text(f"  {v.plain}", style="bold green" if v.accepted else "yellow")
    rounds = f", {v.rounds} rounds" if v.rounds else ""
    text.append(f"\n  statistics ({v.level_pct} CI {v.interval}{rounds}): {v.reason}", style="dim")
    if v.advice:
        text.append(f"\n  hint: {v.advice}")
    return text


def show_attempt(console: Console, attempt: Attempt, awaiting: bool) -> None:
    """The candidate's diff (or source, if it did not apply), its rationale, checks and verdict."""
    c = attempt.candidate
    console.print(Rule(f"candidate {attempt.number} · {target_name(c.target)} · {c.origin}", align="left"))
    if isinstance(attempt.edit, Applied):
        console.print(Syntax(attempt.edit.diff.rstrip("\n") or "(no change)", "diff", theme="ansi_dark",
                             background_color="default"))
    else:
        console.print(Syntax(c.new_source.rstrip("\n"), "python", theme="ansi_dark", background_color="default"))
    console.print(Text("why: ", style="bold") + Text(c.rationale.strip() or "(no rationale given)"))
    console.print(Text("checks:", style="bold"))
    if attempt.checks:
        for line in check_lines(attempt):
            console.print(line)
    else:
        console.print(Text("  none ran", style="dim"))
    console.print(Text("measured:", style="bold"))
    console.print(verdict_line(attempt))
    if awaiting:
        console.print(Text("A verified, measured speedup. accept, reject [why], edit, retry or hint TEXT?",
                           style="bold cyan"))
    elif attempt.accepted:
        console.print(Text(f"committed as {attempt.commit}", style="bold green"))
    else:
        console.print(Text(f"not committed: {attempt.headline}", style="yellow"))
        console.print(Text("retry, edit, hint TEXT, pick N or next?", style="cyan"))


def help_table(deciding: bool) -> Table:
    table = Table(title="commands" + (" (deciding on a candidate)" if deciding else ""), title_justify="left",
                  show_header=False, box=None)
    table.add_column("usage", style="bold")
    table.add_column("what it does")
    for c in COMMANDS:
        if (c.deciding if deciding else c.idle):
            table.add_row(c.usage, c.help)
    table.add_row("", "Tab completes; ↑/↓ browse the history; Ctrl-C cancels the line; Ctrl-D quits.")
    return table
