"""The run record view and the three renderers, on hand-written run records."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import jsonschema
import pytest

from optiloop import report
from optiloop.measure.plain import NOISE_ADVICE
from optiloop.report import render, write_reports
from optiloop.report.chart import cumulative, speedup_chart
from optiloop.report.commit import evidence_lines
from optiloop.report.flame import flame_svg, tree_of
from optiloop.report.markdown import predicted_text
from optiloop.report.record import RunRecord, outcome
from optiloop.report.terminal import closing_lines
from optiloop.types import RunSummary, Verdict
from tests.report.records import (
    BASE,
    COMMIT_1,
    COMMIT_2,
    EVIL,
    PLAIN_RUN_ID,
    RAW_BEFORE,
    RUN_ID,
    plain_attempts,
    write_plain_record,
    write_record,
)


def schema() -> dict[str, object]:
    data: dict[str, object] = json.loads((Path(report.__file__).parent / "schema.json").read_text())
    return data


def test_record_reads_what_the_run_recorded(tmp_path: Path) -> None:
    r = RunRecord.load(write_record(tmp_path))
    assert (r.id, r.status, r.mode, r.base, r.model) == (RUN_ID, "finished", "run", BASE, "openai:gpt-test")
    assert [a.number for a in r.accepted] == [1, 5]
    assert [a.number for a in r.rejected] == [2, 3, 4]
    assert r.total is not None and r.total.speedup == 4.1 and not r.total_stale
    assert r.spend.cost_usd == pytest.approx(0.0123 + 0.0051 + 0.004 + 0.003)
    assert r.model_calls == 5
    assert [p.label for p in r.profiles] == ["initial", "after-1", "after-5"]
    assert r.profiles[0].raw is not None and r.profiles[0].raw.read_text() == RAW_BEFORE
    assert r.noise is not None and r.noise.floor == 1.03


def test_undo_takes_a_commit_out_and_marks_the_total_stale(tmp_path: Path) -> None:
    r = RunRecord.load(write_record(tmp_path, undo=COMMIT_2))
    assert [a.number for a in r.accepted] == [1]
    assert r.total_stale
    data = json.loads(render(r.dir, "json"))
    assert data["counts"]["undone"] == 1 and data["attempts"][4]["outcome"] == "undone"
    assert "measured before a later undo" in render(r.dir, "md")


def test_a_run_without_run_finished_is_interrupted_and_a_cut_last_line_is_skipped(tmp_path: Path) -> None:
    run_dir = write_record(tmp_path, total=False, finished=False)
    with open(run_dir / "events.jsonl", "a") as fh:
        fh.write('{"event": "attempt", "attem')  # killed mid-write
    r = RunRecord.load(run_dir)
    assert r.status == "interrupted" and r.total is None and len(r.attempts) == 5
    assert "not measured" in render(run_dir, "md")


def test_markdown_has_total_table_collapsed_diffs_and_one_rejected_line(tmp_path: Path) -> None:
    md = render(write_record(tmp_path), "md")
    assert "**Total workload speedup: 4.10x** (95% CI 3.60-4.60, 3 interleaved rounds" in md
    rows = [line for line in md.splitlines() if line.startswith("| ") and "`pkg." in line]
    assert len(rows) == 2
    assert ("| **3.20x** | 2.90-3.50 (99.06%) | 3.60x | parses, imports, replay, tests | 37 | openai:gpt-test "
            "| $0.0123 |") in rows[0]
    assert f"`{COMMIT_1[:10]}`" in rows[0] and f"`{COMMIT_2[:10]}`" in rows[1]
    assert md.count("<details>") == 2 and md.count("</details>") == 2
    assert "+    return sum(xs)" in md
    assert "3 rejected attempt(s): 1 did not apply, 1 slower, 1 tests failed." in md
    assert "<script>" not in md
    assert len(md.splitlines()) < 80


def test_json_follows_the_schema_and_the_record(tmp_path: Path) -> None:
    data = json.loads(render(write_record(tmp_path), "json"))
    jsonschema.Draft202012Validator.check_schema(schema())
    jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)
    assert data["total"]["speedup"] == 4.1 and data["total"]["ci_low"] == 3.6
    assert data["counts"] == {"attempts": 5, "accepted": 2, "rejected": 3, "undone": 0,
                              "outcomes": {"accepted": 2, "did not apply": 1, "slower": 1, "tests failed": 1}}
    assert data["attempts"][0]["calls_replayed"] == 37 and data["attempts"][0]["verdict"]["level"] == 0.990625
    assert data["attempts"][1]["rationale"] == EVIL
    assert data["cost"]["usd"] == pytest.approx(0.0244) and data["cost"]["model_calls"] == 5


def test_json_of_an_unfinished_run_without_profiles_still_follows_the_schema(tmp_path: Path) -> None:
    run_dir = write_record(tmp_path, total=False, finished=False)
    for p in (run_dir / "artifacts" / "profiles").iterdir():
        p.unlink()
    data = json.loads(render(run_dir, "json"))
    jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)
    assert data["total"] is None and data["profiles"][0]["raw"] is None and data["run"]["status"] == "interrupted"


def test_html_is_self_contained_escaped_and_well_formed(tmp_path: Path) -> None:
    page = render(write_record(tmp_path), "html")
    assert "<script" not in page and "&lt;script&gt;" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page) and "@import" not in page
    assert page.count('<svg class="flame"') == 2 and page.count('<svg class="chart"') == 1
    assert "4.10x" in page and "3.20x" in page and "not significant" not in page
    assert "test_total failed" in page  # the rejected attempt's reason
    for svg in re.findall(r"<svg.*?</svg>", page, re.S):
        ElementTree.fromstring(svg)  # each inline SVG is well-formed XML


def test_flame_tree_merges_stacks_by_function() -> None:
    root = tree_of(RAW_BEFORE + RAW_BEFORE)
    assert root.count == 200
    (module,) = root.children.values()
    (main,) = module.children.values()
    assert sorted(c.count for c in main.children.values()) == [40, 160]
    svg = flame_svg(RAW_BEFORE, "t")
    assert "slow_sum (pkg/core.py): 80 samples, 80.0%" in svg
    assert "&lt;script&gt;" in svg and "<script>" not in svg
    assert "no samples" in flame_svg("", "empty")


def test_chart_multiplies_accepted_speedups(tmp_path: Path) -> None:
    r = RunRecord.load(write_record(tmp_path))
    assert cumulative(r.attempts) == pytest.approx([1.0, 3.2, 3.2, 3.2, 3.2, 4.8])
    assert cumulative(r.attempts, frozenset({COMMIT_1})) == pytest.approx([1.0, 1, 1, 1, 1, 1.5])
    svg = speedup_chart(r.attempts, r.total)
    ElementTree.fromstring(svg)
    assert svg.count('class="acc"') == 2 and svg.count('class="rej"') == 3
    assert "measured total 4.10x (95% CI 3.60-4.60)" in svg


def test_write_reports_writes_both_files_and_returns_the_html(tmp_path: Path) -> None:
    run_dir = write_record(tmp_path)
    path = write_reports(run_dir)
    assert path == run_dir / "report.html"
    assert (run_dir / "report.md").read_text() == render(run_dir, "md")
    assert not list(run_dir.glob(".*.tmp"))
    assert write_reports(tmp_path / "nowhere") is None


def _rewrite_verdicts(run_dir: Path, change: Callable[[int, dict[str, Any]], None]) -> None:
    """Edit the recorded verdict of each attempt event in place, as the run would have recorded it."""
    events = run_dir / "events.jsonl"
    lines = []
    for line in events.read_text().splitlines():
        e = json.loads(line)
        if e["event"] == "attempt" and e["attempt"]["verdict"] is not None:
            change(e["attempt"]["number"], e["attempt"]["verdict"])
        lines.append(json.dumps(e))
    events.write_text("\n".join(lines) + "\n")


def test_a_bound_of_the_profile_shows_as_at_most(tmp_path: Path) -> None:
    def bound_on_five(number: int, v: dict[str, Any]) -> None:
        if number == 5:
            v.update(predicted=4.2, predicted_bound=True)

    run_dir = write_record(tmp_path)
    _rewrite_verdicts(run_dir, bound_on_five)
    md = render(run_dir, "md")
    rows = [line for line in md.splitlines() if line.startswith("| ") and "`pkg." in line]
    assert "| 3.60x |" in rows[0] and "| ≤ 4.20x |" in rows[1]
    page = render(run_dir, "html")
    assert "<td class=num>≤ 4.20x</td>" in page and "<td class=num>3.60x</td>" in page
    data = json.loads(render(run_dir, "json"))
    jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)
    verdicts = {a["number"]: a["verdict"] for a in data["attempts"]}
    assert (verdicts[1]["predicted"], verdicts[1]["predicted_bound"]) == (3.6, False)
    assert (verdicts[5]["predicted"], verdicts[5]["predicted_bound"]) == (4.2, True)

    five = next(a for a in RunRecord.load(run_dir).accepted if a.number == 5)
    summary = RunSummary(RUN_ID, f"optiloop/{RUN_ID}", (five,), 1, None, "done")
    lines = closing_lines(summary, tmp_path, BASE)
    assert any("1.50x (95% CI 1.30-1.70; the profile allows ≤ 4.20x; checks passed" in line for line in lines)
    assert five.verdict is not None
    assert "the profile (Amdahl) allows at most 4.20x." in "\n".join(evidence_lines(five.verdict, five.checks))


def test_a_record_from_before_the_bound_flag_still_loads(tmp_path: Path) -> None:
    run_dir = write_record(tmp_path)
    _rewrite_verdicts(run_dir, lambda _, v: v.pop("predicted_bound"))
    r = RunRecord.load(run_dir)
    assert [a.verdict.predicted_bound for a in r.attempts if a.verdict] == [False, False, False]
    assert "| 3.60x |" in render(run_dir, "md")
    jsonschema.validate(json.loads(render(run_dir, "json")), schema(), cls=jsonschema.Draft202012Validator)


def test_predicted_text_for_a_prediction_a_bound_and_neither() -> None:
    v = Verdict(2.0, 1.8, 2.2, True, True, "faster")
    assert predicted_text(v) == "-" and not v.predicted_bound
    assert predicted_text(replace(v, predicted=1.9)) == "1.90x"
    assert predicted_text(replace(v, predicted=4.2, predicted_bound=True)) == "≤ 4.20x"
    assert not Verdict(2.0, 1.8, 2.2, True, True, "faster", predicted_bound=True).predicted_bound  # no value, no bound


def test_a_total_whose_interval_includes_one_never_leads_a_report(tmp_path: Path) -> None:
    run_dir = write_plain_record(tmp_path)
    md = render(run_dir, "md")
    assert ("**Total workload speedup: no significant difference** (1.16x, 95% CI 0.90-2.11, 5 interleaved rounds; "
            "branch head against base") in md
    assert "**1.16x**" not in md and "Hint: this check takes only --rounds rounds" in md
    page = render(run_dir, "html")
    assert '<div class="big">no significant difference</div>' in page and "1.16x, 95% CI 0.90-2.11" in page
    assert "Undecided after 8 rounds: no significant difference" in page  # the rejected attempt's headline
    assert html.escape(f"Hint: {NOISE_ADVICE}.") in page
    data = json.loads(render(run_dir, "json"))
    jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)
    assert data["total"]["headline"] == "No significant difference between the branch and its base after 5 rounds."
    assert data["total"]["cause"] == "noise" and data["attempts"][1]["verdict"]["cause"] == "noise"
    assert data["attempts"][1]["headline"].startswith("Undecided after 8 rounds")
    assert data["attempts"][1]["reason"].startswith("unknown: not significant")
    assert data["counts"]["outcomes"] == {"accepted": 1, "unknown (budget ran out)": 1}
    assert data["run"]["branch_removed"] is False

    r = RunRecord.load(run_dir)
    summary = RunSummary(PLAIN_RUN_ID, f"optiloop/{PLAIN_RUN_ID}", r.attempts, 2, None, "done")
    lines = closing_lines(summary, tmp_path, BASE, r.total)
    assert ("Whole workload, branch head against bbbbbbbbbb: No significant difference between the branch and its "
            "base after 5 rounds.") in lines
    assert "  statistics: no significant difference between the branch and its base: 1.16x (95% CI 0.90-2.11, 5 " \
           "interleaved rounds)" in lines
    assert any(line.startswith("  hint: this check takes only --rounds rounds") for line in lines)
    assert f"Hint for #2: {NOISE_ADVICE}" in lines  # once, for the attempts noise held back
    empty = RunSummary(PLAIN_RUN_ID, "optiloop/x", (), 0, None, "done")
    assert "No speedup was accepted, so the branch optiloop/x was removed." in closing_lines(
        empty, tmp_path, BASE, branch_removed=True)


def test_outcomes_come_from_the_verdicts_cause_never_from_its_reason(tmp_path: Path) -> None:
    noisy = plain_attempts()[1]
    assert outcome(noisy) == "unknown (budget ran out)"
    assert outcome(replace(noisy, verdict=replace(noisy.verdict, reason="slower: made up"))) == \
        "unknown (budget ran out)"  # the words of the reason no longer decide it
    old = replace(noisy, verdict=Verdict(0.8, 0.7, 0.9, True, False, "slower: 0.80x (95% CI 0.70-0.90)"))
    assert outcome(old) == "not faster"  # no cause: its words are not read (optiloop.record gives old records one)
    assert noisy.headline.startswith("Undecided") and noisy.statistics == noisy.reason
    declined = replace(plain_attempts()[0], commit=None, declined="rejected by the person")
    assert declined.headline == declined.reason == "rejected by the person" and declined.statistics == ""
