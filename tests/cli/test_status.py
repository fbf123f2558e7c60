"""The status line: when it is drawn at all, what it says, and that it says it on a real terminal."""

from __future__ import annotations

import io
import os
import re
import sys
from pathlib import Path

import pexpect
import pytest
from rich.console import Console, Group
from rich.text import Text

from optiloop.cli import common
from optiloop.cli.status import StatusLine, elapsed, status_line, wanted
from optiloop.progress import NO_PROGRESS
from tests.cli.test_run import project, run_args
from tests.conftest import GIT_ENV, optiloop


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def terminal(**extra: object) -> Console:
    return Console(file=io.StringIO(), force_terminal=True, width=120, **extra)  # type: ignore[arg-type]


def test_drawn_only_on_a_terminal_and_not_when_quiet() -> None:
    assert wanted(terminal(), quiet=False)
    assert not wanted(terminal(), quiet=True)
    assert not wanted(Console(file=io.StringIO()), quiet=False)  # a pipe or a file
    assert not wanted(terminal(_environ={"TERM": "dumb"}), quiet=False)
    with status_line(console=terminal()) as status:
        assert isinstance(status, StatusLine)
    with status_line(quiet=True, console=terminal()) as status:
        assert status is NO_PROGRESS
    with status_line(console=Console(file=io.StringIO())) as status:
        assert status is NO_PROGRESS


def test_quiet_drops_the_progress_lines_until_the_command_ends(capsys: pytest.CaptureFixture[str]) -> None:
    with status_line(quiet=True, console=Console(file=io.StringIO())):
        common.progress("hidden line")
    common.progress("shown line")
    with status_line(quiet=False, console=Console(file=io.StringIO())):
        common.progress("piped line")  # no status line, the progress lines as ever
    err = capsys.readouterr().err
    assert "hidden line" not in err and "shown line" in err and "piped line" in err


def test_the_line_says_stage_candidate_target_step_and_both_times() -> None:
    clock = Clock()
    line = StatusLine(terminal(), clock=clock)
    clock.now += 3
    line.stage("baseline")
    line.doing("measuring")
    line.step(3, 5)
    clock.now += 12
    assert line.text() == "baseline · measuring round 3/5 · 12s (run 15s)"
    line.stage("candidate", "pkg/core.py::dedupe", 7)
    line.doing("replay")
    clock.now += 125
    assert line.text() == "candidate 7 · pkg/core.py::dedupe · replay · 2m05s (run 2m20s)"
    line.doing("measuring")
    line.step(7, 20)
    assert line.text().startswith("candidate 7 · pkg/core.py::dedupe · measuring round 7/20 · 0s (run")
    line.stage("asking the model", "pkg/core.py::total")
    clock.now += 3600 + 61
    assert line.text() == "asking the model · pkg/core.py::total · 1h01m (run 1h03m)"
    line.stage("measuring the whole run")
    line.step(1, 3)
    assert line.text().startswith("measuring the whole run · round 1/3 · 0s")


def test_elapsed() -> None:
    assert [elapsed(s) for s in (0, 7.9, 60, 125, 3599, 3600, 7322)] == ["0s", "7s", "1m00s", "2m05s", "59m59s",
                                                                         "1h00m", "2h02m"]


def test_shown_once_something_took_a_second_then_kept_until_idle() -> None:
    clock = Clock()
    line = StatusLine(terminal(), clock=clock)
    assert isinstance(line.render(), Group)  # nothing begun: nothing drawn
    line.stage("profiling")
    clock.now += 0.5
    assert not line.due() and isinstance(line.render(), Group)
    clock.now += 0.5
    assert line.due()
    drawn = line.render()
    assert isinstance(drawn, Text) and "profiling · 1s" in drawn.plain
    line.doing("finding the covering tests")  # a new step does not hide it again (no flicker)
    assert line.due()
    line.idle()  # a person reads: off, until something takes a second again
    line.stage("asking the model", "pkg/core.py::dedupe")
    assert not line.due()
    clock.now += 1
    assert line.due()
    line.close()


def test_drawn_on_the_terminal_and_taken_off_at_the_end() -> None:
    console = terminal()
    line = StatusLine(console, delay=0.0)
    line.stage("candidate", "pkg/core.py::dedupe", 2)
    line.doing("tests")
    line.close()  # the live display draws once more as it stops, then erases itself (transient)
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    assert "candidate 2 · pkg/core.py::dedupe · tests · 0s" in shown
    assert "\x1b[2K" in shown  # the line was erased
    assert line.text().startswith("candidate 2")


def test_what_stdout_prints_on_the_same_terminal_goes_above_the_line() -> None:
    screen = io.StringIO()
    err = Console(file=screen, force_terminal=True, width=120)
    out = Console(file=screen, force_terminal=True, width=120)
    line = StatusLine(err, delay=0.0, also=[out])
    line.stage("candidate", "pkg/core.py::dedupe", 1)
    out.print("a diff the session shows")
    drawn = screen.getvalue()
    printed = drawn.index("a diff the session shows")
    assert "candidate 1 · pkg/core.py::dedupe" in drawn[printed:]  # the line is drawn (again) below it
    line.close()
    out.print("after")  # no hook left behind
    assert "candidate 1" not in screen.getvalue()[screen.getvalue().index("after"):]


def test_a_run_in_a_real_terminal_shows_the_line_and_a_pipe_never_does(
        tmp_path: Path, python_on_path: dict[str, str]) -> None:
    """A terminal (a pty) gets the live line, e.g. while the baseline is measured; the same run piped gets
    none of it, only the progress lines. The workload sleeps, so measuring the baseline takes over a second."""
    bench = "import time\nfrom pkg.core import dedupe\n\ntime.sleep(0.2)\nprint(len(dedupe(list(range(300)))))\n"
    repo = project(tmp_path / "repo", **{"bench.py": bench})
    env = {**{k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}, **GIT_ENV,
           **python_on_path, "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    child = pexpect.spawn(sys.executable, ["-m", "optiloop", *run_args(repo, "--max-iterations", "1")], env=env,
                          encoding="utf-8", timeout=400, dimensions=(40, 200))
    child.expect(r"baseline · measuring round \d/5 · \d+s \(run \d+s\)")
    child.sendintr()  # seen: Ctrl-C ends the run, and the line goes with it
    child.expect_exact("optiloop: interrupted")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130, child.before
    piped = optiloop(*run_args(repo, "--max-iterations", "1"), env=python_on_path)
    assert piped.returncode == 0, piped.stderr
    assert "measuring the baseline and profiling the workload" in piped.stderr
    assert not re.search(r"baseline · measuring round|\x1b\[\?25l", piped.stderr + piped.stdout)
