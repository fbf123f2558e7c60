from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from optiloop.catalog.rules.invariant_hoist import LoopInvariantHoist

RULE = LoopInvariantHoist()
Fixture = Callable[..., Any]


def test_module_constant_and_local(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        STOP = ["a", "the", "of"]


        def f(words, rows):
            keys = [r[0] for r in rows]
            kept = [w for w in words if w not in set(STOP)]
            total = 0
            for r in rows:
                if r[1] in tuple(keys):
                    total += len(keys) + len(STOP)
            return kept, total
        """,
    )
    assert applied.code == block(
        """
        def f(words, rows):
            keys = [r[0] for r in rows]
            stop_set = set(STOP)
            kept = [w for w in words if w not in stop_set]
            total = 0
            keys_tuple = tuple(keys)
            keys_len = len(keys)
            stop_len = len(STOP)
            for r in rows:
                if r[1] in keys_tuple:
                    total += keys_len + stop_len
            return kept, total
        """
    )


@pytest.mark.parametrize(
    "source",
    [
        # not in a loop: nothing to gain
        "STOP = [1]\ndef f(w):\n    return w in set(STOP)\n",
        # the comprehension's own iterable is evaluated once anyway
        "STOP = [1]\ndef f():\n    return [w for w in set(STOP)]\n",
        # a parameter may be changed by the loop through an alias, or be an iterator
        "def f(ws, stop):\n    return [w for w in ws if w in set(stop)]\n",
        # the loop changes the local
        "def f(ws):\n    seen = []\n    for w in ws:\n        if w not in set(seen):\n            seen.append(w)\n",
        # the module mutates the constant somewhere
        "STOP = [1]\ndef g():\n    STOP.append(2)\ndef f(ws):\n    return [w for w in ws if w in set(STOP)]\n",
        "STOP = [1]\ndef g():\n    STOP[0] = 2\ndef f(ws):\n    return [w for w in ws if w in set(STOP)]\n",
        # rebound at module level
        "STOP = [1]\nSTOP = load()\ndef f(ws):\n    return [w for w in ws if w in set(STOP)]\n",
        # elements that may be unhashable: set() could raise where the loop never ran
        "def f(ws, rows):\n    keys = [r[0] for r in rows]\n    return [w for w in ws if w in set(keys)]\n",
        # a list result that is stored: each turn needs its own list
        "STOP = [1]\ndef f(ws):\n    return [list(STOP) for w in ws]\n",
        # set is shadowed
        "STOP = [1]\ndef f(ws, set):\n    return [w for w in ws if w in set(STOP)]\n",
        # the local is bound only on one branch: hoisting would raise even when the loop never runs
        "def f(ws, flag):\n    if flag:\n        keys = (1, 2)\n    for w in ws:\n        print(len(keys))\n",
        # the local is bound after the loop starts (in the same statement)
        "def f(ws):\n    for w in ws:\n        keys = (1, 2)\n        print(len(keys))\n",
    ],
)
def test_refuses(rewrite: Fixture, source: str) -> None:
    assert rewrite(RULE, source) is None


def test_behaviour_is_unchanged(behaves_the_same: Fixture) -> None:
    source = """
        STOP = ("a", "the")


        def f(words):
            short = [w for w in words if len(w) < 3]
            return [w for w in words if w not in frozenset(STOP) and w not in list(short)], len(short)
        """
    behaves_the_same(RULE, source, ["f(['a', 'bb', 'the', 'cat'])", "f([])", "f(None)", "f(['a', 1])"])
