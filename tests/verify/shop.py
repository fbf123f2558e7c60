"""A small purpose-built project for the correctness gate: functions whose subtle behaviour (tie order,
Decimal arithmetic, untouched arguments, exception types, state) its own unit tests do not pin down."""

from __future__ import annotations

CORE = '''"""Shop arithmetic."""

import os
import time
from decimal import Decimal


def rank(scores):
    """Names by score, highest first; ties keep the order in which names appear."""
    return [name for name, _ in sorted(scores.items(), key=lambda kv: -kv[1])]


def total(prices):
    """The sum of Decimal prices."""
    t = Decimal("0")
    for p in prices:
        t = t + p
    return t


def median(values):
    """The median; ``values`` is left as it is."""
    s = sorted(values)
    n = len(s)
    mid = n // 2
    if n % 2:
        return s[mid]
    return (s[mid - 1] + s[mid]) / 2


def lookup(table, key):
    """``table[key]``; a missing key raises KeyError."""
    return table[key]


def parse_qty(text):
    """A non-negative quantity."""
    n = int(text)
    if n < 0:
        raise ValueError("negative quantity", n)
    return n


def normalize(words):
    """Lower-case, stripped words."""
    out = []
    for w in words:
        out.append(w.strip().lower())
    return out


def fib(n):
    """Fibonacci, recursively."""
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def describe(n):
    """Not called by the workload; only the unit tests use it."""
    return "many" if n > 3 else "few"


def stamp(x):
    """Depends on the clock: replayed with the clock values each captured call saw."""
    return (x, time.perf_counter_ns())


def nonce(x):
    """Reads the system's randomness: no two calls, even of the original, give the same result."""
    return (x, os.urandom(4))


class Cart:
    def __init__(self):
        self.items = []
        self.count = 0

    def add(self, name, qty):
        self.items.append((name, qty))
        self.count += qty
        return self.count

    @staticmethod
    def fmt(amount):
        return f"{amount:.2f}"

    @classmethod
    def of(cls, pairs):
        cart = cls()
        for name, qty in pairs:
            cart.add(name, qty)
        return cart
'''

WORKLOAD = '''"""Exercise the shop."""

from decimal import Decimal

from shop.core import Cart, describe, fib, lookup, median, nonce, normalize, parse_qty, rank, stamp, total


def main():
    checksum = 0
    for i in range(60):
        scores = {f"n{(j * 3) % 8}": (j * 7 + i) % 5 for j in range(8)}
        checksum += len(rank(scores))
        prices = [Decimal(f"{(i * j) % 97}.{(j * 13) % 100:02d}") for j in range(6)]
        checksum += int(total(prices))
        values = [(i * k * 31) % 17 for k in range(1 + i % 7)]
        checksum += int(median(values))
        table = {"a": i, "b": i + 1}
        for key in ("a", "b", "zz" if i % 4 == 0 else "a"):
            try:
                checksum += lookup(table, key)
            except KeyError:
                checksum += 1
        for text in (str(i), "-3" if i % 5 == 0 else "4", "x" if i % 6 == 0 else "2"):
            try:
                checksum += parse_qty(text)
            except ValueError:
                checksum += 2
        checksum += len(normalize([f" W{i % (k + 1)} " for k in range(i % 4 + 1)]))
        checksum += fib(i % 12)
        cart = Cart()
        for k in range(i % 5 + 1):
            cart.add(f"item{k}", k + i % 3)
        checksum += len(Cart.fmt(cart.count / 3))
        checksum += Cart.of([("x", i), ("y", 2)]).count
        stamp(i)
        nonce(i)
    print("checksum:", checksum)


if __name__ == "__main__":
    main()
'''

TESTS = '''import unittest
from decimal import Decimal

from shop.core import Cart, describe, fib, lookup, median, normalize, parse_qty, rank, total


class ShopTests(unittest.TestCase):
    def test_rank(self):
        self.assertEqual(rank({"a": 1, "b": 3, "c": 2}), ["b", "c", "a"])

    def test_total(self):
        self.assertEqual(total([Decimal("0.25"), Decimal("0.25")]), Decimal("0.5"))

    def test_median(self):
        self.assertEqual(median([3, 1, 2]), 2)

    def test_lookup(self):
        self.assertEqual(lookup({"a": 1}, "a"), 1)

    def test_parse_qty(self):
        self.assertEqual(parse_qty("4"), 4)

    def test_normalize(self):
        self.assertEqual(normalize([" A "]), ["a"])

    def test_fib(self):
        self.assertEqual(fib(10), 55)

    def test_describe(self):
        self.assertEqual(describe(5), "many")
        self.assertEqual(describe(1), "few")

    def test_cart(self):
        self.assertEqual(Cart.of([("x", 2)]).count, 2)
        self.assertEqual(Cart.fmt(1.5), "1.50")


if __name__ == "__main__":
    unittest.main()
'''

FILES = {
    "shop/__init__.py": "",
    "shop/core.py": CORE,
    "workload.py": WORKLOAD,
    "tests/test_shop.py": TESTS,
}
TESTS_CMD = "python -m unittest discover -s tests -q"
WORKLOAD_CMD = "python workload.py"
PATH = "shop/core.py"
