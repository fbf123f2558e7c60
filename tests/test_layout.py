"""The pieces of ``optiloop.layout`` on their own: names, the import probe's verdicts, the interpreter shims."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from optiloop.errors import BadInput
from optiloop.layout import ImportProbe, python_env, resolve_python, top_level_names
from optiloop.proc import child_env, project_env, run
from optiloop.verify.capture import hook_env


def test_top_level_names_of_flat_src_lib_and_module_layouts(tmp_path: Path) -> None:
    for rel in ("src/pkg/__init__.py", "src/pkg/sub/__init__.py", "src/pkg/sub/m.py", "lib/other/__init__.py",
                "lib/other/x.py", "tool.py", "ns/plain.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    files = ["src/pkg/sub/m.py", "lib/other/x.py", "tool.py", "ns/plain.py", "src/pkg/__init__.py"]
    assert top_level_names(tmp_path, files) == ["other", "pkg", "plain", "tool"]


def test_the_probe_sees_where_a_real_process_imported_the_package_from(tmp_path: Path) -> None:
    tree, elsewhere = tmp_path / "tree", tmp_path / "elsewhere"
    for root in (tree, elsewhere):
        (root / "src" / "pkg").mkdir(parents=True)
        (root / "src" / "pkg" / "__init__.py").write_text("")
    probe = ImportProbe(tmp_path / "probe", ["pkg"])
    env = hook_env(project_env(child_env(), tree), **probe.env("tests"))
    assert run([sys.executable, "-c", "import pkg"], tmp_path, env, 60).ok
    assert probe.found("tests") == {"pkg": {str(tree / "src" / "pkg" / "__init__.py")}}
    assert probe.check("tests", "python -c 'import pkg'", tree) is None

    env = hook_env(project_env(child_env(), elsewhere), **probe.env("workload"))
    assert run([sys.executable, "-c", "import pkg"], tmp_path, env, 60).ok
    with pytest.raises(BadInput) as refused:
        probe.check("workload", "python bench.py", tree)
    assert "the workload (`python bench.py`) import pkg from" in refused.value.message
    assert str(elsewhere / "src" / "pkg") in refused.value.message and "--setup" in refused.value.hint


def test_a_command_that_drops_pythonpath_gets_a_note_not_a_verdict(tmp_path: Path) -> None:
    probe = ImportProbe(tmp_path / "probe", ["pkg"])
    env = hook_env(child_env(), **probe.env("tests"))
    assert run("env -u PYTHONPATH python -c pass", tmp_path, {**env, "PATH": f"{Path(sys.executable).parent}:"
                                                                         f"{env.get('PATH', '')}"}, 60).ok
    note = probe.check("tests", "tox -e py", tmp_path)
    assert note is not None and "tox -e py" in note and "trusted" in note


def test_python_shims_run_the_given_interpreter_inside_its_venv(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = resolve_python(str(venv / "bin" / "python"), tmp_path)
    env = python_env(child_env(), python, tmp_path / "shims")
    for name in ("python", "python3"):
        done = run(f"{name} -c 'import sys; print(sys.prefix)'", tmp_path, env, 60)
        assert done.ok and done.stdout.strip() == str(venv)  # the venv is active, not only its base Python


def test_a_bad_python_is_refused_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no such interpreter"):
        resolve_python(str(tmp_path / "missing"), tmp_path)
    not_python = tmp_path / "false"
    not_python.write_text("#!/bin/sh\necho 2\n")
    not_python.chmod(0o755)
    with pytest.raises(BadInput, match="does not run Python 3"):
        resolve_python(str(not_python), tmp_path)
    assert resolve_python(sys.executable, tmp_path).is_absolute()
