"""Real project layouts, end to end: a package under ``src/`` in a monorepo subdirectory, installed in
editable mode into the user's own virtual environment (pointing at the user's checkout), built by a
``--setup`` step, tested through ``make``. optiloop must test and measure the worktree's code there, leave
the user's checkout and environment alone, and refuse a layout where the code comes from elsewhere."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_run import CORE as SLOW_CORE
from tests.conftest import git, make_repo, optiloop, snapshot

APP = "services/app"

CORE = f"from pkg._generated import VERSION\n\n\n{SLOW_CORE}\n\ndef version():\n    return VERSION\n"

TESTS = '''\
import unittest

from pkg.core import dedupe, version


class CoreTests(unittest.TestCase):
    def test_dedupe(self):
        self.assertEqual(dedupe([3, 1, 3, 2, 1]), [3, 1, 2])

    def test_dedupe_of_nothing(self):
        self.assertEqual(dedupe([]), [])

    def test_version(self):
        self.assertEqual(version(), "1.0")
'''

BENCH = '''\
from pkg.core import dedupe

data = [(i * 7919) % 1500 for i in range(6000)]
for _ in range(3):
    out = dedupe(data)
print(len(out), out[:3])
'''

PYPROJECT = '''\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "pkg"
version = "1.0"

[tool.setuptools.packages.find]
where = ["src"]
'''

SETUP_PY = "from setuptools import setup\n\nsetup()\n"
MAKEFILE = "test:\n\tpython -m unittest discover -s tests -q\n"
# a build step: the package needs a generated module that is not in git (nor ignored)
SETUP = "python -c \"open('src/pkg/_generated.py', 'w').write('VERSION = \\\"1.0\\\"\\n')\" && echo x >> {log}"

# Passes the workload's calls (replay), fails a test the workload never exercises: only tests that
# import the candidate's code can catch it.
TESTS_SEE_IT = "Skip the empty case.\n```python\ndef dedupe(items):\n    if not items:\n        return None\n" \
               "    return list(dict.fromkeys(items))\n```"
GOOD = "dict keeps insertion order.\n```python\ndef dedupe(items):\n    return list(dict.fromkeys(items))\n```"


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


@pytest.fixture(scope="module")
def user_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The user's virtual environment (with setuptools, as a fresh 3.11 venv has) — made once."""
    venv = tmp_path_factory.mktemp("env") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
    if subprocess.run([str(_venv_python(venv)), "-c", "import setuptools"], capture_output=True).returncode:
        pytest.skip("a new venv of this Python has no setuptools (3.12+), so no offline editable install")
    return venv


def _monorepo(root: Path) -> Path:
    files = {f"{APP}/{rel}": text for rel, text in {
        "pyproject.toml": PYPROJECT, "setup.py": SETUP_PY, "Makefile": MAKEFILE, "src/pkg/__init__.py": "",
        "src/pkg/core.py": CORE, "tests/test_core.py": TESTS, "bench.py": BENCH}.items()}
    files["services/other/slow.py"] = "def other(xs):\n    return [x for x in xs if x not in xs[:0]]\n"
    files[".gitignore"] = "*.egg-info/\n__pycache__/\n"
    return make_repo(root, files)


