"""The interleaving, screening, sequential and confirmation logic, fed fixed samples instead of pyperf runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from optiloop.errors import RunFailure
from optiloop.measure import InterleavedMeasurer
from optiloop.measure.pyperf_run import MeasureError
from optiloop.measure.stats import Noise
from optiloop.record import Journal, NoiseFloorMeasured, RunLog
from optiloop.types import Workload


class Fixed(InterleavedMeasurer):
    """Baseline runs take 1.0 s (or the given times); candidate runs take the given times in turn."""

    def __init__(self, tmp: Path, candidate_times: list[float], rounds: int = 5, budget: float | None = None,
                 baseline_times: list[float] | None = None) -> None:
        super().__init__(None, Workload("true"), Journal(tmp), rounds=rounds, min_speedup=1.05,  # type: ignore[arg-type]
                         timeout=10, budget=budget)
        self.candidate_times = candidate_times
        self.baseline_times = baseline_times
        self.calls: list[str] = []
        self.warmups: list[str] = []

    def _values(self, side, name, values, warmups=0):  # type: ignore[no-untyped-def, override]
        self.calls.append(name)
        if warmups:
            self.warmups.append(name)
        if side == "candidate":
            return (self.candidate_times.pop(0),)
        return (self.baseline_times.pop(0),) if self.baseline_times else (1.0,)

    def _check_timeable(self, values):  # type: ignore[no-untyped-def, override]
        pass


def test_rounds_alternate_the_order_and_warm_up_first(tmp_path: Path) -> None:
    m = Fixed(tmp_path, [0.8] * 5)
    m.measure("a1")
    assert m.calls == ["a1/baseline-0", "a1/candidate-0", "a1/candidate-1", "a1/baseline-1",
                       "a1/baseline-2", "a1/candidate-2", "a1/candidate-3", "a1/baseline-3",
                       "a1/baseline-4", "a1/candidate-4"]
    assert m.warmups == ["a1/baseline-0", "a1/candidate-0"]


def test_a_speedup_is_confirmed_on_fresh_samples(tmp_path: Path) -> None:
    m = Fixed(tmp_path, [0.5, 0.51, 0.49, 0.5, 0.5] + [0.52, 0.5, 0.5, 0.51, 0.49])
    verdict = m.compare("a2")
    assert verdict.accepted and verdict.reason.endswith("confirmed on fresh samples")
    assert verdict.outcome == "FASTER" and verdict.rank_p is not None and verdict.rank_p <= 0.01
    assert verdict.candidate is not None and verdict.candidate.samples == (0.52, 0.5, 0.5, 0.51, 0.49)
    assert sum(1 for c in m.calls if c.startswith("a2-confirm/")) == 10
    assert verdict.rounds == 5 and verdict.stopped == "early"  # the first look; up to 20 rounds were allowed


def test_a_lucky_first_measurement_is_not_committed(tmp_path: Path) -> None:
    m = Fixed(tmp_path, [0.8, 0.81, 0.79, 0.8, 0.8] + [1.02, 0.97, 1.01, 0.99, 1.0])
    verdict = m.compare("a3")
    assert not verdict.accepted
    assert verdict.reason.startswith("not confirmed on fresh samples (1.25x at first):")
    assert "not significant" in verdict.reason


def test_the_quick_screen_rejects_a_clear_loser_after_three_rounds(tmp_path: Path) -> None:
    m = Fixed(tmp_path, [1.3, 1.31, 1.29, 1.3])
    verdict = m.compare("a4")
    assert not verdict.accepted and verdict.stopped == "screen"
    assert verdict.reason.startswith("quick screen (3 rounds) rejected it") and "slower" in verdict.reason
    assert len(m.calls) == 6


def test_a_candidate_that_cannot_reach_the_threshold_is_screened_out(tmp_path: Path) -> None:
    m = Fixed(tmp_path, [0.99, 1.01, 1.0, 1.0])  # an A/A pair: no gain at all
    verdict = m.compare("a5")
    assert not verdict.accepted and verdict.stopped == "screen" and len(m.calls) == 6


def test_the_noise_floor_raises_the_threshold(tmp_path: Path) -> None:
    m = Fixed(tmp_path, [1 / 1.08] * 16, rounds=4)
    m.noise = Noise(1.0, 0.8, 1.2, rounds=4)  # noise alone shows 25% at 4 rounds: 12% even at 16 rounds
    verdict = m.measure("a6")
    assert not verdict.accepted and "cannot reach 1.12x" in verdict.reason  # 1/0.8 scaled to 16 rounds
    assert "below the noise threshold 1.29x at 3 rounds" in verdict.reason  # ... and to the 3 rounds of the screen
    assert "the run's noise floor, 1.25x at its 4 A/A rounds, narrowed to 3 rounds" in verdict.reason
    assert verdict.noise_floor is not None and verdict.rounds == 3 and verdict.stopped == "screen"
    assert abs(m.threshold(4) - 1 / 0.8) < 1e-9 and m.threshold(16) < m.threshold(4)


def test_a_gain_the_noise_hides_at_first_is_found_with_more_rounds(tmp_path: Path) -> None:
    m = Fixed(tmp_path, [1 / 1.08] * 16, rounds=4)
    m.noise = Noise(1.0, 0.88, 1.12, rounds=4)  # 14% at 4 rounds, 6.6% at 16
    verdict = m.measure("a6b")
    assert verdict.accepted and verdict.rounds == 16 and verdict.stopped == "full"


def test_baseline_is_an_a_a_measurement_that_sets_the_noise_floor(tmp_path: Path) -> None:
    times = [1.0, 1.02, 0.99, 1.01, 1.0, 0.98, 1.01, 1.0, 0.99, 1.0]
    m = Fixed(tmp_path, [], baseline_times=list(times))
    baseline = m.baseline()
    assert sorted(baseline.samples) == sorted(times)
    assert m.calls[:2] == ["noise/a-0", "noise/b-0"] and len(m.calls) == 10
    assert m.noise is not None and m.noise.rounds == 5 and m.noise.ratio > 1.0
    assert m.threshold(5) == max(1.05, m.noise.ratio)
    assert RunLog.read(m.journal.dir).all(NoiseFloorMeasured)


def test_with_a_budget_a_clear_win_stops_at_an_early_look(tmp_path: Path) -> None:
    m = Fixed(tmp_path, [0.5 + 0.001 * (i % 3) for i in range(400)], rounds=5, budget=1e6)
    m.round_seconds = 1.0  # the budget allows 200 rounds: looks at 5, 10, 20, ...
    verdict = m.measure("a7")
    assert verdict.accepted and verdict.stopped == "early" and verdict.rounds in (5, 10)
    assert "stopped early at look" in verdict.reason


def test_a_budget_limits_the_rounds(tmp_path: Path) -> None:
    m = Fixed(tmp_path, [1.0 / 1.03, 1.0 / 1.07] * 50, rounds=5, budget=24)
    m.round_seconds = 1.0  # 24 s for a measurement and its confirmation: 12 rounds each
    verdict = m.measure("a8", measurements=2)
    assert verdict.rounds <= 12
    assert m.plan(1.0, 2).most == 12


def test_a_failing_candidate_gives_a_verdict_and_a_failing_baseline_stops(tmp_path: Path) -> None:
    class Failing(Fixed):
        def _values(self, side, name, values, warmups=0):  # type: ignore[no-untyped-def, override]
            if side == self.broken:
                raise MeasureError("exit code 3: boom")
            return (1.0,)

    m = Failing(tmp_path, [])
    m.broken = "candidate"  # type: ignore[attr-defined]
    verdict = m.measure("a9")
    assert not verdict.accepted and verdict.reason == "the workload failed on the candidate: exit code 3: boom"
    m.broken = "baseline"  # type: ignore[attr-defined]
    with pytest.raises(RunFailure, match="boom"):
        m.measure("a10")
