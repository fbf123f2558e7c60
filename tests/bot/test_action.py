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
    fake = tmp_path / "bin" / "optiloop"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n')
    fake.chmod(0o755)
    env = {"PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}", "INPUT_PATH": ".",
           "INPUT_WORKLOAD": "python bench.py $(touch pwned)", "INPUT_TESTS": "", "INPUT_MODEL": "",
           "INPUT_MAX_ITERATIONS": "5", "INPUT_ROUNDS": "", "INPUT_FAIL_ON_REGRESSION": "0.05",
           "INPUT_COMMENT_WHEN_EMPTY": "false", "INPUT_PUSH": "true", "INPUT_EXTRA_ARGS": "--min-speedup 1.1"}
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["pr", ".", "--max-iterations", "5", "--workload",
                                        "python bench.py $(touch pwned)", "--fail-on-regression", "0.05",
                                        "--push", "--min-speedup", "1.1"]
    assert not (tmp_path / "pwned").exists()
