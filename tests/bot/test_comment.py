"""The regression rule and the comment's text, on fixed verdicts (no timing involved)."""

from __future__ import annotations

from pathlib import Path

from optiloop.bot.pr import (
    MARKER,
    MAX_COMMENT,
    Regression,
    action_outputs,
    comment_body,
    hot_keys,
    keep_changed,
    write_outputs,
)
from optiloop.record import Profiled, RunLog, RunStarted
from optiloop.types import Hotspot, Target, Verdict
from tests.bot.fakegithub import read_outputs


def regression(slowdown: float, low: float, high: float, allowed: float | None = 0.05) -> Regression:
    """A verdict as the check measures it: side B (the base) against side A (the head)."""
    accepted = allowed is not None and low >= 1 + allowed
    verdict = Verdict(slowdown, low, high, significant=low > 1 or high < 1, accepted=accepted, reason="", rounds=6)
    return Regression("b" * 40, "h" * 40, verdict, allowed=allowed)


def test_fails_only_when_the_measurement_settled_a_slowdown_beyond_the_allowance() -> None:
    clear = regression(2.0, 1.8, 2.2)
    assert clear.fails()
    assert clear.failure() == ("the head is 2.00x slower than the merge base (95% CI 1.80-2.20), "
                               "more than --fail-on-regression 0.05 allows")
    assert not regression(2.0, 1.8, 2.2, allowed=1.0).fails()  # 2x slower, 100% allowed
    assert not regression(1.1, 0.98, 1.25).fails()  # maybe 10% slower, maybe not slower at all
    assert not regression(0.7, 0.6, 0.8).fails()  # faster
    assert not regression(2.0, 1.8, 2.2, allowed=None).fails()  # no --fail-on-regression
    assert not Regression("b", "h", skipped="the workload fails at the base", allowed=0.0).fails()


def test_the_regression_line_says_which_way() -> None:
    assert "**slower: the head takes 2.00x the base's time**" in regression(2.0, 1.8, 2.2).line()
    assert "faster: 1.43x" in regression(0.7, 0.6, 0.8).line()
    assert "no significant difference (the head takes 1.10x the base's time, 95% CI 0.98-1.25, 6 interleaved " \
           "rounds)" in regression(1.1, 0.98, 1.25).line()
    assert regression(2.0, 1.8, 2.2).line().startswith("Regression check, head `hhhhhhhhhh` against merge base")
    assert "not measured (no bench)" in Regression("b", "h", skipped="no bench").line()


def test_comment_starts_with_the_marker_names_hot_changes_and_stays_under_githubs_limit() -> None:
    changed = {("pkg/core.py", "dedupe"), ("pkg/core.py", "label")}
    body = comment_body(1, changed, {("pkg/core.py", "dedupe"), ("pkg/core.py", "checksum")}, None,
                        report="### optiloop report\n" + "x" * 70000, suggestion="Suggested as #8.")
    assert body.startswith(MARKER + "\n### optiloop: 1 verified speedup(s)")
    assert "targeted: `pkg.core.dedupe`." in body and "Suggested as #8." in body
    assert len(body) <= MAX_COMMENT and body.rstrip().endswith("the run record has all of it.)")
    cold = comment_body(0, changed, {("pkg/core.py", "checksum")}, None)
    assert "none of them is hot" in cold and "no verified speedup" in cold


def test_keep_changed_and_hot_keys() -> None:
    hot = Hotspot("Shop.total", "src/shop.py", 3, 0.5, 0.6)
    target = Target(hot, "def total(self): ...", "")
    assert keep_changed({("src/shop.py", "Shop.total")})(target)
    assert not keep_changed({("src/shop.py", "Shop.name")})(target)
    later = Hotspot("later", "src/shop.py", 9, 0.5, 0.6)
    log = RunLog(Path("run"), (RunStarted(), Profiled(hotspots=(hot,)), Profiled(hotspots=(later,))))
    assert hot_keys(log) == {("src/shop.py", "Shop.total")}
    assert hot_keys(RunLog(Path("run"), (RunStarted(),))) == set()


def test_slower_is_the_regression_with_or_without_an_allowance() -> None:
    assert regression(2.0, 1.8, 2.2).slower() and regression(2.0, 1.8, 2.2).fails()
    no_allowance = Regression("b", "h", Verdict(1.3, 1.1, 1.5, significant=True, accepted=True, reason=""))
    assert no_allowance.slower() and not no_allowance.fails()  # slower, but nothing was set to fail on
    assert not regression(1.1, 0.98, 1.25).slower() and not regression(0.7, 0.6, 0.8).slower()
    assert not Regression("b", "h", skipped="no bench").slower()


def test_the_actions_outputs(tmp_path: Path) -> None:
    report = tmp_path / "run" / "report.html"
    report.parent.mkdir()
    report.write_text("<html></html>")
    total = Verdict(1.64, 1.11, 2.21, significant=True, accepted=True, reason="")
    assert action_outputs(regression(2.0, 1.8, 2.2), total, report) == {
        "speedup": "1.64", "regression": "true", "report": str(report)}
    assert action_outputs(regression(1.1, 0.98, 1.25), None, tmp_path / "missing.html") == {
        "speedup": "", "regression": "false", "report": ""}
    assert action_outputs(Regression("b", "h", skipped="no bench"), None, None)["regression"] == ""
    assert action_outputs(None, None, None) == {"speedup": "", "regression": "", "report": ""}

    output = tmp_path / "github_output"
    output.write_text("earlier=step\n")
    odd = tmp_path / "a\nregression=true"  # a path no one should have, read back as itself
    write_outputs(output, {"speedup": "1.64", "report": str(odd), "regression": "false"})
    assert read_outputs(output) == {"earlier": "step", "speedup": "1.64", "report": str(odd), "regression": "false"}
