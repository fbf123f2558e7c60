"""``optiloop init``: write the ``[tool.optiloop]`` table a project needs, then say what to run next.

The test command and the workload come from the flags, else from the project's files
(``optiloop.detect``), else from a question when stdin is a terminal; without a terminal a missing
one is an error that names the flag. The workload runs once before anything is written, so a broken
command never lands in the file. The table is appended to ``pyproject.toml`` (made when missing): the
bytes already there stay as they are, and an existing ``[tool.optiloop]`` is never touched.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import git
import typer

from optiloop import proc
from optiloop.cli.common import errors_to_exit, progress, say
from optiloop.cli.status import status_line
from optiloop.config import Settings
from optiloop.detect import Found, runner_commands, workload_commands
from optiloop.errors import BadInput
from optiloop.progress import WORKLOAD, Progress

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

TABLE = "tool.optiloop"
TIMEOUT = float(Settings.model_fields["timeout"].default)  # a run's own limit for one workload run
SLOW = 60.0  # seconds: a workload this slow makes every measurement long


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string."""
    escapes = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
    out = []
    for ch in text:
        if ch in escapes:
            out.append(escapes[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def table_text(workload: str, tests: str, newline: str = "\n") -> str:
    lines = ["[tool.optiloop]", f"workload = {toml_string(workload)}", f"tests = {toml_string(tests)}"]
    return newline.join(lines) + newline


def new_pyproject(old: bytes | None, workload: str, tests: str) -> bytes:
    """``old`` (None: no file) with the table appended. Bad input when ``old`` is not TOML, already has a
    ``[tool.optiloop]``, or cannot take one at its end (``tool`` is an inline table)."""
    try:
        text = "" if old is None else old.decode("utf-8")
        tool = tomllib.loads(text).get("tool", {})
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BadInput(f"pyproject.toml is not valid TOML ({exc})", "fix it, then run `optiloop init` again") from None
    if isinstance(tool, dict) and "optiloop" in tool:
        raise BadInput("pyproject.toml already has a [tool.optiloop] table; optiloop init never overwrites it",
                       "edit the table yourself, or remove it to run `optiloop init` again")
    newline = "\r\n" if "\r\n" in text else "\n"
    gap = "" if not text else newline if text.endswith("\n") else newline * 2
    added = text + gap + table_text(workload, tests, newline)
    try:
        tomllib.loads(added)
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"a [tool.optiloop] table cannot be added at the end of pyproject.toml ({exc})",
                       f"add it yourself: {table_text(workload, tests).strip()!r}") from None
    return added[len(text):].encode("utf-8")


LOOKED = {"--tests": "no pytest or unittest tests, tox, nox or `make test`",
          "--workload": "no bench.py, no benchmarks/ folder with scripts"}


def choose(given: str | None, found: list[Found], what: str, flag: str, example: str) -> tuple[str, str]:
    """(command, where it came from): the flag, the first thing found, or the answer to a question."""
    if given:
        return given, f"from {flag}"
    if found:
        others = [f"`{f.command}`" for f in found[1:]]
        also = f"; also possible: {', '.join(others)}" if others else ""
        return found[0].command, f"found {found[0].why}{also}"
    if sys.stdin.isatty():
        answer = str(typer.prompt(f"No {what} found. Which command runs it? (e.g. {example})")).strip()
        if answer:
            return answer, "as you said"
    raise BadInput(f"no {what} found in the project ({LOOKED[flag]})",
                   f"pass {flag} CMD, e.g. {flag} \"{example}\" (or run `optiloop init` in a terminal to be asked)")


def try_workload(cmd: str, project: Path, timeout: float, status: Progress) -> float:
    """Run the workload once, as a run would (no secrets, the project first on the path); its seconds."""
    progress(f"running the workload once: {cmd}")
    status.stage(WORKLOAD)
    done = proc.run(cmd, project, proc.project_env(proc.child_env(), project), timeout)
    status.idle()
    if not done.ok:
        raise BadInput(f"the workload `{cmd}` fails ({done.why()}); nothing was written",
                       "fix it, or pass --workload with a command that runs from the project directory")
    return done.seconds


def next_steps(project: Path, pyproject: Path) -> list[str]:
    try:
        repo = git.Repo(project, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return ["Next: make the project a git repository with a first commit (optiloop works on a branch of "
                "its own): `git init && git add -A && git commit -m start`, then run `optiloop run`."]
    rel = pyproject.resolve().relative_to(Path(repo.working_dir).resolve()).as_posix()
    tracked = bool(repo.git.ls_files("--", rel).strip())
    lines = [f"Next: commit {pyproject.name} (`git commit -am \"Configure optiloop\"`, or --allow-dirty), "
             "then run `optiloop run`." if tracked else "Next: run `optiloop run`."]
    return [*lines, "Or `optiloop session` to pick the targets and steer each candidate yourself."]


def init(
    path: Annotated[Path, typer.Argument(help="The project's directory (where pyproject.toml is).")] = Path("."),
    workload: Annotated[Optional[str], typer.Option(help="Shell command that exercises the code.")] = None,
    tests: Annotated[Optional[str], typer.Option(help="Shell command that runs the project's tests.")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds the workload's trial run may take.")] = TIMEOUT,
) -> None:
    """Set up a project: the tool.optiloop table of pyproject.toml, with its test command and workload."""
    with errors_to_exit(), status_line() as status:
        project = path.resolve()
        if not project.is_dir():
            raise BadInput(f"{path} is not a directory", "pass the project's directory")
        pyproject = project / "pyproject.toml"
        old = pyproject.read_bytes() if pyproject.is_file() else None
        new_pyproject(old, "", "")  # refuses before any question: not TOML, or a table already there
        test_cmd, test_why = choose(tests, runner_commands(project), "test command", "--tests", "pytest -q")
        work_cmd, work_why = choose(workload, workload_commands(project), "workload", "--workload", "python bench.py")
        seconds = try_workload(work_cmd, project, timeout, status)
        added = new_pyproject(old, work_cmd, test_cmd)
        with open(pyproject, "ab") as fh:  # appended: what was there stays byte for byte
            fh.write(added)
        say(f"{'Added' if old is not None else 'Wrote'} [tool.optiloop] to {pyproject}:")
        say(f"  workload = {toml_string(work_cmd)}   ({work_why})")
        say(f"  tests = {toml_string(test_cmd)}   ({test_why})")
        say(f"The workload ran once in {seconds:.2f} s.")
        if seconds > SLOW:
            say("It is slow to measure: each measurement round runs it twice; a smaller input makes a run faster.")
        for line in next_steps(project, pyproject):
            say(line)
