from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from optiloop.catalog.rules.any_all_generator import AnyAllGenerator

RULE = AnyAllGenerator()
Fixture = Callable[..., Any]


def test_list_comprehensions_become_generators(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        def f(xs, limit, d):
            if any([x > limit for x in xs]):
                return 1
            ok = all([k is not None and v for k, v in d.items() if k != limit])
            return ok and any([x == y for x in range(limit) for y in xs])
        """,
    )
    assert applied.code == block(
        """
        def f(xs, limit, d):
            if any(x > limit for x in xs):
                return 1
            ok = all(k is not None and v for k, v in d.items() if k != limit)
            return ok and any(x == y for x in range(limit) for y in xs)
        """
    )
    assert applied.rewrite.imports == applied.rewrite.helpers == ()


def test_inside_a_method_and_a_comprehension(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        class Grid:
            def full(self, rows):
                return [all([c for c in row]) for row in rows]
        """,
        "Grid.full",
    )
    assert applied.code == block(
        """
        def full(self, rows):
            return [all(c for c in row) for row in rows]
        """
    )


@pytest.mark.parametrize(
    "source",
    [
        # the element calls a function: skipped calls could be skipped side effects
        "def f(xs):\n    return any([check(x) for x in xs])\n",
        # the element subscripts (may raise)
        "def f(xs, d):\n    return any([d[x] for x in xs])\n",
        # the condition reads an attribute (may run a property)
        "def f(xs):\n    return all([x for x in xs if x.ok])\n",
        # a walrus
        "def f(xs):\n    return any([(y := x) for x in xs])\n",
        # an inner iterable that calls
        "def f(xs):\n    return any([y for x in xs for y in load(x)])\n",
        # the outer iterable is a call that may produce a lazy iterator with side effects
        "def f(path):\n    return any([line for line in open(path)])\n",
        # a set comprehension is not rewritten
        "def f(xs):\n    return any({x for x in xs})\n",
        # any is shadowed
        "def any(xs):\n    return True\ndef f(xs):\n    return any([x for x in xs])\n",
        # a keyword argument
        "def f(xs):\n    return any(iterable=[x for x in xs])\n",
        # only inside a nested function
        "def f(xs):\n    def g():\n        return any([x for x in xs])\n    return g\n",
        # an f-string runs __format__
        "def f(xs):\n    return any([f'{x}' for x in xs])\n",
    ],
)
def test_refuses(rewrite: Fixture, source: str) -> None:
    assert rewrite(RULE, source) is None


def test_behaviour_is_unchanged(behaves_the_same: Fixture) -> None:
    source = """
        def f(xs, limit):
            return any([x > limit for x in xs]), all([x for x in xs if x != limit])
        """
    behaves_the_same(RULE, source, ["f([1, 2, 3], 2)", "f([], 0)", "f([0, 0], 0)", "f(None, 1)", "f('abc', 'b')"])
