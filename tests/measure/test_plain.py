"""The plain sentence that leads each verdict, on fixed samples: exact text for each way a verdict can go.

Each case is the samples (before) and the headline a person reads (after); the statistics stay in ``reason``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from optiloop.measure import decide
from optiloop.measure.plain import NOISE_ADVICE, total
from optiloop.measure.stats import Noise
from optiloop.types import Verdict
from tests.measure.test_interleaved import Fixed

BASE = [1.00, 1.02, 0.98, 1.01, 0.99, 1.03, 0.97, 1.00]
NOISY = [v / 1.06 * (1.08 if i % 2 else 0.93) for i, v in enumerate(BASE)]  # could be 0.95x or 1.2x
LOW_END = [v / 1.08 * (1.05 if i % 2 else 0.95) for i, v in enumerate(BASE)]  # 1.08x, 95% CI 1.03-1.13
FLAT = [v * (1.03 if i % 2 else 0.98) for i, v in enumerate(BASE)]  # no gain, at most 1.02x

DECIDED = [
    ([v / 1.5 for v in BASE], "FASTER", "faster", False,
     "Faster: 1.50x, at least 1.50x with 95% confidence (--min-speedup 1.05)."),
    ([v * 1.3 for v in BASE], "NOT FASTER", "slower", False,
     "Slower: 0.77x the speed of the current code, at best 0.77x."),
    ([v / 1.02 for v in BASE], "NOT FASTER", "below-min-speedup", False,
     "Too small a gain: faster, but at most 1.02x, below --min-speedup 1.05."),
    (FLAT, "NOT FASTER", "not-significant", False,
     "Not faster: no significant difference, and at most 1.02x, below --min-speedup 1.05."),
    (NOISY, "UNKNOWN", "noise", True,
     "Undecided after 8 rounds: no significant difference (the interval reaches down to 0.98x)."),
    (LOW_END, "UNKNOWN", "low-end", True,
     "Undecided after 8 rounds: faster, but only 1.03x is certain, below --min-speedup 1.05."),
]


@pytest.mark.parametrize(("candidate", "outcome", "cause", "advised", "headline"), DECIDED,
                         ids=[case[2] for case in DECIDED])
def test_each_outcome_leads_with_one_plain_sentence(candidate: list[float], outcome: str, cause: str,
                                                    advised: bool, headline: str) -> None:
    v = decide(BASE, candidate, min_speedup=1.05)
    assert (v.outcome, v.cause, v.headline) == (outcome, cause, headline)
    assert v.plain == headline and v.headline != v.reason and "CI" in v.reason  # the statistics stay in the reason
    assert v.advice == (NOISE_ADVICE if advised else "")


def test_a_figure_whose_interval_includes_one_never_leads() -> None:
    for candidate in (NOISY, FLAT):
        v = decide(BASE, candidate, min_speedup=1.05)
        assert v.ci_low <= 1.0 <= v.ci_high
        assert f"{v.speedup:.2f}x" not in v.headline and "no significant difference" in v.headline


def test_the_rank_test_and_the_noise_floor_say_which_number_held_the_gain_back() -> None:
    rank = decide(BASE[:4], [v / 1.5 for v in BASE[:4]], min_speedup=1.05)
    assert rank.headline == ("Undecided after 4 rounds: 1.50x, but the rank test does not back it "
                             "(p = 0.014; it needs 0.01 or less).")
    same = decide(BASE, [v / 1.08 for v in BASE], 1.05, noise=Noise(1.0, 0.8, 1.2, rounds=8))
    assert same.headline == "Undecided after 8 rounds: 1.08x is within the run's noise floor, 1.25x (A/A, 8 rounds)."
    narrowed = decide(BASE, [v / 1.08 for v in BASE], 1.05, noise=Noise(1.0, 0.8, 1.2, rounds=4))
    assert narrowed.headline == ("Undecided after 8 rounds: 1.08x is within what noise alone shows at 8 rounds, "
                                 "1.17x (the run's noise floor, 1.25x at its 4 A/A rounds, narrowed to 8 rounds).")
    assert rank.advice == same.advice == narrowed.advice == NOISE_ADVICE
    assert "--rounds" in NOISE_ADVICE and "--measure-budget" in NOISE_ADVICE and "--measure cycles" in NOISE_ADVICE


def test_stops_to_reject_and_confirmations_say_what_decided_them(tmp_path: Path) -> None:
    slower = Fixed(tmp_path / "a", [1.3, 1.31, 1.29, 1.3]).compare("a")
    assert slower.headline == "Rejected at the quick screen (3 rounds): slower, at best 0.78x."
    flat = Fixed(tmp_path / "b", [0.99, 1.01, 1.0, 1.0]).compare("b")
    assert flat.headline == "Rejected at the quick screen (3 rounds): at most 1.03x, short of --min-speedup 1.05."
    noisy = Fixed(tmp_path / "c", [1 / 1.08] * 16, rounds=4)
    noisy.noise = Noise(1.0, 0.8, 1.2, rounds=4)
    assert noisy.measure("c").headline == (
        "Rejected at the quick screen (3 rounds): at most 1.08x, short of the 1.12x this run's noise allows at 16 "
        "rounds (the run's noise floor, 1.25x at its 4 A/A rounds, narrowed to 16 rounds).")
    lucky = Fixed(tmp_path / "d", [0.8, 0.81, 0.79, 0.8, 0.8] + [1.02, 0.97, 1.01, 0.99, 1.0]).compare("d")
    assert lucky.headline == ("Not confirmed: the gain measured at first did not hold on 5 fresh rounds, where "
                              "there was no significant difference.")
    assert lucky.cause == "not-confirmed" and "1.25x at first" in lucky.reason and "1.25x" not in lucky.headline
    kept = Fixed(tmp_path / "e", [0.5, 0.51, 0.49, 0.5, 0.5] + [0.52, 0.5, 0.5, 0.51, 0.49]).compare("e")
    assert kept.headline == ("Faster: 2.00x, at least 1.86x with 99.69% confidence (--min-speedup 1.05); "
                             "confirmed on fresh samples.")
    far = Fixed(tmp_path / "f", [0.5, 0.51, 0.49, 0.5, 0.5] * 3).compare("f", predicted=1.2)
    assert far.headline == ("Faster: 2.00x, at least 1.92x with 99.69% confidence (--min-speedup 1.05); confirmed "
                            "twice on fresh samples, as the first confirmation was far above the 1.20x the profile "
                            "allows.")
    assert "look 1 of 3" in kept.reason and "look" not in kept.headline  # sequential jargon stays in the statistics


def test_the_whole_run_check_is_no_significant_difference_when_its_interval_includes_one() -> None:
    assert total(1.16, 0.90, 2.11, 5) == (
        "noise", "No significant difference between the branch and its base after 5 rounds.",
        f"this check takes only --rounds rounds, fewer than the verdicts of the single changes; {NOISE_ADVICE}")
    assert total(1.40, 1.20, 1.60, 5)[1] == "Faster: the branch is 1.40x as fast as its base, at least 1.20x."
    assert total(0.80, 0.70, 0.90, 5)[1] == "Slower: the branch is 0.80x as fast as its base, at best 0.90x."
    assert total(0.98, 0.90, 1.05, 5)[2] == ""  # no gain hidden: nothing to advise


def test_a_record_written_before_headlines_still_reads_plainly() -> None:
    assert Verdict(1.5, 1.2, 1.8, True, True, "faster: 1.50x ...").plain == "Faster: 1.50x."
    assert Verdict(0.8, 0.7, 0.9, True, False, "slower: ...").plain == "Slower: 0.80x."
    old = Verdict(1.16, 0.9, 2.11, False, False, "unknown: not significant: 1.16x ...")
    assert old.plain == "Not accepted: no significant speedup." and "1.16" not in old.plain
