"""The cycles measure on fixed counts and fixed wall times: the cost model, the verdict, the wall-time guard,
the Amdahl check, the memory guard and the rules of ``--measure auto``. (Real valgrind runs: test_cachegrind.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from optiloop.errors import BadInput
from optiloop.measure import cycles
from optiloop.measure.cachegrind import Cost, CountError, cost_of, parse
from optiloop.measure.cycles import Calibration, CyclesMeasurer, choose, decide_cycles
from optiloop.record import Journal
from optiloop.types import Workload
from tests.measure.test_interleaved import Fixed

CG_OUT = """\
desc: I1 cache:         32768 B, 64 B, 8-way associative
cmd: python workload.py
events: Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw
fl=???
fn=0x0
1 5 1 0 2 0 0 1 0 0
summary: {ir} 100 10 {dr} 50 5 {dw} 20 2
"""


def cost(cycles_: int, instructions: int | None = None) -> Cost:
    """A cost of exactly ``cycles_`` estimated cycles: all accesses hit L1."""
    return Cost(instructions or cycles_ // 2, cycles_, 0, 0)


def test_cachegrind_output_is_summed_over_processes_and_priced_by_the_cost_model(tmp_path: Path) -> None:
    (tmp_path / "cachegrind.out.1").write_text(CG_OUT.format(ir=1000, dr=300, dw=200))
    (tmp_path / "cachegrind.out.2").write_text(CG_OUT.format(ir=500, dr=100, dw=100))
    (tmp_path / "cachegrind.out.3").write_text("torn: no summary\n")
    assert parse(CG_OUT.format(ir=1, dr=2, dw=3))["Dw"] == 3
    found = cost_of(sorted(tmp_path.glob("cachegrind.out.*")))
    assert found is not None and found.processes == 2
    assert found.instructions == 1500 and found.accesses == 2200
    assert found.l1_misses == 2 * (100 + 50 + 20) and found.ll_misses == 2 * (10 + 5 + 2)
    # L1 hits + 5 x LL hits + 35 x RAM accesses (Itamar Turner-Trauring's formula, as iai uses it)
    assert found.cycles == (2200 - 340) + 5 * (340 - 34) + 35 * 34
    assert cost_of([tmp_path / "cachegrind.out.3"]) is None


def test_a_cycles_verdict_needs_the_tolerance_band_to_clear_min_speedup() -> None:
    base = cost(1_000_000)
    faster = decide_cycles(base, cost(900_000), 1.05, 0.001)
    assert faster.accepted and faster.outcome == "FASTER" and faster.measure == "cycles"
    assert faster.cycles == (1_000_000, 900_000) and faster.reason.startswith("cheaper: 1.11x fewer cycles")
    assert faster.ci_low < faster.speedup < faster.ci_high and faster.tolerance == 0.001
    small = decide_cycles(base, cost(970_000), 1.05, 0.001)
    assert not small.accepted and "below --min-speedup 1.05" in small.reason
    edge = decide_cycles(base, cost(int(1_000_000 / 1.0505)), 1.05, 0.01)  # 1.0505x, but the band reaches 1.03
    assert not edge.accepted
    same = decide_cycles(base, cost(999_500), 1.0, 0.001)
    assert not same.accepted and same.reason.startswith("no difference beyond the A/A tolerance")
    worse = decide_cycles(base, cost(1_200_000), 1.05, 0.001)
    assert not worse.accepted and worse.reason.startswith("costlier")


class Counted(CyclesMeasurer):
    """Counts from a list instead of valgrind; the wall-time side is a ``Fixed`` measurer."""

    def __init__(self, tmp: Path, counts: list[int], candidate_times: list[float],
                 baseline_times: list[float] | None = None, peaks: dict[str, list[int]] | None = None) -> None:
        timed = Fixed(tmp, candidate_times, baseline_times=baseline_times)
        timed.max_memory_growth = 1.5
        if peaks is not None:
            real_values = timed._values

            def with_peaks(side, name, values, warmups=0):  # type: ignore[no-untyped-def]
                found = real_values(side, name, values, warmups)
                timed._peaks[side].append(peaks[side].pop(0))
                return found
            timed._values = with_peaks  # type: ignore[method-assign]
        self.head_now = "a" * 40
        calibration = Calibration(self.head_now, cost(1_000_000), cost(1_000_010), 1.0)
        super().__init__(self, Workload("true"), Journal(tmp), timed, 1.05, calibration)  # type: ignore[arg-type]
        self.counts = counts
        self.counted: list[str] = []

    def head(self) -> str:
        return self.head_now

    def _count(self, side, label):  # type: ignore[no-untyped-def, override]
        self.counted.append(f"{label}/{side}")
        return cost(self.counts.pop(0))


def test_cheaper_in_cycles_and_not_slower_in_wall_time_is_accepted(tmp_path: Path) -> None:
    m = Counted(tmp_path, [800_000], [0.8] * 5)  # 1.25x fewer cycles, and faster in wall time too
    verdict = m.compare("c1")
    assert verdict.accepted and verdict.measure == "cycles" and verdict.cycles == (1_000_000, 800_000)
    assert verdict.guard is not None and verdict.guard.accepted and verdict.guard.stopped == "early"
    assert "1.25x fewer cycles" in verdict.reason and "wall time 1.25x (99% CI" in verdict.reason
    assert m.counted == ["c1/candidate"]  # the baseline's count at this head is the calibration's


def test_cheaper_in_cycles_but_sleeping_is_rejected_by_the_wall_time_guard(tmp_path: Path) -> None:
    m = Counted(tmp_path, [500_000], [1.6, 1.62, 1.58, 1.61, 1.6])  # fewer instructions, but it sleeps
    verdict = m.compare("c2")
    assert not verdict.accepted and verdict.outcome == "NOT FASTER"
    assert "but slower in wall time: 0.62x" in verdict.reason and "sleeping" in verdict.reason
    assert verdict.guard is not None and verdict.guard.rounds == 3  # rejected at the first look


def test_an_unclear_wall_time_does_not_block_a_gain_the_count_proves(tmp_path: Path) -> None:
    noisy = [1.3, 0.7, 1.25, 0.75, 1.2]  # the neighbours' load: no wall-time verdict either way
    m = Counted(tmp_path, [900_000], noisy)
    verdict = m.compare("c3")
    assert verdict.accepted and verdict.guard is not None and verdict.guard.rounds == 5
    assert "not slower" in verdict.guard.reason


def test_a_gain_far_above_the_profile_gets_a_longer_guard_that_must_point_the_same_way(tmp_path: Path) -> None:
    noisy_but_slower = [1.3, 0.8, 1.25, 0.85, 1.2, 0.9] * 4  # not significantly slower, but no gain either
    m = Counted(tmp_path, [250_000], noisy_but_slower)
    verdict = m.compare("c4", predicted=1.5)
    assert not verdict.accepted and "far above the 1.50x the profile allows" in verdict.reason
    assert "wall time points the other way" in verdict.reason
    assert verdict.guard is not None and verdict.guard.rounds == 20  # 4x the guard's 5 rounds
    noisy_faster = [0.9, 0.6, 1.1, 0.7, 0.95, 0.65] * 4
    confirmed = Counted(tmp_path / "b", [250_000], noisy_faster).compare("c5", predicted=1.5)
    assert confirmed.accepted and "wall time points the same way" in confirmed.reason


def test_the_memory_guard_rejects_a_candidate_that_doubles_the_peak(tmp_path: Path) -> None:
    mib = 2**20
    peaks = {"baseline": [100 * mib] * 5, "candidate": [210 * mib] * 5}
    m = Counted(tmp_path, [800_000], [0.8] * 5, peaks=peaks)
    verdict = m.compare("c6")
    assert not verdict.accepted and verdict.peak_memory == (100 * mib, 210 * mib)
    assert "peak grew 2.10x (100.0 MiB -> 210.0 MiB), more than --max-memory-growth 1.5" in verdict.reason


def test_the_baseline_is_counted_again_once_per_head(tmp_path: Path) -> None:
    m = Counted(tmp_path, [900_000, 950_000, 850_000, 800_000], [0.9] * 20)
    m.compare("c7")
    m.head_now = "b" * 40  # a commit
    m.compare("c8")
    m.compare("c9")
    assert m.counted == ["c7/candidate", f"head-{'b' * 10}/baseline", "c8/candidate", "c9/candidate"]


def test_the_whole_run_counts_only_the_commits_it_has_no_count_of(tmp_path: Path) -> None:
    """The base was counted at the start and a head once a candidate was measured against it: the same code
    counts the same to the last digit, so the whole-run check counts neither again (nor a head after undo)."""
    m = Counted(tmp_path, [900_000, 800_000, 700_000], [0.9] * 20)
    base = m.head_now
    m.head_now = "b" * 40  # a commit, then a candidate measured against it
    m.compare("c1")
    wall = m.timed.guard("total", 5)
    total = m.total(wall, base)
    assert total.cycles == (1_000_000, 900_000) and total.accepted
    assert m.counted == [f"head-{'b' * 10}/baseline", "c1/candidate"]  # nothing counted for the total
    m.head_now = "c" * 40  # a commit no candidate was measured against: its count is new, the base's is not
    later = m.total(wall, base)
    assert later.cycles == (1_000_000, 700_000) and m.counted[-1] == "total/baseline"
    m.head_now = base  # undone back to the base: known
    assert m._baseline_cost().cycles == 1_000_000 and len(m.counted) == 3


class Trees:
    def head(self) -> str:
        return "c" * 40


def test_auto_falls_back_to_time_with_the_reason_and_cycles_refuses(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    workload = Workload("python workload.py")
    assert choose("time", Trees(), workload, 1.0, None, tmp_path).measure == "time"  # type: ignore[arg-type]

    monkeypatch.setattr(cycles, "available", lambda: None)
    auto = choose("auto", Trees(), workload, 1.0, None, tmp_path)  # type: ignore[arg-type]
    assert auto.measure == "time" and "valgrind is not installed" in auto.why
    with pytest.raises(BadInput, match="needs valgrind") as refused:
        choose("cycles", Trees(), workload, 1.0, None, tmp_path)  # type: ignore[arg-type]
    assert "install the `valgrind` package" in refused.value.hint

    monkeypatch.setattr(cycles, "available", lambda: "valgrind-3.19.0")
    long = choose("auto", Trees(), workload, 30.0, 600, tmp_path)  # type: ignore[arg-type]
    assert long.measure == "time" and "about 1500 s, more than the 600 s measuring budget" in long.why

    def fails(*args: object) -> Calibration:
        raise CountError("valgrind cannot run it: unhandled instruction bytes: 0x62 0xF1")
    monkeypatch.setattr(cycles, "calibrate", fails)
    jit = choose("auto", Trees(), workload, 1.0, None, tmp_path)  # type: ignore[arg-type]
    assert jit.measure == "time" and "unhandled instruction" in jit.why
    with pytest.raises(BadInput, match="cannot be measured in cycles: valgrind cannot run it"):
        choose("cycles", Trees(), workload, 1.0, None, tmp_path)  # type: ignore[arg-type]

    monkeypatch.setattr(cycles, "calibrate", lambda *a: Calibration("c" * 40, cost(1_000_000), cost(1_030_000), 2.0))
    clock = choose("auto", Trees(), workload, 1.0, None, tmp_path)  # type: ignore[arg-type]
    assert clock.measure == "time" and "differ by 3.00%" in clock.why and "not deterministic" in clock.why
    with pytest.raises(BadInput, match="differ by 3.00%"):
        choose("cycles", Trees(), workload, 1.0, None, tmp_path)  # type: ignore[arg-type]

    monkeypatch.setattr(cycles, "calibrate", lambda *a: Calibration("c" * 40, cost(1_000_000), cost(1_000_040), 2.0))
    good = choose("auto", Trees(), workload, 1.0, None, tmp_path)  # type: ignore[arg-type]
    assert good.measure == "cycles" and good.calibration is not None
    assert good.calibration.tolerance == cycles.MIN_TOLERANCE and "agree within 0.004%" in good.why


def test_time_mode_rejects_a_confirmed_speedup_that_doubles_memory(tmp_path: Path) -> None:
    m = Fixed(tmp_path, [0.5] * 10)
    m.max_memory_growth = 1.5
    base = m._values

    def with_peaks(side, name, values, warmups=0):  # type: ignore[no-untyped-def]
        found = base(side, name, values, warmups)
        m._peaks[side].append(300 if side == "candidate" else 100)
        return found
    m._values = with_peaks  # type: ignore[method-assign]
    verdict = m.compare("t1")
    assert not verdict.accepted and "peak grew 3.00x" in verdict.reason and verdict.peak_memory == (100, 300)
