"""`optiloop mcp` driven by the MCP SDK's own stdio client on real git repositories, as a coding agent drives it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp_types import CallToolResult

from tests.cli.test_run import TEST_CMD, WORKLOAD, project
from tests.conftest import GIT_ENV, git, optiloop, snapshot

TOOLS = {"profile", "context", "evaluate", "commit", "undo", "status", "report"}
WRONG = '''A set drops the repeats in one pass.
```python
def dedupe(items):
    """Items in first-seen order, without repeats."""
    return list(set(items))
```
'''
RIGHT = '''A dict keeps the first-seen order and finds repeats in constant time.
```python
def dedupe(items):
    """Items in first-seen order, without repeats."""
    return list(dict.fromkeys(items))
```
'''
# two definitions in one block headed by their file: right in the target, wrong (a float) in `total`, which the
# tests cannot tell (3 == 3.0) but the replay of `total`'s own captured calls does
TWO_SITES = '''The dict keeps order; the float is a mistake the replay of total's calls must catch.
```python
# file: pkg/core.py
def dedupe(items):
    """Items in first-seen order, without repeats."""
    return list(dict.fromkeys(items))


def total(items):
    return float(sum(items))
```
'''
# the dedupe project of `optiloop run`'s tests, with dedupe a larger share of the workload, so that the right
# candidate's speedup stands well clear of the noise floor of a busy machine
BENCH = '''\
from pkg.core import dedupe, total

data = [(i * 7919) % 1500 for i in range(6000)]
for _ in range(6):
    out = dedupe(data)
print(len(out), out[:3], total(out))
'''
Progress = Callable[[float, float | None, str | None], Awaitable[None]]


def dedupe_project(path: Path) -> Path:
    return project(path, **{"bench.py": BENCH})


def params(repo: Path, python_on_path: dict[str, str], *more: str) -> StdioServerParameters:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(GIT_ENV)
    env.update(python_on_path)
    return StdioServerParameters(command=sys.executable, env=env, args=[
        "-m", "optiloop", "mcp", str(repo), "--workload", WORKLOAD, "--tests", TEST_CMD, "--rounds", "3", *more])


def heard(into: list[str]) -> Progress:
    async def hear(progress: float, total: float | None, message: str | None) -> None:
        into.append(message or "")

    return hear


async def call(client: Client, tool: str, arguments: dict[str, Any], progress: Progress | None = None) -> Any:
    """A tool's structured result; the call must succeed."""
    result = await client.call_tool(tool, arguments, progress_callback=progress)
    assert not result.is_error, result.content
    return result.structured_content


async def refused(client: Client, tool: str, arguments: dict[str, Any]) -> str:
    """A tool call that must fail with one line; that line."""
    result: CallToolResult = await client.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    (content,) = result.content
    text = str(getattr(content, "text", ""))
    assert text and "\n" not in text, text
    return text


def record(repo: Path) -> tuple[str, list[dict[str, Any]]]:
    (run,) = (repo / ".optiloop" / "runs").iterdir()
    return run.name, [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]


def closed_and_resumable(repo: Path, run_id: str, events: list[dict[str, Any]]) -> None:
    """The run ended as an interrupted one: its worktrees gone, its lock released, `run --resume` may take it."""
    assert events[0]["event"] == "run_started" and events[0]["mode"] == "mcp"
    assert events[-1]["event"] == "run_finished" and events[-1]["error"] == "interrupted"
    assert not (repo / ".optiloop" / "worktrees" / run_id).exists()
    assert not (repo / ".optiloop" / "runs" / run_id / "lock").exists()
    assert git(repo, "worktree", "list").count("\n") == 1


async def bad_inputs(client: Client) -> None:
    """Each refused in one line, before anything is tried."""
    ok = {"target": "1", "reply": RIGHT, "rationale": "dict.fromkeys"}
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("evaluate", {**ok, "target": "../outside.py::dedupe"}, "`../outside.py` is outside the project"),
        ("evaluate", {**ok, "target": "/etc/passwd::root"}, "`/etc/passwd` is outside the project"),
        ("evaluate", {**ok, "target": "pkg/nope.py::dedupe"}, "there is no file `pkg/nope.py` in the project"),
        ("evaluate", {**ok, "target": "pkg/co\u0000re.py::dedupe"}, "is not a path of the project"),
        ("evaluate", {**ok, "target": "pkg/core.py::missing"}, "no hot target is called 'pkg/core.py::missing'"),
        ("evaluate", {**ok, "target": "7"}, "there is no target 7"),
        ("evaluate", {**ok, "reply": RIGHT + "#" * 300_000}, "at most 200,000 are accepted"),
        ("evaluate", {**ok, "reply": "def dedupe(items):\n    return items\n"}, "no fenced ```python block"),
        ("evaluate", {**ok, "reply": "```python\ndef other():\n    pass\n```\n"}, "does not define `dedupe`"),
        ("evaluate", {**ok, "rationale": "  \n "}, "the rationale is empty"),
        ("evaluate", {"target": "1", "reply": RIGHT}, "bad arguments for evaluate: `rationale`: Field required"),
        ("commit", {"attempt": "first"}, "bad arguments for commit: `attempt`"),
        ("commit", {"attempt": 1}, "there is no attempt 1: 0 attempt(s) so far"),
        ("undo", {}, "nothing to undo"),
        ("context", {"target": "x" * 2000}, "the target name is 2,000 characters long"),
    ]
    for tool, arguments, expected in cases:
        assert expected in await refused(client, tool, arguments), (tool, arguments)


