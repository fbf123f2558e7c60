from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from optiloop.catalog.rules.group_by import GroupByDict

RULE = GroupByDict()
Fixture = Callable[..., Any]

SOURCE = """
def f(people, cities):
    rows = list(people)
    out = {}
    for city in cities:
        members = [p for p in rows if p[1] == city]
        out[city] = len(members), members
    return out
"""


def test_one_pass_with_fallback(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(RULE, SOURCE)
    assert applied.code == block(
        """
        def f(people, cities):
            rows = list(people)
            out = {}
            rows_by_key = _group_by_key(rows, lambda p: p[1])
            for city in cities:
                members = (list(rows_by_key.get(city, ())) if rows_by_key is not None and (type(city) is str or type(city) is int) else [p for p in rows if p[1] == city])
                out[city] = len(members), members
            return out
        """  # noqa: E501
    )
    assert applied.rewrite.names == ("_group_by_key",)
    assert applied.rewrite.helpers[0].startswith("def _group_by_key(items, key):")


def test_annotated_parameter_and_attribute_key(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        def f(orders: list, ids):
            found = []
            for i in ids:
                found.append([o for o in orders if i == o.customer])
            return found
        """,
    )
    assert "orders_by_key = _group_by_key(orders, lambda o: o.customer)" in applied.code
    assert "list(orders_by_key.get(i, ()))" in applied.code


@pytest.mark.parametrize(
    "source",
    [
        # a parameter of unknown type may be an iterator, consumed by the first scan
        "def f(rows, keys):\n    return [[r for r in rows if r[0] == k] for k in keys]\n",
        "def f(rows, keys):\n    out = []\n    for k in keys:\n        out.append([r for r in rows if r[0] == k])\n",
        # the items change inside the loop
        "def f(rows: list, keys):\n    for k in keys:\n        g = [r for r in rows if r[0] == k]\n"
        "        rows.append(k)\n",
        # an annotated parameter, but the loop calls something that could change it
        "def f(rows: list, keys):\n    for k in keys:\n        g = [r for r in rows if r[0] == k]\n        save(g)\n",
        # the local escapes to a call before the loop
        "def f(data, keys):\n    rows = list(data)\n    keep(rows)\n    for k in keys:\n"
        "        g = [r for r in rows if r[0] == k]\n        save(g)\n",
        # not a plain equality with the loop variable
        "def f(rows: list, keys):\n    for k in keys:\n        g = [r for r in rows if r[0] != k]\n",
        "def f(rows: list, keys):\n    for k in keys:\n        g = [r for r in rows if r[0] == k and r[1]]\n",
        "def f(rows: list, keys):\n    for k in keys:\n        g = [r for r in rows if r[0] == k + 1]\n",
        # the key is computed by a call
        "def f(rows: list, keys):\n    for k in keys:\n        g = [r for r in rows if key(r) == k]\n",
        # the kept element is not the item itself
        "def f(rows: list, keys):\n    for k in keys:\n        g = [r[2] for r in rows if r[0] == k]\n",
        # the key name is rebound in the loop
        "def f(rows: list, keys):\n    for k in keys:\n"
        "        k = k.lower()\n        g = [r for r in rows if r[0] == k]\n",
        # the items are bound only on one branch
        "def f(data, keys, flag):\n    if flag:\n        rows = list(data)\n    for k in keys:\n"
        "        g = [r for r in rows if r[0] == k]\n",
        # list is shadowed
        "def f(rows: list, keys, list):\n    for k in keys:\n        g = [r for r in rows if r[0] == k]\n",
    ],
)
def test_refuses(rewrite: Fixture, source: str) -> None:
    assert rewrite(RULE, source) is None


def test_behaviour_is_unchanged(behaves_the_same: Fixture) -> None:
    behaves_the_same(
        RULE,
        SOURCE,
        [
            "f([('a', 'x'), ('b', 'y'), ('c', 'x')], ['x', 'y', 'z', 'x'])",
            "f([(1, 1.0), (2, 2), (3, True)], [1, 2, True, 1.0])",  # mixed numbers: the scan decides
            "f([('a', [1])], [[1]])",  # unhashable keys: the scan decides
            "f([(1,), ('a', 'x')], ['x'])",  # a key raises IndexError: the scan raises it
            "f([(1,)], [])",  # no keys: the key is never computed, nothing raises
            "f([], ['x'])",
            "f(iter([('a', 'x'), ('b', 'x')]), ['x', 'x'])",
        ],
    )
