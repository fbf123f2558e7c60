from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from optiloop.catalog.rules.dedupe_set import DedupeListToSet

RULE = DedupeListToSet()
Fixture = Callable[..., Any]


def test_seen_list_gets_parallel_set(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        def f(items):
            seen = []
            for x in items:
                if x not in seen:
                    seen.append(x)
            return seen
        """,
    )
    assert applied.code == block(
        """
        def f(items):
            seen = []
            seen_set = set()
            for x in items:
                if x not in seen_set:
                    seen.append(x)
                    seen_set.add(x)
            return seen
        """
    )
    assert applied.rewrite.imports == applied.rewrite.helpers == ()


def test_one_line_suites_and_fresh_name(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        def f(items, seen_set):
            out = []
            for x in items:
                if x in out: continue
                else: out.append(x)
            out.append(None)
            return len(out), sorted(out), seen_set
        """,
    )
    assert applied.code == block(
        """
        def f(items, seen_set):
            out = []
            out_set = set()
            for x in items:
                if x in out_set: continue
                else: out.append(x); out_set.add(x)
            out.append(None)
            out_set.add(None)
            return len(out), sorted(out), seen_set
        """
    )


def test_name_clash_gets_numbered(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        def f(items):
            seen = []; seen_set = 0
            for x in items:
                if x not in seen:
                    seen.append(x)
            return seen, seen_set
        """,
    )
    assert applied.code == block(
        """
        def f(items):
            seen = []; seen_set_2 = set(); seen_set = 0
            for x in items:
                if x not in seen_set_2:
                    seen.append(x)
                    seen_set_2.add(x)
            return seen, seen_set
        """
    )


@pytest.mark.parametrize(
    "source",
    [
        # removed from
        "def f(xs):\n    seen = []\n    for x in xs:\n        if x not in seen:\n            seen.append(x)\n"
        "    seen.remove(1)\n    return seen\n",
        # extended
        "def f(xs):\n    seen = []\n    for x in xs:\n        if x not in seen:\n            seen.append(x)\n"
        "    seen.extend(xs)\n    return seen\n",
        # passed to another function
        "def f(xs):\n    seen = []\n    for x in xs:\n        if x not in seen:\n            seen.append(x)\n"
        "    print(seen)\n",
        # augmented assignment
        "def f(xs):\n    seen = []\n    for x in xs:\n        if x not in seen:\n            seen.append(x)\n"
        "    seen += [1]\n    return seen\n",
        # slice assignment
        "def f(xs):\n    seen = []\n    for x in xs:\n        if x not in seen:\n            seen.append(x)\n"
        "    seen[:] = []\n    return seen\n",
        # del
        "def f(xs):\n    seen = []\n    for x in xs:\n        if x not in seen:\n            seen.append(x)\n"
        "    del seen[0]\n    return seen\n",
        # appended value is a call, evaluating it twice is not harmless
        "def f(xs):\n    seen = []\n    for x in xs:\n        if x not in seen:\n            seen.append(g(x))\n"
        "    return seen\n",
        # append used as an expression, not a statement
        "def f(xs):\n    seen = []\n    for x in xs:\n        if x not in seen:\n            y = seen.append(x)\n"
        "    return seen\n",
        # rebound
        "def f(xs):\n    seen = []\n    for x in xs:\n        if x not in seen:\n            seen.append(x)\n"
        "    seen = []\n    return seen\n",
        # aliased
        "def f(xs):\n    seen = []\n    other = seen\n    for x in xs:\n        if x not in seen:\n"
        "            seen.append(x)\n    return other\n",
        # used in a nested scope
        "def f(xs):\n    seen = []\n    for x in xs:\n        if x not in seen:\n            seen.append(x)\n"
        "    return lambda: seen\n",
        # used in a comprehension
        "def f(xs):\n    seen = []\n    for x in xs:\n        if x not in seen:\n            seen.append(x)\n"
        "    return [y for y in xs if y in seen]\n",
        # not created empty
        "def f(xs):\n    seen = [0]\n    for x in xs:\n        if x not in seen:\n            seen.append(x)\n"
        "    return seen\n",
        # never tested for membership
        "def f(xs):\n    seen = []\n    for x in xs:\n        seen.append(x)\n    return seen\n",
        # set is rebound in the module
        "set = frozenset\ndef f(xs):\n    seen = []\n    for x in xs:\n        if x not in seen:\n"
        "            seen.append(x)\n    return seen\n",
        # a parameter, not a local list
        "def f(xs, seen):\n    for x in xs:\n        if x not in seen:\n            seen.append(x)\n    return seen\n",
        # yielded, so the caller could mutate it between resumptions
        "def f(xs):\n    seen = []\n    for x in xs:\n        if x not in seen:\n            seen.append(x)\n"
        "        yield seen\n",
    ],
)
def test_refuses(rewrite: Fixture, source: str) -> None:
    assert rewrite(RULE, source) is None


def test_behaviour_is_unchanged(behaves_the_same: Fixture) -> None:
    source = """
        def f(items):
            seen = []
            total = 0
            for x in items:
                if x in seen:
                    total += 1
                else:
                    seen.append(x)
            if not seen:
                return None
            return seen, total, len(seen), list(enumerate(seen))
        """
    behaves_the_same(
        RULE,
        source,
        ["f([3, 1, 3, 2, 1])", "f([])", "f('mississippi')", "f([1, True, 1.0, 2])", "f(None)"],
    )
