"""action.yml: a composite action whose steps pass inputs as arguments, never as shell text.

The steps' scripts are taken from the YAML and run with bash the way the runner runs them
(``bash --noprofile --norc -eo pipefail``), against a fake ``optiloop`` that prints the argv it got as JSON.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.bot.fakegithub import read_outputs
from tests.conftest import ROOT

ACTION = ROOT / "action.yml"
DOCS = ROOT / "docs" / "github-action.md"
# every extra-args example the docs and the action give, and the words optiloop must get for it
DOCUMENTED = {
    '--setup "pip install -e ." --min-speedup 1.1 --time-budget 900':
        ["--setup", "pip install -e .", "--min-speedup", "1.1", "--time-budget", "900"],
    '--setup "pip install -e ." --min-speedup 1.1': ["--setup", "pip install -e .", "--min-speedup", "1.1"],
}
BASE_ENV = {"INPUT_PATH": ".", "INPUT_WORKLOAD": "", "INPUT_TESTS": "", "INPUT_MODEL": "", "INPUT_MAX_ITERATIONS": "5",
            "INPUT_ROUNDS": "", "INPUT_FAIL_ON_REGRESSION": "", "INPUT_COMMENT_WHEN_EMPTY": "false",
            "INPUT_PUSH": "false", "INPUT_EXTRA_ARGS": "", "PROJECT_PYTHON": "", "INPUT_MEASURE": ""}


def action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(ACTION.read_text())
    return loaded


def step(key: str, value: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in action()["runs"]["steps"] if s.get(key) == value)
    return found


def bash(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


def fake_venv(tmp_path: Path) -> Path:
    """A venv whose ``optiloop`` prints its argv as JSON; its ``python`` is this one (the step splits with it)."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    fake = venv / "bin" / "optiloop"
    fake.write_text(f"#!{sys.executable}\nimport json, sys\nprint(json.dumps(sys.argv[1:]))\n")
    fake.chmod(0o755)
    (venv / "bin" / "python").symlink_to(sys.executable)
    return venv


def run_pr(tmp_path: Path, **inputs: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "OPTILOOP_VENV": str(fake_venv(tmp_path)), **BASE_ENV, **inputs}
    return bash(step("id", "run")["run"], env, tmp_path)


def documented_extra_args() -> set[str]:
    """``extra-args:`` in the docs' YAML (read as YAML reads it), and the ``e.g.`` of the docs' table and the
    action's description."""
    docs = DOCS.read_text()
    found = set()
    for block in re.findall(r"```yaml\n(.*?)```", docs, re.DOTALL):
        for line in re.findall(r"^\s*(extra-args:.*)$", block, re.MULTILINE):
            found.add(str(yaml.safe_load(line)["extra-args"]))
    row = next(line for line in docs.splitlines() if line.startswith("| `extra-args` |"))
    found |= set(re.findall(r"e\.g\. `([^`]+)`", row))
    found |= set(re.findall(r"e\.g\. `([^`]+)`", action()["inputs"]["extra-args"]["description"]))
    return found


def test_inputs_become_arguments_and_are_never_run_as_shell(tmp_path: Path) -> None:
    assert action()["runs"]["using"] == "composite"
    for s in action()["runs"]["steps"]:
        assert "${{" not in s.get("run", ""), s  # inputs reach scripts only through the environment
    done = run_pr(tmp_path, PROJECT_PYTHON="/opt/py/bin/python", INPUT_WORKLOAD="python bench.py $(touch pwned)",
                  INPUT_FAIL_ON_REGRESSION="0.05", INPUT_PUSH="true", INPUT_EXTRA_ARGS="--min-speedup 1.1")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["pr", ".", "--max-iterations", "5", "--python", "/opt/py/bin/python",
                                       "--workload", "python bench.py $(touch pwned)", "--fail-on-regression",
                                       "0.05", "--push", "--min-speedup", "1.1"]
    assert not (tmp_path / "pwned").exists()


def test_the_documented_extra_args_arrive_as_a_shell_splits_them(tmp_path: Path) -> None:
    assert documented_extra_args() == set(DOCUMENTED)
    for text, words in DOCUMENTED.items():
        done = run_pr(tmp_path / str(len(words)), INPUT_EXTRA_ARGS=text)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == ["pr", ".", "--max-iterations", "5", *words]
        shell = subprocess.run(["bash", "-c", f'printf "%s\\n" {text}'], capture_output=True, text=True, timeout=30)
        assert shell.stdout.splitlines() == words  # what bash itself makes of the same text


@pytest.mark.parametrize(("text", "words"), [
    ("", []),
    ("   ", []),
    ("--setup 'make gen && pip install -e .'", ["--setup", "make gen && pip install -e ."]),
    ('--setup "echo \\"hi\\"" --exclude "a b/**"', ["--setup", 'echo "hi"', "--exclude", "a b/**"]),
    ("--setup $(touch pwned) --tests `touch pwned2` $HOME", ["--setup", "$(touch", "pwned)", "--tests", "`touch",
                                                           "pwned2`", "$HOME"]),
    ("--setup pip\\ install --python=/a\tb\n--x", ["--setup", "pip install", "--python=/a", "b", "--x"]),
])
def test_extra_args_are_split_never_expanded_or_run(tmp_path: Path, text: str, words: list[str]) -> None:
    done = run_pr(tmp_path, INPUT_EXTRA_ARGS=text)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["pr", ".", "--max-iterations", "5", *words]
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()


