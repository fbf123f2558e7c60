"""`optiloop run` with language models over the real SDKs, against a loopback server."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli.test_run import TEST_CMD, WORKLOAD
from tests.cli.test_run import project as full_project
from tests.conftest import git, optiloop
from tests.models.fakeserver import SET_REPLY, Fault, Seen, serving

KEY = "sk-e2e-SECRET-5f2b9c"
# test_run's project, with denser profiling (fewer profiler runs)
SETTINGS = "[tool.optiloop]\nprofile_rate = 1000\n"


def project(path: Path) -> Path:
    return full_project(path, **{"pyproject.toml": SETTINGS})


def not_under_pytest(monkeypatch: pytest.MonkeyPatch) -> None:
    """The example project's own tests must not think they run under this pytest: the covering-test finder
    reads PYTEST_CURRENT_TEST, which pytest sets afresh for each phase, so it is removed in the test body."""
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)


def respond(seen: Seen) -> str:
    """The set version for `dedupe`; any other target is sent back unchanged (a candidate that is dropped)."""
    if "`dedupe`" in seen.prompt and "was just made" not in seen.prompt:
        return SET_REPLY
    now = seen.last_user.split("its profile now", 1)[-1]  # a refinement shows the code before and now
    body = re.findall(r"```python\n(.*?)```", now, re.DOTALL)[0]
    code = "\n".join(line.split("  # ")[0] for line in body.splitlines())
    return f"Nothing better.\n```python\n{code}\n```\n"


def everything_written(repo: Path, branch: str) -> str:
    record = "".join(p.read_text(errors="replace") for p in (repo / ".optiloop").rglob("*") if p.is_file())
    return record + git(repo, "log", "-p", "--format=%H%n%B", f"main..{branch}")


def run_args(repo: Path, *more: str) -> list[str]:
    return ["run", str(repo), "--workload", WORKLOAD, "--tests", TEST_CMD, "--rounds", "3", "--max-iterations", "2",
            *more]


def events(repo: Path) -> list[dict[str, object]]:
    runs = sorted((repo / ".optiloop" / "runs").iterdir())
    return [json.loads(line) for line in (runs[-1] / "events.jsonl").read_text().splitlines()]


def test_openai_compatible_run_retries_commits_and_reruns_from_the_cache(
        tmp_path: Path, python_on_path: dict[str, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    not_under_pytest(monkeypatch)
    repo = project(tmp_path / "repo")
    env = {**python_on_path, "XDG_CACHE_HOME": str(tmp_path / "cache"), "OPENAI_API_KEY": KEY}
    with serving(respond) as server:
        server.faults += [Fault(429, {"Retry-After": "1"}), Fault(500)]
        args = run_args(repo, "--model", "openai-compatible:x", "--base-url", f"{server.url}/v1")
        done = optiloop(*args, env=env)
        assert done.returncode == 0, done.stderr
        calls = len(server.requests)
        assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in server.requests)
        branch = git(repo, "branch", "--list", "optiloop/*").split()[0]
        log = git(repo, "log", "--format=%B", f"main..{branch}")
        assert "Optiloop-Model: openai-compatible:x" in log, done.stdout + done.stderr
        assert "Optiloop-Target: pkg/core.py::dedupe" in log
        proposals = [e for e in events(repo) if e["event"] == "proposals"]
        assert proposals[0]["spent"]["retries"] == 2  # type: ignore[index]
        assert f"Model: {calls - 2} call(s) and 0 from the cache" in done.stdout
        for text in (everything_written(repo, branch), done.stdout, done.stderr):
            assert KEY not in text
        tried = [e["source"] for e in events(repo) if e["event"] == "candidate"]
        first_request = server.requests[0].body

        again = optiloop(*args, env=env)
        assert again.returncode == 0, again.stderr
        # the rerun tried the very same candidates, the first ones from the cache for free
        assert [e["source"] for e in events(repo) if e["event"] == "candidate"][:len(tried)] == tried
        cached = re.search(r"Model: (\d+) call\(s\) and (\d+) from the cache", again.stdout)
        assert cached is not None and int(cached[2]) >= 1, again.stdout
        # the first request was not sent again (later ones carry this run's verdicts and commits, so they differ)
        assert [r.body for r in server.requests[calls:]].count(first_request) == 0
    assert server.errors == []


def test_anthropic_run_stops_at_max_cost(tmp_path: Path, python_on_path: dict[str, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    not_under_pytest(monkeypatch)
    repo = project(tmp_path / "repo")
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"anthropic:claude-test": {"input": 300.0, "output": 1500.0}}))
    with serving(respond) as server:
        env = {**python_on_path, "XDG_CACHE_HOME": str(tmp_path / "cache"), "ANTHROPIC_API_KEY": KEY,
               "ANTHROPIC_BASE_URL": server.url, "OPTILOOP_PRICES": str(prices)}
        done = optiloop(*run_args(repo, "--model", "anthropic:claude-test", "--max-cost", "0.05", "--no-cache"),
                        env=env)
    assert done.returncode == 0, done.stderr
    assert [r.path for r in server.requests] == ["/v1/messages"]
    assert "Stopped: spent the --max-cost budget ($0." in done.stdout
    assert "Committed 1 speedup(s)" in done.stdout
    assert not (tmp_path / "cache" / "optiloop").exists()  # --no-cache
    branch = git(repo, "branch", "--list", "optiloop/*").split()[0]
    assert KEY not in everything_written(repo, branch) + done.stdout + done.stderr


def test_a_missing_key_is_one_line_naming_the_fix(tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = project(tmp_path / "repo")
    before = git(repo, "status", "--porcelain", "--ignored")
    missing = optiloop(*run_args(repo, "--model", "openai:gpt-4o"), env=python_on_path)
    assert missing.returncode == 2 and missing.stderr.strip().count("\n") == 0
    assert "No key found for openai:gpt-4o" in missing.stderr and "--model builtin" in missing.stderr
    assert "Traceback" not in missing.stderr
    assert git(repo, "status", "--porcelain", "--ignored") == before and not (repo / ".optiloop").exists()
    # a rejected key (401/403) is tested against the real SDKs in tests/models/test_chat.py
