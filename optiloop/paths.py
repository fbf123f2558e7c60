"""Which files of a repository optiloop may touch: include/exclude globs on repo-relative paths."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=512)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def glob_match(relpath: str, pattern: str) -> bool:
    """``**`` spans directories, ``*`` does not; a pattern ending in ``/`` matches everything under it."""
    if pattern.endswith("/"):
        pattern += "**"
    return _glob_regex(pattern.lstrip("/")).match(relpath) is not None


class Scope:
    """Python files under ``subdir`` that match an include glob (if any) and no exclude glob.

    Globs are relative to the project directory (``subdir`` of the repository).
    """

    def __init__(self, subdir: str, include: Iterable[str], exclude: Iterable[str]) -> None:
        self.subdir = subdir.strip("/")
        self.include = tuple(include)
        self.exclude = tuple(exclude)

    def project_relative(self, repo_rel: str) -> str | None:
        if not self.subdir:
            return repo_rel
        prefix = self.subdir + "/"
        return repo_rel[len(prefix):] if repo_rel.startswith(prefix) else None

    def contains(self, repo_rel: str) -> bool:
        rel = self.project_relative(repo_rel)
        if rel is None or not rel.endswith(".py"):
            return False
        if self.include and not any(glob_match(rel, p) for p in self.include):
            return False
        return not any(glob_match(rel, p) for p in self.exclude)

    def files(self, repo_root: Path) -> list[str]:
        """Repo-relative paths of the in-scope Python files that exist under ``repo_root``."""
        base = repo_root / self.subdir if self.subdir else repo_root
        found = []
        for path in sorted(base.rglob("*.py")):
            rel = path.relative_to(repo_root).as_posix()
            if any(part.startswith(".") for part in Path(rel).parts[:-1]):
                continue
            if self.contains(rel):
                found.append(rel)
        return found


def scripts_in(cmd: str) -> tuple[str, ...]:
    """The ``.py`` files a shell command names: the workload's harness, never a target."""
    try:
        words = shlex.split(cmd)
    except ValueError:
        words = cmd.split()
    return tuple(w for w in words if w.endswith(".py"))


def module_parts(path: str, subdir: str = "") -> list[str]:
    """The parts of the dotted module name of the file ``path`` (relative to the repository root): ``subdir``
    (a monorepo's project directory) and a ``src/`` layout's ``src`` dropped, a package's ``__init__`` its
    package: ``src/pkg/mod.py`` -> ``["pkg", "mod"]``."""
    rel = path[len(subdir) + 1:] if subdir and path.startswith(subdir + "/") else path
    parts = rel[:-3].split("/") if rel.endswith(".py") else rel.split("/")
    if parts and parts[0] == "src":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return parts


def module_names(path: str) -> list[str]:
    """Every dotted name the file ``a/b/c.py`` could be imported as: ``a.b.c``, ``b.c``, ``c`` (whichever
    directory is on ``sys.path``)."""
    parts = path[:-3].split("/") if path.endswith(".py") else path.split("/")
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return [".".join(parts[i:]) for i in range(len(parts))]
