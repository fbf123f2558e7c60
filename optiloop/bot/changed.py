"""The definitions a pull request changed: ``git diff -U0 base...head`` mapped onto definitions.

Hunks are read in the head version of each file and mapped onto the definition spans optiloop's
editor uses (``optiloop.edit.definition_spans``), so the keys are exactly the ``(path, qualname)``
of a ``Target``: paths relative to the repository root with ``/``, qualnames like ``Class.method``.
A changed line belongs to the innermost definition around it (a method rather than its class; a
nested function to the function that holds it). Lines that were only removed count for the
definition they were removed from. Changes outside any definition (imports, constants) select
nothing: their effect shows in the regression check, not as a target.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import git

from optiloop.edit import DefSpan, definition_spans, enclosing_definition
from optiloop.errors import BadInput

Key = tuple[str, str]  # (path relative to the repository root, qualname)

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass
class FileChange:
    """The lines of one file of head that changed: added or modified lines, and removal points
    (the head line after which lines were removed, with whether the removed text was indented)."""

    path: str
    lines: set[int] = field(default_factory=set)
    removals: list[tuple[int, bool]] = field(default_factory=list)


def parse_diff(diff: str) -> list[FileChange]:
    """``git diff -U0 --no-renames`` output → the changed head lines of each added or modified file."""
    files: list[FileChange] = []
    current: FileChange | None = None
    removal: int | None = None
    for line in diff.splitlines():
        if line.startswith("diff --git "):
            current, removal = None, None
        elif line.startswith("+++ "):
            name = line[4:].strip()
            if name.startswith('"'):  # git quotes unusual names; they are never importable modules
                current = None
            elif name != "/dev/null" and name.startswith("b/"):
                current = FileChange(name[2:])
                files.append(current)
        elif current is not None and (match := _HUNK.match(line)):
            start, count = int(match.group(3)), int(match.group(4) or "1")
            current.lines.update(range(start, start + count))
            removal = start if count == 0 else None
        elif current is not None and removal is not None and line.startswith("-") and not line.startswith("---"):
            indented = line[1:2] in (" ", "\t")
            current.removals.append((removal, indented))
            removal = None  # one removal point per hunk is enough
    return files


def touched(spans: tuple[DefSpan, ...], change: FileChange) -> set[str]:
    """Qualnames of the definitions of one file that ``change`` touches."""
    names: set[str] = set()
    for line in change.lines:
        span = enclosing_definition(spans, line)
        if span is not None:
            names.add(span.qualname)
    for after, indented in change.removals:
        inner = enclosing_definition(spans, after + 1)
        outer = enclosing_definition(spans, after)
        if inner is not None and inner == outer:  # removed from the middle of a definition
            names.add(inner.qualname)
        elif outer is not None and indented:  # removed from the end of a definition's body
            names.add(outer.qualname)
    return names


def resolve(repo: git.Repo, ref: str, what: str) -> str:
    try:
        return str(repo.commit(ref).hexsha)
    except (git.BadName, git.BadObject, ValueError):
        raise BadInput(f"{what} '{ref}' is not a commit of {repo.working_dir}",
                       "fetch it first (in GitHub Actions: actions/checkout with fetch-depth: 0)") from None


def changed_definitions(repo: git.Repo, base: str, head: str) -> set[Key]:
    """``(path, qualname)`` of every definition in head whose lines changed since the merge base."""
    base_sha, head_sha = resolve(repo, base, "base"), resolve(repo, head, "head")
    try:
        diff = repo.git.diff("-U0", "--no-renames", "--no-color", "--no-ext-diff", f"{base_sha}...{head_sha}",
                             "--", "*.py")
    except git.GitCommandError as exc:
        raise BadInput(f"git cannot diff {base}...{head}: {exc.stderr.strip()}",
                       "fetch the full history (actions/checkout with fetch-depth: 0)") from None
    keys: set[Key] = set()
    for change in parse_diff(diff):
        try:
            text = repo.git.show(f"{head_sha}:{change.path}")
        except git.GitCommandError:
            continue
        spans = definition_spans(text)
        keys.update((change.path, name) for name in touched(spans, change))
    return keys
