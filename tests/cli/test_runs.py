"""`optiloop runs`, `optiloop show` and `optiloop report` on recorded runs in a real git repository."""

from __future__ import annotations

import json
from pathlib import Path

from optiloop.measure.plain import NOISE_ADVICE
from optiloop.report import render
from tests.conftest import make_repo, optiloop
from tests.report.records import COMMIT_1, RUN_ID, write_plain_record, write_record

OLDER = "20250101-000000-aaaa"


def repo_with_runs(tmp_path: Path) -> Path:
    repo = make_repo(tmp_path / "repo", {"pkg/core.py": "x = 1\n"})
    write_record(repo, run_id=OLDER, total=False, finished=False)
    write_record(repo)
    return repo


def test_runs_lists_newest_first_as_a_table_and_as_json(tmp_path: Path) -> None:
    repo = repo_with_runs(tmp_path)
    table = optiloop("runs", str(repo))
    assert table.returncode == 0, table.stderr
    assert table.stdout.index(RUN_ID) < table.stdout.index(OLDER)
    assert "4.10x (3.60-4.60)" in table.stdout and "2/5: 3.20x, 1.50x" in table.stdout and "$0.0244" in table.stdout
    assert "interrupted" in table.stdout and "finished" in table.stdout
    rows = json.loads(optiloop("runs", str(repo), "--json").stdout)
    assert [r["id"] for r in rows] == [RUN_ID, OLDER]
    assert rows[0]["total"]["speedup"] == 4.1 and rows[0]["accepted"] == 2 and rows[1]["total"] is None
    assert rows[0]["accepted_speedups"] == [3.2, 1.5]
    assert rows[1]["status"] == "interrupted"


def test_show_prints_each_attempt_with_its_verdict_and_reason(tmp_path: Path) -> None:
    repo = repo_with_runs(tmp_path)  # records written before verdicts had headlines
    done = optiloop("show", "last", "--path", str(repo), env={"COLUMNS": "80"})  # CI's width when piped
    assert done.returncode == 0, done.stderr
    assert f"run {RUN_ID}: finished" in done.stdout
    assert "pkg.core.slow_sum" in done.stdout and "pkg.shop.Shop.total" in done.stdout  # names are never folded
    assert "noise floor 1.03x (A/A, 5 rounds)" in done.stdout
    for text in ("Faster: 3.20x.", "Slower: 0.80x.", "did not apply", "tests failed", "no python block",
                 "total: Faster: 4.10x."):
        assert text in done.stdout
    assert "2.90-3.50" not in done.stdout and "CI" not in done.stdout  # the statistics wait for --verbose
    verbose = optiloop("show", "last", "--path", str(repo), "--verbose")
    for text in ("3.20x", "2.90-3.50 (99.06%)", "statistics: faster: 3.20x (99.06% CI 2.90-3.50",
                 "statistics: the branch is faster than its base: 4.10x"):
        assert text in verbose.stdout
    older = optiloop("show", "2025", "--path", str(repo))
    assert older.returncode == 0 and f"run {OLDER}: interrupted" in older.stdout


def test_show_leads_with_plain_sentences_and_says_what_to_do_about_noise(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"pkg/core.py": "x = 1\n"})
    write_plain_record(repo)
    done = optiloop("show", "--path", str(repo))
    assert done.returncode == 0, done.stderr
    assert "Faster: 1.50x, at least 1.50x with 95% confidence (--min-speedup 1.05)." in done.stdout
    assert "Undecided after 8 rounds: no significant difference (the interval reaches down to 0.98x)." in done.stdout
    assert "total: No significant difference between the branch and its base after 5 rounds." in done.stdout
    assert f"hint for #2: {NOISE_ADVICE}" in done.stdout and "1.05x (95% CI" not in done.stdout
    assert "1.16" not in done.stdout  # a figure whose interval includes 1.0 never leads
    verbose = optiloop("show", "--path", str(repo), "-v")
    assert "statistics: unknown: not significant: 1.05x (95% CI 0.98-1.14" in verbose.stdout
    assert f"hint: {NOISE_ADVICE}" in verbose.stdout and "hint for #2" not in verbose.stdout
    assert "statistics: no significant difference between the branch and its base: 1.16x" in verbose.stdout


def test_report_prints_each_format_or_writes_it_to_a_file(tmp_path: Path) -> None:
    repo = repo_with_runs(tmp_path)
    run_dir = repo / ".optiloop" / "runs" / RUN_ID
    md = optiloop("report", "--path", str(repo))
    assert md.returncode == 0 and md.stdout == render(run_dir, "md") and COMMIT_1[:10] in md.stdout
    out = tmp_path / "report.html"
    html = optiloop("report", RUN_ID, "--path", str(repo), "--format", "html", "--output", str(out))
    assert html.returncode == 0 and html.stdout == ""
    assert out.read_text() == render(run_dir, "html")
    data = json.loads(optiloop("report", OLDER, "--path", str(repo), "--format", "json").stdout)
    assert data["run"]["id"] == OLDER and data["run"]["status"] == "interrupted"


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    repo = repo_with_runs(tmp_path)
    empty = make_repo(tmp_path / "empty", {"a.py": ""})
    cases = [
        (("show", "nope", "--path", str(repo)), "there is no run nope"),
        (("report", "--path", str(empty)), "no optiloop runs recorded"),
        (("runs", str(tmp_path / "missing")), "does not exist"),
        (("report", "--path", str(repo), "--format", "pdf"), "unknown report format 'pdf'"),
        (("report", "--path", str(repo), "--output", str(tmp_path / "no" / "dir" / "r.md")), "does not exist"),
    ]
    for args, message in cases:
        done = optiloop(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stdout == ""
        assert len(done.stderr.strip().splitlines()) == 1 and message in done.stderr, done.stderr
    assert not (tmp_path / "no").exists()
    listed = optiloop("runs", str(empty))
    assert listed.returncode == 0 and "No optiloop runs recorded" in listed.stdout
