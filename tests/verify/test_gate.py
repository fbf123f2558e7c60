"""``Gate`` as a sequence of its checks: it stops at the first that fails, times each step, keeps what
``confirm`` needs, and ``prepare`` makes on the baseline what another candidate tree's gate only reads.
What each check finds is tested in test_checks.py, test_replay.py and the corpus."""

from __future__ import annotations

from optiloop.edit import apply_candidate
from optiloop.types import Applied, Candidate
from optiloop.verify import Gate
from optiloop.verify.gate import SECOND_SEED
from tests.verify import shop
from tests.verify.conftest import Shop, target

MEDIAN = "def median(values):\n    s = sorted(values)\n    q, r = divmod(len(s), 2)\n" \
         "    return s[q] if r else (s[q - 1] + s[q]) / 2\n"
STEPS = {"parses", "hacks", "replay", "tests", "workload", "held-out"}


def stage(shop_gate: Shop, qualname: str, new_source: str, covering: tuple[str, ...] = ()) -> Candidate:
    edit = apply_candidate(shop.CORE, qualname, new_source, shop.PATH)
    assert isinstance(edit, Applied), edit
    shop_gate.ws.stage({shop.PATH: edit.new_module})
    return Candidate(target(qualname, covering), new_source, "test", "test")


def test_the_first_failed_check_ends_the_sequence(shop_gate: Shop) -> None:
    gate = shop_gate.gate
    gate.verify(stage(shop_gate, "median", MEDIAN))
    assert gate.local_speedup is not None  # from the passed replay
    broken = Candidate(target("rank"), "", "test", "test")
    shop_gate.ws.stage({shop.PATH: shop.CORE.replace("def rank(scores):", "def rank(scores)")})
    checks = gate.verify(broken)
    assert [(c.name, c.passed) for c in checks] == [("parses", False)]
    assert set(gate.seconds) == {"parses"} and gate.local_speedup is None  # nothing left from the last verify


def test_a_full_suite_run_during_verify_is_not_run_again_by_confirm(shop_gate: Shop) -> None:
    gate = shop_gate.gate
    candidate = stage(shop_gate, "median", MEDIAN)  # no covering tests: verify runs the full suite
    checks = gate.verify(candidate)
    assert all(c.passed for c in checks) and STEPS <= set(gate.seconds), (checks, gate.seconds)
    confirmed = gate.confirm(candidate)
    assert confirmed.passed and confirmed.detail.endswith("(run before measuring: no covering tests could stand "
                                                          "in for it)")
    assert "full suite" not in gate.seconds
    covered = stage(shop_gate, "median", MEDIAN, ("test_shop.ShopTests.test_median",))
    names = [c.name for c in gate.verify(covered)]
    assert "covering tests" in names and "tests" not in names, names
    confirmed = gate.confirm(covered)  # only the covering tests ran: the full suite runs now
    assert confirmed.name == "full suite" and confirmed.passed and "run before measuring" not in confirmed.detail
    assert "full suite" in gate.seconds


def test_prepare_makes_what_the_gates_of_other_trees_read(shop_gate: Shop) -> None:
    tgt = target("lookup")
    shop_gate.gate.prepare(Candidate(tgt, "", "test", "test"))
    log = shop_gate.gate.capture(tgt)
    assert log is not None and log.path is not None
    assert {p.name for p in log.path.parent.glob("selfcheck-seed*.json")} == {
        "selfcheck-seed0.json", f"selfcheck-seed{SECOND_SEED}.json"}
    other = Gate(shop_gate.ws, shop_gate.gate.settings, side="candidate-1")
    assert other.self_check(tgt, log) == shop_gate.gate.self_check(tgt, log)
    assert not other.seconds  # read from the baseline's files: no self-check ran again
