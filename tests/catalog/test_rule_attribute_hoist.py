from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from optiloop.catalog.rules.method_hoist import AttributeHoist

RULE = AttributeHoist()
Fixture = Callable[..., Any]


def test_methods_and_math(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        import math


        def f(points):
            out = []
            seen = set()
            for x, y in points:
                out.append(math.sqrt(x * x + y * y))
                seen.add(x)
            out.append(0)
            return out, seen
        """,
    )
    assert applied.code == block(
        """
        def f(points):
            out = []
            seen = set()
            out_append = out.append
            math_sqrt = math.sqrt
            seen_add = seen.add
            for x, y in points:
                out_append(math_sqrt(x * x + y * y))
                seen_add(x)
            out.append(0)
            return out, seen
        """
    )


@pytest.mark.parametrize(
    "source",
    [
        # not in a loop
        "def f(x):\n    out = []\n    out.append(x)\n    return out\n",
        # a parameter: any type, its attribute may change
        "def f(out, xs):\n    for x in xs:\n        out.append(x)\n",
        # rebound
        "def f(xs):\n    out = []\n    for x in xs:\n        out.append(x)\n        out = []\n",
        # not a builtin type
        "def f(xs):\n    out = make()\n    for x in xs:\n        out.append(x)\n",
        # bound in the same statement as the loop
        "def f(xs):\n    for x in xs:\n        out = []\n        out.append(x)\n",
        # bound only on one branch
        "def f(xs, flag):\n    if flag:\n        out = []\n    for x in xs:\n        out.append(x)\n",
        # no such method
        "def f(xs):\n    out = []\n    for x in xs:\n        out.push(x)\n",
        # math imported under another name, or not at all
        "import math as m\ndef f(xs):\n    for x in xs:\n        m.sqrt(x)\n",
        "def f(xs, math):\n    for x in xs:\n        math.sqrt(x)\n",
        "import math\ndef f(xs):\n    for x in xs:\n        math.nosuch(x)\n",
        # a closure uses the list
        "def f(xs):\n    out = []\n    g = lambda: out\n    for x in xs:\n        out.append(x)\n",
    ],
)
def test_refuses(rewrite: Fixture, source: str) -> None:
    assert rewrite(RULE, source) is None


def test_behaviour_is_unchanged(behaves_the_same: Fixture) -> None:
    source = """
        import math


        def f(xs):
            out = []
            d = {}
            for x in xs:
                out.append(math.floor(x))
                d.setdefault(x, []).append(x)
            return out, d
        """
    behaves_the_same(RULE, source, ["f([1.5, 2.5, 1.5])", "f([])", "f(['a'])", "f(None)"])
