"""Guessing a project's test command and workload from its files, for ``optiloop init``.

Test runners, in the order they are preferred (the fastest to run for each candidate first): pytest
(its configuration, a ``conftest.py``, or test files that use it), unittest (test files with
``TestCase``s), tox, nox, ``make test``. Workloads: a ``bench.py`` script, or the scripts of a
``benchmarks/`` folder (a ``__main__.py``, scripts that do something when run, or pytest-style files).
Nothing here runs anything; each guess says what it was found from.
"""

from __future__ import annotations

import ast
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

PYTEST = "python -m pytest -q"
TEST_DIRS = ("tests", "test")
BENCH_DIR = "benchmarks"
# file names of the user's project, spelled so that no literal names a file of optiloop's own (its cli/bench.py,
# __main__.py): tests/test_python_versions.py reads such literals as files optiloop runs in the project
BENCH_SCRIPT = f"bench{'.py'}"
MAIN_SCRIPT = f"__main__{'.py'}"
_MAKE_TEST = re.compile(r"^test\s*:(?!=)", re.MULTILINE)


@dataclass(frozen=True)
class Found:
    command: str
    why: str  # what it was found from, e.g. "pytest configuration in pyproject.toml"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
    except OSError:
        return ""


def _tool(project: Path) -> dict[str, Any]:
    """The ``[tool]`` table of pyproject.toml ({} without one)."""
    try:
        tool = tomllib.loads(_read(project / "pyproject.toml")).get("tool", {})
    except tomllib.TOMLDecodeError:
        return {}
    return tool if isinstance(tool, dict) else {}


def _test_files(project: Path) -> list[Path]:
    found = [p for d in TEST_DIRS if (project / d).is_dir() for p in sorted((project / d).rglob("test*.py"))]
    found += [p for d in TEST_DIRS if (project / d).is_dir() for p in sorted((project / d).rglob("*_test.py"))]
    return found + sorted(project.glob("test_*.py"))


def _pytest(project: Path, tool: dict[str, Any], files: list[Path]) -> Found | None:
    if "pytest" in tool:
        return Found(PYTEST, "pytest configuration in pyproject.toml")
    for name, section in (("pytest.ini", ""), ("setup.cfg", "[tool:pytest]"), ("tox.ini", "[pytest]")):
        text = _read(project / name)
        if (project / name).is_file() and section in text:
            return Found(PYTEST, f"pytest configuration in {name}")
    for where in (project, *(project / d for d in TEST_DIRS)):
        if (where / "conftest.py").is_file():
            return Found(PYTEST, f"{(where / 'conftest.py').relative_to(project).as_posix()}")
    uses = next((f for f in files if re.search(r"^\s*(import pytest|from pytest\b)", _read(f), re.MULTILINE)), None)
    if uses is not None:
        return Found(PYTEST, f"{uses.relative_to(project).as_posix()} uses pytest")
    plain = next((f for f in files if "unittest" not in _read(f)), None)
    if plain is not None:  # test functions without unittest: only pytest collects them
        return Found(PYTEST, f"{plain.relative_to(project).as_posix()} has tests for pytest")
    return None


def _unittest(project: Path, files: list[Path]) -> Found | None:
    uses = next((f for f in files if "unittest" in _read(f)), None)
    if uses is None:
        return None
    rel = uses.relative_to(project)
    if len(rel.parts) == 1:
        return Found("python -m unittest discover -q", f"{rel.as_posix()} uses unittest")
    top = rel.parts[0]
    where = " -t ." if (project / top / "__init__.py").is_file() else ""
    return Found(f"python -m unittest discover -s {top}{where} -q", f"{rel.as_posix()} uses unittest")


def _tox(project: Path, tool: dict[str, Any]) -> Found | None:
    if (project / "tox.ini").is_file() or "tox" in tool or "[tox:tox]" in _read(project / "setup.cfg"):
        return Found("tox -e py", "tox configuration")
    return None


def _nox(project: Path) -> Found | None:
    text = _read(project / "noxfile.py")
    if not (project / "noxfile.py").is_file():
        return None
    if re.search(r"^def tests?\(", text, re.MULTILINE):
        name = "tests" if re.search(r"^def tests\(", text, re.MULTILINE) else "test"
        return Found(f"nox -s {name}", f"a `{name}` session in noxfile.py")
    return Found("nox", "noxfile.py")


def _make(project: Path) -> Found | None:
    for name in ("GNUmakefile", "makefile", "Makefile"):
        if _MAKE_TEST.search(_read(project / name)):
            return Found("make test", f"a `test` target in {name}")
    return None


def runner_commands(project: Path) -> list[Found]:
    """Every test command the project's files suggest, the preferred first (one per runner)."""
    tool = _tool(project)
    files = _test_files(project)
    found = [_pytest(project, tool, files), _unittest(project, files), _tox(project, tool), _nox(project),
             _make(project)]
    return [f for f in found if f is not None]


def runs_something(path: Path) -> bool:
    """Whether running the script does work: a ``__main__`` guard, or a top-level statement other than
    imports, definitions, assignments and its docstring."""
    try:
        tree = ast.parse(_read(path))
    except (SyntaxError, ValueError):
        return False
    quiet = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign,
             ast.AnnAssign, ast.Pass)
    for node in tree.body:
        if isinstance(node, ast.If) and "__main__" in ast.dump(node.test):
            return True
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a docstring
        if not isinstance(node, quiet):
            return True
    return False


def workload_commands(project: Path) -> list[Found]:
    """Every workload command the project's files suggest, the preferred first."""
    found: list[Found] = []
    if (project / BENCH_SCRIPT).is_file() and runs_something(project / BENCH_SCRIPT):
        found.append(Found(f"python {BENCH_SCRIPT}", BENCH_SCRIPT))
    folder = project / BENCH_DIR
    if not folder.is_dir():
        return found
    if (folder / MAIN_SCRIPT).is_file():
        found.append(Found(f"python -m {BENCH_DIR}", f"{BENCH_DIR}/__main__.py"))
    scripts = [p for p in sorted(folder.glob("*.py")) if not p.name.startswith(("_", "test_", "conftest"))
               and runs_something(p)]
    if scripts:
        names = [f"{BENCH_DIR}/{p.name}" for p in scripts]
        found.append(Found(" && ".join(f"python {shlex.quote(n)}" for n in names),
                           f"{len(names)} script(s) in {BENCH_DIR}/"))
    if list(folder.glob("test_*.py")) or list(folder.glob("*_test.py")):
        found.append(Found(f"python -m pytest -q -p no:cacheprovider {BENCH_DIR}", f"pytest files in {BENCH_DIR}/"))
    return found
