from optiloop.measure import decide
from optiloop.measure.stats import paired_speedup

BASE = [1.00, 1.02, 0.98, 1.01, 0.99, 1.03, 0.97, 1.00]


def test_clear_speedup_has_interval_above_one() -> None:
    fast = [v / 2 for v in BASE]
    point, low, high = paired_speedup(BASE, fast)
    assert point == 2.0
    assert 1.9 < low <= point <= high < 2.1


def test_identical_samples_give_no_speedup() -> None:
    point, low, high = paired_speedup(BASE, BASE)
    assert point == 1.0 and low == 1.0 and high == 1.0


def test_bootstrap_is_deterministic_for_a_seed() -> None:
    other = [1.01, 0.99, 1.0, 0.98, 1.02, 1.0, 1.01, 0.97]
    assert paired_speedup(BASE, other, seed=3) == paired_speedup(BASE, other, seed=3)


def test_paired_rounds_cancel_drift() -> None:
    # The machine slows down 40% over the run; the candidate is 10% faster in every round.
    drift = [1.0 + 0.05 * i for i in range(8)]
    candidate = [d / 1.1 for d in drift]
    point, low, high = paired_speedup(drift, candidate)
    assert low > 1.05 and abs(point - 1.1) < 1e-9


def test_decide_accepts_a_real_speedup() -> None:
    verdict = decide(BASE, [v / 1.5 for v in BASE], min_speedup=1.05)
    assert verdict.accepted and verdict.significant
    assert verdict.reason.startswith("faster: 1.50x")
    assert verdict.baseline is not None and len(verdict.baseline.samples) == len(BASE)


def test_decide_rejects_noise() -> None:
    noisy = [1.01, 0.97, 1.03, 0.99, 1.02, 0.98, 1.00, 1.01]
    verdict = decide(BASE, noisy, min_speedup=1.05)
    assert not verdict.accepted
    assert verdict.reason.startswith("not significant")


def test_decide_rejects_a_slowdown() -> None:
    verdict = decide(BASE, [v * 1.3 for v in BASE], min_speedup=1.05)
    assert not verdict.accepted and verdict.significant
    assert verdict.reason.startswith("slower")


def test_decide_rejects_a_real_but_small_speedup() -> None:
    verdict = decide(BASE, [v / 1.02 for v in BASE], min_speedup=1.05)
    assert not verdict.accepted
    assert "below --min-speedup 1.05" in verdict.reason


def test_interval_never_hides_which_side_of_one_it_is_on() -> None:
    from optiloop.types import Verdict, fmt_ratio

    assert fmt_ratio(1.003) == "1.003" and fmt_ratio(0.998) == "0.998"
    assert fmt_ratio(1.0) == "1.00" and fmt_ratio(1.234) == "1.23"
    assert Verdict(1.14, 1.003, 1.43, True, True, "").interval == "1.003-1.43"
