"""Kill -9 real `optiloop run` processes at several points, resume them, and check what is left.

Each run works on test_run's small project (dedupe on a list: the set version is many times faster). The run
is its own process group; a kill takes the whole group (optiloop and the git, pyperf or test processes
it started), as a crash or an OOM kill of a container would.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.test_models_e2e import KEY, SETTINGS, respond
from tests.cli.test_run import BENCH, TEST_CMD, WORKLOAD
from tests.cli.test_run import project as full_project
from tests.conftest import GIT_ENV, git, optiloop, snapshot
from tests.models.fakeserver import Fault, serving

DEDUPE = "Optiloop-Target: pkg/core.py::dedupe"
# kills the whole process group (optiloop, git, this hook) once git has prepared the update of the
# run's branch for a commit: the commit object is written, the branch is locked but not moved yet
MID_COMMIT_HOOK = """#!/bin/sh
[ "$1" = prepared ] && [ -n "$OPTILOOP_TEST_KILL" ] || exit 0
while read -r old new ref; do
    case "$old" in 0000000000000000000000000000000000000000|"$new") continue;; esac  # made, or checked out
    case "$ref" in refs/heads/optiloop/*) kill -9 0;; esac
done
exit 0
"""
# kills the group right after a commit, before optiloop can record it
POST_COMMIT_HOOK = """#!/bin/sh
[ -n "$OPTILOOP_TEST_KILL" ] && kill -9 0
exit 0
"""


def dedupe_project(path: Path) -> Path:
    """test_run's project with one call of dedupe per workload run, on twice the items and twice the distinct
    ones (~200 ms, four times the work of one of test_run's calls), and dense profiling. dedupe's share must
    stay far above the interpreter's start-up, which a busy machine stretches: with a quarter of this work the
    gain was lost in the noise under load, and the kill points after a commit were never reached."""
    bench = BENCH.replace("range(3)", "range(1)").replace("range(6000)", "range(12000)").replace("% 1500", "% 3000")
    assert bench.count("12000") == 1 and "% 3000" in bench and "range(1)" in bench
    return full_project(path, **{"pyproject.toml": SETTINGS, "bench.py": bench})


@pytest.fixture(autouse=True)
def not_under_pytest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)


def run_args(repo: Path, *more: str) -> list[str]:
    return ["run", str(repo), "--workload", WORKLOAD, "--tests", TEST_CMD, "--rounds", "3", "--max-iterations", "2",
            *more]


def start(tmp_path: Path, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    full = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    full.update(GIT_ENV)
    full.update(env)
    logs = tmp_path / "killed-run.log"
    with open(logs, "wb") as fh:
        return subprocess.Popen([sys.executable, "-m", "optiloop", *args], env=full, stdout=fh, stderr=fh,
                                start_new_session=True)


def kill_when(proc: subprocess.Popen[bytes], ready: Callable[[], bool], log: Path, timeout: float = 240,
              kill: bool = True) -> None:
    """kill -9 the run's process group as soon as ``ready()`` (only wait for it without ``kill``); fails if
    the run ends first."""
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None:
            pytest.fail(f"the run ended (exit {proc.returncode}) before the kill point:\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail("the kill point was never reached")
        time.sleep(0.02)
    if kill:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def wait_ended(proc: subprocess.Popen[bytes], log: Path) -> None:
    """For kills made by a git hook: the group is gone by itself."""
    try:
        proc.wait(timeout=240)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("the hook never killed the run")
    assert proc.returncode == -signal.SIGKILL, log.read_text()[-3000:]


def run_dir(repo: Path) -> Path:
    runs = list((repo / ".optiloop" / "runs").iterdir())
    assert len(runs) == 1
    return runs[0]


def events(repo: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (run_dir(repo) / "events.jsonl").read_text().splitlines()]


def hook(repo: Path, name: str, text: str) -> None:
    path = repo / ".git" / "hooks" / name
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def branch_commits(repo: Path) -> list[tuple[str, str]]:
    branch = git(repo, "branch", "--list", "optiloop/*").split()[-1]
    out = git(repo, "log", "--reverse", "--format=%H%x00%B%x01", f"main..{branch}")
    return [(c.split("\0")[0].strip(), c.split("\0")[1]) for c in out.split("\x01") if c.strip()]


def check_resumed(repo: Path, before: dict[str, object], done: subprocess.CompletedProcess[str]) -> list[str]:
    """The run went on and finished: one commit per accepted speedup, each recorded once, the speedup of
    dedupe kept, no worktree or lock left, the user's checkout as it was. Returns the branch's commits."""
    assert done.returncode == 0, done.stdout + done.stderr
    assert "resuming run" in done.stderr
    assert snapshot(repo) == before
    commits = branch_commits(repo)
    assert [DEDUPE in message for _, message in commits].count(True) == 1, commits
    assert all(f"Optiloop-Run: {run_dir(repo).name}" in message for _, message in commits)
    record = events(repo)
    kinds = [str(e["event"]) for e in record]
    assert kinds.count("run_resumed") == 1 and kinds.count("run_finished") == 1
    assert kinds.index("run_resumed") < kinds.index("run_finished")
    recorded = [e["attempt"]["commit"] for e in record if e["event"] == "attempt"]  # type: ignore[index]
    shas = [sha for sha, _ in commits]
    assert sorted(c for c in recorded if c) == sorted(shas)  # every commit recorded, exactly once
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1
    assert not (repo / ".optiloop" / "worktrees" / run_dir(repo).name).exists()
    assert not (run_dir(repo) / "lock").exists()
    assert "set()" in git(repo, "show", f"{shas[0]}:pkg/core.py")
    return shas


def test_killed_mid_measurement_tries_the_candidate_again(tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = dedupe_project(tmp_path / "repo")
    before = snapshot(repo)
    proc = start(tmp_path, run_args(repo, "--model", "builtin"), python_on_path)
    measuring = lambda: any((repo / ".optiloop" / "runs").glob("*/artifacts/measure/attempt-1"))  # noqa: E731
    kill_when(proc, measuring, tmp_path / "killed-run.log")
    assert not branch_commits(repo)
    assert [e["event"] for e in events(repo)][-1] == "candidate"
    assert (run_dir(repo) / "lock").exists()  # stale now: its process is gone

    done = optiloop("run", "--resume", "last", str(repo), env=python_on_path)
    check_resumed(repo, before, done)
    numbers = [e["number"] for e in events(repo) if e["event"] == "candidate"]
    assert numbers[:2] == [1, 1]  # the cut-off attempt 1, then attempt 1 again after the resume


