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
        def f(d, k, other):
            if k in d.keys() and k not in other.data.keys():
                return 1
            total = 0
            for key in d.keys():
                total += d[key]
            return total, [key for key in other.data.keys() if key]
        """,
    )
    assert applied.code == block(
        """
        def f(d, k, other):
            if k in d and k not in other.data:
                return 1
            total = 0
            for key in d:
                total += d[key]
            return total, [key for key in other.data if key]
        """
    )
    assert applied.rewrite.imports == applied.rewrite.helpers == ()


def test_membership_on_a_call_result(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        class Store:
            def has(self, k):
                return k in self.load().keys()
        """,
        "Store.has",
    )
    assert applied.code == block(
        """
        def has(self, k):
            return k in self.load()
        """
    )


@pytest.mark.parametrize(
    "source",
    [
        # the loop assigns to d[...]
        "def f(d):\n    for k in d.keys():\n        d[k] = 0\n",
        # the loop deletes from d
        "def f(d):\n    for k in d.keys():\n        del d[k]\n",
        # the loop calls a method on d
        "def f(d):\n    for k in d.keys():\n        d.pop(k)\n",
        # augmented assignment through d
        "def f(d):\n    for k in d.keys():\n        d[k] += 1\n",
        # keys() with arguments is something else
        "def f(d, k):\n    return k in d.keys(1)\n",
        # a for loop over keys() of a call result cannot be checked for mutation
        "def f(g):\n    for k in g().keys():\n        pass\n",
        # nested function
        "def f(d, k):\n    def g():\n        return k in d.keys()\n    return g\n",
        # not a membership test
        "def f(d, k):\n    return k == d.keys()\n",
        # a comprehension that calls a method on d
        "def f(d):\n    return [d.get(k) for k in d.keys()]\n",
    ],
)
def test_refuses(rewrite: Fixture, source: str) -> None:
    assert rewrite(RULE, source) is None


def test_behaviour_is_unchanged(behaves_the_same: Fixture) -> None:
    source = """
        from collections import OrderedDict


        def f(d, k):
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
