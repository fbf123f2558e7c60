"""A small project with a planted hot method, for profiling tests (real py-spy, real tests)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from optiloop.proc import child_env
from optiloop.profiling import InPlace, PySpyProfiler
from optiloop.types import Workload

BASKET = '''\
"""A basket of prices."""

import math


class Basket:
    def __init__(self, items):
        self.items = list(items)

    @classmethod
    def build(cls, n):
        return cls((i * 7919) % 1000 for i in range(n))

    def total(self):
        out = 0
        for x in self.items:
            out += x * self.items.count(x)
        return out

    @staticmethod
    def scale(x):
        y = x * 3
        for _ in range(4):
            y = (y * 31 + 7) % 1000003
        return y

    @property
    def ranked(self):
        return sorted(self.items, key=lambda x: (-x, x % 10))


def cold(xs):
    return math.floor(len(xs))
'''

WORK = '''\
from shop.basket import Basket, cold

basket = Basket.build(5000)
print(basket.total())
for _ in range(40):
    top = basket.ranked[0]
print(top, sum(Basket.scale(x) for x in range(300000)))
print(cold([1, 2]))
'''

UNIT_TESTS = '''\
import unittest

from shop.basket import Basket, cold


class BasketTests(unittest.TestCase):
    def test_total(self):
        self.assertEqual(Basket([1, 2, 2]).total(), 9)

    def test_ranked(self):
        self.assertEqual(Basket([1, 3, 2]).ranked, [3, 2, 1])

    def test_cold(self):
        self.assertEqual(cold([1]), 1)
'''

SLOW_LINE = "out += x * self.items.count(x)"
WORKLOAD = "python work.py"
UNITTEST_CMD = "python -m unittest discover -s tests -q"


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def planted(root: Path) -> Path:
    files = {"shop/__init__.py": "", "shop/basket.py": BASKET, "work.py": WORK, "tests/test_basket.py": UNIT_TESTS}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def env() -> dict[str, str]:
    """Child environment with this interpreter first on PATH and no bytecode written."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return child_env({"PATH": path, "PYTHONDONTWRITEBYTECODE": "1"})


def in_scope(rel: str) -> bool:
    return rel.startswith("shop/")


def profiler(root: Path, records: Path, cmd: str = WORKLOAD, min_samples: int = 150,
             scope: str = "shop/", subdir: str = "") -> PySpyProfiler:
    def artifact(name: str) -> Path:
        path = records / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    return PySpyProfiler(InPlace(root, subdir, env()), Workload(cmd), artifact, lambda rel: rel.startswith(scope),
                         rate=200, timeout=120, min_samples=min_samples, max_runs=6)
