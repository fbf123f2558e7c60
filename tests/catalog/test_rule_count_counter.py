from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from optiloop.catalog.rules.count_counter import CountWithCounter

RULE = CountWithCounter()
Fixture = Callable[..., Any]

IF_ELSE = """
def f(words):
    counts = {}
    for w in words:
        if w in counts:
            counts[w] += 1
        else:
            counts[w] = 1
    return counts
"""


def test_if_else_counting(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(RULE, IF_ELSE)
    assert applied.code == block(
        """
        def f(words):
            counts = {}
            counts.update(Counter(iter(words)))
            return counts
        """
    )
    assert applied.rewrite.imports == ("from collections import Counter",)


def test_get_and_setdefault_shapes(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        import collections

        Counter = "taken"


        def f(words, tags):
            counts = dict()
            for w in words:
                counts[w] = counts.get(w, 0) + 1
            seen = {}
            for t in tags.split():
                if t not in seen:
                    seen[t] = 0
                seen[t] += 1
            return counts, seen
        """,
    )
    assert applied.code == block(
        """
        def f(words, tags):
            counts = dict()
            counts.update(collections.Counter(iter(words)))
            seen = {}
            seen.update(collections.Counter(iter(tags.split())))
            return counts, seen
        """
    )
    assert applied.rewrite.imports == ("import collections",)


@pytest.mark.parametrize(
    "source",
    [
        # the dict is not empty when the loop starts
        "def f(ws):\n    c = {'x': 5}\n    for w in ws:\n        c[w] = c.get(w, 0) + 1\n    return c\n",
        # something between the empty dict and the loop
        "def f(ws, d):\n    c = {}\n    c.update(d)\n    for w in ws:\n        c[w] = c.get(w, 0) + 1\n    return c\n",
        # a parameter, not a fresh dict
        "def f(ws, c):\n    for w in ws:\n        c[w] = c.get(w, 0) + 1\n    return c\n",
        # the loop does more than count
        "def f(ws):\n    c = {}\n    for w in ws:\n        c[w] = c.get(w, 0) + 1\n        print(w)\n    return c\n",
        # counting by 2, or starting from 0 in the else branch
        "def f(ws):\n    c = {}\n    for w in ws:\n        c[w] = c.get(w, 0) + 2\n    return c\n",
        "def f(ws):\n    c = {}\n    for w in ws:\n        if w in c:\n"
        "            c[w] += 1\n        else:\n            c[w] = 0\n",
        # a key other than the loop variable
        "def f(ws):\n    c = {}\n    for w in ws:\n        c[w.lower()] = c.get(w.lower(), 0) + 1\n    return c\n",
        # the loop variable is used after the loop
        "def f(ws):\n    c = {}\n    for w in ws:\n        c[w] = c.get(w, 0) + 1\n    return c, w\n",
        # inside try: a half-filled dict would be seen by the handler
        "def f(ws):\n    c = {}\n    try:\n        for w in ws:\n"
        "            c[w] = c.get(w, 0) + 1\n    except TypeError:\n        return c\n",
        # an else clause on the loop
        "def f(ws):\n    c = {}\n    for w in ws:\n        c[w] = c.get(w, 0) + 1\n"
        "    else:\n        pass\n    return c\n",
        # Counter means something else here
        "Counter = list\ncollections = None\ndef f(ws):\n"
        "    c = {}\n    for w in ws:\n        c[w] = c.get(w, 0) + 1\n",
        # the dict is rebound later
        "def f(ws):\n    c = {}\n    for w in ws:\n        c[w] = c.get(w, 0) + 1\n    c = dict(c)\n    return c\n",
    ],
)
def test_refuses(rewrite: Fixture, source: str) -> None:
    assert rewrite(RULE, source) is None


def test_behaviour_is_unchanged(behaves_the_same: Fixture) -> None:
    calls = [
        "f(['b', 'a', 'b'])",
        "f([])",
        "f([1, 1.0, True, 2])",  # equal keys: the first key object is kept, same order
        "f([[1]])",  # TypeError either way
        "type(f('abc')).__name__",  # still a plain dict
        "repr(f('hello'))",
        "f(None)",  # Counter(None) would be empty
        "f({'a': 5, 'b': 0})",  # Counter(mapping) would take the values as counts
    ]
    behaves_the_same(RULE, IF_ELSE, calls)
