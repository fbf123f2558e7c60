"""benchmarks/cycles_vs_time.py: the measurer that times every counted candidate, the ratios, the table and the
summary, on fixed counts and fixed wall times. (Its real runs count the examples' workloads under valgrind for
minutes: not part of the suite.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.benchmarks.loader import load_benchmark
from tests.measure.test_cycles import Counted

cvt = load_benchmark("cycles_vs_time")


def test_every_counted_candidate_is_timed_too_and_the_count_still_decides(tmp_path: Path) -> None:
    # baseline runs take 1.0 s; the first candidate 0.8 s (guard, then 6 timed rounds), the second 1.0 s
    both = cvt.Both(Counted(tmp_path, [800_000, 1_250_000], [0.8] * 9 + [1.0] * 6), rounds=6)
    first = both.compare("attempt-1", predicted=1.4, target="pkg/mod.py::f")
    second = both.compare("attempt-2", target="pkg/mod.py::g")
    assert first.accepted and first.measure == "cycles" and first.guard is not None  # the run's own verdict
    assert not second.accepted and second.reason.startswith("costlier") and second.guard is None
    assert list(both.walls) == ["attempt-1", "attempt-2"]
    target, counted, wall = both.walls["attempt-1"]
    assert target == "pkg/mod.py::f" and counted is first and wall.rounds == 6
    assert wall.speedup == pytest.approx(1.25)
    pairs = cvt.pairs_of("demo", both, {"attempt-1": ("f", "dedupe-list-to-set")})
    assert [(p.target, p.origin, p.accepted) for p in pairs] == [("f", "dedupe-list-to-set", True),
                                                                  ("pkg/mod.py::g", "", False)]
    assert pairs[0].cycles == pytest.approx(1.25) and pairs[0].ratio == pytest.approx(1.0)
    assert pairs[1].cycles == pytest.approx(0.8) and pairs[1].wall == pytest.approx(1.0)


def pair(cycles: float, wall: float, low: float, high: float, target: str = "f") -> object:
    return cvt.Pair("wordfreq", target, "rule", cycles, wall, low, high, cycles > 1.0)


def test_ratios_agreement_and_the_worst_case() -> None:
    exact = pair(1.30, 1.30, 1.25, 1.35)
    assert exact.ratio == pytest.approx(1.0) and exact.agree
    undecided = pair(1.10, 0.99, 0.95, 1.03)  # wall time cannot tell: nothing to contradict
    assert undecided.agree
    contradicted = pair(1.10, 0.90, 0.88, 0.92)  # fewer cycles, but slower on the clock (I/O, sleeping...)
    assert not contradicted.agree and contradicted.ratio == pytest.approx(1.10 / 0.90)
    assert pair(1.1, 0.0, 0.0, 0.0).ratio == float("inf")


def test_summary_gives_the_median_ratio_the_worst_case_and_the_agreement() -> None:
    pairs = [pair(1.30, 1.30, 1.25, 1.35, "a"), pair(2.00, 1.60, 1.50, 1.70, "b"),
             pair(1.02, 1.03, 1.00, 1.06, "c"), pair(1.10, 0.90, 0.88, 0.92, "d")]
    lines = cvt.summary(pairs)
    assert lines[0] == "4 candidates: median ratio cycles / wall 1.111 (range 0.990-1.250)"
    assert lines[1].startswith("worst case: 1.250 (wordfreq `b` rule: 2.000x fewer cycles, wall time 1.600x")
    assert lines[2] == ("within 5% of each other: 2 of 4; same direction as wall time (or wall time undecided): "
                        "3 of 4")
    assert cvt.summary([]) == ["no candidate passed the gate: nothing to compare"]


def test_the_table_is_markdown_with_one_line_per_candidate() -> None:
    lines = cvt.table([pair(2.0, 1.6, 1.5, 1.7), pair(0.95, 1.0, 0.97, 1.03)]).splitlines()
    assert len(lines) == 4 and all(line.startswith("| ") and line.endswith(" |") for line in lines)
    assert all(line.count("|") == 8 for line in lines)
    assert lines[2] == "| wordfreq | `f` | rule | 2.000x | 1.600x [1.500, 1.700] | 1.250 | accepted |"


def test_an_unknown_example_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cvt.main(["--examples", "nope"])
    assert exc.value.code == 2 and "no such example: nope (there are: inventory, routes, tagfeed, wordfreq)" in \
        capsys.readouterr().err


def test_the_wrapping_measurer_takes_every_call_a_run_makes() -> None:
    """``Both`` stands in for the run's measurer: each method of ``stages.Measurer``, with the same parameters
    (a run passes the verifier's count, asks for the whole-run check and restores a resumed run's attempts)."""
    import inspect

    from optiloop.stages import Measurer

    for name in ("baseline", "compare", "total", "restore"):
        assert list(inspect.signature(getattr(cvt.Both, name)).parameters) == list(
            inspect.signature(getattr(Measurer, name)).parameters), name
