"""Three outcomes, the rank test, error spending over a target's candidates and the Amdahl check, on fixed samples."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from optiloop.measure import decide
from optiloop.measure.interleaved import stricter
from optiloop.measure.stats import ALPHA, RANK_ALPHA, allowed, amdahl, family_share, far_above, plan, rank_test
from optiloop.record import Measured, RunLog
from optiloop.types import Verdict
from tests.measure.test_interleaved import Fixed

BASE = [1.00, 1.02, 0.98, 1.01, 0.99, 1.03, 0.97, 1.00]


def test_mann_whitney_matches_the_exact_tables() -> None:
    # n1 = n2 = 5: P(U <= 0) = 1/252, P(U <= 2) = 4/252 (1 + 1 + 2 arrangements); n1 = n2 = 4: P(U <= 0) = 1/70;
    # n1 = n2 = 3: P(U <= 1) = 2/20 (the exact tables, e.g. Siegel & Castellan, table J)
    assert abs(rank_test([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]) - 1 / 252) < 1e-12
    assert abs(rank_test([6, 7, 8, 3.5, 10], [1, 2, 3, 4, 5]) - 4 / 252) < 1e-12  # U = 2: 4 and 5 beat 3.5
    assert abs(rank_test([5, 6, 7, 8], [1, 2, 3, 4]) - 1 / 70) < 1e-12
    assert abs(rank_test([4, 5, 3.5], [1, 2, 6]) - 7 / 20) < 1e-12  # U = 6 of 9: P(U >= 6) = (3+2+1+1)/20
    assert abs(rank_test([4, 5, 6], [1, 2, 3.5]) - 1 / 20) < 1e-12
    assert rank_test([1.0] * 4, [1.0] * 4) == 1.0  # all tied: no evidence


def test_mann_whitney_with_ties_uses_the_normal_approximation() -> None:
    p = rank_test([1.0] * 5, [0.5] * 5)  # tied within each side, separated between: z = 2.88
    assert 0.0015 < p < 0.0025


def test_three_outcomes() -> None:
    faster = decide(BASE, [v / 1.5 for v in BASE], min_speedup=1.05)
    assert faster.outcome == "FASTER" and faster.accepted and faster.rank_p is not None and faster.rank_p < 1e-3
    slower = decide(BASE, [v * 1.3 for v in BASE], min_speedup=1.05)
    assert slower.outcome == "NOT FASTER" and slower.reason.startswith("slower")
    small = decide(BASE, [v / 1.02 for v in BASE], min_speedup=1.05)  # surely faster, surely below 1.05
    assert small.outcome == "NOT FASTER" and small.reason.startswith("faster but below --min-speedup 1.05")
    noisy = [v / 1.06 * (1.08 if i % 2 else 0.93) for i, v in enumerate(BASE)]  # could be 0.95x or 1.2x
    unknown = decide(BASE, noisy, min_speedup=1.05)
    assert unknown.outcome == "UNKNOWN" and not unknown.accepted
    assert unknown.reason.startswith("unknown: not significant")


def test_the_low_end_must_reach_min_speedup_not_just_one() -> None:
    cand = [v / 1.08 * (1.05 if i % 2 else 0.95) for i, v in enumerate(BASE)]  # about 1.08x, 95% CI 1.03-1.13
    verdict = decide(BASE, cand, min_speedup=1.05)
    assert verdict.ci_low > 1.0 and verdict.speedup >= 1.05 and verdict.ci_low < 1.05
    assert verdict.outcome == "UNKNOWN" and "low end is below --min-speedup 1.05" in verdict.reason
    assert "low end" not in decide(BASE, cand, min_speedup=1.0).reason


def test_the_rank_test_can_veto_an_interval() -> None:
    # four rounds, every candidate run faster: the interval clears 1.05, but four against four
    # cannot reach p <= 1% (the smallest p is 1/70)
    verdict = decide(BASE[:4], [v / 1.5 for v in BASE[:4]], min_speedup=1.05)
    assert verdict.ci_low >= 1.05 and verdict.outcome == "UNKNOWN"
    assert "rank test is not significant at p<=0.01" in verdict.reason and "p=0.014" in verdict.reason
    assert decide(BASE[:5], [v / 1.5 for v in BASE[:5]], min_speedup=1.05).outcome == "FASTER"  # p = 1/252


def test_unknown_asks_for_more_rounds_and_is_rejected_when_the_budget_runs_out(tmp_path: Path) -> None:
    cand = [1 / 1.06 * (1.05 if i % 2 else 0.95) for i in range(20)]  # about 1.06x with 5% noise: never clear
    m = Fixed(tmp_path, cand, rounds=5)
    verdict = m.measure("u1")
    assert verdict.rounds == 20 and verdict.stopped == "full"  # looks at 5, 10, 20: the 4x --rounds cap
    assert verdict.outcome == "UNKNOWN" and not verdict.accepted
    assert verdict.reason.startswith("unknown: ")
    assert verdict.reason.endswith("(budget ran out: 20 rounds, 4x --rounds)")


def test_not_faster_at_an_early_look_stops_there(tmp_path: Path) -> None:
    m = Fixed(tmp_path, [1.0 / 1.02 + 0.001 * (i % 2) for i in range(20)], rounds=5)
    verdict = m.measure("u2")
    assert verdict.outcome == "NOT FASTER" and verdict.rounds < 20 and verdict.stopped in ("screen", "early")


def test_a_verdict_made_by_hand_gets_an_outcome() -> None:
    assert Verdict(1.5, 1.2, 1.8, True, True, "faster").outcome == "FASTER"
    assert Verdict(1.0, 0.9, 1.1, False, False, "not significant").outcome == "NOT FASTER"
    assert Verdict(1.0, 0.9, 1.1, False, False, "x", outcome="UNKNOWN").outcome == "UNKNOWN"


def test_the_family_shares_sum_to_at_most_one() -> None:
    shares = [family_share(m) for m in range(1, 10_001)]
    assert sum(shares) <= 1.0 and sum(shares) > 1.0 - 1e-4  # the tail beyond 10,000 is about 6e-5
    assert abs(family_share(1) - 6 / math.pi**2) < 1e-12 and abs(family_share(5) - family_share(1) / 25) < 1e-12
    assert all(a > b for a, b in zip(shares, shares[1:], strict=False))
    with pytest.raises(ValueError):
        family_share(0)


def test_the_confirmation_of_candidate_m_spends_exactly_its_share(tmp_path: Path) -> None:
    fast = [0.5, 0.51, 0.49, 0.5, 0.5]  # 5 rounds: rank p = 0.0033, between 1% * share(2) and 1% * share(1)
    m = Fixed(tmp_path, fast * 2)
    one = m.compare("b1", target="mod.py::f")
    assert one.accepted and one.rounds == 5 and m.measured["mod.py::f"] == 1
    assert one.rank_p is not None and RANK_ALPHA * family_share(2) < one.rank_p <= RANK_ALPHA * family_share(1)
    assert one.reason.endswith("confirmed on fresh samples, at levels 1.64x stricter (candidate 1 of this target)")
    m = Fixed(tmp_path / "second", fast * 3)
    m.measured["mod.py::f"] = 1  # one candidate of this target was measured before
    second = m.compare("b2", target="mod.py::f")
    # the same samples: 5 rounds no longer reach p <= 1% * share(2), so the confirmation takes the next look
    assert second.accepted and second.rounds == 10 and m.measured["mod.py::f"] == 2
    assert "at levels 6.58x stricter (candidate 2 of this target)" in second.reason
    events = RunLog.read(m.journal.dir).all(Measured)
    assert [(e.family, e.share) for e in events] == [(0, 1.0), (2, family_share(2))]
    for e, alpha in zip(events, (ALPHA, ALPHA * family_share(2)), strict=True):
        assert abs(sum(1 - level for level in e.levels) - alpha) < 1e-12  # the interval's error, over the looks


def test_the_fifth_candidate_is_41_times_stricter(tmp_path: Path) -> None:
    m = Fixed(tmp_path, [0.5, 0.51, 0.49, 0.5, 0.5] * 4)
    m.measured["mod.py::f"] = 4
    fifth = m.compare("b3", target="mod.py::f")
    assert fifth.accepted and fifth.rounds == 10
    assert "at levels 41.1x stricter (candidate 5 of this target)" in fifth.reason
    assert fifth.level > 1.0 - ALPHA * family_share(5) and fifth.rank_p is not None
    assert fifth.rank_p <= RANK_ALPHA * family_share(5)


def test_without_a_target_the_confirmation_uses_the_full_levels(tmp_path: Path) -> None:
    m = Fixed(tmp_path, [0.5, 0.51, 0.49, 0.5, 0.5] * 2)
    verdict = m.compare("b4")
    assert verdict.accepted and "stricter" not in verdict.reason and not m.measured
    assert [e.share for e in RunLog.read(m.journal.dir).all(Measured)] == [1.0, 1.0]
    assert stricter(0) == "" and stricter(3) == "at levels 14.8x stricter (candidate 3 of this target)"


def test_a_not_confirmed_reason_names_the_stricter_level(tmp_path: Path) -> None:
    m = Fixed(tmp_path, [0.5, 0.51, 0.49, 0.5, 0.5] + [1.0] * 20)
    m.measured["mod.py::f"] = 2
    verdict = m.compare("b5", target="mod.py::f")
    assert not verdict.accepted
    assert verdict.reason.startswith("not confirmed on fresh samples (2.00x at first, at levels 14.8x stricter "
                                     "(candidate 3 of this target)): ")


def test_a_stricter_family_divides_the_error_of_every_look() -> None:
    one, five = plan(5, 20), plan(5, 20, alpha=ALPHA * family_share(5))
    assert one.looks == five.looks and abs(sum(1 - lv for lv in five.levels) - ALPHA * family_share(5)) < 1e-12
    assert all(f > o for f, o in zip(five.levels, one.levels, strict=True))


def test_amdahl_prediction_and_far_above() -> None:
    assert abs(amdahl(0.5, 2.0) - 1 / 0.75) < 1e-12 and amdahl(0.0, 5.0) == 1.0 and amdahl(1.0, 3.0) == 3.0
    assert far_above(2.0, 1.8, 1.3) and not far_above(1.5, 1.2, 1.3)  # 1.5 < 1.25 * 1.3
    assert not far_above(2.0, 1.2, 1.3)  # the prediction lies inside the interval
    assert not far_above(2.0, 1.8, None)


def test_a_gain_far_above_the_profile_is_confirmed_a_second_time(tmp_path: Path) -> None:
    fast = [0.5, 0.51, 0.49, 0.5, 0.5]
    m = Fixed(tmp_path, fast * 3)
    verdict = m.compare("c1", predicted=1.2)
    assert verdict.accepted and verdict.predicted == 1.2
    assert any(c.startswith("c1-confirm2/") for c in m.calls)
    assert "confirmed twice on fresh samples" in verdict.reason and "far above the 1.20x" in verdict.reason

    m = Fixed(tmp_path, fast * 2 + [1.0, 0.99, 1.01, 1.0, 1.0])  # the second confirmation shows no gain
    verdict = m.compare("c2", predicted=1.2)
    assert not verdict.accepted and verdict.reason.startswith("not confirmed a second time on fresh samples (2.00x")


def test_without_a_local_speedup_the_profile_allows_its_bound() -> None:
    assert allowed(0.5, 2.0) == (amdahl(0.5, 2.0), False)
    assert allowed(0.75, None) == (4.0, True) and allowed(0.75, 0.0) == (4.0, True)
    assert allowed(0.0, None) == (1.0, True)  # no share of the profile: no gain allowed at all
    assert allowed(0.999, None) == (None, False) and allowed(1.0, None) == (None, False)  # no useful bound


def test_a_gain_far_above_the_bound_is_confirmed_a_second_time(tmp_path: Path) -> None:
    bound, is_bound = allowed(0.3, None)  # even an infinitely fast target allows only 1.43x
    assert is_bound and bound is not None and abs(bound - 1 / 0.7) < 1e-12
    m = Fixed(tmp_path, [0.5, 0.51, 0.49, 0.5, 0.5] * 3)
    verdict = m.compare("c5", predicted=bound, target="mod.py::f")
    assert verdict.accepted and any(c.startswith("c5-confirm2/") for c in m.calls)
    assert "confirmed twice on fresh samples" in verdict.reason and "far above the 1.43x" in verdict.reason


def test_a_gain_the_profile_allows_is_confirmed_once(tmp_path: Path) -> None:
    m = Fixed(tmp_path, [0.5, 0.51, 0.49, 0.5, 0.5] * 2)
    verdict = m.compare("c3", predicted=1.9)
    assert verdict.accepted and verdict.predicted == 1.9 and not any("confirm2" in c for c in m.calls)
    assert verdict.reason.endswith("confirmed on fresh samples; the profile allows 1.90x")
    rejected = Fixed(tmp_path, [1.0] * 20).compare("c4", predicted=1.9)
    assert not rejected.accepted and rejected.predicted == 1.9
