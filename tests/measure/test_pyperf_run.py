"""Real pyperf runs: the raw JSON is kept, and bad workloads become one clear error in a run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from optiloop.errors import BadInput, RunFailure
from optiloop.measure import InterleavedMeasurer
from optiloop.measure.pyperf_run import MeasureError, pyperf_command
from optiloop.proc import child_env
from optiloop.record import Journal
from optiloop.types import Workload


class OneTree:
    def __init__(self, path: Path) -> None:
        self.env = child_env()
        self.path = path

    def env_for(self, side: str) -> dict[str, str]:
        return self.env

    def project_dir(self, side: str) -> Path:
        return self.path


def test_values_come_from_the_kept_pyperf_json_with_the_warm_up_marked(tmp_path: Path) -> None:
    out = tmp_path / "m.json"
    values = pyperf_command(f"{sys.executable} -c pass", tmp_path, child_env(), out, 2, 60, warmups=1)
    assert len(values) == 2 and all(v > 0 for v in values)
    runs = [r for r in json.loads(out.read_text())["benchmarks"][0]["runs"] if "values" in r]
    assert len(runs[0]["values"]) == 2 and len(runs[0]["warmups"]) == 1


def test_a_failing_command_is_reported_with_its_own_stderr(tmp_path: Path) -> None:
    cmd = f"{sys.executable} -c \"import sys; sys.exit('no such file: data.csv')\""
    with pytest.raises(MeasureError, match="exit code 1: no such file: data.csv"):
        pyperf_command(cmd, tmp_path, child_env(), tmp_path / "m.json", 1, 60)


def test_a_run_refuses_a_workload_too_fast_to_time(tmp_path: Path) -> None:
    m = InterleavedMeasurer(OneTree(tmp_path), Workload("true"), Journal(tmp_path / "rec"), 2, 1.05, 60,
                            noise_rounds=2)
    with pytest.raises(BadInput, match="too fast to time"):
        m.baseline()


def test_a_run_stops_on_a_baseline_that_fails(tmp_path: Path) -> None:
    m = InterleavedMeasurer(OneTree(tmp_path), Workload("exit 4"), Journal(tmp_path / "rec"), 2, 1.05, 60,
                            noise_rounds=2)
    with pytest.raises(RunFailure, match="measuring the baseline workload failed: exit code 4"):
        m.baseline()
