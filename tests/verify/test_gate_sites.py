"""Which changed definitions beside the target the gate replays, and which tests it runs for them."""

from __future__ import annotations

from optiloop.types import Change, Hotspot, Target
from optiloop.verify.sites import covering_union, not_replayed, others

OLD = '''\
class Index:
    def __init__(self, items):
        self._items = list(items)

    def has(self, x):
        return x in self._items


def _skip(s, i, chars):
    return i


def helper(x):
    return x + 1


def parse(s):
    return _skip(s, 0, " ") + helper(1)
'''
NEW = (OLD.replace("list(items)", "set(items)").replace("def _skip(s, i, chars)", "def _skip(s, i)")
       .replace('_skip(s, 0, " ")', "_skip(s, 0)").replace("return x + 1", "return 1 + x"))


def read(path: str, side: str) -> str:
    return OLD if side == "baseline" else NEW


def target(qualname: str) -> Target:
    return Target(Hotspot(qualname, "m.py", 1, 0.5, 0.5), "...", OLD, covering_tests=("t::own",))


def test_every_other_changed_function_with_the_same_signature_is_replayed() -> None:
    changes = [Change("m.py", q) for q in ("parse", "Index.__init__", "_skip", "helper")]
    found = others(target("parse"), changes, read)
    assert [t.qualname for t in found.replay] == ["helper"]
    assert found.replay[0].source.startswith("def helper(x):")
    assert found.skipped == ("`Index.__init__` is not replayed: it lays out its class's state anew",
                             "`_skip` is not replayed: its signature changed (its uses are replayed instead)")
    check = not_replayed(found.skipped)
    assert check.passed and check.weak and check.detail.endswith("the tests and the workload's output decide")


def test_a_method_of_a_class_laid_out_anew_is_not_replayed_against_old_objects() -> None:
    found = others(target("Index.has"), [Change("m.py", "Index.__init__")], read)
    assert found.replay == () and found.skipped[0].startswith("`Index.has` is not replayed: the candidate changes "
                                                              "how `Index` keeps its state")


def test_the_covering_tests_of_every_changed_definition_or_the_full_suite() -> None:
    coverage = {"m.py::helper": ("t::helper", "t::own")}
    both = covering_union(target("parse"), [Change("m.py", "parse"), Change("m.py", "helper"),
                                            Change("m.py", "NEW", "added")], coverage)
    assert both.covering_tests == ("t::own", "t::helper")
    unknown = covering_union(target("parse"), [Change("m.py", "_skip")], coverage)
    assert unknown.covering_tests == ()  # no known covering tests: the full suite runs before measuring
