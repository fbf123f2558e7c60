"""`optiloop init` end to end: what it writes, what it refuses, what it asks."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
import pytest

from optiloop.cli.init import new_pyproject, toml_string
from optiloop.config import load_settings
from optiloop.errors import BadInput
from tests.conftest import GIT_ENV, git, make_repo, optiloop

CORE = "def total(items):\n    return sum(items)\n"
TESTS = ("import unittest\n\nfrom pkg.core import total\n\n\nclass T(unittest.TestCase):\n"
         "    def test_total(self):\n        self.assertEqual(total([1, 2]), 3)\n")
BENCH = "from pkg.core import total\n\nprint(total(range(1000)))\n"


def project(path: Path, **extra: str) -> Path:
    files = {"pkg/__init__.py": "", "pkg/core.py": CORE, "tests/test_core.py": TESTS, "bench.py": BENCH, **extra}
    return make_repo(path, files)


def test_detects_runs_the_workload_once_appends_the_table_and_says_what_next(
        tmp_path: Path, python_on_path: dict[str, str]) -> None:
    head = '[project]\nname = "shop"\r\nversion = "1"  # CRLF and no newline at the end'
    repo = project(tmp_path / "repo", **{"pyproject.toml": head})
    before = (repo / "pyproject.toml").read_bytes()
    marker = tmp_path / "ran"
    (repo / "bench.py").write_text(BENCH + f"open({str(marker)!r}, 'a').write('x')\n")
    git(repo, "commit", "-qam", "the workload leaves a mark")

    done = optiloop("init", str(repo), env=python_on_path)

    assert done.returncode == 0, done.stderr
    after = (repo / "pyproject.toml").read_bytes()
    assert after.startswith(before)  # what was there stays byte for byte
    assert after[len(before):] == (b'\r\n\r\n[tool.optiloop]\r\nworkload = "python bench.py"\r\n'
                                   b'tests = "python -m unittest discover -s tests -q"\r\n')
    assert marker.read_text() == "x"  # the workload ran once
    settings = load_settings(repo, {})
    assert (settings.workload, settings.tests) == ("python bench.py", "python -m unittest discover -s tests -q")
    assert "workload = \"python bench.py\"   (found bench.py)" in done.stdout
    assert "(found tests/test_core.py uses unittest)" in done.stdout
    assert "The workload ran once in" in done.stdout
    assert "Next: commit pyproject.toml" in done.stdout and "`optiloop run`" in done.stdout
    assert "running the workload once: python bench.py" in done.stderr


def test_makes_the_file_from_the_flags(tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = project(tmp_path / "repo")
    done = optiloop("init", str(repo), "--tests", 'python -m unittest -k "total"', "--workload",
                    "python bench.py --size 3", env=python_on_path)
    assert done.returncode == 0, done.stderr
    assert (repo / "pyproject.toml").read_text() == (
        '[tool.optiloop]\nworkload = "python bench.py --size 3"\ntests = "python -m unittest -k \\"total\\""\n')
    assert "(from --tests)" in done.stdout and "Next: run `optiloop run`." in done.stdout


@pytest.mark.parametrize(("pyproject", "words"), [
    ('[tool.optiloop]\nworkload = "python old.py"\n', "already has a [tool.optiloop] table"),
    ('[tool.optiloop.extra]\nx = 1\n', "already has a [tool.optiloop] table"),
    ("[project\nname = 1\n", "pyproject.toml is not valid TOML"),
    ('tool = {black = {line-length = 99}}\n', "cannot be added at the end of pyproject.toml"),
])
def test_refuses_and_changes_nothing(tmp_path: Path, python_on_path: dict[str, str], pyproject: str,
                                     words: str) -> None:
    repo = project(tmp_path / "repo", **{"pyproject.toml": pyproject})
    done = optiloop("init", str(repo), env=python_on_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and words in done.stderr
    assert (repo / "pyproject.toml").read_text() == pyproject
    assert git(repo, "status", "--porcelain") == ""


def test_a_failing_workload_writes_nothing(tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = project(tmp_path / "repo", **{"bench.py": "raise SystemExit('no data.csv here')\n"})
    done = optiloop("init", str(repo), env=python_on_path)
    assert done.returncode == 2
    assert "the workload `python bench.py` fails (no data.csv here); nothing was written" in done.stderr
    assert not (repo / "pyproject.toml").exists()


def test_without_a_terminal_what_cannot_be_found_is_an_error_naming_the_flag(
        tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = make_repo(tmp_path / "repo", {"pkg/core.py": CORE})
    done = optiloop("init", str(repo), env=python_on_path)
    assert done.returncode == 2
    assert "no test command found in the project (no pytest or unittest tests, tox, nox or `make test`)" in done.stderr
    assert "pass --tests CMD" in done.stderr
    done = optiloop("init", str(repo), "--tests", "python -m pytest", env=python_on_path)
    assert done.returncode == 2
    assert "no workload found in the project (no bench.py, no benchmarks/ folder with scripts)" in done.stderr
    assert "pass --workload CMD" in done.stderr and not (repo / "pyproject.toml").exists()


def test_in_a_terminal_it_asks(tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = make_repo(tmp_path / "repo", {"pkg/__init__.py": "", "pkg/core.py": CORE, "tests/test_core.py": TESTS,
                                         "tools/run_it.py": BENCH})
    env = {**{k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}, **GIT_ENV, **python_on_path,
           "TERM": "dumb"}
    child = pexpect.spawn(sys.executable, ["-m", "optiloop", "init", str(repo)], env=env, encoding="utf-8",
                          timeout=60, dimensions=(40, 200))
    child.expect_exact("No workload found. Which command runs it? (e.g. python bench.py):")
    child.sendline("python tools/run_it.py")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert 'workload = "python tools/run_it.py"   (as you said)' in str(child.before)
    assert load_settings(repo, {}).workload == "python tools/run_it.py"


def test_the_table_text_reads_back() -> None:
    odd = 'python -c "print(\'a\\\\b\')"\t\x7f\x01 ünï'
    added = new_pyproject(b"", odd, "pytest")
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    assert tomllib.loads(added.decode())["tool"]["optiloop"] == {"workload": odd, "tests": "pytest"}
    assert toml_string('a"b') == '"a\\"b"'
    with pytest.raises(BadInput, match="not valid TOML"):
        new_pyproject(b"\xff\xfe", "a", "b")
