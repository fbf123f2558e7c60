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


def test_the_looks_spend_exactly_the_whole_error() -> None:
    from optiloop.measure.stats import ALPHA, plan

    p = plan(5, 40)
    assert p.looks == (5, 10, 20, 40) and p.screen == 3
    assert abs(sum(1.0 - level for level in p.levels) - ALPHA) < 1e-12
    assert p.levels[0] > p.levels[1] > p.levels[2] > p.levels[3]  # early looks demand more evidence
    assert plan(5, 5).levels == (0.95,) and plan(5, 5).looks == (5,)
    assert plan(3, 3).screen == 0  # no screen when it would not come before the only look


def test_budget_calibration() -> None:
    from optiloop.measure.stats import rounds_for_budget

    assert rounds_for_budget(60, 1.5) == 20
    assert rounds_for_budget(1, 1.5) == 4 and rounds_for_budget(1e9, 0.1) == 200


def test_a_stricter_level_widens_the_interval() -> None:
    from optiloop.measure.stats import interval

    other = [v / 1.1 + 0.01 * (i % 3) for i, v in enumerate(BASE)]
    _, low95, high95 = interval(BASE, other, 0.95)
    _, low999, high999 = interval(BASE, other, 0.999)
    assert low999 <= low95 and high999 >= high95


def test_decide_reports_the_level_it_used() -> None:
    verdict = decide(BASE, [v / 1.5 for v in BASE], min_speedup=1.05, level=0.99)
    assert "(99% CI" in verdict.reason


def test_noise_floor_scales_with_rounds() -> None:
    from optiloop.measure.stats import noise_of

    noise = noise_of(BASE, [1.01, 0.99, 1.0, 0.98, 1.02, 1.0, 1.01, 0.97])
    assert noise.ratio > 1.0 and abs(noise.floor(8) - noise.ratio) < 1e-12
    assert 1.0 < noise.floor(32) < noise.ratio < noise.floor(2)


def test_t_quantiles_match_the_tables() -> None:
    from optiloop.measure.stats import t_quantile

    for df, tail, table in ((1, 0.025, 12.706), (2, 0.025, 4.303), (4, 0.025, 2.776), (10, 0.005, 3.169),
                            (30, 0.025, 2.042)):
        assert abs(t_quantile(tail, df) - table) < 1e-3


def test_the_interval_is_the_union_of_bootstrap_and_t() -> None:
    from optiloop.measure.stats import interval, t_interval

    other = [1.01, 0.99, 1.0, 0.98, 1.02, 1.0, 1.01, 0.97]
    point, low, high = interval(BASE[:3], other[:3], 0.95)
    b_point, b_low, b_high = paired_speedup(BASE[:3], other[:3])
    t_low, t_high = t_interval(BASE[:3], other[:3], 0.95)
    assert point == b_point and low == min(b_low, t_low) and high == max(b_high, t_high)
    assert t_low < b_low and t_high > b_high  # three rounds: the bootstrap alone is far too narrow
    assert t_interval([1.0, 1.0], [0.5, 0.5], 0.95) == (2.0, 2.0)
