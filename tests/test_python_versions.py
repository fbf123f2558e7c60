"""optiloop runs on CPython 3.9-3.13, and what it runs in the project's interpreter is stdlib-only 3.9 code.

Only 3.11 is installed here, so the checks are static: vermin for 3.10+ calls and syntax, the AST for
what vermin does not see (type unions and typer annotations evaluated at run time, ``ast`` node classes
that 3.9 lacks), ``ast.parse(feature_version=(3, 9))`` and the stdlib list for the project-side files.
Each check is also run on a sample that must fail it, so a check that cannot fail does not pass.
"""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
import textwrap
import typing
from pathlib import Path

import pytest

from optiloop.cli import app
from tests.conftest import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - older Pythons
    import tomli as tomllib

PACKAGE = ROOT / "optiloop"
# run by the project's interpreter: replay_child.py as a script, compare.py and the tape loaded by it from
# their files, the hook directories as sitecustomize (see verify/gate.py, verify/capture.py, profiling/fallback.py)
PROJECT_SIDE = (
    "verify/replay_child.py",
    "verify/compare.py",
    "verify/hook/sitecustomize.py",
    "verify/hook/_optiloop_tape.py",
    "profiling/sitehook.py",
)
HOOK_DIRS = ("verify/hook",)
# stdlib modules a project's interpreter may lack: added after 3.9, or removed by 3.12/3.13
NOT_ON_ALL = {"tomllib", "distutils", "imp", "asynchat", "asyncore", "smtpd", "aifc", "audioop", "cgi", "cgitb",
              "chunk", "crypt", "imghdr", "lib2to3", "mailcap", "msilib", "nis", "nntplib", "ossaudiodev", "pipes",
              "sndhdr", "spwd", "sunau", "telnetlib", "uu", "xdrlib"}
# ast node classes added after 3.9 (match statements 3.10, except* 3.11, type parameters 3.12)
NEW_AST = {"Match", "match_case", "pattern", "MatchValue", "MatchSingleton", "MatchSequence", "MatchMapping",
           "MatchClass", "MatchStar", "MatchAs", "MatchOr", "TryStar", "TypeAlias", "type_param", "TypeVar",
           "ParamSpec", "TypeVarTuple"}
BUILTIN_TYPES = {"None", "str", "int", "float", "bool", "bytes", "list", "dict", "tuple", "set", "frozenset",
                 "type", "object", "complex"}
VERMIN = ["--target=3.9-", "--no-tips", "--violations", "--eval-annotations", "--no-config-file", "-q"]


def vermin(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "import sys; from vermin.main import main; sys.exit(main())",
                           *VERMIN, *map(str, paths)], cwd=ROOT, capture_output=True, text=True, timeout=300)


