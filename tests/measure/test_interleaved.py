"""The interleaving and confirmation logic, fed fixed samples instead of pyperf runs."""

from __future__ import annotations

from pathlib import Path

from optiloop.journal import Journal
from optiloop.measure import InterleavedMeasurer
from optiloop.types import Workload


class Fixed(InterleavedMeasurer):
    def __init__(self, tmp: Path, candidate_times: list[float]) -> None:
        super().__init__(None, Workload("true"), Journal(tmp), rounds=4, min_speedup=1.05, timeout=10)  # type: ignore[arg-type]
        self.candidate_times = candidate_times
        self.calls: list[str] = []

    def _values(self, side, name, values):  # type: ignore[no-untyped-def, override]
        self.calls.append(name)
        return (1.0,) if side == "baseline" else (self.candidate_times.pop(0),)


def test_rounds_alternate_the_order(tmp_path: Path) -> None:
    m = Fixed(tmp_path, [1.0] * 4)
    m.compare("a1")
    assert m.calls == ["a1/baseline-0", "a1/candidate-0", "a1/candidate-1", "a1/baseline-1",
                       "a1/baseline-2", "a1/candidate-2", "a1/candidate-3", "a1/baseline-3"]


def test_a_speedup_is_confirmed_on_fresh_samples(tmp_path: Path) -> None:
    m = Fixed(tmp_path, [0.5, 0.51, 0.49, 0.5] + [0.52, 0.5, 0.5, 0.51])
    verdict = m.compare("a2")
    assert verdict.accepted and verdict.reason.endswith("confirmed on fresh samples")
    assert verdict.candidate is not None and verdict.candidate.samples == (0.52, 0.5, 0.5, 0.51)
    assert sum(1 for c in m.calls if c.startswith("a2-confirm/")) == 8


def test_a_lucky_first_measurement_is_not_committed(tmp_path: Path) -> None:
    m = Fixed(tmp_path, [0.8, 0.81, 0.79, 0.8] + [1.02, 0.97, 1.01, 0.99])
    verdict = m.compare("a3")
    assert not verdict.accepted
    assert verdict.reason.startswith("not confirmed on fresh samples (1.25x at first): not significant")


def test_a_slower_candidate_is_not_measured_twice(tmp_path: Path) -> None:
    m = Fixed(tmp_path, [1.3, 1.31, 1.29, 1.3])
    assert not m.compare("a4").accepted
    assert len(m.calls) == 8
