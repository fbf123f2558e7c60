"""A record written by the release before versions existed (version 0) still reads, with the same facts.

The fixture is a real run's record (``optiloop demo --max-iterations 2 --measure time``, written by the
optiloop before ``optiloop.record``): one accepted attempt (whose replay was weak evidence: one real call) and
one rejected as not significant. Its ``accepting`` event holds the commit message that optiloop wrote.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from optiloop.record import Accepting, AttemptRecorded, RunLog, find_run
from optiloop.report import render
from optiloop.report.commit import checks_passed, commit_message
from optiloop.report.record import RunRecord, calls_replayed, outcome
from optiloop.resume import restored_attempts
from tests.conftest import make_repo, optiloop

RUN_ID = "20261204-001921-83b0"
FIXTURE = Path(__file__).parent / "fixtures" / RUN_ID


def laid_out(root: Path, change: dict[str, object] | None = None) -> Path:
    """The fixture as a run of the repository at ``root``; ``change`` updates every attempt's verdict."""
    run_dir = root / ".optiloop" / "runs" / RUN_ID
    run_dir.mkdir(parents=True)
    shutil.copy(FIXTURE / "summary.json", run_dir)
    lines = []
    for line in (FIXTURE / "events.jsonl").read_text().splitlines():
        data = json.loads(line)
        if change and data["event"] == "attempt" and data["attempt"]["verdict"]:
            data["attempt"]["verdict"].update(change)
        lines.append(json.dumps(data))
    (run_dir / "events.jsonl").write_text("\n".join(lines) + "\n")
    return run_dir


def test_the_fixture_has_no_version_and_every_event_reads() -> None:
    raw = [json.loads(line) for line in (FIXTURE / "events.jsonl").read_text().splitlines()]
    assert all("version" not in e for e in raw)
    log = RunLog.read(FIXTURE)
    assert log.version == 0 and len(log.events) == len(raw)
    assert log.finished and log.start.mode == "demo" and log.start.settings["max_iterations"] == 2


def test_facts_only_in_words_then_are_fields_now() -> None:
    accepted, rejected = RunLog.read(FIXTURE).attempts()
    replay = next(c for c in accepted.checks if c.name == "replay")
    assert (replay.replayed, replay.weak) == (1, True) and calls_replayed(accepted) == 1
    assert {c.name: c.seconds for c in accepted.checks if c.seconds is not None} == {"covering tests": 0.2,
                                                                                     "full suite": 0.2}
    assert checks_passed(accepted.checks).endswith("covering tests (0.2 s), workload, full suite (0.2 s)")
    assert outcome(accepted) == "accepted" and outcome(rejected) == "not significant"


def test_the_commit_message_made_from_the_record_is_the_one_it_wrote() -> None:
    (accepting,) = RunLog.read(FIXTURE).all(Accepting)
    a = accepting.attempt
    assert a.verdict is not None
    again = commit_message(a.candidate, a.verdict, a.checks, "builtin", RUN_ID)
    assert again == accepting.message and "Weak evidence: few real calls" in again


def test_verdicts_older_still_without_a_cause_are_classified_by_their_first_words(tmp_path: Path) -> None:
    run_dir = laid_out(tmp_path, {"cause": ""})
    _, rejected = RunLog.read(run_dir).attempts()
    assert rejected.verdict is not None and rejected.verdict.cause == "not-significant"
    assert outcome(rejected) == "not significant"
    run_dir = laid_out(tmp_path / "screen", {"cause": "", "stopped": "", "reason": "quick screen (3 rounds) ..."})
    assert outcome(RunLog.read(run_dir).attempts()[1]) == "stopped at the quick screen"
    run_dir = laid_out(tmp_path / "unknown", {"cause": "", "outcome": "", "reason": "unknown: not significant"})
    assert outcome(RunLog.read(run_dir).attempts()[1]) == "unknown (budget ran out)"


def test_the_report_resume_and_undo_read_it(tmp_path: Path) -> None:
    run_dir = laid_out(tmp_path)
    r = RunRecord.load(run_dir)
    assert (r.status, r.mode, len(r.attempts), len(r.accepted)) == ("finished", "demo", 2, 1)
    assert r.total is not None and r.total.cause == "faster" and r.noise is not None and r.noise.rounds == 5
    assert r.profiles[0].addressable is not None and r.model_calls == 0
    md = render(run_dir, "md")
    assert "| 1 | `wordfreq.text.unique_words` | **4.05x** |" in md
    assert "1 rejected attempt(s): 1 not significant." in md
    data = json.loads(render(run_dir, "json"))
    assert [a["calls_replayed"] for a in data["attempts"]] == [1, 1]
    log = find_run(tmp_path, "last")
    assert [a.number for a in restored_attempts(log)] == [1, 2] and log.all(AttemptRecorded)[0].accepted


def test_show_prints_it(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.py": "x = 1\n"})
    laid_out(repo)
    done = optiloop("show", "last", "--path", str(repo), "--verbose", env={"COLUMNS": "250"})
    assert done.returncode == 0, done.stderr
    assert f"run {RUN_ID}: finished, demo" in done.stdout and "not significant" in done.stdout
    assert "1 of 2 attempt(s) accepted" in done.stdout
