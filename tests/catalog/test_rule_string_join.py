from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from optiloop.catalog.rules.string_join import StringConcatToJoin

RULE = StringConcatToJoin()
Fixture = Callable[..., Any]


def test_pieces_are_joined_once(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        def f(rows):
            out = "header\\n"
            for name, value in rows:
                out += f"{name}={value}"
                if value:
                    out += "," + str(value).strip()
            return out
        """,
    )
    assert applied.code == block(
        """
        def f(rows):
            out = "header\\n"
            out_parts = [out]
            for name, value in rows:
                out_parts.append(f"{name}={value}")
                if value:
                    out_parts.append("," + str(value).strip())
            out = "".join(out_parts)
            return out
        """
    )


@pytest.mark.parametrize(
    "source",
    [
        # a piece of unknown type: s + x may call x.__radd__, join raises TypeError
        "def f(xs):\n    s = ''\n    for x in xs:\n        s += x\n    return s\n",
        # the loop reads s
        "def f(xs):\n    s = ''\n    for x in xs:\n        s += f'{x}'\n        print(len(s))\n    return s\n",
        # the while test reads s
        "def f():\n    s = ''\n    while len(s) < 10:\n        s += 'ab'\n    return s\n",
        # inside try: the handler would see a stale s
        "def f(xs):\n    s = ''\n    try:\n        for x in xs:\n"
        "            s += str(x)\n    except ValueError:\n        return s\n",
        # bound only after the loop, or only on one branch before it
        "def f(xs):\n    for x in xs:\n        s += str(x)\n    s = ''\n"
        "    return s\n",
        "def f(xs, c):\n    if c:\n        s = ''\n    for x in xs:\n        s += str(x)\n    return s\n",
        # bytes
        "def f(xs):\n    s = b''\n    for x in xs:\n        s += b'x'\n    return s\n",
        # a parameter: maybe not a str
        "def f(s, xs):\n    for x in xs:\n        s += str(x)\n    return s\n",
        # += in two different loops
        "def f(xs):\n    s = ''\n    for x in xs:\n        s += str(x)\n"
        "    for x in xs:\n        s += str(x)\n    return s\n",
        # a generator could be closed halfway
        "def f(xs):\n    s = ''\n    for x in xs:\n        s += str(x)\n        yield x\n",
        # str shadowed
        "def f(xs, str):\n    s = ''\n    for x in xs:\n        s += str(x)\n    return s\n",
        # a nested function uses s
        "def f(xs):\n    s = ''\n    for x in xs:\n        s += str(x)\n    return lambda: s\n",
    ],
)
def test_refuses(rewrite: Fixture, source: str) -> None:
    assert rewrite(RULE, source) is None


def test_behaviour_is_unchanged(behaves_the_same: Fixture) -> None:
    source = """
        def f(rows, stop=None):
            s = "<"
            n = 0
            for r in rows:
                if r == stop:
                    break
                s += str(r) + ";"
                n += 1
            else:
                s += "end"
            s += ">"
            return s, n
        """
    behaves_the_same(RULE, source, ["f([1, 2, 3])", "f([1, 2, 3], stop=2)", "f([])", "f(None)", "f('xy')"])
