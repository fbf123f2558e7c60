"""Collapsed stacks (py-spy's ``raw`` format) → hotspots in the project's own definitions."""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from optiloop.edit import DefSpan, definition_spans, enclosing_definition
from optiloop.types import Hotspot

_FRAME = re.compile(r"^(?P<name>.*) \((?P<file>.*):(?P<line>\d+)\)$")


@dataclass(frozen=True)
class Frame:
    name: str
    file: str
    line: int


Stack = tuple[Frame, ...]


def parse_raw(text: str) -> list[tuple[Stack, int]]:
    """Each line is ``frame;frame;... count``, outermost first; ``process ...`` frames are dropped."""
    stacks: list[tuple[Stack, int]] = []
    for line in text.splitlines():
        body, _, count = line.rpartition(" ")
        if not body or not count.isdigit():
            continue
        frames = []
        for part in body.split(";"):
            match = _FRAME.match(part)
            if match:
                frames.append(Frame(match["name"], match["file"], int(match["line"])))
        stacks.append((tuple(frames), int(count)))
    return stacks


def format_raw(stacks: list[tuple[Stack, int]]) -> str:
    """The inverse of ``parse_raw`` (without process frames): for merging several recordings."""
    return "".join(
        ";".join(f"{f.name} ({f.file}:{f.line})" for f in frames) + f" {count}\n" for frames, count in stacks if frames
    )


class Resolver:
    """Maps an absolute file and line to (repo-relative path, enclosing definition) if in scope."""

    def __init__(self, tree: Path, in_scope: Callable[[str], bool]) -> None:
        self.tree = os.path.realpath(tree)
        self.in_scope = in_scope
        self._spans: dict[str, tuple[DefSpan, ...] | None] = {}

    def __call__(self, file: str, line: int) -> tuple[str, DefSpan] | None:
        real = os.path.realpath(file)
        if not real.startswith(self.tree + os.sep):
            return None
        rel = Path(real).relative_to(self.tree).as_posix()
        if rel not in self._spans:
            self._spans[rel] = self._load(real) if self.in_scope(rel) else None
        spans = self._spans[rel]
        if not spans:
            return None
        span = enclosing_definition(spans, line)
        return (rel, span) if span is not None else None

    @staticmethod
    def _load(path: str) -> tuple[DefSpan, ...] | None:
        try:
            with open(path, encoding="utf-8") as fh:
                return definition_spans(fh.read())
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            return None


def attribute(stacks: list[tuple[Stack, int]], resolve: Resolver) -> tuple[tuple[Hotspot, ...], int]:
    """Hotspots sorted by addressable (self) time, and the number of samples with Python frames.

    A sample's addressable time goes to its innermost project frame: the definition's own lines
    plus whatever library or builtin code it called. Inclusive time counts a definition once per
    sample wherever it is on the stack; nested functions roll up into their enclosing definition.
    """
    total = 0
    self_counts: Counter[tuple[str, str]] = Counter()
    total_counts: Counter[tuple[str, str]] = Counter()
    lines: dict[tuple[str, str], Counter[int]] = defaultdict(Counter)
    first_line: dict[tuple[str, str], int] = {}
    for frames, count in stacks:
        if not frames:
            continue
        total += count
        seen: set[tuple[str, str]] = set()
        innermost: tuple[tuple[str, str], int] | None = None
        for frame in frames:
            hit = resolve(frame.file, frame.line)
            if hit is None:
                continue
            rel, span = hit
            key = (rel, span.qualname)
            first_line[key] = span.start
            seen.add(key)
            innermost = (key, frame.line)
        for key in seen:
            total_counts[key] += count
        if innermost is not None:
            self_counts[innermost[0]] += count
            lines[innermost[0]][innermost[1]] += count
    if not total:
        return (), 0
    hotspots = [
        Hotspot(
            qualname=key[1],
            path=key[0],
            line=first_line[key],
            self_frac=self_counts[key] / total,
            total_frac=total_counts[key] / total,
            line_heat=tuple(sorted((ln, c / total) for ln, c in lines[key].items())),
        )
        for key in total_counts
    ]
    hotspots.sort(key=lambda h: (-h.self_frac, -h.total_frac, h.path, h.qualname))
    return tuple(hotspots), total
