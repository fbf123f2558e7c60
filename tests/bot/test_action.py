"""action.yml: a composite action whose run step passes inputs as arguments, never as shell text."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

from tests.conftest import ROOT


def test_inputs_become_arguments_and_are_never_run_as_shell(tmp_path: Path) -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    step = next(s for s in action["runs"]["steps"] if "optiloop" in s.get("run", "") and "args" in s["run"])
    assert "${{" not in step["run"]  # inputs reach the script only through the environment
    fake = tmp_path / "venv" / "bin" / "optiloop"
    fake.parent.mkdir(parents=True)
    fake.write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n')
    fake.chmod(0o755)
    env = {"PATH": os.environ["PATH"], "OPTILOOP_VENV": str(tmp_path / "venv"), "PROJECT_PYTHON": "/opt/py/bin/python",
           "INPUT_PATH": ".",
           "INPUT_WORKLOAD": "python bench.py $(touch pwned)", "INPUT_TESTS": "", "INPUT_MODEL": "",
           "INPUT_MAX_ITERATIONS": "5", "INPUT_ROUNDS": "", "INPUT_FAIL_ON_REGRESSION": "0.05",
           "INPUT_COMMENT_WHEN_EMPTY": "false", "INPUT_PUSH": "true", "INPUT_EXTRA_ARGS": "--min-speedup 1.1"}
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["pr", ".", "--max-iterations", "5", "--python", "/opt/py/bin/python",
                                        "--workload",
                                        "python bench.py $(touch pwned)", "--fail-on-regression", "0.05",
                                        "--push", "--min-speedup", "1.1"]
    assert not (tmp_path / "pwned").exists()


def test_the_projects_python_is_the_one_on_path_before_the_action(tmp_path: Path) -> None:
    """optiloop gets a Python of its own that never reaches the job's PATH; the project's commands run with
    the `python` the workflow set up (or the project-python input)."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    steps = action["runs"]["steps"]
    tool = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python"))
    assert tool["with"]["update-environment"] is False
    find = next(s for s in steps if s.get("id") == "project")
    assert steps.index(find) < steps.index(tool)
    bin_dir = tmp_path / "project-bin"
    bin_dir.mkdir()
    (bin_dir / "python").write_text("#!/bin/sh\n")
    (bin_dir / "python").chmod(0o755)
    for given, expected in (("", str(bin_dir / "python")), ("/srv/venv/bin/python", "/srv/venv/bin/python")):
        output = tmp_path / "output"
        output.write_text("")
        env = {"PATH": f"{bin_dir}{os.pathsep}/usr/bin:/bin", "GITHUB_OUTPUT": str(output),
               "INPUT_PROJECT_PYTHON": given}
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", find["run"]], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        assert output.read_text() == f"python={expected}\n"
