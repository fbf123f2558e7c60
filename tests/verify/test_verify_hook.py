"""The capture hook in a real child interpreter: sampling, outermost calls only, what cannot be pickled,
static and class methods, seeding, chaining to the project's own sitecustomize; and the run limits."""

from __future__ import annotations

import json
import pickle
import random
import sys
from pathlib import Path
from typing import Any

import pytest

from optiloop import proc
from optiloop.paths import module_names
from optiloop.types import Candidate, Check, Hotspot, Target, Verdict
from optiloop.verify.capture import hook_env
from optiloop.verify.gate import WEAK_EVIDENCE

MODULE = '''
def double(x):
    return x * 2


def fails(x):
    raise ValueError("bad", x)


def countdown(n):
    return 0 if n == 0 else countdown(n - 1)


def gen(x):
    return (i for i in range(x))


class C:
    def __init__(self):
        self.seen = []

    def put(self, x):
        self.seen.append(x)

    @staticmethod
    def s(x):
        return -x

    @classmethod
    def c(cls, x):
        return cls.__name__ * x
'''

SCRIPT = '''
from pkg import mod

for i in range(1000):
    mod.double(i)
for i in range(3):
    try:
        mod.fails(i)
    except ValueError:
        pass
mod.countdown(50)
mod.double([lambda: 1])
mod.gen(3)
obj = mod.C()
obj.put(1)
obj.put(2)
mod.C.s(4)
mod.C.c(2)
'''


def capture(tmp_path: Path, qualname: str, limit: int = 10, extra_path: str = "") -> dict[str, Any]:
    project = tmp_path / "proj"
    if not project.exists():
        (project / "pkg").mkdir(parents=True)
        (project / "pkg" / "__init__.py").write_text("")
        (project / "pkg" / "mod.py").write_text(MODULE)
        (project / "run.py").write_text(SCRIPT)
    out = tmp_path / f"out-{qualname}"
    out.mkdir()
    spec = {"modules": module_names("pkg/mod.py"), "file": str(project / "pkg" / "mod.py"), "qualname": qualname,
            "limit": limit, "out": str(out)}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    env = hook_env(proc.child_env(), OPTILOOP_CAPTURE=str(tmp_path / "spec.json"))
    if extra_path:
        env["PYTHONPATH"] += ":" + extra_path
    done = proc.run([sys.executable, "run.py"], project, env, 60)
    assert done.ok, done.tail()
    files = list(out.glob("*.pkl"))
    assert len(files) == 1
    with open(files[0], "rb") as fh:
        data: dict[str, Any] = pickle.load(fh)
    return data


def test_first_calls_then_a_spread_over_the_run(tmp_path: Path) -> None:
    data = capture(tmp_path, "double", limit=10)
    indexes = [c["index"] for c in data["calls"]]
    assert data["hooked"] and data["module"] == "pkg.mod"
    assert data["total_calls"] == 1001  # 1000 numbers and one lambda
    assert indexes[:5] == [0, 1, 2, 3, 4] and len(indexes) == 10
    assert indexes == sorted(set(indexes)) and indexes[-1] > 100
    args, kwargs = pickle.loads(data["calls"][3]["before"])
    outcome, after, _ = pickle.loads(data["calls"][3]["after"])
    assert (args, kwargs, outcome, after) == ((3,), {}, ("return", 6), (3,))


def test_unpicklable_values_are_counted_and_skipped(tmp_path: Path) -> None:
    assert capture(tmp_path, "double", limit=2000)["skipped"] == 1  # the lambda argument
    data = capture(tmp_path, "gen", limit=10)  # returns a generator
    assert (data["total_calls"], data["skipped"], data["calls"]) == (1, 1, [])


def test_exceptions_and_recursion(tmp_path: Path) -> None:
    data = capture(tmp_path, "fails")
    outcome, _, _ = pickle.loads(data["calls"][1]["after"])
    assert outcome == ("raise", "builtins.ValueError", ("bad", 1))
    assert capture(tmp_path, "countdown")["total_calls"] == 1


def test_methods_static_and_class_methods(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = capture(tmp_path, "C.put")
    monkeypatch.syspath_prepend(str(tmp_path / "proj"))  # to unpickle instances of pkg.mod.C here
    (self_before, x), _ = pickle.loads(data["calls"][1]["before"])
    _, (self_after, _), _ = pickle.loads(data["calls"][1]["after"])
    assert (x, self_before.seen, self_after.seen) == (2, [1], [1, 2])
    static = capture(tmp_path, "C.s")["calls"][0]
    assert pickle.loads(static["after"])[0] == ("return", -4)
    klass = capture(tmp_path, "C.c")["calls"][0]
    assert pickle.loads(klass["after"])[0] == ("return", "CC")
    for name in ("pkg.mod", "pkg"):
        sys.modules.pop(name, None)


def test_chains_to_the_projects_sitecustomize_and_seeds_random(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    marker = tmp_path / "chained"
    (other / "sitecustomize.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    assert capture(tmp_path, "double", extra_path=str(other))["hooked"]
    assert marker.exists()
    env = hook_env(proc.child_env(), OPTILOOP_SEED="0")
    done = proc.run([sys.executable, "-c", "import random; print(random.random())"], tmp_path, env, 60)
    assert float(done.stdout) == random.Random(0).random()


def test_memory_limit_turns_a_runaway_allocation_into_memory_error(tmp_path: Path) -> None:
    code = "b = []\nwhile True:\n    b.append(bytearray(10**7))"
    done = proc.run([sys.executable, "-c", code], tmp_path, proc.child_env(), 60, memory_mb=256)
    assert not done.ok and "MemoryError" in done.stderr
    fine = proc.run([sys.executable, "-c", "print(len(bytearray(10**7)))"], tmp_path, proc.child_env(), 60,
                    memory_mb=256)
    assert fine.stdout.strip() == "10000000"


def test_commit_message_says_when_the_evidence_is_weak() -> None:
    from optiloop.report.commit import commit_message

    target = Target(Hotspot("f", "m.py", 1, 0.5, 0.5), "def f(): pass", "def f(): pass")
    verdict = Verdict(1.5, 1.2, 1.8, True, True, "faster")
    weak = (Check("replay", True, f"2 real call(s) replayed; {WEAK_EVIDENCE}: fewer than 5", replayed=2, weak=True),)
    strong = (Check("replay", True, "50 real call(s) replayed", replayed=50),)
    candidate = Candidate(target, "def f(): pass", "why", "test")
    assert "Weak evidence:" in commit_message(candidate, verdict, weak, "builtin", "r1")
    assert "Weak evidence:" not in commit_message(candidate, verdict, strong, "builtin", "r1")
