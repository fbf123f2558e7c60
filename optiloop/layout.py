"""Real projects as they are laid out: the project's own interpreter, a setup step, and proof that the
code the tests and the workload run is the worktree's.

- ``--python PATH``: a directory holding ``python`` and ``python3`` shims that exec PATH goes first on
  the children's ``PATH`` (then PATH's own directory, for the ``pytest``, ``tox``... installed beside it),
  so every command and optiloop's replay helper run in the project's interpreter, never optiloop's.
  The shims are scripts, not symlinks: a virtual environment is recognised from the path of the
  executable it was started as.
- ``--setup CMD`` runs once in each worktree before anything else; the untracked files it makes are
  kept when the candidate tree is reset.
- ``ImportProbe``: the baseline's test and workload runs write, through the verify hook, where each of
  the project's top-level packages was imported from; a package imported from outside the worktree
  (an installed copy, the user's checkout) means candidates would not be what is tested and measured,
  and the run stops before anything is trusted.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path

from optiloop import proc
from optiloop.errors import BadInput

SHIMS = ("python", "python3")


def resolve_python(spec: str, cwd: Path) -> Path:
    """The interpreter ``--python`` names (a path, or a command on PATH), checked to run Python 3."""
    found = shutil.which(spec) if os.sep not in spec else None
    path = Path(found) if found else (cwd / spec if not Path(spec).is_absolute() else Path(spec))
    if not path.is_file() or not os.access(path, os.X_OK):
        raise BadInput(f"--python {spec}: no such interpreter", "give the path of a python executable, "
                                                                "e.g. --python .venv/bin/python")
    done = proc.run([str(path), "-c", "import sys; print(sys.version_info[0])"], cwd, proc.child_env(), 60)
    if not done.ok or done.stdout.strip() != "3":
        raise BadInput(f"--python {spec} does not run Python 3 ({done.tail(1) or done.returncode})",
                       "give the path of a Python 3 interpreter")
    return path.absolute()


def python_env(env: Mapping[str, str], python: Path, shim_dir: Path) -> dict[str, str]:
    """``env`` whose ``python``/``python3`` are ``python`` (shims in ``shim_dir``), its directory next."""
    shim_dir.mkdir(parents=True, exist_ok=True)
    for name in SHIMS:
        shim = shim_dir / name
        shim.write_text(f'#!/bin/sh\nexec {shlex.quote(str(python))} "$@"\n', encoding="utf-8")
        shim.chmod(shim.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    rest = env.get("PATH", os.defpath)
    return {**env, "PATH": os.pathsep.join([str(shim_dir), str(python.parent), rest])}


def real_python(env: Mapping[str, str]) -> Path | None:
    """The interpreter behind ``python`` on ``env``'s PATH when that is a script (a pyenv shim runs a shell
    and several processes before Python starts), found by asking it; None when it is a binary or unknown."""
    found = shutil.which("python", path=env.get("PATH", os.defpath))
    if found is None:
        return None
    with open(found, "rb") as fh:
        if fh.read(2) != b"#!":
            return None
    done = proc.run([found, "-c", "import sys; print(sys.executable)"], Path(found).parent, env, 60)
    real = Path(done.stdout.strip()) if done.ok else None
    return real if real is not None and real.is_file() and os.access(real, os.X_OK) else None


def top_level_names(tree: Path, files: Iterable[str]) -> list[str]:
    """The project's top-level importable names, from its in-scope files (paths relative to ``tree``):
    the outermost directory of a package (``__init__.py`` all the way up), or a lone module's name."""
    names = set()
    for rel in files:
        path = tree / rel
        top = path.stem
        parent = path.parent
        while (parent / "__init__.py").is_file() and parent != tree:
            top = parent.name
            parent = parent.parent
        names.add(top)
    return sorted(n for n in names if n.isidentifier() and n != "__init__")


class ImportProbe:
    """Where the project's packages were imported from, in one run of the tests or the workload."""

    def __init__(self, where: Path, names: list[str]) -> None:
        self.where = where
        self.names = names

    def env(self, what: str) -> dict[str, str]:
        out = self.where / what
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        spec = self.where / f"{what}.json"
        spec.write_text(json.dumps({"names": self.names, "out": str(out)}), encoding="utf-8")
        return {"OPTILOOP_WHERE": str(spec)} if self.names else {}

    def found(self, what: str) -> dict[str, set[str]]:
        """Package name → the files or directories it was imported from (over all processes of the run)."""
        seen: dict[str, set[str]] = {}
        for report in sorted((self.where / what).glob("*.json")):
            try:
                data = json.loads(report.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            for name, paths in data.items():
                seen.setdefault(name, set()).update(str(p) for p in paths)
        return seen

    def check(self, what: str, command: str, tree: Path) -> str | None:
        """Refuse the run when ``command`` imported one of the project's packages from outside ``tree``;
        a note when it cannot be seen (the command runs Python without optiloop's PYTHONPATH)."""
        inside = tree.resolve()
        found = self.found(what)
        if self.names and not any((self.where / what).glob("*.json")):
            return (f"could not see where the {what} (`{command}`) import the project from: no Python process of "
                    "it kept optiloop's PYTHONPATH (tox and nox drop it), so they are trusted to build the project "
                    "from the worktree they run in")
        for name, paths in sorted(found.items()):
            outside = sorted(p for p in paths if not _within(Path(p), inside))
            if outside:
                raise BadInput(
                    f"the {what} (`{command}`) import {name} from {outside[0]}, not from optiloop's worktree, "
                    "so a candidate would not be the code that is tested and measured",
                    "make the command import the package from the directory it runs in (optiloop puts the "
                    "worktree's src/ and project directory first on PYTHONPATH; don't cd elsewhere or drop "
                    "PYTHONPATH), or build it there with --setup CMD")
        return None


def _within(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except ValueError:
        return False
    return True
