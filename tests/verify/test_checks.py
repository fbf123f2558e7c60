"""The checks that need no replay, one at a time, on the shop's real worktree: parses, the hack check, the
covering and the full tests, the workload's output."""

from __future__ import annotations

import threading

from optiloop.types import Check, Workload
from optiloop.verify.checks import (
    CoveringTests,
    FullTests,
    HackCheck,
    ParsesCheck,
    TestRunner,
    WorkloadCheck,
)
from tests.verify import shop
from tests.verify.conftest import MEMORY_MB, Shop, target

BROKEN_RANK = shop.CORE.replace("key=lambda kv: -kv[1])]", "key=lambda kv: kv[1])]")  # lowest first: test_rank fails


def test_parses(shop_gate: Shop) -> None:
    check = ParsesCheck(shop_gate.ws, "candidate")
    shop_gate.ws.stage({shop.PATH: shop.CORE})
    assert check.check(target("rank")) == Check("parses", True, "shop/core.py compiles")
    shop_gate.ws.stage({shop.PATH: shop.CORE.replace("def rank(scores):", "def rank(scores)")})
    found = check.check(target("rank"))
    line = shop.CORE.splitlines().index("def rank(scores):") + 1
    assert not found.passed and found.detail.startswith(f"syntax error at line {line}: "), found


def test_the_hack_check_compares_with_the_baseline(shop_gate: Shop) -> None:
    check = HackCheck(shop_gate.ws, "candidate", Workload(shop.WORKLOAD_CMD))
    shop_gate.ws.stage({shop.PATH: shop.CORE})
    assert check.check(target("rank")).passed
    shop_gate.ws.stage({shop.PATH: shop.CORE.replace('    """Not called by the workload; only the unit tests use it.'
                                                     '"""\n    return "many" if n > 3 else "few"\n', "")
                        .replace("def describe(n):\n", "")})
    found = check.check(target("rank"))
    assert (found.name, found.passed, found.detail) == ("hack check", False, "removes public names: describe")


def test_the_workload_must_run_and_print_what_it_printed_on_the_baseline(shop_gate: Shop) -> None:
    expected = shop_gate.gate.settings.expected_stdout
    assert expected is not None and expected.startswith("checksum: ")
    workload = Workload(shop.WORKLOAD_CMD)
    shop_gate.ws.stage({shop.PATH: shop.CORE})
    assert WorkloadCheck(shop_gate.ws, "candidate", workload, expected, 60, MEMORY_MB).check() == Check(
        "workload", True, "ran; output identical to the baseline's")
    other = WorkloadCheck(shop_gate.ws, "candidate", workload, "checksum: 1\n", 60, MEMORY_MB).check()
    assert (other.name, other.passed) == ("workload output", False)
    assert other.detail == f"differs from the baseline's at line 1: expected 'checksum: 1', got {expected.strip()!r}"
    assert WorkloadCheck(shop_gate.ws, "candidate", workload, None, 60, MEMORY_MB).check().detail == "ran"
    shop_gate.ws.stage({shop.PATH: shop.CORE.replace("    return table[key]\n", "    return table[key] + None\n")})
    crashed = WorkloadCheck(shop_gate.ws, "candidate", workload, expected, 60, MEMORY_MB).check()
    assert (crashed.name, crashed.passed) == ("workload", False) and "TypeError" in crashed.detail, crashed


def test_covering_tests_decide_unless_they_fail_on_the_baseline_too(shop_gate: Shop) -> None:
    runner = TestRunner(shop_gate.ws, 60, MEMORY_MB)
    covering = CoveringTests(runner, shop.TESTS_CMD, "candidate", threading.Lock())
    shop_gate.ws.stage({shop.PATH: BROKEN_RANK})
    assert covering.check(target("rank")).full_needed  # no covering tests known: the full suite decides
    found = covering.check(target("rank", ("test_shop.ShopTests.test_rank",)))
    assert not found.full_needed and [(c.name, c.passed) for c in found.checks] == [("covering tests", False)]
    assert "FAILED (failures=1)" in found.checks[0].detail
    other = covering.check(target("total", ("test_shop.ShopTests.test_total",)))
    assert not other.full_needed and other.checks[0].passed
    assert other.checks[0].detail.startswith("1 covering test(s) passed in ")
    broken = covering.check(target("rank", ("test_shop.NoSuchTests.test_nothing",)))  # fails on the baseline too
    assert broken.full_needed and broken.checks[0].passed and "fails on the baseline too" in broken.checks[0].detail


def test_the_full_tests_and_a_run_made_before_measuring(shop_gate: Shop) -> None:
    full = FullTests(TestRunner(shop_gate.ws, 60, MEMORY_MB), shop.TESTS_CMD, "candidate")
    shop_gate.ws.stage({shop.PATH: shop.CORE})
    passed = full.check()
    assert passed.name == "tests" and passed.passed
    assert passed.detail.startswith(f"`{shop.TESTS_CMD}` passed in "), passed.detail
    again = FullTests.ran_before(passed)
    assert (again.name, again.passed) == ("full suite", True)
    assert again.detail == f"{passed.detail} (run before measuring: no covering tests could stand in for it)"
    shop_gate.ws.stage({shop.PATH: BROKEN_RANK})
    failed = full.check("full suite")
    assert (failed.name, failed.passed) == ("full suite", False) and "FAILED (failures=1)" in failed.detail
