from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from optiloop.catalog.rules.list_concat import ListConcatToAppend

RULE = ListConcatToAppend()
Fixture = Callable[..., Any]


def test_append_and_extend(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        def f(rows):
            out = []
            for r in rows:
                if r in out or len(out) > 9 and out[0] == r:
                    continue
                out = out + [r]
                out = out + [r, -r]
            return out
        """,
    )
    assert applied.code == block(
        """
        def f(rows):
            out = []
            for r in rows:
                if r in out or len(out) > 9 and out[0] == r:
                    continue
                out.append(r)
                out.extend((r, -r))
            return out
        """
    )


@pytest.mark.parametrize(
    "source",
    [
        # a parameter: the caller holds the same list
        "def f(out, rows):\n    for r in rows:\n        out = out + [r]\n    return out\n",
        # another name keeps the old list
        "def f(rows):\n    out = []\n    first = out\n    for r in rows:\n        out = out + [r]\n    return first\n",
        # passed to a call, which may keep it
        "def f(rows):\n    out = []\n    for r in rows:\n        log(out)\n        out = out + [r]\n    return out\n",
        # stored in a container
        "def f(rows):\n    out = []\n    snaps = []\n"
        "    for r in rows:\n        snaps.append(out)\n        out = out + [r]\n",
        # yielded from a generator, then changed in place
        "def f(rows):\n    out = []\n    for r in rows:\n        out = out + [r]\n        yield out\n",
        # not known to be a list
        "def f(rows):\n    out = make()\n    for r in rows:\n        out = out + [r]\n    return out\n",
        # used by a closure
        "def f(rows):\n    out = []\n    g = lambda: out\n    for r in rows:\n        out = out + [r]\n    return g\n",
        # starred element, and a tuple on the right
        "def f(rows):\n    out = []\n    for r in rows:\n"
        "        out = out + [*r]\n        out = out + (r,)\n    return out\n",
        # the loop walks the list it grows: append would make it walk the new items too
        "def f(rows):\n    out = [1]\n    for r in out:\n        out = out + [r]\n    return out\n",
        # prepending is not appending
        "def f(rows):\n    out = []\n    for r in rows:\n        out = [r] + out\n    return out\n",
        # locals() sees every name
        "def f(rows):\n    out = []\n    for r in rows:\n        out = out + [r]\n    return locals()\n",
    ],
)
def test_refuses(rewrite: Fixture, source: str) -> None:
    assert rewrite(RULE, source) is None


def test_behaviour_is_unchanged(behaves_the_same: Fixture) -> None:
    source = """
        def f(rows):
            out = []
            for r in rows:
                if r not in out:
                    out = out + [r]
                out = out + [r, len(out)]
            return out
        """
    behaves_the_same(RULE, source, ["f([1, 2, 1])", "f([])", "f('abca')", "f(None)"])
