"""`optiloop session` driven through a pseudo-terminal, as a person would drive it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from tests.conftest import GIT_ENV, git, make_repo, optiloop, snapshot
from tests.models.fakeserver import SET_REPLY, FakeModelServer, serving

CORE = '''\
def dedupe(items):
    """Items in first-seen order, without repeats."""
    seen = []
    for x in items:
        if x not in seen:
            seen.append(x)
    return seen
'''

TESTS = '''\
import unittest

from pkg.core import dedupe


class CoreTests(unittest.TestCase):
    def test_dedupe(self):
        self.assertEqual(dedupe([3, 1, 3, 2, 1]), [3, 1, 2])
'''

BENCH = '''\
from pkg.core import dedupe

data = [(i * 7919) % 1500 for i in range(5000)]
for _ in range(3):
    out = dedupe(data)
print(len(out), out[:3])
'''

WRONG_REPLY = '''A set is all it takes.
```python
def dedupe(items):
    """Items in first-seen order, without repeats."""
    return list(set(items))
```
'''

EDITED = '''def dedupe(items):
    """Items in first-seen order, without repeats."""
    return list(dict.fromkeys(items))
'''

EDITOR = '''\
import sys
from pathlib import Path

copy_to, edited, given = map(Path, sys.argv[1:])  # $EDITOR's own arguments, then the file to edit
copy_to.write_text(given.read_text())
given.write_text(edited.read_text())
'''

HINT = "keep the order with dict.fromkeys"
WORKLOAD = "python bench.py"
TEST_CMD = "python -m unittest discover -s tests -q"
PROMPT = "optiloop> "


def project(path: Path) -> Path:
    return make_repo(path, {"pkg/__init__.py": "", "pkg/core.py": CORE, "tests/test_core.py": TESTS,
                            "bench.py": BENCH, "pyproject.toml": "[tool.optiloop]\nprofile_rate = 1000\n"})


def session_env(python_on_path: dict[str, str], **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != "PYTEST_CURRENT_TEST"}
    return {**base, **GIT_ENV, **python_on_path, "TERM": "dumb", "NO_COLOR": "1", **extra}


def spawn(env: dict[str, str], *args: str) -> pexpect.spawn:
    child = pexpect.spawn(sys.executable, ["-m", "optiloop", "session", *args], env=env, encoding="utf-8",
                          timeout=240, dimensions=(60, 200))
    child.logfile_read = sys.stdout  # shown by pytest when a test fails
    return child


def send(child: pexpect.spawn, line: str, expect: str = PROMPT) -> str:
    """Type a command, wait for ``expect``; returns what the session printed in between. Waiting for a
    question, the main prompt instead fails at once (e.g. a candidate the measurement turned down)."""
    child.sendline(line)
    found = child.expect_exact([expect, PROMPT] if expect != PROMPT else [expect])
    assert found == 0, f"expected {expect!r} after {line!r}, got the prompt after: {child.before}"
    return str(child.before)


def interrupt_at_prompt(child: pexpect.spawn) -> None:
    """Ctrl-C at the prompt, which must cancel the line and show the prompt again. CPython's readline only
    notices a SIGINT that arrives while it waits in select(); one that lands in the instant between
    printing the prompt and that wait is seen at the next key, so a second Ctrl-C is sent after a pause, as
    a person would press it again."""
    for _ in range(3):
        child.sendintr()
        if child.expect_exact([PROMPT, pexpect.TIMEOUT], timeout=15) == 0:
            return
    status = Path(f"/proc/{child.pid}/status").read_text() if Path(f"/proc/{child.pid}/status").exists() else ""
    signals = [line for line in status.splitlines() if line.startswith(("Sig", "Shd", "Threads", "State"))]
    tty = subprocess.run(["ps", "-o", "pid,pgid,tpgid,stat,cmd", "--ppid", str(child.pid), "-p", str(child.pid)],
                         capture_output=True, text=True).stdout
    raise AssertionError(f"no prompt after Ctrl-C: {child.before!r}\n{signals}\n{tty}")


def record(repo: Path) -> tuple[str, list[dict[str, object]]]:
    (run,) = (repo / ".optiloop" / "runs").iterdir()
    return run.name, [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]


def commands(events: list[dict[str, object]]) -> list[str]:
    return [f"{e['command']} {e['argument']}".strip() for e in events if e["event"] == "session_command"]


@pytest.fixture
def server() -> Iterator[FakeModelServer]:
    with serving() as fake:
        yield fake


def test_pick_hint_reject_retry_refused_accept_edit_accept_diff_undo_quit(
        tmp_path: Path, python_on_path: dict[str, str], server: FakeModelServer) -> None:
    repo = project(tmp_path / "repo")
    before = snapshot(repo)
    (tmp_path / "editor.py").write_text(EDITOR)
    (tmp_path / "edited.py").write_text(EDITED)
    editor = f"{sys.executable} {tmp_path / 'editor.py'} {tmp_path / 'given.py'} {tmp_path / 'edited.py'}"
    server.replies += [SET_REPLY, WRONG_REPLY]
    child = spawn(session_env(python_on_path, EDITOR=editor), str(repo), "--workload", WORKLOAD, "--tests",
                  TEST_CMD, "--rounds", "3", "--model", "openai-compatible:fake", "--base-url", f"{server.url}/v1",
                  "--no-cache")

    child.expect_exact(PROMPT)
    assert "pkg.core.dedupe" in str(child.before) and "share" in str(child.before)
    shown = send(child, "pick 1", "accept candidate 1? ")
    assert "+    seen = set()" in shown and "Keep a set beside the list" in shown and "speedup" in shown
    assert "✓ replay" in shown and "✓ full suite" in shown
    assert HINT in send(child, f"hint {HINT}", "accept candidate 1? ")
    assert "candidate 1 not committed: rejected by the person" in send(child, "reject")
    assert len(server.requests) == 1 and HINT not in server.requests[0].prompt

    shown = send(child, "retry")
    assert "list(set(items))" in shown and "not committed" in shown
    assert len(server.requests) == 2
    assert f"A person working on this code adds: {HINT}" in server.requests[1].prompt
    assert "cannot be accepted" in send(child, "accept")

    shown = send(child, "edit", "accept candidate 3? ")
    assert (tmp_path / "given.py").read_text().count("list(set(items))") == 1  # the editor got candidate 2
    assert "edited by a person" in shown and "dict.fromkeys" in shown
    assert "committed candidate 3 as" in send(child, "accept")
    assert "+    return list(dict.fromkeys(items))" in send(child, "diff")
    run_id, events = record(repo)
    branch = f"optiloop/{run_id}"
    committed = git(repo, "rev-parse", branch).strip()
    assert committed != git(repo, "rev-parse", "main").strip()
    assert "\nOptiloop-Model: human\n" in git(repo, "log", "-1", "--format=%B", committed)  # a person's edit

    assert f"dropped {committed[:10]}" in send(child, "undo")
    assert "nothing accepted yet" in send(child, "diff")
    child.sendline("quit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    out = str(child.before)
    assert "Stopped: the person ended the session." in out
    assert f"No speedup was accepted, so the branch {branch} was removed." in out

    _, events = record(repo)
    assert commands(events) == ["pick 1", f"hint {HINT}", "reject", "retry", "accept", "edit", "accept", "diff",
                                "undo", "diff", "quit"]
    attempts = [e["attempt"] for e in events if e["event"] == "attempt"]
    assert [a["candidate"]["origin"] for a in attempts] == ["openai-compatible:fake"] * 2 + ["edited by a person"]
    assert attempts[0]["declined"] == "rejected by the person" and attempts[0]["commit"] is None
    assert attempts[1]["commit"] is None and attempts[2]["commit"] == committed
    assert [e["commit"] for e in events if e["event"] == "undo"] == [committed]
    assert events[0]["mode"] == "session" and events[-1]["event"] == "run_finished"
    assert events[-1]["branch_removed"] is True and git(repo, "branch", "--list", branch) == ""  # all undone
    assert not (repo / ".optiloop" / "worktrees" / run_id).exists()
    assert snapshot(repo) == before


def test_builtin_session_completion_history_ctrl_c_and_resume_after_a_kill(
        tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = project(tmp_path / "repo")
    env = session_env(python_on_path)
    child = spawn(env, str(repo), "--workload", WORKLOAD, "--tests", TEST_CMD, "--rounds", "3", "--model", "builtin")
    child.expect_exact(PROMPT)
    child.send("pi\t")  # tab completes the command
    child.expect_exact("pick ")
    shown = send(child, "1", "accept candidate 1? ")
    assert "builtin:" in shown and "dedupe-list-to-set" in shown
    assert "has to wait" in send(child, "undo", "accept candidate 1? ")
    assert "committed candidate 1 as" in send(child, "accept")
    interrupt_at_prompt(child)  # Ctrl-C at the prompt cancels the line, not the session
    run_id, events = record(repo)
    branch = f"optiloop/{run_id}"
    committed = git(repo, "rev-parse", branch).strip()
    assert "Optiloop-Run: " + run_id in git(repo, "log", "-1", "--format=%B", branch)
    os.kill(child.pid, signal.SIGKILL)  # the terminal is gone: no summary, worktrees left behind
    child.expect(pexpect.EOF)
    child.close()
    assert (repo / ".optiloop" / "worktrees" / run_id).exists()
    assert "pick 1" in (repo / ".optiloop" / "session_history").read_text()

    child = spawn(env, str(repo), "--resume", "last")
    child.expect_exact(PROMPT)
    assert f"resuming run {run_id}" in str(child.before) and "accepted" in str(child.before)
    child.send("\x10")  # Ctrl-P: the history of the killed session is there
    child.expect_exact("accept")
    assert "there is no candidate to accept yet" in send(child, "")  # a new process has none on screen yet
    interrupt_at_prompt(child)  # Ctrl-C reaches git's helper processes too: git still works afterwards
    assert f"dropped {committed[:10]}" in send(child, "undo")
    send(child, "pick 1", "next candidate for pkg.core.dedupe")
    child.sendintr()  # Ctrl-C during a step abandons the candidate, not the session
    child.expect_exact("interrupted: that step was abandoned")
    child.expect_exact(PROMPT)
    child.sendeof()  # Ctrl-D quits
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert "No speedup was accepted" in str(child.before)
    _, events = record(repo)
    assert [e["event"] for e in events].count("run_resumed") == 1
    assert commands(events)[-4:] == ["accept", "undo", "pick 1", "quit"]
    assert [e["event"] for e in events].count("attempt") == 1  # the abandoned candidate left no attempt
    assert [e["commit"] for e in events if e["event"] == "undo"] == [committed]
    assert git(repo, "branch", "--list", branch) == ""  # nothing left on it: removed
    assert not (repo / ".optiloop" / "worktrees" / run_id).exists()

    child = spawn(env, str(repo), "--resume", "last")  # a session the person quit can be continued too
    child.expect_exact(PROMPT)
    assert f"resuming run {run_id}" in str(child.before)
    assert git(repo, "rev-parse", branch).strip() == git(repo, "rev-parse", "main").strip()  # made again
    child.sendline("quit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    _, events = record(repo)
    assert [e["event"] for e in events].count("run_resumed") == 2 and events[-1]["event"] == "run_finished"


def test_resume_takes_no_other_settings(tmp_path: Path) -> None:
    repo = project(tmp_path / "repo")
    before = snapshot(repo)
    done = optiloop("session", str(repo), "--resume", "last", "--model", "builtin")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--model cannot change" in done.stderr
    assert snapshot(repo) == before and not (repo / ".optiloop").exists()
