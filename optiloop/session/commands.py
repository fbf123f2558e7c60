"""The session's commands: what a person may type, its help line, parsing and tab completion."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    name: str
    usage: str
    help: str
    deciding: bool  # may be given while a measured speedup waits for the person's decision
    idle: bool = True  # may be given at the main prompt


COMMANDS: tuple[Command, ...] = (
    Command("pick", "pick N|NAME", "try a candidate for target N of the table (or its name)", False),
    Command("next", "next", "let optiloop pick the target and try its next candidate", False),
    Command("accept", "accept", "commit the measured speedup shown", True),
    Command("reject", "reject [WHY]", "decline the candidate shown", True),
    Command("retry", "retry", "ask the model again for the same target", True),
    Command("hint", "hint TEXT", "add TEXT to the next prompt (`hint` alone shows it, `hint -` clears it)", True),
    Command("edit", "edit [PATH ...]", "open $EDITOR on the candidate (or the target); with paths, on those whole "
            "files and the target's: the edit is verified and measured", True),
    Command("undo", "undo", "drop the last accepted commit and re-profile", False),
    Command("profile", "profile", "re-profile the workload and show the hotspot table", False),
    Command("diff", "diff", "show everything accepted so far", True),
    Command("attempts", "attempts", "list the attempts so far", True),
    Command("help", "help", "show the commands", True),
    Command("quit", "quit", "end the session: summary, worktrees removed, the branch stays", True),
)
BY_NAME = {c.name: c for c in COMMANDS}
ALIASES = {"q": "quit", "exit": "quit", "?": "help", "n": "next", "p": "pick", "a": "accept", "r": "reject",
           "y": "accept", "yes": "accept", "no": "reject"}


@dataclass(frozen=True)
class Parsed:
    command: str
    argument: str


class UnknownCommand(ValueError):
    pass


def parse(line: str) -> Parsed | None:
    """``None`` for an empty line; ``UnknownCommand`` (with a suggestion) for anything not a command."""
    text = line.strip()
    if not text:
        return None
    word, _, rest = text.partition(" ")
    name = ALIASES.get(word.lower(), word.lower())
    if name not in BY_NAME:
        matches = [c.name for c in COMMANDS if c.name.startswith(name)]
        if len(matches) != 1:
            close = f"; did you mean {' or '.join(matches)}?" if matches else "; type `help` for the commands"
            raise UnknownCommand(f"unknown command '{word}'{close}")
        name = matches[0]
    return Parsed(name, rest.strip())


class Completer:
    """readline completion: command names first, then target numbers and names after ``pick``."""

    def __init__(self, names: Callable[[], Sequence[str]], buffer: Callable[[], str]) -> None:
        self.names = names
        self.buffer = buffer
        self._matches: list[str] = []

    def options(self, line: str, text: str) -> list[str]:
        words = line.split()
        completing_first = not words or (len(words) == 1 and not line.endswith(" "))
        if completing_first:
            return [c.name + " " for c in COMMANDS if c.name.startswith(text)]
        if words[0] == "pick":
            return [n for n in self.names() if n.startswith(text)]
        return []

    def __call__(self, text: str, state: int) -> str | None:
        if state == 0:
            self._matches = self.options(self.buffer(), text)
        return self._matches[state] if state < len(self._matches) else None