def package_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _annotation_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes inside annotations (never evaluated under ``from __future__ import annotations``)."""
    roots: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.arg, ast.AnnAssign)) and node.annotation is not None:
            roots.append(node.annotation)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None:
            roots.append(node.returns)
    return {id(n) for root in roots for n in ast.walk(root)}


def _typelike(node: ast.expr) -> bool:
    """A class, ``None`` or a generic: ``Foo``, ``mod.Foo``, ``str``, ``list[int]`` (not ``RE.I``, ``names``)."""
    if isinstance(node, ast.Constant):
        return node.value is None
    if isinstance(node, ast.Subscript):
        return _typelike(node.value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _typelike(node.left) and _typelike(node.right)
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return name in BUILTIN_TYPES or (name[:1].isupper() and not name.isupper())


def runtime_problems(source: str, where: str) -> list[str]:
    """``X | Y`` of types evaluated at run time (TypeError before 3.10), and ``ast`` classes 3.9 lacks."""
    tree = ast.parse(source)
    skip = _annotation_nodes(tree)
    reported: set[int] = set()
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if (isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr) and id(node) not in reported
                and _typelike(node)):
            found.append(f"{where}:{node.lineno}: `{ast.unparse(node)}` (use Union/Optional or a tuple)")
            reported |= {id(n) for n in ast.walk(node)}  # `A | B | C` once, not its inner `A | B` too
        elif (isinstance(node, ast.Attribute) and node.attr in NEW_AST and isinstance(node.value, ast.Name)
              and node.value.id == "ast"):
            found.append(f"{where}:{node.lineno}: ast.{node.attr} is not in Python 3.9's ast")
    return found


def annotation_unions(func: typing.Callable[..., object]) -> list[str]:
    """Annotations of ``func`` that use ``X | Y`` (typer evaluates them: TypeError before 3.10)."""
    found = []
    for name, annotation in func.__annotations__.items():
        text = annotation if isinstance(annotation, str) else ""
        tree = ast.parse(text or "None", mode="eval")
        if any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitOr) for n in ast.walk(tree)):
            found.append(f"{func.__module__}.{func.__qualname__}({name}: {text})")
    return found


def project_side_problems(path: Path) -> list[str]:
    """Syntax newer than 3.9, and imports that are neither stdlib on 3.9-3.13 nor a file next to ``path``."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path), feature_version=(3, 9))
    except SyntaxError as exc:
        return [f"{path.name}:{exc.lineno}: not Python 3.9 syntax: {exc.msg}"]
    siblings = {p.stem for p in path.parent.glob("*.py")}
    found = []
    for node in ast.walk(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
            [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
        if isinstance(node, ast.ImportFrom) and node.level:
            found.append(f"{path.name}:{node.lineno}: relative import (the file runs outside the package)")
        for name in names:
            top = name.split(".")[0]
            if top in siblings:
                continue
            if top not in sys.stdlib_module_names or top in NOT_ON_ALL:
                found.append(f"{path.name}:{node.lineno}: imports {name}, not stdlib on Python 3.9-3.13")
    return found


def discovered_project_side() -> set[str]:
    """Package files named by a string literal in a module next to them, or in a directory put on PYTHONPATH."""
    found = {str(p.relative_to(PACKAGE)) for d in HOOK_DIRS for p in (PACKAGE / d).glob("*.py")}
    for module in package_files():
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.endswith(".py")
                    and "/" not in node.value and "*" not in node.value and node.value != "__init__.py"):
                found |= {str(p.relative_to(PACKAGE)) for p in module.parent.rglob(node.value)}
    return found


# --- the package --------------------------------------------------------------------------------------------


def test_vermin_finds_nothing_newer_than_3_9_in_the_package() -> None:
    done = vermin(PACKAGE)
    assert done.returncode == 0, done.stdout + done.stderr


def test_vermin_flags_a_3_10_feature(tmp_path: Path) -> None:
    samples = {
        "zips.py": "def f(a, b):\n    return list(zip(a, b, strict=True))\n",
        "matches.py": "def f(x):\n    match x:\n        case 1:\n            return 2\n    return 3\n",
        "slots.py": "from dataclasses import dataclass\n\n@dataclass(slots=True)\nclass A:\n    x: int\n",
        "aliases.py": "from typing import TypeAlias\n\nN: TypeAlias = int\n",
    }
    for name, text in samples.items():
        (tmp_path / name).write_text(text)
    done = vermin(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    for feature in ("zip(strict)", "pattern matching", "dataclass(slots)", "typing.TypeAlias"):
        assert feature in done.stdout, (feature, done.stdout)
    assert vermin(tmp_path / "zips.py").returncode == 1


def test_no_type_union_or_new_ast_class_is_evaluated_at_run_time() -> None:
    found = [p for f in package_files() for p in runtime_problems(f.read_text(encoding="utf-8"), str(f))]
    assert not found, "\n".join(found)


def test_the_runtime_check_tells_type_unions_from_set_and_flag_unions() -> None:
    bad = textwrap.dedent("""
        from __future__ import annotations
        import ast
        Result = Applied | Rejected
        Hook = Callable[[int], Verdict | None]
        def f(x: int | None) -> str | None:
            ok = isinstance(x, ast.Import | ast.ImportFrom) or isinstance(x, ast.MatchAs)
            y: list[int] | None = None
            return ok
    """)
    found = runtime_problems(bad, "bad.py")
    assert sorted(int(line.split(":")[1]) for line in found) == [4, 5, 7, 7], found
    fine = textwrap.dedent("""
        import re, os
        FLAGS = re.DOTALL | re.MULTILINE
        MODE = os.O_WRONLY | os.O_CREAT
        def f(names, more):
            return names | {"x"} | frozenset(more) | ALL_NAMES
    """)
    assert runtime_problems(fine, "fine.py") == []


def test_typer_reads_no_union_annotations_from_the_commands() -> None:
    commands = [c.callback for c in app.registered_commands if c.callback is not None]
    assert len(commands) >= 10
    found = [u for func in commands for u in annotation_unions(func)]
    assert not found, "\n".join(found)
    for func in commands:  # and they resolve, the way typer resolves them
        hints = typing.get_type_hints(func, include_extras=True)
        assert set(hints) >= set(inspect.signature(func).parameters), func


def test_the_annotation_check_sees_a_union() -> None:
    def command(path: str | None = None, flag: typing.Optional[int] = None) -> None:  # noqa: UP045
        """A command written the 3.10 way."""

    assert annotation_unions(command) == [f"{__name__}.{command.__qualname__}(path: str | None)"]


def test_pyproject_declares_3_9_to_3_13() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["requires-python"] == ">=3.9"
    classifiers = project["project"]["classifiers"]
    assert {f"Programming Language :: Python :: 3.{minor}" for minor in range(9, 14)} <= set(classifiers)
    assert project["tool"]["ruff"]["target-version"] == "py39"
    deps = project["project"]["dependencies"]
    assert any(d.startswith("eval_type_backport") and "< '3.10'" in d for d in deps), deps
    assert any(d.startswith("tomli") and "< '3.11'" in d for d in deps), deps


# --- what runs in the project's interpreter ------------------------------------------------------------------


def test_every_file_run_by_the_project_is_checked() -> None:
    assert discovered_project_side() <= set(PROJECT_SIDE), discovered_project_side() - set(PROJECT_SIDE)


# sys.stdlib_module_names is 3.10+; the suite runs on the dev interpreter (3.11 here)
needs_stdlib_names = pytest.mark.skipif(sys.version_info < (3, 10), reason="needs sys.stdlib_module_names")


@needs_stdlib_names
def test_project_side_files_are_stdlib_only_python_3_9() -> None:
    found = [p for name in PROJECT_SIDE for p in project_side_problems(PACKAGE / name)]
    assert not found, "\n".join(found)


@needs_stdlib_names
def test_the_project_side_check_fails_on_3_10_syntax_and_third_party_imports(tmp_path: Path) -> None:
    (tmp_path / "helper.py").write_text("X = 1\n")
    sample = tmp_path / "hook.py"
    sample.write_text("import json, helper\nimport tomllib\nfrom pydantic import BaseModel\nfrom . import x\n")
    assert [p.split(": ", 1)[1] for p in project_side_problems(sample)] == [
        "imports tomllib, not stdlib on Python 3.9-3.13",
        "imports pydantic, not stdlib on Python 3.9-3.13",
        "relative import (the file runs outside the package)",
    ]
    sample.write_text("def f(x):\n    match x:\n        case _:\n            return x\n")
    assert "not Python 3.9 syntax" in project_side_problems(sample)[0]
