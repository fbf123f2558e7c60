"""The replay exchange: ``Spec`` and ``Result`` round-trip through JSON, read leniently, and the child loads
them from their file without importing optiloop or shadowing a project module of the same name."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from optiloop.verify.exchange import Result, Spec
from optiloop.verify.replayer import CHILD

# A project with modules named like optiloop's helpers next to the child: the target imports them and
# refuses to load if it got optiloop's, or if optiloop itself is in the process.
PROJECT = {
    "exchange.py": 'WHOSE = "the project\'s"\n',
    "compare.py": 'WHOSE = "the project\'s"\n',
    "mod.py": '''import sys

import compare
import exchange

if (exchange.WHOSE, compare.WHOSE) != ("the project's", "the project's"):
    raise ImportError("optiloop's helpers shadow the project's modules")
if any(name.split(".")[0] == "optiloop" for name in sys.modules):
    raise ImportError("optiloop was imported into the project's interpreter")


def f():
    return 1
''',
}


def test_a_spec_and_a_result_round_trip(tmp_path: Path) -> None:
    spec = Spec("pkg.mod", "/t/pkg/mod.py", "C.f", ["/t", "/t/src"], str(tmp_path / "r.json"), ["/c/calls.pkl"],
                [5, 10], collect=True)
    spec.write(str(tmp_path / "spec.json"))
    assert Spec.read(str(tmp_path / "spec.json")) == spec
    result = Result(imported=True, replayed=3, mismatch="call 2 of 3: f() wrong result", times={"1": 0.5},
                    effects={"2": ["writes x.log"]}, output={"3": "hi"}, unstable=[4], done=True)
    result.write(spec.result)
    assert Result.read(spec.result) == result
    assert not list(tmp_path.glob("*.tmp"))  # written atomically


def test_a_result_reads_leniently(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    assert Result.read(str(path)) == Result()  # the child died before writing: nothing imported, not done
    path.write_text('{"imported": tr', encoding="utf-8")  # torn
    assert Result.read(str(path)) == Result()
    # a self-check cached by an earlier release: four keys; and a key this release does not know
    path.write_text(json.dumps({"unstable": [2], "times": {"1": 0.1}, "effects": {}, "output": {},
                                "from_a_newer_child": 1}), encoding="utf-8")
    assert Result.read(str(path)) == Result(unstable=[2], times={"1": 0.1})


@pytest.mark.parametrize("flags", [[], ["-S"]], ids=["site", "no-site-packages"])
def test_the_child_reads_the_spec_without_optiloop_and_shadows_nothing(tmp_path: Path, flags: list[str]) -> None:
    # -S: no site-packages, so no optiloop at all (as in a project's own environment)
    project = tmp_path / "project"
    project.mkdir()
    for name, text in PROJECT.items():
        (project / name).write_text(text, encoding="utf-8")
    spec = Spec("mod", str(project / "mod.py"), "f", [str(project)], str(tmp_path / "result.json"))
    spec.write(str(tmp_path / "spec.json"))
    done = subprocess.run([sys.executable, *flags, str(CHILD), str(tmp_path / "spec.json")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    result = Result.read(spec.result)
    assert result.import_error == "" and result.imported and result.done, result
    assert (result.replayed, result.mismatch) == (0, "")  # no captures named: nothing to replay
