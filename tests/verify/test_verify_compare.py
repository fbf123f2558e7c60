"""The replay comparison rules, on fixed values."""

from __future__ import annotations

import math
import re
from collections import OrderedDict, namedtuple
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from optiloop.verify.compare import difference, short


class Point:
    def __init__(self, x: Any, y: Any) -> None:
        self.x = x
        self.y = y


class Slotted:
    __slots__ = ("a",)

    def __init__(self, a: Any) -> None:
        self.a = a


class Loose:
    def __init__(self, v: int) -> None:
        self.v = v

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Loose)

    __hash__ = None  # type: ignore[assignment]


Pair = namedtuple("Pair", "a b")

SAME = [
    (1.0, 1.0 + 1e-12),
    (float("nan"), float("nan")),
    (float("inf"), float("inf")),
    (complex(1, float("nan")), complex(1, float("nan"))),
    (Decimal("1.10"), Decimal("1.10")),
    (Decimal("NaN"), Decimal("NaN")),
    ({"a": 1, "b": [1, 2]}, {"b": [1, 2], "a": 1}),
    ({1, 2, 3}, {3, 2, 1}),
    (frozenset({"x"}), frozenset({"x"})),
    ((1, "a", None, b"x"), (1, "a", None, b"x")),
    (Pair(1, 2.0), Pair(1, 2.0)),
    (Point(1, [2]), Point(1, [2])),
    (Slotted(3), Slotted(3)),
    (Loose(1), Loose(2)),  # its own __eq__ decides
    (ValueError("x", 1), ValueError("x", 1)),
    (Fraction(1, 3), Fraction(2, 6)),
    (len, len),
    (int, int),
]

DIFFERENT = [
    (Decimal("0.5"), 0.5, "expected decimal.Decimal Decimal('0.5'), got float 0.5"),
    ([1, 2], (1, 2), "expected list [1, 2], got tuple (1, 2)"),
    (1, True, "expected int 1, got bool True"),
    (1, 1.0, "expected int 1, got float 1.0"),
    (1.0, 1.0 + 1e-6, "value: expected 1.0, got 1.000001"),
    (float("nan"), 1.0, "expected nan, got 1.0"),
    (Decimal("1.0"), Decimal("1.00"), "expected Decimal('1.0'), got Decimal('1.00')"),
    ([1, 2, 3], [1, 3, 2], "value[1]: expected 2, got 3"),
    ([1, 2], [1, 2, 3], "expected 2 items, got 3"),
    ({"a": 1}, {"a": 1, "b": 2}, "unexpected key 'b'"),
    ({"a": 1, "b": 2}, {"a": 1}, "key 'b' missing"),
    ({"a": [1, 2]}, {"a": [1, 5]}, "value['a'][1]: expected 2, got 5"),
    (OrderedDict(a=1, b=2), OrderedDict(b=2, a=1), "key order differs"),
    ({1, 2}, {1, 3}, "missing {2}, unexpected {3}"),
    (Point(1, 2), Point(1, 3), "value.y: expected 2, got 3"),
    (Slotted([1]), Slotted([2]), "value.a[0]: expected 1, got 2"),
    (ValueError("x"), KeyError("x"), "expected ValueError"),
    (ValueError("x"), ValueError("y"), "value.args[0]: expected 'x', got 'y'"),
    (Pair(1, 2), (1, 2), "Pair(a=1, b=2), got tuple (1, 2)"),
]


def _id(value: Any) -> str:
    """A test id without object addresses, so that every xdist worker collects the same tests."""
    return re.sub(r" at 0x[0-9a-f]+", "", short(value))


@pytest.mark.parametrize(("expected", "got"), SAME, ids=[_id(a) for a, _ in SAME])
def test_values_that_count_as_the_same(expected: Any, got: Any) -> None:
    assert difference(expected, got) is None


@pytest.mark.parametrize(("expected", "got", "says"), DIFFERENT, ids=[s for _, _, s in DIFFERENT])
def test_values_that_differ_say_where(expected: Any, got: Any, says: str) -> None:
    found = difference(expected, got)
    assert found is not None and says in found, found


def test_cycles_and_shared_references_terminate() -> None:
    a: list[Any] = [1]
    a.append(a)
    b: list[Any] = [1]
    b.append(b)
    assert difference(a, b) is None


def test_short_keeps_messages_compact() -> None:
    text = short(list(range(10_000)))
    assert len(text) < 60 and text.endswith("...]")
    assert math.isnan(float("nan"))


def test_numpy_arrays_use_numpys_equality() -> None:
    np = pytest.importorskip("numpy")
    assert difference(np.array([1.0, np.nan]), np.array([1.0, np.nan])) is None
    assert "int64" in (difference(np.array([1, 2], dtype="int64"), np.array([1.0, 2.0])) or "")
    assert difference(np.array([1.0, 2.0]), np.array([1.0, 2.5])) is not None