def test_an_agent_profiles_evaluates_and_commits_and_the_checkout_stays_as_it_was(
        tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = dedupe_project(tmp_path / "repo")
    (repo / "notes.txt").write_text("untracked, must survive\n")
    before = snapshot(repo)
    main = git(repo, "rev-parse", "main").strip()
    lines: list[str] = []

    async def session() -> tuple[dict[str, Any], dict[str, Any]]:
        async with Client(params(repo, python_on_path), read_timeout_seconds=600) as client:
            listed = {t.name: t for t in (await client.list_tools()).tools}
            assert set(listed) == TOOLS
            assert all(t.output_schema and t.description for t in listed.values())
            schema = listed["evaluate"].input_schema
            assert set(schema["required"]) == {"target", "reply", "rationale"}
            assert schema["properties"]["reply"]["maxLength"] == 200_000
            assert "Call `profile` first" in (client.instructions or "")  # how to use the tools well

            profile = await call(client, "profile", {}, heard(lines))
            assert [t["target"] for t in profile["targets"]][:1] == ["pkg/core.py::dedupe"]
            assert profile["baseline_seconds"] > 0 and profile["noise_floor"] is not None
            assert profile["branch"] == f"optiloop/{profile['run_id']}"
            assert any("baseline" in line for line in lines)  # progress while the run opened
            context = await call(client, "context", {"target": "pkg.core.dedupe"})
            assert "seen.append(x)" in context["source"] and "fenced ```python block" in context["contract"]
            assert "Make `dedupe` in `pkg/core.py` faster." in context["prompt"]
            assert any("test_dedupe" in t for t in context["covering_tests"])

            await bad_inputs(client)
            assert (await call(client, "status", {}))["evaluations"] == 0

            lines.clear()
            wrong = await call(client, "evaluate", {"target": "1", "reply": WRONG, "rationale": "a set"}, heard(lines))
            assert wrong["attempt"] == 1 and wrong["accepted"] is False and wrong["verdict"] is None
            assert wrong["headline"].startswith("replay failed") and not wrong["checks"][-1]["passed"]
            assert "changed its behaviour" in wrong["feedback"] and "list(set(items))" in wrong["feedback"]
            assert any(line.startswith("candidate 1 · pkg/core.py::dedupe") for line in lines)
            assert "attempt 1 was not accepted (replay failed" in await refused(client, "commit", {"attempt": 1})
            assert "evaluated already, as attempt 1" in await refused(
                client, "evaluate", {"target": "1", "reply": WRONG, "rationale": "a set, again"})
            two = await call(client, "evaluate", {"target": "1", "reply": TWO_SITES, "rationale": "two sites"})
            assert two["attempt"] == 2 and two["accepted"] is False, two["headline"]
            assert two["checks"][-1]["name"] == "replay" and not two["checks"][-1]["passed"]
            assert two["checks"][-1]["detail"].startswith("`total`: ")  # the target's own replay passed

            right = await call(client, "evaluate", {"target": "pkg/core.py::dedupe", "reply": RIGHT,
                                                    "rationale": "dict.fromkeys: ordered, O(1) lookups"})
            assert right["attempt"] == 3 and right["accepted"] is True, right["headline"]
            assert right["verdict"]["outcome"] == "FASTER" and right["verdict"]["ci_low"] > 1.0
            assert [c["name"] for c in right["checks"]][-1] == "full suite" and all(
                c["passed"] for c in right["checks"])
            status = await call(client, "status", {})
            assert status["awaiting_commit"] == 3 and status["attempts"][-1]["outcome"] == "awaiting commit"
            assert git(repo, "rev-parse", f"optiloop/{profile['run_id']}").strip() == main  # nothing yet
            committed = await call(client, "commit", {"attempt": 3})
            assert "is committed already" in await refused(client, "commit", {"attempt": 3})
            report = await call(client, "report", {})
            assert "pkg.core.dedupe" in report["markdown"] and ", mcp, running)" in report["markdown"]
            return profile, committed

    profile, committed = anyio.run(session)

    branch = f"optiloop/{profile['run_id']}"
    assert committed["branch"] == branch and git(repo, "rev-parse", branch).strip() == committed["sha"]
    assert committed["subject"].startswith("Speed up `pkg.core.dedupe`")
    message = git(repo, "log", "-1", "--format=%B", branch)
    run_trailer = f"Optiloop-Run: {profile['run_id']}"
    for trailer in ("Optiloop-Model: mcp:", "Optiloop-Target: pkg/core.py::dedupe", run_trailer):
        assert trailer in message
    assert "dict.fromkeys" in git(repo, "show", f"{branch}:pkg/core.py")
    assert snapshot(repo) == before
    run_id, events = record(repo)
    attempts = [e["attempt"] for e in events if e["event"] == "attempt"]
    assert [(a["number"], a["commit"]) for a in attempts] == [(1, None), (2, None), (3, committed["sha"])]
    assert attempts[2]["candidate"]["origin"].startswith("mcp:")
    assert [(c["path"], c["qualname"]) for c in attempts[1]["edit"]["changes"]] == [
        ("pkg/core.py", "dedupe"), ("pkg/core.py", "total")]
    closed_and_resumable(repo, run_id, events)


def test_an_accepted_attempt_waits_for_commit_and_a_closed_connection_leaves_the_run_resumable(
        tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = dedupe_project(tmp_path / "repo")
    before = snapshot(repo)

    async def session() -> None:
        async with Client(params(repo, python_on_path, "--max-iterations", "1"), read_timeout_seconds=600) as client:
            right = await call(client, "evaluate", {"target": "1", "reply": RIGHT, "rationale": "dict.fromkeys"})
            assert right["accepted"] is True, right["headline"]
            spent = await refused(client, "evaluate", {"target": "1", "reply": WRONG, "rationale": "a set"})
            assert "no more evaluations in this run: reached --max-iterations 1" in spent
            assert "attempt 1 is the one that waits" in await refused(client, "commit", {"attempt": 3})
            assert (await call(client, "status", {}))["awaiting_commit"] == 1  # bad input set nothing aside

    anyio.run(session)

    run_id, events = record(repo)
    (attempt,) = [e["attempt"] for e in events if e["event"] == "attempt"]
    assert attempt["commit"] is None and attempt["declined"] == (
        "set aside: the agent closed the connection without committing it")
    closed_and_resumable(repo, run_id, events)
    assert git(repo, "rev-parse", f"optiloop/{run_id}").strip() == git(repo, "rev-parse", "main").strip()
    assert snapshot(repo) == before

    resumed = optiloop("run", "--resume", run_id, str(repo), env=python_on_path)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming run {run_id} after 1 recorded attempt(s)" in resumed.stderr
    assert "reached --max-iterations 1" in resumed.stdout + resumed.stderr
    assert snapshot(repo) == before


def test_a_cancelled_evaluation_is_stopped_and_closing_mid_evaluation_stops_the_run(
        tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = dedupe_project(tmp_path / "repo")
    before = snapshot(repo)
    evaluate = {"target": "1", "reply": RIGHT, "rationale": "dict.fromkeys"}

    async def session() -> None:
        async with Client(params(repo, python_on_path), read_timeout_seconds=600) as client:
            await call(client, "profile", {})
            with anyio.CancelScope() as scope:
                async def cancel_at_replay(progress: float, total: float | None, message: str | None) -> None:
                    if "replay" in (message or ""):
                        scope.cancel()

                await client.call_tool("evaluate", evaluate, progress_callback=cancel_at_replay)
            assert scope.cancelled_caught
            status = await call(client, "status", {})  # the server goes on; the stopped candidate left nothing
            assert status["evaluations"] == 0 and status["attempts"] == []
            async with anyio.create_task_group() as tg:
                async def close_when_measuring(progress: float, total: float | None, message: str | None) -> None:
                    if "measuring" in (message or ""):
                        tg.cancel_scope.cancel()

                tg.start_soon(client.call_tool, "evaluate", evaluate, None, close_when_measuring)

    anyio.run(session)

    run_id, events = record(repo)
    kinds = [e["event"] for e in events]
    assert kinds.count("candidate") == 2 and "attempt" not in kinds
    closed_and_resumable(repo, run_id, events)
    assert snapshot(repo) == before


def test_a_run_that_cannot_open_answers_every_call_with_why_and_exits_2(
        tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = dedupe_project(tmp_path / "repo")
    (repo / "pkg" / "core.py").write_text("# changed\n")
    before = snapshot(repo)
    errlog = tmp_path / "stderr.txt"

    async def session() -> None:
        with open(errlog, "w") as err:
            async with Client(stdio_client(params(repo, python_on_path), errlog=err)) as client:
                assert {t.name for t in (await client.list_tools()).tools} == TOOLS
                for tool in ("profile", "status"):
                    why = await refused(client, tool, {})
                    assert "could not open the run: 1 tracked file(s) have uncommitted changes" in why
                    assert "--allow-dirty" in why

    anyio.run(session)
    assert errlog.read_text().count("\n") == 1 and "optiloop: 1 tracked file(s)" in errlog.read_text()
    assert snapshot(repo) == before and not (repo / ".optiloop").exists()

    server = params(repo, python_on_path)
    child = subprocess.Popen([server.command, *server.args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=server.env)
    assert child.stderr is not None and child.stdin is not None
    assert "uncommitted changes" in child.stderr.readline()  # said as soon as it is known
    child.stdin.close()
    assert child.wait(timeout=60) == 2
    assert snapshot(repo) == before and not (repo / ".optiloop").exists()
