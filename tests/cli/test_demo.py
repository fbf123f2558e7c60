"""The README's first command, on every example shipped in examples/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT, git, optiloop

EXAMPLES = sorted(p.name for p in (ROOT / "examples").iterdir() if (p / "pyproject.toml").exists())


def test_there_are_examples() -> None:
    assert {"wordfreq", "routes", "inventory"} <= set(EXAMPLES)


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e != "wordfreq"])  # wordfreq: report/test_real_run
def test_demo_commits_a_measured_speedup(example: str, tmp_path: Path) -> None:
    done = optiloop("demo", "--example", example, "--rounds", "3", "--max-iterations", "2",
                    "--directory", str(tmp_path), timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    branch = re.search(r"to branch (optiloop/\S+):", done.stdout)
    assert branch, done.stdout
    repo = Path(re.search(r"Demo repository: (\S+)", done.stdout).group(1))  # type: ignore[union-attr]
    log = git(repo, "log", "--format=%B", f"main..{branch.group(1)}")
    assert "Optiloop-Speedup:" in log and "Optiloop-Model: builtin" in log
    assert re.search(r"  [0-9a-f]{10}  \S+  \d+\.\d+x \(\d+(\.\d+)?% CI ", done.stdout)
    assert f"git -C {repo} log --stat" in done.stdout and f"git -C {repo} diff" in done.stdout
    assert git(repo, "status", "--porcelain") == ""


def test_unknown_example_is_bad_input(tmp_path: Path) -> None:
    done = optiloop("demo", "--example", "nope", "--directory", str(tmp_path))
    assert done.returncode == 2
    assert "there is no example called 'nope'" in done.stderr and "routes" in done.stderr
    assert list(tmp_path.iterdir()) == []
