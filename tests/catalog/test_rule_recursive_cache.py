from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from optiloop.catalog.rules.recursive_cache import RecursiveCache

RULE = RecursiveCache()
Fixture = Callable[..., Any]

FIB = """
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
"""


def test_fibonacci_is_memoized(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(RULE, FIB, "fib")
    assert applied.code == block(
        """
        @functools.lru_cache(maxsize=None, typed=True)
        def fib(n):
            if n < 2:
                return n
            return fib(n - 1) + fib(n - 2)
        """
    )
    assert applied.rewrite.imports == ("import functools",)
    assert applied.rewrite.helpers == ()


def test_loop_recursion_with_locals_and_tuples(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        import functools


        def coins(amount, options, start=0):
            if amount == 0:
                return 1, ()
            total = 0
            for i in range(start, len(options)):
                if options[i] <= amount:
                    total += coins(amount - options[i], options, i)[0]
            best = max((total, 0), (1, 1))
            return total, (best, str(amount))
        """,
        "coins",
    )
    assert applied.code.startswith("@functools.lru_cache(maxsize=None, typed=True)\ndef coins(")


@pytest.mark.parametrize(
    ("source", "qualname"),
    [
        # a method
        ("class C:\n    def f(self, n):\n        return 0 if n < 1 else self.f(n - 1) + self.f(n - 2)\n", "C.f"),
        # already decorated
        ("@deco\ndef f(n):\n    return 0 if n < 1 else f(n - 1) + f(n - 2)\n", "f"),
        # returns a list, which the cache would share between callers
        ("def f(n):\n    if n < 1:\n        return []\n    return f(n - 1) + f(n - 2)\n", "f"),
        # returns a local bound to a list
        ("def f(n):\n    r = [n]\n    if n > 1:\n        f(n - 1)\n        f(n - 2)\n    return r\n", "f"),
        # a mutable default
        ("def f(n, acc=[]):\n    return 0 if n < 1 else f(n - 1) + f(n - 2)\n", "f"),
        # *args
        ("def f(n, *rest):\n    return 0 if n < 1 else f(n - 1) + f(n - 2)\n", "f"),
        # keyword-only parameter
        ("def f(n, *, k=1):\n    return 0 if n < 1 else f(n - 1) + f(n - 2)\n", "f"),
        # reads a global that could change
        ("LIMIT = 3\ndef f(n):\n    return LIMIT if n < 1 else f(n - 1) + f(n - 2)\n", "f"),
        # calls something impure
        ("def f(n):\n    print(n)\n    return 0 if n < 1 else f(n - 1) + f(n - 2)\n", "f"),
        # method call on a parameter
        ("def f(xs):\n    xs.append(1)\n    return 0 if not xs else f(xs[1:]) + f(xs[2:])\n", "f"),
        # attribute access on a parameter
        ("def f(node):\n    return 0 if node is None else f(node.left) + f(node.right)\n", "f"),
        # subscript assignment
        ("def f(n, memo):\n    memo[n] = 1\n    return 0 if n < 1 else f(n - 1, memo) + f(n - 2, memo)\n", "f"),
        # a try statement
        (
            "def f(n):\n    try:\n        return f(n - 1) + f(n - 2)\n    except RecursionError:\n        return 0\n",
            "f",
        ),
        # a generator
        ("def f(n):\n    yield n\n    f(n - 1)\n    f(n - 2)\n", "f"),
        # global statement
        ("def f(n):\n    global x\n    return 0 if n < 1 else f(n - 1) + f(n - 2)\n", "f"),
        # not recursive
        ("def f(n):\n    return n + 1\n", "f"),
        # linear recursion: nothing to share, and the recursion limit would come sooner
        ("def f(n):\n    return 1 if n < 1 else n * f(n - 1)\n", "f"),
        # the function object escapes
        ("def f(n):\n    return f if n < 1 else f(n - 1) + f(n - 2)\n", "f"),
        # rebound in the module
        ("def f(n):\n    return 0 if n < 1 else f(n - 1) + f(n - 2)\nf = print\n", "f"),
        # a builtin it calls is shadowed in the module
        ("def abs(x):\n    return x\ndef f(n):\n    return 0 if n < 1 else abs(f(n - 1)) + f(n - 2)\n", "f"),
        # async
        ("async def f(n):\n    return 0 if n < 1 else f(n - 1) + f(n - 2)\n", "f"),
        # sorted returns a list that would be shared
        ("def f(n):\n    return sorted((n,)) if n < 1 else f(n - 1) + f(n - 2)\n", "f"),
        # a nested def
        ("def f(n):\n    def g():\n        return n\n    return 0 if n < 1 else f(n - 1) + f(n - 2)\n", "f"),
        # functools is something else in this module
        ("functools = None\ndef f(n):\n    return 0 if n < 1 else f(n - 1) + f(n - 2)\n", "f"),
    ],
)
def test_refuses(rewrite: Fixture, source: str, qualname: str) -> None:
    assert rewrite(RULE, source, qualname) is None


def test_behaviour_is_unchanged(behaves_the_same: Fixture) -> None:
    source = """
        def paths(r, c):
            if r == 0 or c == 0:
                return 1
            return paths(r - 1, c) + paths(r, c - 1)
        """
    behaves_the_same(RULE, source, ["paths(3, 3)", "paths(8, 9)", "paths(0, 5)", "paths(2.0, 2)"], "paths")
    behaves_the_same(RULE, FIB, ["fib(20)", "fib(1)", "fib(True)", "fib(2.0)", "[fib(1), fib(True)]"], "fib")
