"""optiloop runs on CPython 3.10-3.14, and what it runs in the project's interpreter is stdlib-only 3.9 code.

The checks here are static: vermin for calls and syntax newer than 3.10 in the package (newer than 3.9 in
the project-side files), the AST for what vermin does not see (``ast`` node classes that 3.10 lacks),
``ast.parse(feature_version=(3, 9))`` and the stdlib list for the project-side files. Each check is also
run on a sample that must fail it, so a check that cannot fail does not pass. tests/test_interpreters.py
installs optiloop on the oldest and the newest supported interpreters and runs it there.
"""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
import typing
from pathlib import Path

from optiloop.cli import app
from tests.conftest import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - older Pythons
    import tomli as tomllib

PACKAGE = ROOT / "optiloop"
# run by the project's interpreter: replay_child.py as a script, compare.py, exchange.py and the tape loaded by
# it from their files, the hook directories as sitecustomize (see verify/replayer.py, verify/capture.py,
# profiling/fallback.py)
PROJECT_SIDE = (
    "verify/replay_child.py",
    "verify/compare.py",
    "verify/exchange.py",
    "verify/hook/sitecustomize.py",
    "verify/hook/_optiloop_tape.py",
    "profiling/sitehook.py",
)
HOOK_DIRS = ("verify/hook",)
# stdlib modules a project's interpreter may lack: added after 3.9, or removed by 3.12/3.13
NOT_ON_ALL = {"tomllib", "distutils", "imp", "asynchat", "asyncore", "smtpd", "aifc", "audioop", "cgi", "cgitb",
              "chunk", "crypt", "imghdr", "lib2to3", "mailcap", "msilib", "nis", "nntplib", "ossaudiodev", "pipes",
              "sndhdr", "spwd", "sunau", "telnetlib", "uu", "xdrlib"}
# ast node classes added after 3.10 (except* 3.11, type parameters and aliases 3.12)
NEW_AST = {"TryStar", "TypeAlias", "type_param", "TypeVar", "ParamSpec", "TypeVarTuple"}
OLDEST = "3.10"  # optiloop's own oldest Python
PROJECT_OLDEST = "3.9"  # the oldest project interpreter (--python)
VERMIN = ["--no-tips", "--violations", "--eval-annotations", "--no-config-file", "-q"]


def vermin(*paths: Path, target: str = OLDEST) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "import sys; from vermin.main import main; sys.exit(main())",
                           f"--target={target}-", *VERMIN, *map(str, paths)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def package_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def new_ast_uses(source: str, where: str) -> list[str]:
    """``ast`` node classes that Python 3.10 lacks (an AttributeError there, which vermin does not see)."""
    return [f"{where}:{node.lineno}: ast.{node.attr} is not in Python 3.10's ast"
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Attribute) and node.attr in NEW_AST and isinstance(node.value, ast.Name)
            and node.value.id == "ast"]


def type_checking_only(tree: ast.AST) -> set[int]:
    """The ids of the nodes under ``if TYPE_CHECKING:``: they never run, only a type checker reads them."""
    found: set[int] = set()
    for node in ast.walk(tree):  # `if TYPE_CHECKING:` or `if typing.TYPE_CHECKING:`
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", "")) == "TYPE_CHECKING":
            found |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return found