def test_killed_mid_model_call_asks_again_and_a_live_or_finished_run_is_refused(
        tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = dedupe_project(tmp_path / "repo")
    before = snapshot(repo)
    env = {**python_on_path, "XDG_CACHE_HOME": str(tmp_path / "cache"), "OPENAI_API_KEY": KEY}
    with serving(respond) as server:
        server.faults.append(Fault(delay=60))  # the first call stalls until the kill
        args = run_args(repo, "--model", "openai-compatible:x", "--base-url", f"{server.url}/v1")
        proc = start(tmp_path, args, env)
        try:
            kill_when(proc, lambda: len(server.requests) > 0, tmp_path / "killed-run.log", kill=False)
            record = (run_dir(repo) / "events.jsonl").read_text()
            alive = optiloop("run", "--resume", "last", str(repo), env=env)
            assert alive.returncode == 2 and f"is still running (pid {proc.pid})" in alive.stderr, alive.stderr
            refused = optiloop("undo", "--path", str(repo), env=env)
            assert refused.returncode == 2 and "is still running" in refused.stderr, refused.stderr
            assert (run_dir(repo) / "events.jsonl").read_text() == record
        finally:
            kill_when(proc, lambda: True, tmp_path / "killed-run.log")
        assert [e["event"] for e in events(repo)][-1] == "profile"  # nothing after the question was recorded
        assert (run_dir(repo) / "lock").exists()  # stale now: its process is gone
        done = optiloop("run", "--resume", "last", str(repo), env=env)
        check_resumed(repo, before, done)
        assert len(server.requests) >= 2  # asked again
    assert server.errors == []
    again = optiloop("run", "--resume", run_dir(repo).name, str(repo), env=env)
    assert again.returncode == 2 and "finished already" in again.stderr
    assert snapshot(repo) == before


def test_killed_mid_commit_makes_the_commit_once(tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = dedupe_project(tmp_path / "repo")
    before = snapshot(repo)
    hook(repo, "reference-transaction", MID_COMMIT_HOOK)
    proc = start(tmp_path, run_args(repo, "--model", "builtin"), {**python_on_path, "OPTILOOP_TEST_KILL": "1"})
    wait_ended(proc, tmp_path / "killed-run.log")
    branch = git(repo, "branch", "--list", "optiloop/*").split()[-1]
    assert (repo / ".git" / "refs" / "heads" / f"{branch}.lock").exists()  # git died holding the branch
    assert not branch_commits(repo)  # the commit object exists, but no branch points at it
    assert [e["event"] for e in events(repo)][-1] == "accepting"

    done = optiloop("run", "--resume", "last", str(repo), env=python_on_path)
    shas = check_resumed(repo, before, done)
    record = events(repo)
    assert any(e["event"] == "note" and "killed before its commit; committed now" in str(e["text"]) for e in record)
    # the attempt the kill cut short (on a busy machine an earlier candidate may have been rejected first)
    first = next(e for e in record if e["event"] == "attempt" and e.get("reconciled"))
    assert first["attempt"]["commit"] == shas[0]  # type: ignore[index]


def test_killed_after_the_commit_keeps_it_and_records_it(tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = dedupe_project(tmp_path / "repo")
    before = snapshot(repo)
    hook(repo, "post-commit", POST_COMMIT_HOOK)
    proc = start(tmp_path, run_args(repo, "--model", "builtin"), {**python_on_path, "OPTILOOP_TEST_KILL": "1"})
    wait_ended(proc, tmp_path / "killed-run.log")
    made = branch_commits(repo)
    assert len(made) == 1 and DEDUPE in made[0][1]
    assert "attempt" not in [e["event"] for e in events(repo)]

    done = optiloop("run", "--resume", "last", str(repo), env=python_on_path)
    shas = check_resumed(repo, before, done)
    assert shas[0] == made[0][0]  # the very commit the kill left, kept and not made again
    record = events(repo)
    assert any(e["event"] == "note" and "before the run was killed; recorded now" in str(e["text"]) for e in record)


def test_resume_refuses_other_settings_and_unknown_runs_in_one_line(tmp_path: Path) -> None:
    repo = dedupe_project(tmp_path / "repo")
    before = snapshot(repo)
    for args, message in [
        (["--workload", "python other.py"], "--workload cannot be given with --resume"),
        (["--allow-dirty"], "--allow-dirty cannot be given with --resume"),
        ([], "there is no unfinished run recorded in"),
    ]:
        done = optiloop("run", "--resume", "last", str(repo), "--max-iterations", "3", *args)
        assert done.returncode == 2, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and message in done.stderr, done.stderr
    unknown = optiloop("run", "--resume", "20990101-000000-abcd", str(repo))
    assert unknown.returncode == 2 and "there is no run 20990101-000000-abcd" in unknown.stderr
    assert snapshot(repo) == before and not (repo / ".optiloop").exists()
