"""A candidate that changes several definitions, in one file or several: the reply's shapes, applied.

A reply is one of:

- the target's own block (imports, helpers and the new target), applied as ``apply.apply_candidate`` does; when
  that refuses it because the block also changes other members of the target's class or other definitions of
  its module, the block is merged into the module instead (``merge.merge_block``);
- blocks headed by a line ``# file: PATH`` (project-relative), each merged into its file; code before the first
  header belongs to the target's file;
- a unified diff, applied to the current text of the files it names (``patch.apply_diff``).

Whatever the shape, the result is the new text of each changed file and the definitions changed, added or
removed (``changes.changed_definitions``), and the same rules hold: every file must be one the project lets a
candidate change (not a test, not the workload, not excluded by ``include``/``exclude``, not outside the
project), every changed file must compile, a public name may not be removed nor a public signature changed
(beside the target's own, which the hack check reports), and a private definition may change its signature
only together with every use of it in the project.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from optiloop.edit.apply import _compile_error, apply_candidate, unified_diff
from optiloop.edit.changes import MODULE, is_private, signatures, stale_uses
from optiloop.edit.changes import changed_definitions as _changed
from optiloop.edit.merge import merge_block
from optiloop.edit.normal import normalized
from optiloop.edit.patch import apply_diff, looks_like_diff
from optiloop.paths import glob_match, module_parts
from optiloop.types import Applied, Change, EditResult, Rejected

HEADER = re.compile(r"^[ \t]*#[ \t]*file:[ \t]*(?P<path>\S+)[ \t]*$")
TEST_GLOBS = ("tests/**", "test/**", "**/tests/**", "**/test/**", "**/test_*.py", "**/*_test.py", "test_*.py",
              "*_test.py", "conftest.py", "**/conftest.py")


def outside(path: str) -> str | None:
    """Why ``path`` is not a project-relative path of a Python module, or None."""
    clean = posixpath.normpath(path)
    if "\\" in path or path.startswith("/") or clean == ".." or clean.startswith("../") or "\0" in path:
        return f"`{path}` is outside the project; name files relative to the project's root"
    if not clean.endswith(".py"):
        return f"`{path}` is not a Python module; a candidate changes .py files only"
    return None


def refusal(contains: Callable[[str], bool] | None = None, workload: Iterable[str] = ()) -> Callable[[str], str | None]:
    """Why a candidate may not change a file: outside the project, a test, the workload, or out of scope
    (``contains``: the run's ``Scope.contains``)."""
    scripts = {posixpath.normpath(s) for s in workload}

    def refuse(path: str) -> str | None:
        why = outside(path)
        if why is not None:
            return why
        clean = posixpath.normpath(path)
        if any(glob_match(clean, g) for g in TEST_GLOBS):
            return f"the candidate changes the tests ({clean}); change the project's code, never its tests"
        if clean in scripts or any(clean.endswith("/" + s) for s in scripts):
            return f"the candidate changes the workload ({clean}); change the code the workload runs"
        if contains is not None and not contains(clean):
            return f"the candidate changes {clean}, which the run's include/exclude settings leave out"
        return None

    return refuse


@dataclass(frozen=True)
class Project:
    """What applying a multi-site reply reads: files by project-relative path (the candidate tree's current
    text), the in-scope files where uses of a private definition are looked for, and which files are off limits."""

    read: Callable[[str], str]
    files: Callable[[], Sequence[str]] = lambda: ()
    refuse: Callable[[str], str | None] = field(default_factory=refusal)
    subdir: str = ""


def blocks(source: str) -> list[tuple[str | None, str]]:
    """The reply's code split at ``# file: PATH`` lines: (path or None for the target's file, code)."""
    out: list[tuple[str | None, list[str]]] = [(None, [])]
    for line in source.splitlines(keepends=True):
        m = HEADER.match(line)
        if m:
            out.append((posixpath.normpath(m["path"]), []))
        else:
            out[-1][1].append(line)
    found = [(p, "".join(lines)) for p, lines in out]
    return [b for i, b in enumerate(found) if i > 0 or b[1].strip()]


def is_multi(source: str) -> bool:
    """Whether ``source`` uses a multi-site shape: headed blocks or a diff."""
    return looks_like_diff(source) or any(HEADER.match(line) for line in source.splitlines())


def apply_reply(module_source: str, qualname: str, new_source: str, path: str = "module.py",
                project: Project | None = None) -> EditResult:
    """Apply a reply of any shape (see the module's doc) for the target ``qualname`` of ``path``; never raises
    for bad input."""
    project = project or Project(read=lambda p: _only(p, path, module_source))

    def read(p: str) -> str:
        return module_source if p == path else project.read(p)

    single: Rejected | None = None
    if looks_like_diff(new_source):
        files = apply_diff(new_source, read, lambda p: None if p == path else project.refuse(p))
        if isinstance(files, Rejected):
            return files
    elif not is_multi(new_source):
        one = apply_candidate(module_source, qualname, new_source, path)
        if isinstance(one, Applied):
            files = {path: one.new_module}
        else:
            merged = merge_block(module_source, new_source, path)
            if isinstance(merged, Rejected) or merged == module_source:
                return one
            files, single = {path: merged}, one
    else:
        found = _merge_blocks(new_source, path, read, project)
        if isinstance(found, Rejected):
            return found
        files = found
    result = finish({p: read(p) for p in files}, files, qualname, path, project)
    return single if single is not None and isinstance(result, Rejected) else result


def _only(p: str, path: str, text: str) -> str:
    if p != path:
        raise OSError(f"{p} cannot be read here")
    return text


def _merge_blocks(source: str, path: str, read: Callable[[str], str], project: Project) -> dict[str, str] | Rejected:
    files: dict[str, str] = {}
    for where, code in blocks(source):
        where = where or path
        why = None if where == path else project.refuse(where)
        if why is not None:
            return Rejected(why)
        try:
            current = files[where] if where in files else read(where)
        except (OSError, UnicodeDecodeError, ValueError):
            return Rejected(f"the block headed `# file: {where}` names no file of the project")
        merged = merge_block(current, code, where)
        if isinstance(merged, Rejected):
            return Rejected(f"{where}: {merged.reason}") if where != path else merged
        files[where] = merged
    return files


def finish(old: dict[str, str], new: dict[str, str], qualname: str, path: str, project: Project) -> EditResult:
    """The checks every shape shares, and the ``Applied`` of the files that changed."""
    files = {p: text for p, text in new.items() if text != old[p]}
    if not files:
        return Rejected("the candidate is identical to the current code")
    if all(normalized(files[p]) == normalized(old[p]) for p in files):
        return Rejected("the candidate is identical to the current code except for layout, comments and docstrings")
    for p in sorted(files):
        error = _compile_error(files[p], p)
        if error is not None:
            return Rejected(error.reason if p == path else f"{p}: {error.reason}")
    changes = tuple(c for p in sorted(files, key=lambda p: (p != path, p)) for c in _changed(old[p], files[p], p))
    if changes and all(c.kind == "added" for c in changes):
        return Rejected("the candidate only adds definitions and changes none of the code that runs; change the "
                        "definitions that use them too")
    problem = _public_api(old, files, changes, qualname, path) or _private_uses(old, files, changes, project)
    if problem is not None:
        return Rejected(problem)
    diff = "".join(unified_diff(old[p], files[p], p) for p in sorted(files, key=lambda p: (p != path, p)))
    return Applied(diff, files.get(path, old[path]), files=tuple(sorted(files.items())), changes=changes)


def _public_api(old: dict[str, str], new: dict[str, str], changes: tuple[Change, ...], qualname: str,
                path: str) -> str | None:
    for c in changes:
        if c.kind == "removed" and not is_private(c.qualname, old[c.path]):
            return (f"the candidate removes the public name `{c.qualname}` of {c.path}; public names stay (keep it, "
                    "or keep it delegating to the new code)")
    if all((c.path, c.qualname) == (path, qualname) for c in changes if c.kind == "changed"):
        return None  # the target's own signature: the hack check reports it, as for a one-definition candidate
    for c in changes:
        if c.kind != "changed" or is_private(c.qualname, old[c.path]):
            continue
        before, after = signatures(old[c.path]).get(c.qualname), signatures(new[c.path]).get(c.qualname)
        if before is not None and after is not None and before != after:
            return (f"the candidate changes the signature of the public `{c.qualname}` in {c.path}; public "
                    "signatures stay as they are (only a private definition may change its signature, with its uses)")
    return None


def _private_uses(old: dict[str, str], new: dict[str, str], changes: tuple[Change, ...],
                  project: Project) -> str | None:
    """A private definition whose signature changed must have every use of it updated by the same candidate."""
    changed = {(c.path, c.qualname) for c in changes}
    for c in changes:
        if c.kind != "changed" or not is_private(c.qualname, old[c.path]):
            continue
        before, after = signatures(old[c.path]).get(c.qualname), signatures(new[c.path]).get(c.qualname)
        if before is None or after is None or before == after:
            continue
        texts = {p: _read_or_empty(project, p) for p in project.files()}
        texts.update(new)
        module = ".".join(module_parts(c.path, project.subdir))
        stale = stale_uses(texts, changed, c.path, module, c.qualname)
        if stale:
            u = stale[0]
            where = "at module level" if u.within == MODULE else f"in `{u.within}`"
            more = f" (and {len(stale) - 1} more)" if len(stale) > 1 else ""
            return (f"the candidate changes the signature of the private `{c.qualname}` but not its use at "
                    f"{u.path}:{u.line} {where}{more}; send every definition that uses it, updated, too")
    return None


def _read_or_empty(project: Project, p: str) -> str:
    try:
        return project.read(p)
    except (OSError, UnicodeDecodeError, ValueError):
        return ""
