"""The wheel carries the prompt templates and the examples the demo copies."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT


def test_wheel_ships_prompts_and_examples(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    wheel = next(tmp_path.glob("optiloop-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "optiloop/_data/prompts/optimize.j2" in names
    assert "optiloop/_data/prompts/system.j2" in names
    for example in ("wordfreq", "routes", "inventory"):
        assert f"optiloop/_data/examples/{example}/workload.py" in names
        assert f"optiloop/_data/examples/{example}/pyproject.toml" in names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert "optiloop/cli/__init__.py" in names
    assert "optiloop/report/schema.json" in names
    assert "optiloop/report/pr-schema.json" in names  # what `optiloop pr --json` follows
    assert "optiloop/verify/hook/_optiloop_tape.py" in names
