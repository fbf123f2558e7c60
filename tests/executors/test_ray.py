"""``--executor ray`` end to end on a real local Ray cluster (127.0.0.1, two worker processes): the same commits
as ``--executor local``, a worker process killed mid-candidate survived, the user's checkout untouched.

Marked ``ray`` (``pytest -m "not ray"`` leaves them out); one cluster serves the module's tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from optiloop.executors.ray import Tasks, connect
from optiloop.executors.remote import Done
from optiloop.measure import cachegrind
from tests.cli.test_resume_kill import kill_when, start
from tests.cli.test_run import TEST_CMD, WORKLOAD, project
from tests.conftest import git, optiloop, snapshot
from tests.executors.raycluster import local_cluster
from tests.executors.test_jobs_e2e import WRONG
from tests.executors.test_remote import BROKEN, FASTER, bundle, job
from tests.models.fakeserver import SET_REPLY

pytest.importorskip("ray")
pytestmark = pytest.mark.ray

# The project's tests start with this: run under a Ray worker (one of its ancestors), it SIGKILLs that worker
# process, once per marker file ("always": every time), as a worker dying mid-candidate would.
KILLER = '''\
import os, signal, sys


def ancestors():
    pid = os.getppid()
    while pid > 1:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmd = fh.read().replace(b"\\0", b" ").decode(errors="replace")
            with open(f"/proc/{pid}/stat") as fh:
                parent = int(fh.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            return
        yield pid, cmd
        pid = parent


for pid, cmd in ancestors():
    if cmd.startswith("ray::") or "default_worker.py" in cmd:
        if sys.argv[1] != "always":
            try:
                os.close(os.open(sys.argv[1], os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                break
        os.kill(pid, signal.SIGKILL)
        break
'''
# dedupe is most of this workload's time, so the profile's share of it (and what the Amdahl check allows) does not
# depend on how busy the machine is, and the wall-time guard sees the gain
BENCH = '''\
from pkg.core import dedupe, total

data = [(i * 7919) % 2000 for i in range(6000)]
out = dedupe(data)
print(len(out), out[:3], total(out))
'''
NO_SECRET = '''\
import os
import unittest


class EnvTests(unittest.TestCase):
    def test_no_secret_of_the_head(self):
        self.assertNotIn("DEPLOY_SECRET_TOKEN", os.environ)
'''


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    with local_cluster(num_cpus=2) as address:
        yield address


def events(repo: Path) -> list[dict[str, object]]:
    (run,) = (repo / ".optiloop" / "runs").iterdir()
    return [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]


def run(repo: Path, replies: Path, kill: str, env: dict[str, str], *more: str) -> None:
    tests = f"python killer.py {kill} && python -m unittest discover -s tests -q"
    done = optiloop("run", str(repo), "--workload", "python bench.py", "--tests", tests, "--rounds", "3",
                    "--model", f"scripted:{replies}", *more, env=env)
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(cachegrind.available() is None, reason="valgrind is not installed")
def test_ray_commits_what_local_commits_and_survives_a_killed_worker(
        tmp_path: Path, cluster: str, python_on_path: dict[str, str]) -> None:
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps([WRONG, SET_REPLY]))
    env = {**python_on_path, "DEPLOY_SECRET_TOKEN": "hunter2"}
    found = {}
    for executor in ("local", "ray"):
        files = {"bench.py": BENCH, "killer.py": KILLER, "tests/test_env.py": NO_SECRET}
        repo = project(tmp_path / f"{executor:_<5}", **files)  # paths of one length: a count depends on it
        before = snapshot(repo)
        run(repo, replies, str(tmp_path / f"killed-{executor}"), env, "--max-iterations", "2", "--candidates", "2",
            "--measure", "cycles", "--jobs", "2", "--executor", executor, "--ray-address", cluster)
        assert snapshot(repo) == before
        recorded = events(repo)
        attempts = [(e["attempt"]["candidate"]["new_source"], e["accepted"],  # type: ignore[index]
                     (e["attempt"]["verdict"] or {}).get("cause")) for e in recorded  # type: ignore[index]
                    if e["event"] == "attempt"]
        counts = {e["label"]: e["cycles"] for e in recorded if e["event"] == "cost"
                  and str(e["label"]).startswith("cand-")}
        notes = [str(e["text"]) for e in recorded if e["event"] == "note"]
        (branch,) = git(repo, "branch", "--list", "optiloop/*").split()
        log = git(repo, "log", "--format=%s|%(trailers:key=Optiloop-Target,valueonly)", f"main..{branch}")
        found[executor] = (attempts, counts, log, notes)
    (local, local_counts, local_log, _), (ray, ray_counts, ray_log, ray_notes) = found["local"], found["ray"]
    assert ray == local and [(accepted, cause) for _, accepted, cause in ray] == [(False, None), (True, "faster")]
    assert ray_log == local_log and "pkg/core.py::dedupe" in ray_log  # the same commit
    assert not (tmp_path / "killed-local").exists() and (tmp_path / "killed-ray").exists()  # one worker was killed
    assert any("failed" in n and "evaluating it once more" in n for n in ray_notes), ray_notes
    assert set(ray_counts) == set(local_counts) and ray_counts
    for label, cycles in local_counts.items():  # a worker counts what this machine counts
        assert abs(cycles - ray_counts[label]) / cycles < 1e-5, label


def test_a_candidate_whose_worker_dies_twice_is_recorded_as_failed(
        tmp_path: Path, cluster: str, python_on_path: dict[str, str]) -> None:
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps([SET_REPLY]))
    repo = project(tmp_path / "repo", **{"killer.py": KILLER})
    before = snapshot(repo)
    run(repo, replies, "always", python_on_path, "--max-iterations", "1", "--measure", "time", "--executor", "ray",
        "--ray-address", cluster)
    assert snapshot(repo) == before
    (attempt,) = [e for e in events(repo) if e["event"] == "attempt"]
    last = attempt["attempt"]["checks"][-1]  # type: ignore[index]
    assert not attempt["accepted"] and last["name"] == "worker" and not last["passed"]
    assert "failed twice" in last["detail"]
    assert not git(repo, "branch", "--list", "optiloop/*").strip()  # nothing committed: the branch is gone


def test_a_killed_head_resumes_without_running_again_what_was_recorded(
        tmp_path: Path, cluster: str, python_on_path: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """kill -9 of the head (its whole process group) once the first of two wrong candidates is recorded, while
    the second is on the cluster (``--jobs 1``); ``--resume`` goes on there with the one not recorded yet. (Both
    fail their replay: nothing is measured, which keeps the test short.)"""
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps([WRONG, WRONG.replace("list(set(items))", "sorted(set(items))")]))
    repo = project(tmp_path / "repo")
    before = snapshot(repo)
    args = ["run", str(repo), "--workload", WORKLOAD, "--tests", TEST_CMD, "--rounds", "3", "--model",
            f"scripted:{replies}", "--candidates", "2", "--max-iterations", "2", "--jobs", "1", "--measure", "time",
            "--executor", "ray", "--ray-address", cluster]
    head = start(tmp_path, args, python_on_path)

    def recorded() -> bool:
        try:
            return any(e["event"] == "attempt" for e in events(repo))
        except (OSError, ValueError):
            return False

    kill_when(head, recorded, tmp_path / "killed-run.log")
    done = optiloop("run", str(repo), "--resume", "last", env=python_on_path)
    assert done.returncode == 0 and "resuming run" in done.stderr, done.stderr
    sources = [e["attempt"]["candidate"]["new_source"] for e in events(repo)  # type: ignore[index]
               if e["event"] == "attempt"]
    assert len(sources) == 2 and len(set(sources)) == 2  # each candidate recorded once: none ran again
    assert snapshot(repo) == before


class Seen:
    """A ``Progress`` that keeps the steps it was told of."""

    def __init__(self) -> None:
        self.steps: list[str] = []

    def stage(self, name: str, target: str | None = None, candidate: int | None = None) -> None:
        pass

    def doing(self, what: str) -> None:
        self.steps.append(what)

    def step(self, done: int, total: int, unit: str = "round") -> None:
        pass

    def idle(self) -> None:
        pass


def test_tasks_come_back_in_their_order_with_progress_per_worker(
        tmp_path: Path, cluster: str, python_on_path: dict[str, str]) -> None:
    ray = connect(cluster)
    try:
        repo = project(tmp_path / "repo")
        base = git(repo, "rev-parse", "HEAD").strip()
        right = job(repo, base, base, FASTER, python_on_path, tmp_path)
        wrong = replace(job(repo, base, base, BROKEN, python_on_path, tmp_path), label="cand-2")
        seen, notes = Seen(), []
        tasks = Tasks(ray, 600, seen, notes.append)
        done = tasks.run([right, wrong], ray.put(bundle(repo, tmp_path / "b", "main")), ray.put(b""))
    finally:
        ray.shutdown()
    assert all(isinstance(d, Done) for d in done) and not notes
    first, second = (d.evaluation for d in done if isinstance(d, Done))
    assert all(c.passed for c in first.checks) and not second.checks[-1].passed  # in the order sent
    assert any(" running" in s and "queued" in s for s in seen.steps), seen.steps
    assert "0 queued, 0 running, 2 done" in seen.steps[-1]
    for d in done:  # each task's worker, with what it did
        assert isinstance(d, Done) and d.worker in seen.steps[-1]
