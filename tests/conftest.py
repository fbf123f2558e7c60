"""Shared helpers: real git repositories in temporary directories, and checkout snapshots."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Runs in this suite measure wall time unless a test asks for cycles: a simulated run takes ~50x a plain one,
# so only the tests of the cycles measure (tests/measure/test_cycles*.py and the e2e ones) pay for valgrind.
os.environ.setdefault("OPTILOOP_MEASURE", "time")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test User",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test User",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=env).stdout


def make_repo(path: Path, files: dict[str, str], commit: bool = True) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_text(text)
    git(path, "init", "-q", "-b", "main")
    if commit:
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", "initial")
    return path


def snapshot(repo: Path) -> dict[str, object]:
    """Everything about the user's checkout that optiloop must leave alone."""
    files = {}
    for p in sorted(repo.rglob("*")):
        rel = p.relative_to(repo)
        if rel.parts[0] in (".git", ".optiloop") or not p.is_file():
            continue
        files[rel.as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return {
        "files": files,
        "status": git(repo, "status", "--porcelain", "--untracked-files=all"),
        "index": git(repo, "ls-files", "--stage"),
        "staged": git(repo, "diff", "--cached", "--name-status"),
        "head": git(repo, "rev-parse", "HEAD").strip(),
        "branch": git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip(),
        "stash": git(repo, "stash", "list"),
    }


def optiloop(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
             timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a child process, with no model keys in its environment."""
    base = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    base.update(GIT_ENV)
    base.update(env or {})
    return subprocess.run([sys.executable, "-m", "optiloop", *args], cwd=cwd, capture_output=True, text=True,
                          env=base, timeout=timeout)


@pytest.fixture
def python_on_path() -> dict[str, str]:
    """PATH with this interpreter first, so that `python` in commands is the test's Python."""
    return {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def plugin_package(where: Path, name: str, entry_points: str, modules: dict[str, str]) -> Path:
    """An installed package, as importlib.metadata sees it, in ``where`` (put it on sys.path or PYTHONPATH):
    its modules and a ``NAME-1.0.dist-info`` whose entry_points.txt is ``entry_points``."""
    dist = where / f"{name.replace('-', '_')}-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(entry_points)
    for module, text in modules.items():
        (where / module).write_text(text)
    return where
