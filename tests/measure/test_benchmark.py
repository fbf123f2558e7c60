"""The measurement benchmark's smoke test: it runs end to end and prints its table (numbers not checked)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_quick_benchmark_prints_the_table() -> None:
    # wall time alone, on the machine as it is: tests/benchmarks/test_measurement.py runs both measures
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "measurement.py"), "--quick",
                           "--scenarios", "1.0,1.2,0.8", "--measures", "time", "--neighbours", "0"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("settings: ") and "0 CPU-bound neighbour process(es)" in lines[0]
    assert lines[1].startswith("time: ") and "noise floor (A/A, 2 rounds): " in lines[1]
    assert lines[3] == "time:"
    header = [c.strip() for c in lines[4].strip("|").split("|")]
    assert header == ["planted", "trials", "accepted", "found slower", "unknown", "rate", "median speedup",
                      "rounds/verdict", "s/verdict", "max s", "stopped at"]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in lines[6:9]]
    assert [r[0] for r in rows] == ["A/A (no change)", "20% faster", "25% slower"]
    assert all(len(r) == len(header) and r[1] == "1" for r in rows)
    assert rows[0][5].endswith("false accepts") and rows[1][5].endswith("detected (accepted)")
    assert rows[2][5].endswith("detected (found slower)")
    assert lines[-4].startswith("A/A false accepts: time ") and lines[-3].startswith("smallest planted speedup")
    assert lines[-1].startswith("3 verdicts in ")


def selection(*args: str) -> list[str]:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "selection.py"), "--quick", *args],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def check_selection_table(lines: list[str], runs: int, candidates: int) -> None:
    header = [c.strip() for c in lines[0].split("|")]
    assert header == ["estimate", "runs", "accepted (false)", "mean", "median", "max", "rounds"]
    rows = [[c.strip() for c in line.split("|")] for line in lines[2:5]]
    assert [r[0] for r in rows] == ["every candidate (first measurement)", f"uncorrected best-of-{candidates}",
                                    "confirmed winner"]
    assert [r[1] for r in rows] == [str(runs * candidates), str(runs), str(runs)]
    assert all(r[3].endswith("x") and r[4].endswith("x") for r in rows)
    assert lines[5].startswith(f"inflation of the uncorrected best-of-{candidates}: mean ")
    assert lines[6].startswith("false accepts of confirmed winners: ") and f" / {runs} " in lines[6]
    assert lines[7].startswith(f"{runs} runs in ")


def test_quick_selection_benchmark_simulated() -> None:
    lines = selection("--simulate", "0.02", "--runs", "2")
    assert lines[0].startswith("simulated: log-normal noise of 2.0% per run")
    check_selection_table(lines[1:], runs=2, candidates=2)


def test_quick_selection_benchmark_with_real_processes() -> None:
    lines = selection("--candidates", "1")  # --quick: at most 4 rounds per measurement
    assert lines[0].startswith("workload: ") and lines[1].startswith("noise floor (A/A, 2 rounds): ")
    check_selection_table(lines[2:], runs=1, candidates=1)
