from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from optiloop.catalog.rules.queue_deque import QueuePop0ToDeque

RULE = QueuePop0ToDeque()
Fixture = Callable[..., Any]

BFS = """
def f(graph, start):
    order = []
    queue = [start]
    while queue:
        node = queue.pop(0)
        order.append(node)
        queue.extend(graph.get(node, ()))
    return order
"""


def test_bfs_queue_becomes_deque(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(RULE, BFS)
    assert applied.code == block(
        """
        def f(graph, start):
            order = []
            queue = deque([start])
            while queue:
                node = queue.popleft()
                order.append(node)
                queue.extend(graph.get(node, ()))
            return order
        """
    )
    assert applied.rewrite.imports == ("from collections import deque",)
    assert applied.rewrite.helpers == ()


def test_empty_queue_and_other_uses(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        from collections import deque


        def f(items):
            q = []
            for x in items:
                q.append(x)
            out = 0
            while len(q) > 1 and not out < 0:
                out += q.pop(0) - q.pop()
            return out if not q else out + q.pop(0)
        """,
    )
    assert applied.code == block(
        """
        def f(items):
            q = deque()
            for x in items:
                q.append(x)
            out = 0
            while len(q) > 1 and not out < 0:
                out += q.popleft() - q.pop()
            return out if not q else out + q.popleft()
        """
    )
    assert applied.rewrite.imports == ("from collections import deque",)


def test_module_binds_deque_elsewhere(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        deque = None


        def f(items):
            q = list(items) and [1]
            todo = [0]
            while todo:
                todo.pop(0)
            return q
        """,
    )
    assert applied.code == block(
        """
        def f(items):
            q = list(items) and [1]
            todo = collections.deque([0])
            while todo:
                todo.popleft()
            return q
        """
    )
    assert applied.rewrite.imports == ("import collections",)


def test_local_named_deque_uses_collections(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        from collections import deque


        def f(deque):
            q = [deque]
            return q.pop(0)
        """,
    )
    assert applied.code == block(
        """
        def f(deque):
            q = collections.deque([deque])
            return q.popleft()
        """
    )
    assert applied.rewrite.imports == ("import collections",)


@pytest.mark.parametrize(
    "source",
    [
        # indexed
        "def f(q0):\n    q = [q0]\n    while q:\n        x = q.pop(0)\n        y = q[0]\n",
        # sliced
        "def f(q0):\n    q = [q0]\n    while q:\n        x = q.pop(0)\n    return q[1:]\n",
        # returned
        "def f(q0):\n    q = [q0]\n    q.pop(0)\n    return q\n",
        # passed on
        "def f(q0):\n    q = [q0]\n    q.pop(0)\n    print(q)\n",
        # iterated
        "def f(q0):\n    q = [q0]\n    q.pop(0)\n    for x in q:\n        pass\n",
        # compared
        "def f(q0):\n    q = [q0]\n    q.pop(0)\n    return q == []\n",
        # used in a nested scope
        "def f(q0):\n    q = [q0]\n    q.pop(0)\n    return lambda: q.pop(0)\n",
        # rebound
        "def f(q0):\n    q = [q0]\n    q.pop(0)\n    q = []\n",
        # pop at another index
        "def f(q0):\n    q = [q0, 1]\n    q.pop(1)\n",
        # never popped from the front
        "def f(q0):\n    q = [q0]\n    q.append(1)\n    return len(q)\n",
        # `x = q or other` leaks the list itself
        "def f(q0):\n    q = [q0]\n    q.pop(0)\n    y = q or None\n",
        # insert is not allowed
        "def f(q0):\n    q = [q0]\n    q.insert(0, 1)\n    q.pop(0)\n",
        # a parameter, not a fresh list
        "def f(q):\n    while q:\n        q.pop(0)\n",
        # both deque and collections are taken in the module
        "deque = 1\ncollections = 2\ndef f(q0):\n    q = [q0]\n    q.pop(0)\n",
        # a star import could bind deque or collections after the added import
        "from mylib import *\ndef f(q0):\n    q = [q0]\n    q.pop(0)\n",
        # len is rebound in the module
        "len = max\ndef f(q0):\n    q = [q0]\n    while len(q):\n        q.pop(0)\n",
    ],
)
def test_refuses(rewrite: Fixture, source: str) -> None:
    assert rewrite(RULE, source) is None


def test_behaviour_is_unchanged(behaves_the_same: Fixture) -> None:
    source = (
        BFS
        + """

def g(n):
    q = []
    q.append(n)
    got = []
    while len(q) > 0:
        got.append(q.pop(0))
    try:
        q.pop(0)
    except IndexError:
        got.append("empty")
    return got
"""
    )
    behaves_the_same(RULE, source, ["f({1: [2, 3], 2: [4], 3: [4]}, 1)", "f({}, 'a')", "f(None, 1)"])
    behaves_the_same(RULE, source, ["g(3)", "g(None)"], qualname="g")
