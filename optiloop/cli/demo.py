"""``optiloop demo``: the whole loop on an example project, offline, with the builtin model."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer

from optiloop import vcs
from optiloop.app import prepare
from optiloop.cli.common import errors_to_exit, progress, say
from optiloop.cli.execute import execute
from optiloop.cli.options import MeasureKind
from optiloop.cli.status import status_line
from optiloop.errors import BadInput, RunFailure
from optiloop.resources import data_dir

DEFAULT_EXAMPLE = "wordfreq"


def examples() -> list[str]:
    return sorted(p.name for p in data_dir("examples").iterdir() if (p / "pyproject.toml").is_file())


def copy_example(name: str, parent: Path) -> Path:
    """The example as a fresh git repository with one commit, inside ``parent``."""
    source = data_dir("examples") / name
    dest = parent / name
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".optiloop"))
    vcs.init_repo(dest, f"The {name} example, as shipped with optiloop")
    return dest


def demo(
    example: Annotated[str, typer.Option(help="Which example project to optimize.")] = DEFAULT_EXAMPLE,
    max_iterations: Annotated[Optional[int], typer.Option(help="Most candidates to try.")] = None,
    rounds: Annotated[Optional[int], typer.Option(help="A/B rounds at the first look (up to 4x if unclear).")] = None,
    directory: Annotated[Optional[Path], typer.Option(help="Where to put the demo repository.")] = None,
    measure: MeasureKind = None,
) -> None:
    """Copy an example into a new git repository and speed it up with the offline builtin model."""
    with errors_to_exit(), status_line() as status:
        if example not in examples():
            raise BadInput(f"there is no example called '{example}'", f"choose one of: {', '.join(examples())}")
        parent = Path(tempfile.mkdtemp(prefix="optiloop-demo-", dir=directory))
        repo = copy_example(example, parent)
        say(f"Demo repository: {repo} (a copy of optiloop's '{example}' example)")
        # The example's commands say `python`: make that the interpreter optiloop runs on.
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
        flags = {"model": "builtin", "max_iterations": max_iterations, "rounds": rounds, "measure": measure}
        prepared = prepare(repo, flags, extra_env={"PATH": path}, mode="demo", progress=status)
        progress("model: builtin (offline catalog of verified rewrites; no key needed)")
        summary = execute(prepared)
        if not summary.accepted:
            raise RunFailure("the demo found no speedup it could prove on this machine",
                             "the machine may be too busy to measure; run `optiloop demo` again")
