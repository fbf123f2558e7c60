"""Reports of a real short ``optiloop run`` on a copy of the wordfreq example: the numbers in the Markdown,
JSON and HTML reports are the ones in events.jsonl, the terminal points to the HTML report, and the HTML
renders in a real headless browser (Debian's chromium)."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from optiloop import report
from optiloop.report import render
from optiloop.types import fmt_ratio
from tests.conftest import git, optiloop

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


class RealRun:
    def __init__(self, repo: Path, done: subprocess.CompletedProcess[str]) -> None:
        self.repo = repo
        self.done = done
        runs = sorted((repo / ".optiloop" / "runs").iterdir())
        assert len(runs) == 1
        self.dir = runs[0]
        self.events: list[dict[str, Any]] = [
            json.loads(line) for line in (self.dir / "events.jsonl").read_text().splitlines() if line.strip()]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event"] == kind]

    @property
    def accepted(self) -> list[dict[str, Any]]:
        return [e["attempt"] for e in self.of("attempt") if e["accepted"]]


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> RealRun:
    """`optiloop demo` on the wordfreq example (the README's first command): a real short run whose record
    the reports are checked against. tests/cli/test_demo.py runs the other examples."""
    done = optiloop("demo", "--example", "wordfreq", "--rounds", "3", "--max-iterations", "2",
                    "--directory", str(tmp_path_factory.mktemp("real")), timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    repo = Path(re.search(r"Demo repository: (\S+)", done.stdout).group(1))  # type: ignore[union-attr]
    return RealRun(repo, done)


def test_the_demo_commits_a_measured_speedup(real_run: RealRun) -> None:
    done, repo = real_run.done, real_run.repo
    branch = re.search(r"to branch (optiloop/\S+):", done.stdout)
    assert branch, done.stdout
    log = git(repo, "log", "--format=%B", f"main..{branch.group(1)}")
    assert "Optiloop-Speedup:" in log and "Optiloop-Model: builtin" in log
    assert re.search(r"  [0-9a-f]{10}  \S+  \d+\.\d+x \(\d+(\.\d+)?% CI ", done.stdout)
    assert f"git -C {repo} log --stat" in done.stdout and f"git -C {repo} diff" in done.stdout
    assert git(repo, "status", "--porcelain") == ""


def test_the_run_ends_pointing_to_its_html_report(real_run: RealRun) -> None:
    html = real_run.dir / "report.html"
    assert real_run.done.stdout.rstrip().splitlines()[-1] == f"Report: {html}"
    assert html.read_text() == render(real_run.dir, "html")
    assert (real_run.dir / "report.md").read_text() == render(real_run.dir, "md")
    kinds = [e["event"] for e in real_run.events]
    if real_run.accepted:  # the total is measured once, before run_finished, and only after a commit
        assert kinds.count("total") == 1 and kinds.index("total") < kinds.index("run_finished")
    else:
        assert "total" not in kinds


def test_numbers_in_every_format_are_those_of_the_run_record(real_run: RealRun) -> None:
    md = render(real_run.dir, "md")
    page = render(real_run.dir, "html")
    data = json.loads(render(real_run.dir, "json"))
    jsonschema.validate(data, json.loads((Path(report.__file__).parent / "schema.json").read_text()),
                        cls=jsonschema.Draft202012Validator)
    recorded = [e["attempt"] for e in real_run.of("attempt")]
    assert [a["number"] for a in data["attempts"]] == [a["number"] for a in recorded]
    for mine, theirs in zip(data["attempts"], recorded, strict=True):
        assert mine["commit"] == theirs["commit"]
        assert mine["reason"] == next(e["reason"] for e in real_run.of("attempt")
                                      if e["attempt"]["number"] == theirs["number"])
        if theirs["verdict"] is not None:
            assert mine["verdict"]["speedup"] == theirs["verdict"]["speedup"]
            assert mine["verdict"]["ci_low"] == theirs["verdict"]["ci_low"]
    assert data["counts"]["accepted"] == len(real_run.accepted)
    assert data["baseline"]["mean"] == real_run.of("baseline")[0]["measurement"]["mean"]
    for a in real_run.accepted:
        v = a["verdict"]
        cell = f"**{fmt_ratio(v['speedup'])}x** | {fmt_ratio(v['ci_low'])}-{fmt_ratio(v['ci_high'])}"
        assert cell in md
        assert a["commit"][:10] in md and a["commit"][:10] in page
        assert f"{fmt_ratio(v['speedup'])}x" in page
    totals = real_run.of("total")
    if totals:
        t = totals[0]["verdict"]
        assert data["total"]["speedup"] == t["speedup"] and data["total"]["ci_high"] == t["ci_high"]
        if t["ci_low"] > 1.0 or t["ci_high"] < 1.0:
            assert f"**Total workload speedup: {fmt_ratio(t['speedup'])}x** (" in md
        else:  # never the lead when its interval includes 1.0: it goes with the statistics
            assert "**Total workload speedup: no significant difference** (" in md
            assert f"({fmt_ratio(t['speedup'])}x, 95% CI" in md
        assert data["total"]["headline"] == t["headline"] and t["headline"].endswith(".")
        assert f"{fmt_ratio(t['speedup'])}x" in page and "measured total" in page
        assert totals[0]["base"] == real_run.of("run_started")[0]["base"]
        assert t["baseline"] is not None and len(t["baseline"]["samples"]) == 3  # the run's --rounds
    else:
        assert data["total"] is None and "Total workload speedup:** none" in md
    assert md.count("<details>") == len(real_run.accepted)


def test_runs_show_and_report_on_the_real_run(real_run: RealRun, tmp_path: Path) -> None:
    listed = optiloop("runs", str(real_run.repo), "--json")
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert row["id"] == real_run.dir.name and row["status"] == "finished"
    assert row["accepted"] == len(real_run.accepted) and row["mode"] == "demo"
    shown = optiloop("show", "last", "--path", str(real_run.repo))
    assert shown.returncode == 0, shown.stderr
    assert f"run {real_run.dir.name}: finished" in shown.stdout
    recorded = real_run.of("attempt")
    assert f"{len(real_run.accepted)} of {len(recorded)} attempt(s) accepted" in shown.stdout
    names = [e["attempt"]["candidate"]["target"]["hotspot"]["qualname"] for e in recorded]
    assert all(name in shown.stdout for name in names), shown.stdout
    out = tmp_path / "r.json"
    written = optiloop("report", real_run.dir.name, "--path", str(real_run.repo), "--format", "json",
                       "--output", str(out))
    assert written.returncode == 0, written.stderr
    assert out.read_text() == render(real_run.dir, "json")


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium)")
def test_the_html_report_renders_in_headless_chromium(real_run: RealRun, tmp_path: Path) -> None:
    assert CHROMIUM is not None
    html = real_run.dir / "report.html"
    base = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}"]
    shot = tmp_path / "report.png"
    done = subprocess.run([*base, f"--screenshot={shot}", "--window-size=1280,2400", html.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert _png_size(shot) == (1280, 2400)
    dom = subprocess.run([*base, "--dump-dom", html.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert f"optiloop run <code>{real_run.dir.name}</code>" in dom.stdout
    assert dom.stdout.count('<svg class="flame"') == (2 if real_run.accepted else 1)
    assert dom.stdout.count('<svg class="chart"') == 1
    assert "Rejected attempts" in dom.stdout and "Accepted changes" in dom.stdout
