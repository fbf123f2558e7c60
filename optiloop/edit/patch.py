"""A unified diff as a candidate: split into files, applied to the current text of each in memory.

Agents often answer with a diff. Each file's hunks are applied to the text the candidate tree holds now
(a scratch copy: nothing is written here); a hunk whose old lines are not where it says is looked for
nearby, as ``patch`` does, and a hunk that is nowhere is refused with one line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from optiloop.types import Rejected

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
NULL = "/dev/null"


@dataclass(frozen=True)
class Hunk:
    start: int  # 1-based line of the old text where the hunk begins
    old: tuple[str, ...]  # lines (without newlines) the hunk expects: context and removed
    new: tuple[str, ...]  # lines it leaves: context and added


@dataclass(frozen=True)
class FilePatch:
    old_path: str
    new_path: str
    hunks: tuple[Hunk, ...]


def looks_like_diff(text: str) -> bool:
    """A unified diff: a ``--- `` line followed by a ``+++ `` line, and a hunk header."""
    lines = text.splitlines()
    return any(a.startswith("--- ") and b.startswith("+++ ") for a, b in zip(lines, lines[1:], strict=False)) and any(
        _HUNK.match(line) for line in lines)


def _path(header: str) -> str:
    name = header[4:].split("\t")[0].strip()
    if name != NULL and name[:2] in ("a/", "b/"):
        name = name[2:]
    return name


def parse_diff(text: str) -> list[FilePatch] | Rejected:
    """The file patches of a unified diff (``diff --git`` and ``index`` lines are skipped)."""
    lines = text.splitlines()
    patches: list[FilePatch] = []
    i = 0
    while i < len(lines):
        if not (lines[i].startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ ")):
            i += 1
            continue
        old_path, new_path = _path(lines[i]), _path(lines[i + 1])
        i += 2
        hunks: list[Hunk] = []
        while i < len(lines) and (m := _HUNK.match(lines[i])):
            old_n = int(m[2]) if m[2] is not None else 1
            new_n = int(m[4]) if m[4] is not None else 1
            i += 1
            old: list[str] = []
            new: list[str] = []
            while i < len(lines) and (len(old) < old_n or len(new) < new_n):
                line = lines[i]
                tag, body = (line[:1], line[1:]) if line else (" ", "")
                if tag == "\\":
                    i += 1
                    continue
                if tag not in " -+":
                    return Rejected(f"the diff's hunk at `{m[0]}` of {new_path} ends early: line `{line[:60]}`")
                if tag in " -":
                    old.append(body)
                if tag in " +":
                    new.append(body)
                i += 1
            if len(old) != old_n or len(new) != new_n:
                return Rejected(f"the diff's hunk at `{m[0]}` of {new_path} has the wrong number of lines")
            while i < len(lines) and lines[i].startswith("\\"):
                i += 1
            hunks.append(Hunk(int(m[1]), tuple(old), tuple(new)))
        if not hunks:
            return Rejected(f"the diff for {new_path} has no hunks")
        patches.append(FilePatch(old_path, new_path, tuple(hunks)))
    if not patches:
        return Rejected("the diff names no file: it needs `--- a/PATH` and `+++ b/PATH` lines before its hunks")
    return patches


def _same(a: str, b: str, strip: bool) -> bool:
    return a.rstrip() == b.rstrip() if strip else a == b


def _find(lines: list[str], want: tuple[str, ...], near: int, start: int) -> int | None:
    """Where ``want`` sits in ``lines`` at or after ``start``, nearest to ``near``; exact lines first, then
    ignoring trailing whitespace."""
    for strip in (False, True):
        spots = [k for k in range(start, len(lines) - len(want) + 1)
                 if all(_same(lines[k + j], w, strip) for j, w in enumerate(want))]
        if spots:
            return min(spots, key=lambda k: abs(k - near))
    return None


def apply_hunks(text: str, patch: FilePatch) -> str | Rejected:
    """``text`` with the patch's hunks applied, in order."""
    lines = text.splitlines()
    out: list[str] = []
    at = 0
    for hunk in patch.hunks:
        where = _find(lines, hunk.old, hunk.start - 1, at) if hunk.old else max(at, hunk.start)
        if where is None:
            first = next((w.strip() for w in hunk.old if w.strip()), "")
            return Rejected(f"the diff's hunk at line {hunk.start} of {patch.new_path} does not match the "
                            f"current file (near `{first[:60]}`); make the diff against the code as shown")
        out.extend(lines[at:where])
        out.extend(hunk.new)
        at = where + len(hunk.old)
    out.extend(lines[at:])
    return "\n".join(out) + ("\n" if out else "")


def apply_diff(text: str, read: Callable[[str], str],
               refuse: Callable[[str], str | None] = lambda path: None) -> dict[str, str] | Rejected:
    """The new text of every file the diff changes (path -> text), read through ``read``; a diff that creates,
    deletes or renames a file, or names one ``refuse`` gives a reason for, is refused."""
    patches = parse_diff(text)
    if isinstance(patches, Rejected):
        return patches
    files: dict[str, str] = {}
    for patch in patches:
        if NULL in (patch.old_path, patch.new_path):
            what = "creates" if patch.old_path == NULL else "deletes"
            name = patch.new_path if patch.old_path == NULL else patch.old_path
            return Rejected(f"the diff {what} {name}; change existing modules only (put new helpers in one)")
        if patch.old_path != patch.new_path:
            return Rejected(f"the diff renames {patch.old_path} to {patch.new_path}; change files in place")
        why = refuse(patch.new_path)
        if why is not None:
            return Rejected(why)
        try:
            current = files[patch.new_path] if patch.new_path in files else read(patch.new_path)
        except (OSError, UnicodeDecodeError, ValueError):
            return Rejected(f"the diff changes {patch.new_path}, which is not a file of the project")
        new = apply_hunks(current, patch)
        if isinstance(new, Rejected):
            return new
        files[patch.new_path] = new
    return files
