from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from optiloop.catalog.rules.sorted_min import SortedFirstToMin

RULE = SortedFirstToMin()
Fixture = Callable[..., Any]


def test_min_max_and_key(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        def f(xs, k):
            return sorted(xs)[0], sorted(xs, key=k)[0], sorted(xs, key=len, reverse=True)[0], sorted([3, 1])[0]
        """,
    )
    assert applied.code == block(
        """
        def f(xs, k):
            return _sorted_first_min(xs), _sorted_first_min(xs, key=k), _sorted_first_max(xs, key=len), min([3, 1])
        """
    )
    assert applied.rewrite.names == ("_sorted_first_min", "_sorted_first_max")
    assert applied.rewrite.helpers[0].startswith("def _sorted_first_min(items, key=None):")
    assert 'raise IndexError("list index out of range")' in applied.rewrite.helpers[1]


@pytest.mark.parametrize(
    "source",
    [
        # [-1] is the last of equal largest elements; max returns the first
        "def f(xs):\n    return sorted(xs)[-1]\n",
        # other indexes and slices
        "def f(xs):\n    return sorted(xs)[1], sorted(xs)[:1], sorted(xs)[i]\n",
        # reverse that is not a literal
        "def f(xs, r):\n    return sorted(xs, reverse=r)[0]\n",
        # starred arguments
        "def f(xs, kw):\n    return sorted(*xs)[0], sorted(xs, **kw)[0]\n",
        # sorted, min or max rebound
        "from mylib import sorted\ndef f(xs):\n    return sorted(xs)[0]\n",
        "def f(xs, min):\n    return sorted(xs)[0]\n",
        # an assignment to the sorted copy
        "def f(xs):\n    sorted(xs)[0] = 1\n",
        # a method called sorted
        "def f(self, xs):\n    return self.sorted(xs)[0]\n",
    ],
)
def test_refuses(rewrite: Fixture, source: str) -> None:
    assert rewrite(RULE, source) is None


def test_behaviour_is_unchanged(behaves_the_same: Fixture) -> None:
    source = """
        def f(xs, key=None):
            return sorted(xs, key=key)[0], sorted(xs, key=key, reverse=True)[0]


        def g(xs):
            return sorted(iter(xs))[0]
        """
    behaves_the_same(
        RULE,
        source,
        [
            "f([3, 1, 2])",
            "f([(1, 'a'), (1, 'b'), (0, 'c'), (0, 'd')], key=lambda t: t[0])",  # ties: the first one wins
            "f([1, 1.0, True])",
            "f([])",  # IndexError, not ValueError
            "g([])",
            "f([1, 'a'])",  # TypeError either way
            "f('hello', key=str.upper)",
        ],
    )
