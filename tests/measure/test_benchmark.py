"""The measurement benchmark's smoke test: it runs end to end and prints its table (numbers not checked)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_quick_benchmark_prints_the_table() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "measurement.py"), "--quick",
                           "--scenarios", "1.0,1.2,0.8"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("workload: ") and lines[1].startswith("noise floor (A/A, 2 rounds): ")
    header = [c.strip() for c in lines[2].split("|")]
    assert header == ["planted", "trials", "accepted", "found slower", "rate", "rounds/verdict", "s/verdict",
                      "max s", "stopped at"]
    rows = [[c.strip() for c in line.split("|")] for line in lines[4:7]]
    assert [r[0] for r in rows] == ["A/A (no change)", "20% faster", "25% slower"]
    assert all(len(r) == len(header) and r[1] == "1" for r in rows)
    assert rows[0][4].endswith("false accepts") and rows[1][4].endswith("detected (accepted)")
    assert rows[2][4].endswith("detected (found slower)")
    assert lines[7].startswith("3 verdicts in ")
