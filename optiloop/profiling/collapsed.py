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
_NATIVE_FRAME = re.compile(r"^(?P<name>.*) \((?P<file>[^()]*)\)$")  # py-spy --native: ``free (/lib/libc.so.6)``
_NATIVE_FILE = re.compile(r"(?:^\?$|\.(?:c|h|cc|cpp|cxx|hh|hpp|hxx|rs|pyx|pxd|pxi|f|f90|zig|m|mm|s|asm)$"
                          r"|\.(?:so|pyd|dll|dylib)(?:\.[\w.]*)?$)", re.IGNORECASE)


@dataclass(frozen=True)
class Frame:
    name: str
    file: str
    line: int

    @property
    def native(self) -> bool:
        """A frame of compiled code (py-spy ``--native``: a C/Cython/Rust function, a shared library or a
        bare address, or any line-less frame of an executable), not of a Python file."""
        if self.name.startswith("0x") or _NATIVE_FILE.search(self.file) is not None:
            return True
        return self.line == 0 and not self.file.endswith((".py", ".pyw")) and not self.file.startswith("<")


Stack = tuple[Frame, ...]
UNKNOWN_ADDRESS = "0x?"  # a native frame without a symbol
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")


def _symbol(name: str) -> str:
    """An address without a symbol differs in every process (ASLR): one name for all, so runs merge."""
    return UNKNOWN_ADDRESS if _ADDRESS.fullmatch(name) else name


def parse_raw(text: str) -> list[tuple[Stack, int]]:
    """Each line is ``frame;frame;... count``, outermost first; ``process ...`` frames are dropped.

    Native frames (``--native``) may come without a line (``free (/lib/libc.so.6)``): their line is 0.
    """
    stacks: list[tuple[Stack, int]] = []
    for line in text.splitlines():
        body, _, count = line.rpartition(" ")
        if not body or not count.isdigit():
            continue
        frames = []
        for part in body.split(";"):
            match = _FRAME.match(part)
            if match:
                frames.append(Frame(_symbol(match["name"]), match["file"], int(match["line"])))
            elif not part.startswith("process ") and (match := _NATIVE_FRAME.match(part)):
                frames.append(Frame(_symbol(match["name"]), match["file"], 0))
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
        self._relative: dict[str, str | None] = {}

    def relative(self, file: str) -> str | None:
        """``file`` relative to the tree (POSIX), or None when it lies outside it."""
        if file not in self._relative:
            real = os.path.realpath(file)  # ``<frozen abc>``, ``?`` (a native frame without symbols): no file
            inside = real.startswith(self.tree + os.sep) and not file.startswith("<") and file != "?"
            self._relative[file] = Path(real).relative_to(self.tree).as_posix() if inside else None
        return self._relative[file]

    def __call__(self, file: str, line: int) -> tuple[str, DefSpan] | None:
        rel = self.relative(file)
        if rel is None:
            return None
        real = os.path.join(self.tree, rel)
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


def ranked(stacks: list[tuple[Stack, int]], resolve: Resolver, min_frac: float) -> tuple[tuple[Hotspot, ...], int]:
    """``attribute`` without the cold definitions: those under ``min_frac`` of samples addressable."""
    hotspots, total = attribute(stacks, resolve)
    return tuple(h for h in hotspots if h.self_frac >= min_frac), total


Key = tuple[str, str]  # (repo-relative path, qualname)


def own_time(stacks: list[tuple[Stack, int]], resolve: Resolver) -> Counter[Key]:
    """Samples whose innermost frame of all is the definition's own code (no library or builtin
    code below it): the strict self time, a part of the addressable time ``attribute`` ranks by."""
    own: Counter[Key] = Counter()
    for frames, count in stacks:
        hit = resolve(frames[-1].file, frames[-1].line) if frames else None
        if hit is not None:
            own[(hit[0], hit[1].qualname)] += count
    return own


@dataclass(frozen=True)
class CallSite:
    """A place that called a hot definition: ``path:line`` inside ``caller`` (a qualname or frame name)."""

    path: str
    line: int
    caller: str
    samples: int


@dataclass
class Edges:
    """Who calls whom among the sampled frames, counted in samples.

    ``callers[key]`` are the call sites (in the repository, in scope or not) just above the
    definition's outermost frame; ``callees[key]`` the next in-scope definitions below it, with the
    line of ``key`` that led to them.
    """

    callers: dict[Key, Counter[tuple[str, int, str]]]
    callees: dict[Key, Counter[tuple[Key, int]]]

    def call_sites(self, key: Key) -> list[CallSite]:
        found = self.callers.get(key, Counter())
        return [CallSite(p, ln, name, n) for (p, ln, name), n in found.most_common()]

    def called(self, key: Key) -> list[tuple[Key, int, int]]:
        """(callee, line in ``key`` that calls it, samples), most sampled first."""
        found = self.callees.get(key, Counter())
        return [(callee, line, n) for (callee, line), n in found.most_common()]


def call_edges(stacks: list[tuple[Stack, int]], resolve: Resolver) -> Edges:
    callers: dict[Key, Counter[tuple[str, int, str]]] = defaultdict(Counter)
    callees: dict[Key, Counter[tuple[Key, int]]] = defaultdict(Counter)
    for frames, count in stacks:
        keys: list[Key | None] = []
        for frame in frames:
            hit = resolve(frame.file, frame.line)
            keys.append((hit[0], hit[1].qualname) if hit else None)
        seen_caller: set[Key] = set()
        last: tuple[Key, int] | None = None  # the innermost in-scope frame so far, and its line
        for i, key in enumerate(keys):
            if key is None:
                continue
            if key not in seen_caller and (i == 0 or keys[i - 1] != key):
                seen_caller.add(key)
                if i > 0:
                    above = frames[i - 1]
                    rel = resolve.relative(above.file)
                    if rel is not None:
                        caller = keys[i - 1]
                        callers[key][(rel, above.line, caller[1] if caller else above.name)] += count
            if last is not None and last[0] != key:
                callees[last[0]][(key, last[1])] += count
            last = (key, frames[i].line)
    return Edges(dict(callers), dict(callees))
