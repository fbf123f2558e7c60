"""Targets from a real profile: context, covering tests found by running the tests, and running only those."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from optiloop.context import estimate_tokens, prompt_material
from optiloop.proc import shell_argv
from optiloop.targets import FindTargets
from optiloop.testselect import covering_command
from optiloop.types import Hotspot, Profile, Target
from tests.profiling.planted import BASKET, SLOW_LINE, UNITTEST_CMD, env, in_scope, line_of, planted, profiler


@pytest.mark.parametrize(("cmd", "ids", "expected"), [
    ("python -m unittest discover -s tests -q", ("test_a.T.test_x",),
     "PYTHONPATH=tests${PYTHONPATH:+:$PYTHONPATH} python -m unittest -q test_a.T.test_x"),
    ("python -m unittest discover -s tests -t .", ("tests.test_a.T.test_x",),
     "python -m unittest tests.test_a.T.test_x"),
    ("python3 -m unittest discover tests 'test_*.py' .", ("tests.t.T.a",), "python3 -m unittest tests.t.T.a"),
    ("python -m unittest -v tests.test_a", ("tests.test_a.T.test_x", "tests.test_a.T.test_y"),
     "python -m unittest -v tests.test_a.T.test_x tests.test_a.T.test_y"),
    ("pytest -q tests -k slow --maxfail 2", ("tests/test_a.py::test_x",),
     "pytest -q --maxfail 2 tests/test_a.py::test_x"),
    ("CI=1 python -m pytest -x tests/", ("tests/test_a.py::C::test_x",),
     "CI=1 python -m pytest -x tests/test_a.py::C::test_x"),
    ("pytest", ("tests/test_a.py::test_x[1-2]",), "pytest 'tests/test_a.py::test_x[1-2]'"),
    ("make test", ("a",), None),
    ("pytest && echo done", ("a",), None),
    ("tox -e py311", ("a",), None),
    ("python -m unittest --weird-flag", ("a",), None),
    ("pytest", (), None),
])
def test_covering_command(cmd: str, ids: tuple[str, ...], expected: str | None) -> None:
    assert covering_command(cmd, ids) == expected


@pytest.fixture(scope="module")
def profiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Profile]:
    """The planted project and one real py-spy profile of it, shared by the tests below."""
    base = tmp_path_factory.mktemp("targets")
    root = planted(base / "proj")
    return root, profiler(root, base / "rec").profile("initial")


def finder(root: Path, tests_cmd: str | None, work: Path, budget: int = 1500) -> FindTargets:
    def artifact(name: str) -> Path:
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        return work / name

    return FindTargets(root, root, in_scope, tests_cmd, env(), artifact, 120, budget)


def read_in(root: Path):  # type: ignore[no-untyped-def]
    return lambda rel: (root / rel).read_text()


def by_name(targets: list[Target]) -> dict[str, Target]:
    return {t.qualname: t for t in targets}


def run(cmd: str, cwd: Path) -> str:
    done = subprocess.run(shell_argv(cmd), cwd=cwd, env=env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def test_unittest_covering_tests_are_found_by_running_them(profiled: tuple[Path, Profile], tmp_path: Path) -> None:
    root, profile = profiled
    find = finder(root, UNITTEST_CMD, tmp_path)
    targets = by_name(find(profile, read_in(root)))
    assert find.runs == 1 and find.coverage is not None and find.coverage.ok  # one test run for all targets
    assert targets["Basket.total"].covering_tests == ("test_basket.BasketTests.test_total",)
    assert targets["Basket.ranked"].covering_tests == ("test_basket.BasketTests.test_ranked",)  # a property
    assert targets["Basket.scale"].covering_tests == ()  # no test calls it
    only = covering_command(UNITTEST_CMD, targets["Basket.total"].covering_tests)
    assert only is not None
    output = run(only, root)
    assert "Ran 1 test" in output and "OK" in output
    assert not list(root.rglob("__pycache__"))


def test_pytest_node_ids_and_the_command_that_runs_only_them(profiled: tuple[Path, Profile], tmp_path: Path) -> None:
    root, profile = profiled
    cmd = "python -m pytest -q -p no:cacheprovider tests"
    targets = by_name(finder(root, cmd, tmp_path)(profile, read_in(root)))
    ids = targets["Basket.total"].covering_tests
    assert ids == ("tests/test_basket.py::BasketTests::test_total",)
    only = covering_command(cmd, ids)
    assert only == "python -m pytest -q -p no:cacheprovider tests/test_basket.py::BasketTests::test_total"
    assert "1 passed" in run(only, root)


def test_context_has_heat_callers_imports_and_stays_small(profiled: tuple[Path, Profile], tmp_path: Path) -> None:
    root, profile = profiled
    targets = finder(root, None, tmp_path)(profile, read_in(root))
    assert targets[0].qualname == "Basket.total"
    total = targets[0]
    assert total.source.lstrip().startswith("def total(self):")
    context = total.context
    assert f"Hottest line {line_of(BASKET, SLOW_LINE)}" in context and SLOW_LINE in context
    assert "work.py:4 in <module>: print(basket.total())" in context  # the sampled call site, with its line
    assert "import math" in context  # the module's imports
    assert "# Calls " not in context  # no callees here
    assert "shares self.{items}):\ndef __init__(self, items):\n    self.items = list(items)" in context  # its state
    assert all(estimate_tokens(prompt_material(t)) <= 1500 for t in targets)  # the default budget


MODULE = '''\
import re

LIMIT = 3
UNUSED = 4


def helper(text):
    """Split on commas."""
    return re.split(",", text)


def big(text):
    a = 1
    b = 2
    c = 3
    d = 4
    e = 5
    f = 6
    g = 7
    h = 8
    i = 9
    j = 10
    k = 11
    l2 = 12
    m = 13
    n = 14
    o = 15
    p = 16
    q = 17
    r = 18
    s = 19
    t = 20
    u = 21
    v = 22
    w = 23
    x = 24
    y = 25
    z = 26
    return text * (a + b + c + d + e + f + g + h + i + j + k + l2 + m + n + o + p + q + r + s + t + u + v + w + x + y)


class Parser:
    def parse(self, text):
        return [self.clean(x) for x in helper(big(text))][:LIMIT]

    def clean(self, x):
        return x.strip()
'''


def test_callees_in_the_project_signatures_then_sources_within_the_budget(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text(MODULE)
    spot = Hotspot("Parser.parse", "pkg/mod.py", line_of(MODULE, "def parse"), 0.5, 0.9,
                   ((line_of(MODULE, "def parse") + 1, 0.5),))
    profile = Profile((spot,), 100)
    (target,) = finder(tmp_path, None, tmp_path / "w")(profile, read_in(tmp_path))
    ctx = target.context
    assert "LIMIT = 3" in ctx and "UNUSED" not in ctx  # the module-level names it reads
    assert "# Calls pkg/mod.py::helper (not sampled):" in ctx and 'return re.split(",", text)' in ctx
    assert "# Calls pkg/mod.py::Parser.clean" in ctx and "return x.strip()" in ctx  # self.clean → Parser.clean
    assert "# Calls pkg/mod.py::big" in ctx and "def big(text):\n    ..." in ctx  # too long: signature only
    (small,) = finder(tmp_path, None, tmp_path / "w2", budget=60)(profile, read_in(tmp_path))
    assert "Calls" not in small.context and small.context.startswith("# Profile of pkg/mod.py::Parser.parse")


FASTER_BUT_SHIFTED = BASKET.replace(
    "    def total(self):\n",
    "    def total(self):\n        # rewritten: still quadratic, but a different line is the slow one\n",
).replace(SLOW_LINE, "out += x * sum(1 for y in self.items if y == x)")


def test_a_new_profile_reads_the_new_code(tmp_path: Path) -> None:
    root = planted(tmp_path / "proj")
    prof = profiler(root, tmp_path / "rec", min_samples=100)
    first = finder(root, None, tmp_path / "w")(prof.profile("initial"), read_in(root))
    assert "self.items.count(x)" in by_name(first)["Basket.total"].source
    (root / "shop" / "basket.py").write_text(FASTER_BUT_SHIFTED.replace("Basket.build(5000)", "Basket.build(2000)"))
    (root / "work.py").write_text((root / "work.py").read_text().replace("Basket.build(5000)", "Basket.build(1500)"))
    again = finder(root, None, tmp_path / "w")(prof.profile("after-1"), read_in(root))
    total = by_name(again)["Basket.total"]
    assert "sum(1 for y in self.items if y == x)" in total.source and "count(x)" not in total.source
    slow = line_of(FASTER_BUT_SHIFTED, "sum(1 for y")
    assert max(total.hotspot.line_heat, key=lambda lh: lh[1])[0] == slow
    assert f"Hottest line {slow}" in total.context


def test_failing_tests_while_finding_coverage_leave_a_note(profiled: tuple[Path, Profile], tmp_path: Path) -> None:
    root, profile = profiled
    notes: list[str] = []
    find = finder(root, f"{UNITTEST_CMD} && exit 3", tmp_path)
    find.on_note = notes.append
    targets = by_name(find(profile, read_in(root)))
    assert find.coverage is not None and not find.coverage.ok
    assert len(notes) == 1 and "the covering tests found may be incomplete" in notes[0]
    assert targets["Basket.total"].covering_tests == ("test_basket.BasketTests.test_total",)  # still recorded


def test_too_many_covering_tests_for_one_command_line_mean_the_full_suite() -> None:
    ids = tuple(f"tests/test_version.py::test_parse[1.0.{i}-release-candidate-{i}]" for i in range(5000))
    assert covering_command("python -m pytest -q tests", ids) is None
    assert covering_command("python -m pytest -q tests", ids[:10]) is not None


def test_a_prompt_names_the_most_related_covering_tests_and_counts_the_rest() -> None:
    from optiloop.context import MAX_TESTS_SHOWN, covering_list, shown_tests

    many = tuple(f"tests/test_other.py::test_case_{i:04d}" for i in range(1000))
    related = ("tests/test_core.py::test_everything_at_once", "tests/test_other.py::test_dedupe_keeps_order")
    target = Target(Hotspot("dedupe", "pkg/core.py", 1, 0.5, 0.5), "def dedupe(x): ...\n", "",
                    covering_tests=many + related)
    shown, more = shown_tests(target)
    assert shown[:2] == (related[1], related[0]) and len(shown) == MAX_TESTS_SHOWN and more == 1002 - MAX_TESTS_SHOWN
    text = covering_list(shown, more)
    assert text.endswith(f"- ... and {more} more\n") and len(text) < 1000  # not 44k-71k characters


def test_a_methods_context_holds_where_its_state_is_made_and_used() -> None:
    from optiloop.context import class_state

    module = ("class Index:\n    def __init__(self, items):\n        self._items = list(items)\n        self.n = 0\n\n"
              "    def add(self, x):\n        self._items.append(x)\n\n    def name(self):\n        return 'i'\n\n"
              "    def has(self, x):\n        return x in self._items\n")
    found = class_state(module, Hotspot("Index.has", "m.py", 12, 0.5, 0.5))
    assert [text.splitlines()[0] for text in found] == ["# Index.__init__ (line 2; shares self.{_items}):",
                                                        "# Index.add (line 6; shares self.{_items}):"]
    assert class_state(module, Hotspot("helper", "m.py", 1, 0.5, 0.5)) == []
