"""Exit codes (0 done, 1 the check found something, 2 bad input, 3 an error during the run), crashes as one
line, and ``--version``."""

from __future__ import annotations

import errno
import re
import subprocess
import sys
from pathlib import Path

import git
import pytest
import typer

from optiloop import __version__
from optiloop.cli.common import crash_log, errors_to_exit
from optiloop.errors import BadInput, CheckFailed, OptiloopError, RunFailure
from tests.conftest import ROOT, make_repo, optiloop


@pytest.mark.parametrize(("error", "code", "line"), [
    (CheckFailed("the head is 1.30x slower than the merge base"), 1, "optiloop: the head is 1.30x slower"),
    (BadInput("no workload command given", "pass --workload CMD"), 2,
     "optiloop: no workload command given — pass --workload CMD"),
    (RunFailure("the model service failed: 500"), 3, "optiloop: the model service failed: 500"),
    (OptiloopError("something went wrong"), 3, "optiloop: something went wrong"),
    (git.GitCommandError(["git", "worktree", "add"], 128, b"fatal: no space"), 3,
     "optiloop: git failed: git worktree add: "),
    (OSError(errno.ENOENT, "No such file or directory", "/gone/bench.py"), 3,
     "optiloop: No such file or directory: /gone/bench.py"),
    (KeyboardInterrupt(), 130, "optiloop: interrupted"),
])
def test_each_error_is_one_line_and_its_exit_code(error: BaseException, code: int, line: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as ended, errors_to_exit():
        raise error
    assert ended.value.exit_code == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(line)


def test_typers_own_exits_pass_through() -> None:
    with pytest.raises(typer.Exit) as ended, errors_to_exit():
        raise typer.Exit(4)
    assert ended.value.exit_code == 4


def test_a_crash_is_one_line_naming_the_file_with_its_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)  # gettempdir() reads TMPDIR again

    def broken() -> None:
        {}["missing"]  # noqa: B018 - a bug

    with pytest.raises(typer.Exit) as ended, errors_to_exit():
        broken()
    assert ended.value.exit_code == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("optiloop: internal error: KeyError: 'missing' — this is a bug in optiloop; ")
    found = re.search(r"the traceback is in (\S+), please report it", err)
    assert found is not None
    saved = Path(found.group(1))
    assert saved.parent == tmp_path and saved.name.startswith("optiloop-crash-")
    text = saved.read_text()
    assert text.startswith("Traceback") and "in broken" in text and "KeyError: 'missing'" in text


def test_crash_log_says_when_it_cannot_write(tmp_path: Path) -> None:
    assert crash_log(ValueError("x"), tmp_path / "missing-dir") is None


def test_a_crash_in_the_real_command(tmp_path: Path) -> None:
    """A bug planted in the command as it runs: the user sees one line and exit code 3, no traceback."""
    repo = make_repo(tmp_path / "repo", {"a.py": "x = 1\n"})
    script = ("import sys, optiloop.cli.runs as runs\n"
              "def boom(*args, **kwargs):\n    raise ZeroDivisionError('planted')\n"
              "runs.find_run = boom\n"
              "from optiloop.cli import main\nsys.argv = ['optiloop', 'show', 'last', '--path', sys.argv[1]]\nmain()\n")
    done = subprocess.run([sys.executable, "-c", script, str(repo)], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path), "PYTHONPATH": str(ROOT)})
    assert done.returncode == 3, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "internal error: ZeroDivisionError: planted" in done.stderr
    (saved,) = tmp_path.glob("optiloop-crash-*.txt")
    assert "ZeroDivisionError: planted" in saved.read_text() and str(saved) in done.stderr


def test_bad_usage_exits_2() -> None:
    done = optiloop("run", "--no-such-flag")
    assert done.returncode == 2 and "No such option" in done.stderr


def test_version() -> None:
    done = optiloop("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"optiloop {__version__}\n"
    assert re.search(rf'^version = "{re.escape(__version__)}"$', (ROOT / "pyproject.toml").read_text(), re.MULTILINE)
