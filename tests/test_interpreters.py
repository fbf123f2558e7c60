"""optiloop installed and run on the oldest and the newest Python it supports.

``scripts/test-pythons`` finds the two interpreters (``scripts/test-deps`` installs them where missing). Each
gets a fresh virtual environment with the optiloop wheel and its dependencies, then a short real path: the
CLI's help, a bad ``--model`` (one line, exit 2), a profile of a small workload run by that same
interpreter, and the tests of the rewrite catalog, the libcst editing and the builtin model. Without an
interpreter the test is skipped and says why, except under CI, where it fails.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, make_repo

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - older Pythons
    import tomli as tomllib

SCRIPT = ROOT / "scripts" / "test-pythons"
SUBSET = ["tests/catalog", "tests/edit", "tests/models/test_builtin.py"]
CORE = '''\
def dedupe(items):
    seen = []
    for x in items:
        if x not in seen:
            seen.append(x)
    return seen
'''
WORK = "from pkg.core import dedupe\n\nprint(len(dedupe([(i * 7919) % 1500 for i in range(6000)])))\n"


def supported() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    prefix = "Programming Language :: Python :: 3."
    minors = sorted(int(c[len(prefix):]) for c in project["project"]["classifiers"] if c.startswith(prefix))
    return [f"3.{minor}" for minor in minors]


OLDEST, NEWEST = supported()[0], supported()[-1]


def run(*args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def interpreter(version: str) -> str:
    done = subprocess.run(["bash", str(SCRIPT), "--find", version], capture_output=True, text=True, timeout=120)
    if done.returncode != 0 or not done.stdout.strip():
        why = f"Python {version} is missing: {done.stderr.strip()} (scripts/test-deps installs it)"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """pip's newest wheel (run from the wheel itself, so no venv needs ensurepip) and optiloop's wheel."""
    where = tmp_path_factory.mktemp("wheels")
    for what in (["download", "--no-deps", "--only-binary=:all:", "pip"], ["wheel", "--no-deps", str(ROOT)]):
        done = subprocess.run([sys.executable, "-m", "pip", *what, "-q", "-d" if what[0] == "download" else "-w",
                               str(where)], capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
    return next(where.glob("pip-*.whl")), next(where.glob("optiloop-*.whl"))


def test_the_script_looks_for_the_oldest_and_newest_supported() -> None:
    declared = re.search(r"^VERSIONS=\(([^)]*)\)", SCRIPT.read_text(), re.MULTILINE)
    assert declared is not None and declared.group(1).split() == [OLDEST, NEWEST]


def test_the_script_says_what_is_missing() -> None:
    done = subprocess.run(["bash", str(SCRIPT), "--find", "3.99"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "OPTILOOP_PYTHONS": "/nonexistent"})
    assert done.returncode == 1 and done.stdout == ""
    assert "no Python 3.99 found (run: bash scripts/test-pythons)" in done.stderr


@pytest.mark.parametrize("version", [OLDEST, NEWEST])
def test_optiloop_installs_and_runs_on(version: str, tmp_path: Path, wheels: tuple[Path, Path]) -> None:
    python = interpreter(version)
    pip, optiloop_wheel = wheels
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items()
           if not k.endswith("_API_KEY") and not k.startswith("PYTEST") and k != "VIRTUAL_ENV"}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"  # the project's `python` is this one too
    assert run(python, "-m", "venv", "--without-pip", venv, env=env).returncode == 0
    done = run(venv / "bin" / "python", pip / "pip", "install", "-q", "--disable-pip-version-check", optiloop_wheel,
               "pytest", "--no-compile", env=env)
    assert done.returncode == 0, done.stderr
    said = run(venv / "bin" / "python", "-c", "import sys; print('%d.%d' % sys.version_info[:2])", env=env)
    assert said.stdout.strip() == version

    helped = run(venv / "bin" / "optiloop", "--help", env=env)
    assert helped.returncode == 0 and "Usage" in helped.stdout, helped.stderr

    repo = make_repo(tmp_path / "repo", {"pkg/__init__.py": "", "pkg/core.py": CORE, "work.py": WORK})
    bad = run(venv / "bin" / "optiloop", "run", repo, "--model", "nope:x", "--workload", "python work.py",
              "--tests", "python -c pass", env=env)
    assert bad.returncode == 2, bad.stdout + bad.stderr
    assert bad.stderr.count("\n") == 1 and "unknown model 'nope:x'" in bad.stderr, bad.stderr

    profiled = run(venv / "bin" / "optiloop", "profile", repo, "--workload", "python work.py", "--json", env=env)
    assert profiled.returncode == 0, profiled.stderr
    hot = json.loads(profiled.stdout)["hotspots"]
    assert hot and hot[0]["function"] == "dedupe" and hot[0]["path"] == "pkg/core.py", profiled.stdout

    tested = run(venv / "bin" / "python", "-m", "pytest", "-q", "-o", "addopts=", "-p", "no:cacheprovider", *SUBSET,
                 env=env)
    assert tested.returncode == 0, tested.stdout[-3000:] + tested.stderr[-2000:]
    assert re.search(r"\d+ passed", tested.stdout), tested.stdout[-500:]
