"""benchmarks/measurement.py: its tables and figures on fixed verdicts, its neighbour processes (always stopped,
even when the benchmark dies), the simulation, and its smallest real mode for each measure.

The full-size benchmark is not part of the suite (it takes hours and needs a quiet machine)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from optiloop.measure import cachegrind
from optiloop.types import Verdict
from tests.benchmarks.loader import load_benchmark

bm = load_benchmark("measurement")


def verdicts(accepted: int, trials: int, seconds: float = 2.0, slower: bool = False) -> list[Verdict]:
    """``trials`` verdicts of which ``accepted`` accepted (or, ``slower``, found slower)."""
    found = []
    for i in range(trials):
        hit = i < accepted
        if slower:
            found.append(Verdict(0.9, 0.85, 0.95 if hit else 1.02, hit, False, "slower", seconds=seconds))
        else:
            found.append(Verdict(1.1, 1.05 if hit else 0.98, 1.15, hit, hit, "faster", seconds=seconds))
    return found


def rows(measure: str, rates: dict[float, int], trials: int = 20, seconds: float = 2.0) -> list:  # type: ignore[type-arg]
    return [bm.Row(f, verdicts(hits, trials, seconds, slower=f < 1.0), measure) for f, hits in rates.items()]


def test_a_speedup_is_planted_from_start_up_and_cost_per_iteration() -> None:
    assert bm.iterations_for(100.0, 20.0, 1.0, 1.0) == 80
    assert bm.iterations_for(100.0, 20.0, 1.0, 1.25) == 60  # the whole run, start-up included, is 1.25x cheaper
    assert bm.iterations_for(100.0, 20.0, 1.0, 1 / 1.2) == 100  # 1.2x costlier
    assert bm.iterations_for(100.0, 90.0, 1.0, 2.0) is None  # start-up alone costs more than half the run


def test_the_smallest_detected_speedup_needs_every_larger_one_detected_too() -> None:
    time_rows = rows("time", {1.0: 0, 1.01: 1, 1.02: 3, 1.05: 12, 1.1: 19, 1.2: 20})
    cycles_rows = rows("cycles", {1.0: 0, 1.01: 20, 1.02: 20, 1.05: 20, 1.1: 20, 1.2: 20})
    assert bm.smallest_detected(time_rows) == 1.1  # 19 of 20 is 95%
    assert bm.smallest_detected(cycles_rows) == 1.01
    gap = rows("cycles", {1.01: 20, 1.05: 10, 1.2: 20})
    assert bm.smallest_detected(gap) == 1.2  # 1.01 was detected, but 1.05 was not
    assert bm.smallest_detected(rows("time", {1.0: 0, 1.2: 5})) is None


def test_the_tables_are_markdown_and_the_summary_gives_both_measures_side_by_side() -> None:
    results = {"time": rows("time", {1.0: 1, 1.02: 2, 1.2: 20, 1 / 1.1: 15}, seconds=14.0),
               "cycles": rows("cycles", {1.0: 0, 1.02: 20, 1.2: 20, 1 / 1.1: 20}, seconds=5.0)}
    per_measure = bm.markdown([bm.HEADER] + [r.cells() for r in results["cycles"]]).splitlines()
    both = bm.side_by_side(results).splitlines()
    for lines, columns in ((per_measure, len(bm.HEADER)), (both, 7)):
        assert all(line.startswith("| ") and line.endswith(" |") for line in lines[:1] + lines[2:])
        assert set(lines[1]) == {"|", "-"} and all(line.count("|") == columns + 1 for line in lines)
    assert [c.strip() for c in both[0].strip("|").split("|")] == [
        "planted", "time: detected", "time: unknown", "time: s/verdict",
        "cycles: detected", "cycles: unknown", "cycles: s/verdict"]
    assert [c.strip() for c in both[2].strip("|").split("|")] == [
        "A/A (no change)", "1/20 (5%)", "0", "14.0", "0/20 (0%)", "0", "5.0"]
    assert "10% slower" in both[5] and "15/20 (75%)" in both[5] and "20/20 (100%)" in both[5]
    assert bm.summary(results) == [
        "A/A false accepts: time 1/20, cycles 0/20",
        "smallest planted speedup detected in >= 95% of trials (and every larger one): time 1.20x, cycles 1.02x",
        "seconds per verdict (mean of all trials): time 14.0 s, cycles 5.0 s"]


def _gone(pid: int) -> bool:
    """The process has exited (a zombie whose new parent has not reaped it yet counts as exited)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError):
        return True


def _wait_gone(pid: int, deadline: float = 60.0) -> bool:
    end = time.monotonic() + deadline
    while not _gone(pid):
        if time.monotonic() > end:
            return False
        time.sleep(0.1)
    return True


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc")
def test_neighbours_run_for_the_block_and_are_always_stopped() -> None:
    with pytest.raises(KeyboardInterrupt), bm.neighbours(2) as procs:
        assert len(procs) == 2 and all(p.poll() is None for p in procs)
        raise KeyboardInterrupt  # an interrupted benchmark still stops them
    assert all(p.returncode is not None for p in procs)
    with bm.neighbours(0) as none:
        assert none == []


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc")
def test_a_neighbour_stops_on_its_own_when_the_benchmark_is_killed(tmp_path: Path) -> None:
    starter = ("import subprocess, sys, os\n"
               f"p = subprocess.Popen([sys.executable, '-c', {bm.NEIGHBOUR!r}, str(os.getpid())],\n"
               "                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
               "print(p.pid, flush=True)\n"
               "os._exit(0)  # as if killed: nothing stops the neighbour\n")
    done = subprocess.run([sys.executable, "-c", starter], capture_output=True, text=True, timeout=60)
    pid = int(done.stdout.split()[0])
    try:
        assert _wait_gone(pid), f"neighbour {pid} outlived its benchmark"
    finally:
        if not _gone(pid):
            os.kill(pid, signal.SIGKILL)


def test_the_simulation_still_runs_without_processes(capsys: pytest.CaptureFixture[str]) -> None:
    assert bm.main(["--simulate", "0.02", "--trials", "3", "--scenarios", "1.0,1.3"]) == 0
    out = capsys.readouterr().out
    assert "simulated: log-normal noise of 2.0% per run" in out and "6 simulated verdicts" in out
    assert "| A/A (no change) | 3 " in out and "| 30% faster " in out


def test_bad_measures_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        bm.main(["--measures", "time,instructions"])
    assert exc.value.code == 2 and "unknown measure 'instructions'" in capsys.readouterr().err


@pytest.mark.skipif(cachegrind.available() is None, reason="valgrind is not installed")
def test_the_smallest_real_run_of_the_cycles_side(capsys: pytest.CaptureFixture[str]) -> None:
    # the time side runs for real in tests/measure/test_benchmark.py, the neighbours in the tests above
    assert bm.main(["--quick", "--measures", "cycles", "--neighbours", "0", "--scenarios", "1.1",
                    "--work-ms", "5"]) == 0
    out = capsys.readouterr().out
    assert "0 CPU-bound neighbour process(es)" in out and "A/A counts differ by" in out
    cells = [c.strip() for c in out.split("\ncycles:\n", 1)[1].splitlines()[2].strip("|").split("|")]
    assert cells[0] == "10% faster" and cells[1] == "1"
    assert abs(float(cells[bm.HEADER.index("median speedup")].rstrip("x")) - 1.1) < 0.02  # planted in cycles
    both = out.split("side by side", 1)[1].splitlines()
    assert both[1].startswith("| planted") and "| cycles: detected" in both[1] and "10% faster" in both[3]
    assert "A/A false accepts: cycles not run" in out