def project_side_problems(path: Path) -> list[str]:
    """Syntax newer than 3.9, and imports that are neither stdlib on 3.9-3.14 nor a file next to ``path``
    (except under ``if TYPE_CHECKING:``, which never runs)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path), feature_version=(3, 9))
    except SyntaxError as exc:
        return [f"{path.name}:{exc.lineno}: not Python 3.9 syntax: {exc.msg}"]
    siblings = {p.stem for p in path.parent.glob("*.py")}
    unrun = type_checking_only(tree)
    found = []
    for node in ast.walk(tree):
        if id(node) in unrun:
            continue
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
            [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
        if isinstance(node, ast.ImportFrom) and node.level:
            found.append(f"{path.name}:{node.lineno}: relative import (the file runs outside the package)")
        for name in names:
            top = name.split(".")[0]
            if top in siblings:
                continue
            if top not in sys.stdlib_module_names or top in NOT_ON_ALL:
                found.append(f"{path.name}:{node.lineno}: imports {name}, not stdlib on Python 3.9-3.14")
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


def test_vermin_finds_nothing_newer_than_3_10_in_the_package() -> None:
    done = vermin(PACKAGE)
    assert done.returncode == 0, done.stdout + done.stderr


def test_vermin_flags_a_3_11_feature(tmp_path: Path) -> None:
    samples = {
        "groups.py": "def f():\n    try:\n        pass\n    except* ValueError:\n        pass\n",
        "toml.py": "import tomllib\n",
        "selfs.py": "from typing import Self\n",
        "tasks.py": "import asyncio\n\nasync def f():\n    async with asyncio.TaskGroup():\n        pass\n",
    }
    for name, text in samples.items():
        (tmp_path / name).write_text(text)
    done = vermin(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    for feature in ("`except*`", "'tomllib' module", "'typing.Self' member", "'asyncio.TaskGroup' member"):
        assert feature in done.stdout, (feature, done.stdout)
    assert vermin(tmp_path / "selfs.py").returncode == 1


def test_no_ast_class_newer_than_3_10_is_used() -> None:
    found = [p for f in package_files() for p in new_ast_uses(f.read_text(encoding="utf-8"), str(f))]
    assert not found, "\n".join(found)


def test_the_ast_check_sees_a_3_11_class() -> None:
    sample = "import ast\nok = isinstance(x, ast.TryStar) or isinstance(x, ast.Match)\n"
    assert new_ast_uses(sample, "bad.py") == ["bad.py:2: ast.TryStar is not in Python 3.10's ast"]


def test_typer_resolves_the_commands_annotations() -> None:
    commands = [c.callback for c in app.registered_commands if c.callback is not None]
    assert len(commands) >= 10
    for func in commands:  # the way typer resolves them, at run time
        hints = typing.get_type_hints(func, include_extras=True)
        assert set(hints) >= set(inspect.signature(func).parameters), func


def test_pyproject_declares_3_10_to_3_14() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["requires-python"] == f">={OLDEST}"
    classifiers = project["project"]["classifiers"]
    versions = {c.rsplit(" :: ", 1)[1] for c in classifiers if c.startswith("Programming Language :: Python :: 3.")}
    assert versions == {f"3.{minor}" for minor in range(10, 15)}, classifiers
    ruff = project["tool"]["ruff"]
    assert ruff["target-version"] == "py310"
    project_side = {f"optiloop/{d}/*.py" for d in HOOK_DIRS} | {
        f"optiloop/{name}" for name in PROJECT_SIDE if not name.startswith(HOOK_DIRS)}
    assert ruff["per-file-target-version"] == dict.fromkeys(project_side, "py39")  # ruff holds them to 3.9
    deps = project["project"]["dependencies"]
    assert not any(d.startswith("eval_type_backport") for d in deps), deps
    assert any(d.startswith("tomli") and "< '3.11'" in d for d in deps), deps


# --- what runs in the project's interpreter ------------------------------------------------------------------


def test_every_file_run_by_the_project_is_checked() -> None:
    assert discovered_project_side() <= set(PROJECT_SIDE), discovered_project_side() - set(PROJECT_SIDE)


def test_project_side_files_are_stdlib_only_python_3_9() -> None:
    found = [p for name in PROJECT_SIDE for p in project_side_problems(PACKAGE / name)]
    assert not found, "\n".join(found)
    done = vermin(*(PACKAGE / name for name in PROJECT_SIDE), target=PROJECT_OLDEST)
    assert done.returncode == 0, done.stdout + done.stderr


def test_vermin_flags_a_3_10_call_in_a_project_side_file(tmp_path: Path) -> None:
    sample = tmp_path / "hook.py"
    sample.write_text("def f(a, b):\n    return list(zip(a, b, strict=True))\n")
    done = vermin(sample, target=PROJECT_OLDEST)
    assert done.returncode == 1 and "zip(strict)" in done.stdout, done.stdout + done.stderr


def test_the_project_side_check_fails_on_3_10_syntax_and_third_party_imports(tmp_path: Path) -> None:
    (tmp_path / "helper.py").write_text("X = 1\n")
    sample = tmp_path / "hook.py"
    sample.write_text("import json, helper\nimport tomllib\nfrom pydantic import BaseModel\nfrom . import x\n"
                      "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from optiloop.verify import exchange\n"
                      "else:\n    import optiloop\n")
    assert [p.split(": ", 1)[1] for p in project_side_problems(sample)] == [
        "imports tomllib, not stdlib on Python 3.9-3.14",
        "imports pydantic, not stdlib on Python 3.9-3.14",
        "relative import (the file runs outside the package)",
        "imports optiloop, not stdlib on Python 3.9-3.14",  # the else branch runs; the TYPE_CHECKING one not
    ]
    sample.write_text("def f(x):\n    match x:\n        case _:\n            return x\n")
    assert "not Python 3.9 syntax" in project_side_problems(sample)[0]
