"""Guessing the test command and the workload from a project's files."""

from __future__ import annotations

from pathlib import Path

import pytest

from optiloop.detect import Found, runner_commands, runs_something, workload_commands

UNITTEST = "import unittest\n\nclass T(unittest.TestCase):\n    def test_a(self):\n        pass\n"
PLAIN = "def test_a():\n    assert 1\n"


def tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


@pytest.mark.parametrize(("files", "command", "why"), [
    ({"pyproject.toml": "[tool.pytest.ini_options]\naddopts = '-q'\n", "tests/test_a.py": UNITTEST},
     "python -m pytest -q", "pytest configuration in pyproject.toml"),
    ({"pytest.ini": "[pytest]\n"}, "python -m pytest -q", "pytest configuration in pytest.ini"),
    ({"setup.cfg": "[metadata]\nname = x\n\n[tool:pytest]\ntestpaths = tests\n"}, "python -m pytest -q",
     "pytest configuration in setup.cfg"),
    ({"tests/conftest.py": "", "tests/test_a.py": UNITTEST}, "python -m pytest -q", "tests/conftest.py"),
    ({"tests/test_a.py": "import pytest\n\n" + PLAIN}, "python -m pytest -q", "tests/test_a.py uses pytest"),
    ({"tests/test_a.py": PLAIN}, "python -m pytest -q", "tests/test_a.py has tests for pytest"),
    ({"tests/test_a.py": UNITTEST}, "python -m unittest discover -s tests -q", "tests/test_a.py uses unittest"),
    ({"tests/__init__.py": "", "tests/test_a.py": UNITTEST}, "python -m unittest discover -s tests -t . -q",
     "tests/test_a.py uses unittest"),
    ({"test_a.py": UNITTEST}, "python -m unittest discover -q", "test_a.py uses unittest"),
    ({"tox.ini": "[tox]\nenvlist = py\n"}, "tox -e py", "tox configuration"),
    ({"noxfile.py": "import nox\n\n@nox.session\ndef tests(session):\n    pass\n"}, "nox -s tests",
     "a `tests` session in noxfile.py"),
    ({"noxfile.py": "import nox\n\n@nox.session\ndef lint(session):\n    pass\n"}, "nox", "noxfile.py"),
    ({"Makefile": "all:\n\techo\n\ntest: all\n\tpython -m pytest\n"}, "make test", "a `test` target in Makefile"),
])
def test_the_test_command_and_where_it_comes_from(tmp_path: Path, files: dict[str, str], command: str,
                                                  why: str) -> None:
    assert runner_commands(tree(tmp_path, files))[0] == Found(command, why)


def test_runners_in_order_of_preference(tmp_path: Path) -> None:
    project = tree(tmp_path, {"tests/test_a.py": UNITTEST, "tox.ini": "[tox]\n", "noxfile.py": "",
                              "Makefile": "test:\n\tpython -m unittest\n"})
    assert [f.command for f in runner_commands(project)] == ["python -m unittest discover -s tests -q", "tox -e py",
                                                           "nox", "make test"]


def test_nothing_to_find(tmp_path: Path) -> None:
    project = tree(tmp_path, {"pkg/mod.py": "x = 1\n", "Makefile": "TEST := 1\ntests/:\n\techo\n",
                              "pyproject.toml": "not [valid toml"})
    assert runner_commands(project) == [] and workload_commands(project) == []


def test_workloads(tmp_path: Path) -> None:
    project = tree(tmp_path, {
        "bench.py": "from pkg import f\n\nf()\n",
        "benchmarks/__main__.py": "print(1)\n",
        "benchmarks/run_big.py": "import sys\n\nif __name__ == '__main__':\n    sys.exit(0)\n",
        "benchmarks/odd name.py": "print(2)\n",
        "benchmarks/_helpers.py": "print(3)\n",  # private: a helper, not a workload
        "benchmarks/only_defs.py": '"""Doc."""\nimport os\n\nN = 3\n\ndef f():\n    pass\n',  # runs nothing
        "benchmarks/test_speed.py": PLAIN,
    })
    assert workload_commands(project) == [
        Found("python bench.py", "bench.py"),
        Found("python -m benchmarks", "benchmarks/__main__.py"),
        Found("python 'benchmarks/odd name.py' && python benchmarks/run_big.py", "2 script(s) in benchmarks/"),
        Found("python -m pytest -q -p no:cacheprovider benchmarks", "pytest files in benchmarks/"),
    ]


def test_a_bench_py_that_only_defines_things_is_no_workload(tmp_path: Path) -> None:
    project = tree(tmp_path, {"bench.py": "def bench():\n    pass\n"})
    assert workload_commands(project) == []
    assert not runs_something(tree(tmp_path, {"broken.py": "def (:\n"}) / "broken.py")
