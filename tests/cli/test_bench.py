"""`optiloop bench`: the workload's time in fresh processes, and one clear line for bad workloads."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import optiloop

LOOP = "python -c \"sum(i * i for i in range(200000))\""


def test_bench_prints_mean_and_stdev_and_json(tmp_path: Path, python_on_path: dict[str, str]) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.optiloop]\nworkload = '{LOOP}'\n")
    text = optiloop("bench", str(tmp_path), "--runs", "2", env=python_on_path)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("workload: ") and "(mean ± stdev of 2 runs, each in a fresh process" in text.stdout
    done = optiloop("bench", str(tmp_path), "--runs", "3", "--json", env=python_on_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["command"] == LOOP and data["runs"] == 3 and len(data["samples"]) == 3
    assert data["min"] <= data["median"] <= data["max"] and data["stdev"] >= 0
    assert data["instructions"] is None or data["instructions"] > 0


def one_line_error(done: object) -> str:
    assert getattr(done, "stdout") == ""  # noqa: B009
    lines = getattr(done, "stderr").strip().splitlines()  # noqa: B009
    assert len(lines) == 1 and lines[0].startswith("optiloop: ") and "Traceback" not in lines[0]
    return str(lines[0])


def test_a_failing_workload_is_one_line_with_its_stderr(tmp_path: Path, python_on_path: dict[str, str]) -> None:
    cmd = "python -c \"import sys; print('input.csv is missing', file=sys.stderr); sys.exit(3)\""
    done = optiloop("bench", str(tmp_path), "--workload", cmd, env=python_on_path)
    assert done.returncode == 2
    line = one_line_error(done)
    assert "the workload command fails" in line and "exit code 3: input.csv is missing" in line


def test_a_hanging_workload_times_out(tmp_path: Path) -> None:
    done = optiloop("bench", str(tmp_path), "--workload", "sleep 60", "--timeout", "0.5")
    assert done.returncode == 2
    assert "hangs or is too slow" in one_line_error(done)


def test_a_workload_too_fast_to_time_says_so(tmp_path: Path) -> None:
    done = optiloop("bench", str(tmp_path), "--workload", "true")
    assert done.returncode == 2
    line = one_line_error(done)
    assert "too fast to time" in line and "larger input" in line


def test_bad_path_and_missing_workload(tmp_path: Path) -> None:
    done = optiloop("bench", str(tmp_path / "nowhere"), "--workload", "true")
    assert done.returncode == 2 and "is not a directory" in one_line_error(done)
    done = optiloop("bench", str(tmp_path))
    assert done.returncode == 2 and "no workload command given" in one_line_error(done)