def test_an_open_quote_fails_in_one_line_before_optiloop_runs(tmp_path: Path) -> None:
    done = run_pr(tmp_path, INPUT_EXTRA_ARGS='--setup "pip install -e .\n--min-speedup 1.1')
    assert done.returncode == 2 and done.stdout == ""  # the fake optiloop never ran
    assert done.stderr == ('::error::extra-args cannot be split into words (no closing quotation): --setup "pip '
                           'install -e . --min-speedup 1.1 -- quote as in a shell, e.g. --setup "pip install -e ."\n')


def test_the_projects_python_is_the_one_on_path_before_the_action(tmp_path: Path) -> None:
    """optiloop gets a Python of its own that never reaches the job's PATH; the project's commands run with
    the `python` the workflow set up (or the project-python input)."""
    steps = action()["runs"]["steps"]
    tool = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python@"))
    assert tool["with"]["update-environment"] is False
    find = step("id", "project")
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
        done = bash(find["run"], env, tmp_path)
        assert done.returncode == 0, done.stderr
        assert output.read_text() == f"python={expected}\n"


def test_pips_cache_is_keyed_by_runner_python_and_what_is_installed(tmp_path: Path) -> None:
    name = step("id", "pip-cache")

    def outputs(package: str, action_path: Path = ROOT) -> dict[str, str]:
        output = tmp_path / "output"
        output.write_text("")
        env = {"PATH": os.environ["PATH"], "TOOL_PYTHON": sys.executable, "INPUT_PACKAGE": package,
               "GITHUB_ACTION_PATH": str(action_path), "GITHUB_OUTPUT": str(output), "RUNNER_OS": "Linux",
               "RUNNER_ARCH": "X64", "RUNNER_TEMP": str(tmp_path / "temp")}
        done = bash(name["run"], env, tmp_path)
        assert done.returncode == 0, done.stderr
        return read_outputs(output)

    here = outputs("")
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert here["prefix"] == f"optiloop-pip-Linux-X64-py{version}-"
    assert re.fullmatch(re.escape(here["prefix"]) + "[0-9a-f]{16}", here["key"])
    assert here["dir"] == str(tmp_path / "temp" / "optiloop-pip-cache")
    assert outputs("") == here and outputs("optiloop==0.1.0")["key"] != here["key"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text() + "\n# another version\n")
    assert outputs("", other)["key"] != here["key"]

    cache = next(s for s in action()["runs"]["steps"] if s.get("uses", "").startswith("actions/cache@"))
    assert cache["with"] == {"path": "${{ steps.pip-cache.outputs.dir }}", "key": "${{ steps.pip-cache.outputs.key }}",
                             "restore-keys": "${{ steps.pip-cache.outputs.prefix }}"}
    install = step("name", "Install optiloop")
    assert install["env"]["PIP_CACHE_DIR"] == "${{ steps.pip-cache.outputs.dir }}"
    steps = action()["runs"]["steps"]
    assert steps.index(name) < steps.index(cache) < steps.index(install)


def test_outputs_come_from_the_run_and_the_report_is_uploaded_even_on_failure() -> None:
    outputs = action()["outputs"]
    assert {k: v["value"] for k, v in outputs.items()} == {
        "speedup": "${{ steps.run.outputs.speedup }}", "regression": "${{ steps.run.outputs.regression }}",
        "report": "${{ steps.run.outputs.report }}"}
    upload = next(s for s in action()["runs"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"].startswith("always() && ") and "steps.run.outputs.report != ''" in upload["if"]
    assert upload["with"]["path"] == "${{ steps.run.outputs.report }}"
    assert upload["with"]["name"] == "${{ inputs.report-artifact }}" and upload["with"]["include-hidden-files"]


def test_third_party_actions_are_pinned_by_commit() -> None:
    for path in (ACTION, DOCS):
        uses = re.findall(r"uses: (actions/[\w-]+)@(\S+)( +# v\d+\.\d+\.\d+)?", path.read_text())
        assert uses, path
        for name, ref, version in uses:
            assert re.fullmatch(r"[0-9a-f]{40}", ref) and version, f"{path.name}: {name}@{ref} is not pinned"
    pinned = {name for name, _, _ in re.findall(r"uses: (actions/[\w-]+)@(\S+)( +# v)?", ACTION.read_text())}
    assert pinned == {"actions/setup-python", "actions/cache", "actions/upload-artifact"}


def test_cycles_installs_valgrind_first_and_reaches_optiloop(tmp_path: Path) -> None:
    steps = action()["runs"]["steps"]
    names = [s.get("name", s.get("uses", "")) for s in steps]
    install = steps[names.index("Install valgrind")]
    assert names.index("Install valgrind") < names.index("Run optiloop pr")
    assert "inputs.measure == 'cycles'" in install["if"] and "--measure cycles" in install["if"]
    assert "apt-get install -y -qq valgrind" in install["run"]
    done = run_pr(tmp_path, INPUT_MEASURE="cycles")
    assert done.returncode == 0, done.stderr
    argv = json.loads(done.stdout)
    assert argv[argv.index("--measure") + 1] == "cycles"