def test_src_layout_installed_editable_in_a_monorepo_with_setup_and_make(user_env: Path, tmp_path: Path) -> None:
    repo = _monorepo(tmp_path / "mono")
    project = repo / APP
    python = _venv_python(user_env)
    (project / "src" / "pkg" / "_generated.py").write_text('VERSION = "1.0"\n')  # the user's own build
    # an editable install, offline (pip's own -e needs `wheel` from the network with this setuptools)
    develop = subprocess.run([str(python), "setup.py", "-q", "develop"], cwd=project, capture_output=True,
                             text=True, timeout=300)
    assert develop.returncode == 0, develop.stderr
    where = [str(python), "-c", "import pkg.core; print(pkg.core.__file__)"]
    installed = subprocess.run(where, cwd=tmp_path, capture_output=True, text=True, check=True).stdout.strip()
    assert installed == str(project / "src" / "pkg" / "core.py")  # the editable install points at the checkout
    before = snapshot(repo)
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps([{"reply": TESTS_SEE_IT, "target": "dedupe"}, {"reply": GOOD, "target": "dedupe"}]))
    log = tmp_path / "setup.log"

    done = optiloop("run", str(project), "--python", str(python), "--setup", SETUP.format(log=log),
                    "--tests", "make -s test", "--workload", "python bench.py", "--model", f"scripted:{replies}",
                    "--max-iterations", "2", "--rounds", "3", "--candidates", "1", cwd=tmp_path)

    assert done.returncode == 0, done.stderr + done.stdout
    assert snapshot(repo) == before  # the user's checkout...
    again = subprocess.run(where, cwd=tmp_path, capture_output=True, text=True, check=True).stdout.strip()
    assert again == installed  # ...and environment are as they were
    assert log.read_text().count("x") == 2  # the setup step ran once in each worktree
    (run_dir,) = (repo / ".optiloop" / "runs").iterdir()
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    attempts = [e for e in events if e["event"] == "attempt"]
    assert [a["attempt"]["candidate"]["rationale"] for a in attempts] == ["Skip the empty case.",
                                                                        "dict keeps insertion order."]
    first, second = attempts
    failed = [c for c in first["attempt"]["checks"] if not c["passed"]]
    assert first["accepted"] is False and failed and failed[0]["name"] in ("tests", "covering tests")
    assert "None != []" in failed[0]["detail"]  # the tests ran the candidate's code
    assert all(c["passed"] for c in first["attempt"]["checks"] if c["name"] == "replay")
    assert second["accepted"] is True, second["reason"]
    profiles = [e for e in events if e["event"] == "profile"]
    assert all(h["path"].startswith(f"{APP}/src/") for p in profiles for h in p["hotspots"])
    branch = next(e for e in events if e["event"] == "run_started")["branch"]
    changed = git(repo, "diff", "--name-only", f"main..{branch}").split()
    assert changed == [f"{APP}/src/pkg/core.py"]  # the generated file is never committed
    started = next(e for e in events if e["event"] == "run_started")
    assert started["settings"]["python"] == str(python) and started["subdir"] == APP


def test_a_package_imported_from_outside_the_worktree_is_refused(user_env: Path, tmp_path: Path) -> None:
    """A `lib/` layout installed in editable mode (a .pth file naming the checkout's lib/, as setuptools
    writes) is imported from the user's checkout: nothing optiloop ran would be the candidate."""
    repo = make_repo(tmp_path / "proj", {
        "lib/libpkg/__init__.py": "", "lib/libpkg/core.py": CORE.replace("pkg._generated", "libpkg.version"),
        "lib/libpkg/version.py": 'VERSION = "1.0"\n',
        "tests/test_core.py": TESTS.replace("pkg.core", "libpkg.core"),
        "bench.py": BENCH.replace("pkg.core", "libpkg.core")})
    python = _venv_python(user_env)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    pth = Path(site) / "__editable__.libpkg-1.0.pth"
    pth.write_text(f"{repo / 'lib'}\n")
    before = snapshot(repo)
    try:
        done = optiloop("run", str(repo), "--python", str(python), "--tests",
                        "python -m unittest discover -s tests -q", "--workload", "python bench.py",
                        "--model", "builtin", cwd=tmp_path)
    finally:
        pth.unlink()

    assert done.returncode == 2, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "import libpkg from" in lines[0] and str(repo / "lib" / "libpkg") in lines[0]
    assert "not from optiloop's worktree" in lines[0] and "--setup" in lines[0]
    assert snapshot(repo) == before and not list(repo.glob(".optiloop/worktrees/*"))
    assert not git(repo, "branch", "--list", "optiloop/*").strip()


def test_bad_python_is_one_line(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "p", {"m.py": "def f():\n    return 1\n", "bench.py": "import m\nm.f()\n"})
    before = snapshot(repo)
    done = optiloop("run", str(repo), "--python", str(tmp_path / "nope" / "python"), "--tests", "true",
                    "--workload", "python bench.py", "--model", "builtin")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "--python" in done.stderr and "no such interpreter" in done.stderr
    assert snapshot(repo) == before and not (repo / ".optiloop").exists()
