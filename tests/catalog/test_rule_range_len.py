from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from optiloop.catalog.rules.range_len import RangeLenToEnumerate

RULE = RangeLenToEnumerate()
Fixture = Callable[..., Any]


def test_direct_iteration_when_only_indexing(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        def f(values: list[float], w):
            total = 0
            for i in range(len(values)):
                total += values[i] * w + abs(values[i])
            return total
        """,
    )
    assert applied.code == block(
        """
        def f(values: list[float], w):
            total = 0
            for value in values:
                total += value * w + abs(value)
            return total
        """
    )


def test_augmented_assignment_reads_the_element(rewrite: Fixture) -> None:
    source = "def f(xs: tuple):\n    t = 0\n    for i in range(len(xs)):\n        t += xs[i]\n    return t\n"
    applied = rewrite(RULE, source)
    assert applied.code == "def f(xs: tuple):\n    t = 0\n    for x in xs:\n        t += x\n    return t\n"


def test_enumerate_when_the_index_is_used(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        def f(n):
            xs = [k * k for k in range(n)]
            out = []
            for i in range(len(xs)):
                out.append((i, xs[i], len(xs)))
            return out, i
        """,
    )
    assert applied.code == block(
        """
        def f(n):
            xs = [k * k for k in range(n)]
            out = []
            for i, x in enumerate(xs):
                out.append((i, x, len(xs)))
            return out, i
        """
    )


@pytest.mark.parametrize(
    "source",
    [
        # no evidence xs is a list/tuple/str: a dict indexes by key
        "def f(xs):\n    t = 0\n    for i in range(len(xs)):\n        t += xs[i]\n    return t\n",
        # the loop stores into xs, also by unpacking or augmented assignment
        "def f(xs: list):\n    for i in range(len(xs)):\n        xs[i] = xs[i] + 1\n",
        "def f(xs: list):\n    for i in range(len(xs)):\n        a, xs[i] = xs[i], 0\n",
        "def f(xs: list):\n    for i in range(len(xs)):\n        xs[i] += xs[i]\n",
        # a call could change the length of a parameter through an alias
        "def f(xs: list):\n    for i in range(len(xs)):\n        g(xs[i])\n",
        # xs escapes, so a call in the loop could change it
        "def f(n):\n    xs = list(n)\n    keep(xs)\n    for i in range(len(xs)):\n        g(xs[i])\n",
        # i is assigned in the loop
        "def f(xs: list):\n    for i in range(len(xs)):\n        i = 2 * i\n        print(xs[i])\n",
        # the index is never used to index xs
        "def f(xs: list, ys: list):\n    for i in range(len(xs)):\n        ys[i] = 0\n",
        # xs rebound
        "def f(xs: list):\n    xs = g(xs)\n    for i in range(len(xs)):\n        print(xs[i])\n",
        # range with a start
        "def f(xs: list):\n    for i in range(1, len(xs)):\n        print(xs[i])\n",
        # len or enumerate shadowed
        "def f(xs: list, enumerate):\n    for i in range(len(xs)):\n        print(i, xs[i])\n",
    ],
)
def test_refuses(rewrite: Fixture, source: str) -> None:
    assert rewrite(RULE, source) is None


def test_behaviour_is_unchanged(behaves_the_same: Fixture) -> None:
    source = """
        def f(values: list, w):
            total = 0
            for i in range(len(values)):
                total += values[i] * w
            return total


        def g(text: str):
            xs = sorted(text)
            out = []
            for i in range(len(xs)):
                out.append((i, xs[i]))
            return out
        """
    behaves_the_same(RULE, source, ["f([1, 2, 3], 2)", "f([], 2)", "f(['a'], 'x')"])
    behaves_the_same(RULE, source, ["g('hello')", "g('')"], qualname="g")
