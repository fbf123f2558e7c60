"""The corpus: kinds of WRONG candidates, each rejected by the right check with the right reason,
and CORRECT rewrites of the same functions, which pass every check. Real worktree, real subprocesses;
one capture per target shared by all cases (the gate is module-scoped)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from optiloop.verify.capture import Capturer
from tests.verify import shop
from tests.verify.conftest import MEMORY_MB, Shop, target


@dataclass(frozen=True)
class Wrong:
    kind: str
    qualname: str
    source: str  # the candidate (model-reply form); or, with ``module=True``, the whole module text
    check: str  # the check that must reject it
    says: str  # what its detail must contain
    module: bool = False
    covering: tuple[str, ...] = ()


WRONG = [
    Wrong("does not parse", "rank", shop.CORE.replace("def rank(scores):", "def rank(scores)"), "parses",
          "syntax error", module=True),
    Wrong("import fails", "rank", "import shop_missing_dependency\n\n\ndef rank(scores):\n"
          "    return shop_missing_dependency.rank(scores)\n", "imports", "ModuleNotFoundError"),
    Wrong("hangs at import", "rank", shop.CORE + "\nwhile True:\n    pass\n", "imports",
          "timed out after", module=True),
    Wrong("target gone", "rank", shop.CORE.replace("def rank(", "def ranked("), "imports", "has no rank",
          module=True),
    Wrong("changed tie order", "rank",
          "def rank(scores):\n    return [n for n, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))]\n",
          "replay", "wrong result: result[0]"),
    Wrong("float arithmetic for Decimal", "total",
          "def total(prices):\n    return sum(float(p) for p in prices)\n",
          "replay", "expected decimal.Decimal"),
    Wrong("in-place sort of an argument", "median",
          "def median(values):\n    values.sort()\n    n = len(values)\n    mid = n // 2\n"
          "    return values[mid] if n % 2 else (values[mid - 1] + values[mid]) / 2\n",
          "replay", "argument 1 after the call differs"),
    Wrong("different exception type", "lookup",
          "def lookup(table, key):\n    if key not in table:\n        raise ValueError(key)\n    return table[key]\n",
          "replay", "instead of builtins.KeyError"),
    Wrong("swallowed exception", "parse_qty",
          "def parse_qty(text):\n    try:\n        n = int(text)\n    except ValueError:\n        return 0\n"
          "    if n < 0:\n        raise ValueError(\"negative quantity\", n)\n    return n\n",
          "replay", "instead of raising ValueError"),
    Wrong("state kept between calls", "normalize",
          "def normalize(words, _cache={}):\n    if len(words) not in _cache:\n"
          "        _cache[len(words)] = [w.strip().lower() for w in words]\n    return _cache[len(words)]\n",
          "hack check", "changes the signature"),
    Wrong("infinite loop", "median",
          "def median(values):\n    s = sorted(values)\n    n = len(s)\n    while n % 2 == 0:\n        pass\n"
          "    return s[n // 2]\n",
          "replay", "timed out after"),
    Wrong("huge allocation", "total",
          "def total(prices):\n    blocks = []\n    while len(blocks) < 10**6:\n"
          "        blocks.append(bytearray(10**7))\n    return sum(prices, Decimal(\"0\"))\n",
          "replay", f"exceeded the memory limit of {MEMORY_MB} MB"),
    Wrong("method forgets to update self", "Cart.add",
          "def add(self, name, qty):\n    self.items.append((name, qty))\n    return self.count + qty\n",
          "replay", "self after the call differs"),
    Wrong("static method rounds differently", "Cart.fmt",
          "@staticmethod\ndef fmt(amount):\n    return \"%.2f\" % round(amount, 1)\n", "replay", "wrong result"),
    Wrong("class method reorders state", "Cart.of",
          "@classmethod\ndef of(cls, pairs):\n    cart = cls()\n    for name, qty in reversed(pairs):\n"
          "        cart.add(name, qty)\n    return cart\n", "replay", "result.items[0]"),
    Wrong("wrong where only covering tests look", "describe",
          "def describe(n):\n    return \"many\" if n >= 1 else \"few\"\n", "covering tests", "FAIL",
          covering=("test_shop.ShopTests.test_describe",)),
    Wrong("wrong where only the full tests look", "describe",
          "def describe(n):\n    return \"many\" if n >= 1 else \"few\"\n", "tests", "FAIL"),
    Wrong("prints to stdout", "rank",
          "def rank(scores):\n    print(\"ranking\", len(scores))\n"
          "    return [name for name, _ in sorted(scores.items(), key=lambda kv: -kv[1])]\n",
          "hack check", "stray output: calls print"),
]

CORRECT = {
    "rank": "def rank(scores):\n    return sorted(scores, key=scores.__getitem__, reverse=True)\n",
    "total": "def total(prices):\n    return sum(prices, Decimal(\"0\"))\n",
    "median": "def median(values):\n    s = sorted(values)\n    q, r = divmod(len(s), 2)\n"
              "    return s[q] if r else (s[q - 1] + s[q]) / 2\n",
    "lookup": "def lookup(table, key):\n    value = table[key]\n    return value\n",
    "parse_qty": "def parse_qty(text):\n    n = int(text)\n    if n >= 0:\n        return n\n"
                 "    raise ValueError(\"negative quantity\", n)\n",
    "normalize": "def normalize(words):\n    return [w.strip().lower() for w in words]\n",
    "fib": "def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n",
    "Cart.add": "def add(self, name, qty):\n    self.items += [(name, qty)]\n    self.count = self.count + qty\n"
                "    return self.count\n",
    "Cart.fmt": "@staticmethod\ndef fmt(amount):\n    return \"%.2f\" % amount\n",
    "Cart.of": "@classmethod\ndef of(cls, pairs):\n    cart = cls()\n    for pair in pairs:\n"
               "        cart.add(*pair)\n    return cart\n",
}


FULL = ["parses", "hack check", "imports", "replay", "hash seed", "tests", "workload", "held-out calls"]
NO_CALLS = ["parses", "hack check", "imports", "replay", "covering tests", "tests", "workload"]
COVERED = ["parses", "hack check", "imports", "replay", "covering tests", "workload"]  # the full suite: confirm


@pytest.mark.parametrize("case", WRONG, ids=[w.kind for w in WRONG])
def test_wrong_candidate_is_rejected_by_the_right_check(shop_gate: Shop, case: Wrong) -> None:
    if case.module:
        checks = shop_gate.check_module(target(case.qualname), case.source)
    else:
        checks = shop_gate.check(case.qualname, case.source, case.covering)
    failed = [c for c in checks if not c.passed]
    assert len(failed) == 1 and checks[-1] is failed[0], checks
    assert failed[0].name == case.check, checks
    assert case.says in failed[0].detail, failed[0].detail


@pytest.mark.parametrize("qualname", list(CORRECT))
def test_correct_rewrite_passes_every_check(shop_gate: Shop, qualname: str) -> None:
    checks = shop_gate.check(qualname, CORRECT[qualname])
    assert [c.name for c in checks] == FULL, checks
    assert all(c.passed for c in checks), checks
    replay = checks[3].detail
    assert "real call(s) replayed" in replay and "weak evidence" not in replay, replay
    assert checks[3].replayed is not None and checks[3].replayed >= 5 and not checks[3].weak


def test_the_mismatch_names_the_call_and_both_values(shop_gate: Shop) -> None:
    checks = shop_gate.check("total", "def total(prices):\n    return sum(float(p) for p in prices)\n")
    detail = checks[-1].detail
    assert detail.startswith("call 1 of ") and "total([Decimal(" in detail, detail
    assert "got float" in detail, detail


def test_covering_tests_run_first_and_pass_for_a_correct_rewrite(shop_gate: Shop) -> None:
    checks = shop_gate.check("describe", "def describe(n):\n    return (\"few\", \"many\")[n > 3]\n",
                             ("test_shop.ShopTests.test_describe",))
    assert [c.name for c in checks] == COVERED
    assert all(c.passed for c in checks), checks
    assert "weak evidence" in checks[3].detail and "0 real call(s)" in checks[3].detail, checks[3].detail
    assert (checks[3].replayed, checks[3].weak) == (0, True)


def test_recursion_is_captured_at_the_outermost_call_only(shop_gate: Shop) -> None:
    log = shop_gate.gate.capture(target("fib"))
    assert log is not None and log.problem == ""
    assert (log.total, log.calls) == (60, 50)  # 60 calls from the workload, not the thousands of inner ones


def test_capture_is_made_once_per_target_and_baseline_commit(shop_gate: Shop) -> None:
    gate = shop_gate.gate
    log = gate.capture(target("rank"))
    assert log is not None and log.path is not None
    meta = log.path.parent / "meta.json"
    stamp = meta.stat().st_mtime_ns
    fresh = Capturer(shop_gate.ws, gate.settings.workload, gate.settings.artifacts / "captures", 50, 60)  # resumed
    assert fresh.get(target("rank")) == log
    assert meta.stat().st_mtime_ns == stamp


def test_a_covering_selection_that_fails_on_the_baseline_too_does_not_reject(shop_gate: Shop) -> None:
    checks = shop_gate.check("describe", "def describe(n):\n    return (\"few\", \"many\")[n > 3]\n",
                             ("test_shop.NoSuchTests.test_nothing",))
    assert [c.name for c in checks] == NO_CALLS
    assert all(c.passed for c in checks), checks
    assert "fails on the baseline too" in checks[4].detail


def test_calls_the_original_cannot_reproduce_are_left_out_not_blamed(shop_gate: Shop) -> None:
    checks = shop_gate.check("nonce", "def nonce(x):\n    raw = os.urandom(4)\n    return (x, raw)\n")
    assert all(c.passed for c in checks), checks
    assert "50 left out" in checks[3].detail and "weak evidence" in checks[3].detail, checks[3].detail
    assert checks[3].weak


def test_calls_that_read_the_clock_replay_with_the_values_they_saw(shop_gate: Shop) -> None:
    same = shop_gate.check("stamp", "def stamp(x):\n    now = time.perf_counter_ns()\n    return (x, now)\n")
    assert all(c.passed for c in same), same
    assert "40 real call(s) replayed" in same[3].detail and "left out" not in same[3].detail, same[3].detail
    assert (same[3].replayed, same[3].weak) == (40, False)
    skewed = shop_gate.check("stamp", "def stamp(x):\n    return (x, time.perf_counter_ns() + 1)\n")
    assert skewed[-1].name == "replay" and "wrong result" in skewed[-1].detail, skewed
