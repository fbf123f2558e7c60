from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from optiloop.catalog.rules.dict_keys import DictKeysMembership

RULE = DictKeysMembership()
Fixture = Callable[..., Any]


def test_membership_and_loops(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        def f(d: dict[str, int], k, other: "Mapping"):
            counts = {}
            if k in d.keys() and k not in counts.keys():
                return 1
            total = 0
            for key in d.keys():
                total += d[key]
            return total, [key for key in counts.keys() if key], k in other.keys()
        """,
    )
    assert applied.code == block(
        """
        def f(d: dict[str, int], k, other: "Mapping"):
            counts = {}
            if k in d and k not in counts:
                return 1
            total = 0
            for key in d:
                total += d[key]
            return total, [key for key in counts if key], k in other.keys()
        """
    )
    assert applied.rewrite.imports == applied.rewrite.helpers == ()


def test_module_level_dict_and_collections(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        import collections
        import typing
        from collections import Counter

        TABLE = dict(a=1)


        class Store:
            def has(self, k, seen: typing.MutableMapping[str, int]):
                tally = Counter()
                groups = collections.defaultdict(list)
                return k in TABLE.keys(), k in tally.keys(), k in groups.keys(), k in seen.keys()
        """,
        "Store.has",
    )
    assert applied.code == block(
        """
        def has(self, k, seen: typing.MutableMapping[str, int]):
            tally = Counter()
            groups = collections.defaultdict(list)
            return k in TABLE, k in tally, k in groups, k in seen
        """
    )


@pytest.mark.parametrize(
    "source",
    [
        # no evidence that a plain parameter is a mapping (sqlite3.Row, email Message, duck typing)
        "def f(d, k):\n    return k in d.keys()\n",
        # an attribute: no evidence either
        "def f(self, k):\n    return k in self.d.keys()\n",
        # a local that may hold something else
        "def f(rows, k):\n    d = {}\n    if rows:\n        d = rows[0]\n    return k in d.keys()\n",
        # an annotated parameter that is rebound
        "def f(d: dict, k):\n    d = load()\n    return k in d.keys()\n",
        # an optional annotation
        "def f(d: dict | None, k):\n    return k in d.keys()\n",
        # the loop assigns to d[...]
        "def f(d: dict):\n    for k in d.keys():\n        d[k] = 0\n",
        # the loop deletes from d
        "def f(d: dict):\n    for k in d.keys():\n        del d[k]\n",
        # the loop calls a method on d
        "def f(d: dict):\n    for k in d.keys():\n        d.pop(k)\n",
        # augmented assignment through d
        "def f(d: dict):\n    for k in d.keys():\n        d[k] += 1\n",
        # keys() with arguments is something else
        "def f(d: dict, k):\n    return k in d.keys(1)\n",
        # dict is rebound in the module
        "dict = list\ndef f(k):\n    d = dict()\n    return k in d.keys()\n",
        # a module-level name bound twice
        "D = {}\nD = load()\ndef f(k):\n    return k in D.keys()\n",
        # nested function
        "def f(d: dict, k):\n    def g():\n        return k in d.keys()\n    return g\n",
        # not a membership test
        "def f(d: dict, k):\n    return k == d.keys()\n",
        # a comprehension that calls a method on d
        "def f(d: dict):\n    return [d.get(k) for k in d.keys()]\n",
    ],
)
def test_refuses(rewrite: Fixture, source: str) -> None:
    assert rewrite(RULE, source) is None


def test_duck_typed_update_is_left_alone(rewrite: Fixture) -> None:
    source = """
        def update(target, other):
            if hasattr(other, "keys"):
                for key in other.keys():
                    target[key] = other[key]
            return target
        """
    assert rewrite(RULE, source, "update") is None


def test_behaviour_is_unchanged(behaves_the_same: Fixture) -> None:
    source = """
        from collections import OrderedDict


        def f(d: dict, k):
            out = []
            for key in d.keys():
                out.append((key, d[key]))
            return k in d.keys(), k not in d.keys(), out, {key for key in d.keys()}
        """
    behaves_the_same(
        RULE,
        source,
        ["f({'a': 1, 'b': 2}, 'a')", "f({}, 'x')", "f(OrderedDict(z=1), 'z')", "f({1: 2}, [1])"],
    )
