"""Real valgrind on tiny workloads: counts that repeat, children that are followed, workloads that cannot be
counted, and ``--measure cycles`` end to end (a commit with both figures; bad input refused in one line)."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from optiloop.measure import cachegrind
from optiloop.measure.cycles import choose
from optiloop.proc import child_env
from optiloop.types import Workload
from tests.cli.test_run import project, run_args
from tests.conftest import git, make_repo, optiloop, snapshot

pytestmark = pytest.mark.skipif(cachegrind.available() is None, reason="valgrind is not installed")

LOOP = "import sys\nn = int(sys.argv[1])\nx = 0\nfor i in range(n):\n    x += i * i\nprint(x)\n"
PARENT = ("import subprocess, sys\n"
          "subprocess.run([sys.executable, 'loop.py', '20000'], check=True)\n"
          "print(sum(i for i in range(20000)))\n")
RANDOM = "import os\nn = 2000 + int.from_bytes(os.urandom(2), 'big') * 2\nx = sum(i * i for i in range(n))\n"
NOT_UNDER_VALGRIND = "import os, sys\nsys.exit(3 if 'vgpreload' in os.environ.get('LD_PRELOAD', '') else 0)\n"


def env() -> dict[str, str]:
    return child_env({"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"})


def test_counts_repeat_and_follow_child_processes(tmp_path: Path) -> None:
    (tmp_path / "loop.py").write_text(LOOP)
    (tmp_path / "parent.py").write_text(PARENT)
    first = cachegrind.count("python parent.py", tmp_path, env(), tmp_path / "cg1", 300)
    second = cachegrind.count("python parent.py", tmp_path, env(), tmp_path / "cg2", 300)
    assert first.processes >= 2  # the shell's python and the python it started
    assert abs(first.cycles - second.cycles) / first.cycles < 1e-4
    alone = cachegrind.count("python loop.py 20000", tmp_path, env(), tmp_path / "cg3", 300)
    assert first.instructions > alone.instructions  # the child's work is in the parent's count
    more = cachegrind.count("python loop.py 120000", tmp_path, env(), tmp_path / "cg4", 300)
    assert more.instructions > alone.instructions * 1.5  # the count sees the work


class Trees:
    """Two copies of a directory, as the baseline and candidate trees of a run."""

    def __init__(self, root: Path, files: dict[str, str]) -> None:
        self.root = root
        for side in ("baseline", "candidate"):
            (root / side).mkdir(parents=True)
            for name, text in files.items():
                (root / side / name).write_text(text)

    def project_dir(self, side: str) -> Path:
        return self.root / side

    def env_for(self, side: str) -> dict[str, str]:
        return env()

    def head(self) -> str:
        return "0" * 40


def test_auto_measures_cycles_on_a_deterministic_workload(tmp_path: Path) -> None:
    trees = Trees(tmp_path / "t", {"loop.py": LOOP})
    choice = choose("auto", trees, Workload("python loop.py 30000"), 0.05, None, tmp_path / "cal")  # type: ignore[arg-type]
    assert choice.measure == "cycles" and choice.calibration is not None
    assert choice.calibration.difference < 0.001 and "agree within" in choice.why


def test_auto_falls_back_to_time_on_a_workload_that_is_not_deterministic(tmp_path: Path) -> None:
    trees = Trees(tmp_path / "t", {"work.py": RANDOM})
    choice = choose("auto", trees, Workload("python work.py"), 0.05, None, tmp_path / "cal")  # type: ignore[arg-type]
    assert choice.measure == "time" and "not deterministic" in choice.why, choice.why


def test_a_workload_that_fails_under_valgrind(tmp_path: Path) -> None:
    trees = Trees(tmp_path / "t", {"work.py": NOT_UNDER_VALGRIND})
    choice = choose("auto", trees, Workload("python work.py"), 0.05, None, tmp_path / "cal")  # type: ignore[arg-type]
    assert choice.measure == "time" and "it fails under valgrind (exit code 3)" in choice.why, choice.why


SMALL_BENCH = '''\
from pkg.core import dedupe, total

data = [(i * 7919) % 700 for i in range(2500)]
out = dedupe(data)
print(len(out), out[:3], total(out))
'''


def test_run_in_cycles_commits_with_both_figures(tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = project(tmp_path / "repo", **{"bench.py": SMALL_BENCH})
    before = snapshot(repo)
    done = optiloop(*run_args(repo, "--max-iterations", "1", "--measure", "cycles"), env=python_on_path)
    assert done.returncode == 0, done.stderr
    assert "measuring simulated cycles: valgrind" in done.stderr
    assert snapshot(repo) == before
    branch = git(repo, "branch", "--list", "optiloop/*").split()[0]
    log = git(repo, "log", "--format=%B", f"main..{branch}")
    assert "Optiloop-Measure: cycles" in log and "fewer cycles (simulated)" in log and "wall time" in log


def test_cycles_without_valgrind_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    repo = project(tmp_path / "repo")
    before = snapshot(repo)
    bin_dir = tmp_path / "bin"  # a PATH with git, a shell and python, but no valgrind
    bin_dir.mkdir()
    for tool in ("git", "bash", "sh"):
        found = shutil.which(tool)
        assert found is not None
        (bin_dir / tool).symlink_to(found)
    (bin_dir / "python").symlink_to(sys.executable)
    done = optiloop(*run_args(repo, "--measure", "cycles"), env={"PATH": str(bin_dir)})
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "--measure cycles needs valgrind" in done.stderr and "install the `valgrind` package" in done.stderr
    assert snapshot(repo) == before and not (repo / ".optiloop").exists()


def test_a_workload_valgrind_cannot_run_is_exit_2_with_cycles(tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = project(tmp_path / "repo", **{"bench.py": NOT_UNDER_VALGRIND + "from pkg.core import dedupe\n"
                                         "print(len(dedupe(list(range(3000)) * 2)))\n"})
    before = snapshot(repo)
    done = optiloop(*run_args(repo, "--measure", "cycles"), env=python_on_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "cannot be measured in cycles: it fails under valgrind" in done.stderr and "--measure time" in done.stderr
    assert snapshot(repo) == before and not list((repo / ".optiloop").glob("runs/*"))


def test_compare_and_bench_count_cycles(tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = make_repo(tmp_path / "repo", {"loop.py": LOOP, "pyproject.toml": "[tool.optiloop]\n"
                                         "workload = \"python loop.py 15000\"\n"})
    (repo / "loop.py").write_text(LOOP.replace("x += i * i", "x += i * i + i % 7"))  # more work per turn
    git(repo, "commit", "-qam", "slower")
    done = optiloop("compare", "HEAD~1", "HEAD", "--path", str(repo), "--measure", "cycles", "--rounds", "3",
                    "--json", env=python_on_path)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["measure"] == "cycles" and found["faster"] is False and found["speedup"] < 0.95
    assert found["cycles"][1] > found["cycles"][0] and len(found["instructions"]) == 2
    assert {"speedup", "significant", "faster", "reason", "peak_memory", "wall"} <= set(found)
    bench = optiloop("bench", str(repo), "--runs", "3", "--measure", "cycles", env=python_on_path)
    assert bench.returncode == 0, bench.stderr
    assert "simulated:" in bench.stdout and "cycles" in bench.stdout
