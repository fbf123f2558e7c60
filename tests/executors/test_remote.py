"""The worker's half of ``--executor ray`` without a cluster: ``remote.evaluate`` on real git bundles, in this
process, as a Ray worker runs it; and ``--executor ray`` refused as bad input before anything is made."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from optiloop import proc
from optiloop.baseline import run_env
from optiloop.config import load_settings
from optiloop.executors import remote
from optiloop.executors.remote import Job, Shipped, evaluate, same_length
from optiloop.types import Candidate, Hotspot, Target, Workload
from optiloop.verify import GateSettings
from tests.cli.test_run import CORE, TEST_CMD, project, run_args
from tests.conftest import git, optiloop, snapshot
from tests.executors.raycluster import free_ports
from tests.executors.test_jobs_e2e import WRONG
from tests.models.fakeserver import SET_REPLY

FASTER = CORE.replace('''    seen = []
    for x in items:
        if x not in seen:
            seen.append(x)
    return seen''', '''    seen = set()
    out = []
    for x in items:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out''')
BROKEN = CORE.replace("    return seen\n", "    return list(set(items))\n", 1)


@pytest.fixture
def places() -> Iterator[None]:
    yield
    remote._drop_places()  # what an exiting worker process does


def bundle(repo: Path, out: Path, *revs: str) -> bytes:
    git(repo, "bundle", "create", "-q", str(out), *revs)
    return out.read_bytes()


def job(repo: Path, head: str, base: str, module: str, python_on_path: dict[str, str], tmp: Path) -> Job:
    workload = Workload("python bench.py")
    env = run_env(Workload("python bench.py", ".", tuple(python_on_path.items())))
    expected = subprocess.run(["python", "bench.py"], cwd=repo, capture_output=True, text=True,
                              env={**env, "PYTHONPATH": str(repo)}).stdout
    gate = GateSettings(TEST_CMD, workload, expected, 120, tmp / "artifacts", replay_calls=0)
    run = Shipped("r1", "", str(repo), str(tmp / "head-root"), proc.HOOKS_ROOT, env, {}, None, gate)
    target = Target(Hotspot("dedupe", "pkg/core.py", 1, 0.5, 0.5), "", CORE)
    candidate = Candidate(target, module, "", "scripted")
    return Job(run, base, head, candidate, {"pkg/core.py": module}, {}, None, "cand-1")


def test_a_worker_builds_the_run_from_bundles_and_verifies_there(
        tmp_path: Path, python_on_path: dict[str, str], places: None) -> None:
    repo = project(tmp_path / "repo")
    base = git(repo, "rev-parse", "HEAD").strip()
    first = bundle(repo, tmp_path / "base.bundle", "main")
    done = evaluate(job(repo, base, base, FASTER, python_on_path, tmp_path), first, b"")
    assert all(c.passed for c in done.evaluation.checks) and done.evaluation.checks[-1].name == "workload"
    (place,) = remote._PLACES.values()
    assert len(str(place.repo.working_dir)) == len(str(repo))  # a count reaches the paths' length
    bad = evaluate(job(repo, base, base, BROKEN, python_on_path, tmp_path), first, b"")
    assert not bad.evaluation.checks[-1].passed  # the reused place was reset to the head for the next candidate
    (repo / "NOTES").write_text("a commit after the base\n")
    git(repo, "add", "NOTES")
    git(repo, "commit", "-q", "-m", "notes")
    head = git(repo, "rev-parse", "HEAD").strip()
    tip = bundle(repo, tmp_path / "tip.bundle", "main", f"^{base}")
    again = evaluate(job(repo, head, base, FASTER, python_on_path, tmp_path), first, tip)
    assert all(c.passed for c in again.evaluation.checks)
    assert (Path(place.ws.tree_dir("candidate")) / "NOTES").is_file()  # the new head's tree
    assert snapshot(repo)["head"] == head


def test_same_length_matches_the_head_when_it_can(tmp_path: Path) -> None:
    assert len(str(same_length(tmp_path, len(str(tmp_path)) + 12))) == len(str(tmp_path)) + 12
    assert same_length(tmp_path, 3) == tmp_path / "r"


def test_captures_are_written_with_their_meta_pointing_at_the_copies(tmp_path: Path) -> None:
    meta = json.dumps({"path": "/head/artifacts/captures/k/calls.pkl", "module": "pkg.core"}).encode()
    remote.write_captures(tmp_path, {"k/meta.json": meta, "k/calls.pkl": b"data"})
    assert json.loads((tmp_path / "k" / "meta.json").read_text())["path"] == str(tmp_path / "k" / "calls.pkl")
    assert (tmp_path / "k" / "calls.pkl").read_bytes() == b"data"


@pytest.mark.parametrize("more, said", [
    ((), "--executor ray needs the address of a Ray cluster"),
    (("--ray-address", "127.0.0.1:{port}"), "cannot reach the Ray cluster at 127.0.0.1:"),
    (("--executor", "dask"), "bad value for 'executor'"),
])
def test_executor_ray_refused_before_anything_is_made(tmp_path: Path, python_on_path: dict[str, str],
                                                       more: tuple[str, ...], said: str) -> None:
    pytest.importorskip("ray")
    repo = project(tmp_path / "repo")
    before = snapshot(repo)
    (port,) = free_ports(1)
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps([WRONG, SET_REPLY]))
    args = [a.format(port=port) for a in ("--executor", "ray", *more)]
    done = optiloop(*run_args(repo, "--model", f"scripted:{replies}", *args), env={**python_on_path, "RAY_ADDRESS": ""})
    assert done.returncode == 2 and said in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert snapshot(repo) == before and not (repo / ".optiloop").exists()


def test_the_executor_is_a_setting_like_the_others(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.optiloop]\nexecutor = "ray"\nray-address = "10.0.0.5:6379"\n')
    settings = load_settings(tmp_path, {})
    assert (settings.executor, settings.ray_address) == ("ray", "10.0.0.5:6379")
    assert load_settings(tmp_path, {"executor": "local"}).executor == "local"  # a flag wins
    assert load_settings(tmp_path / "none", {}, environ={"OPTILOOP_EXECUTOR": "ray"}).executor == "ray"
    assert load_settings(tmp_path / "none", {}, environ={}).executor == "local"  # the default
