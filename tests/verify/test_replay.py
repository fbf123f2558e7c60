"""The checks made of replayed calls, one at a time: the import and evidence judgements on their own, then
``ReplayCheck`` and ``HeldOutCheck`` on the shop's real captures."""

from __future__ import annotations

from pathlib import Path

from optiloop.proc import Completed
from optiloop.types import Candidate
from optiloop.verify.capture import CallLog
from optiloop.verify.exchange import Result
from optiloop.verify.replay import HOLD_OUT_EVERY, OVERFITTED, WEAK_EVIDENCE, evidence_check, imports_check
from optiloop.verify.replayer import ChildRun
from tests.verify import shop
from tests.verify.conftest import Shop, target

LOG = CallLog(Path("calls.pkl"), "shop.core", 50, 60, 2, 0.05, "python", ())


def run(result: Result, stderr: str = "", code: int = 0, timed_out: bool = False) -> ChildRun:
    return ChildRun(Completed(code, "", stderr, 1.0, timed_out), result, "shop.core")


def test_the_import_check_says_why_the_module_did_not_import() -> None:
    ok = imports_check(run(Result(imported=True)), 5.0, 512)
    assert (ok.name, ok.passed, ok.detail) == ("imports", True, "shop.core imports from the candidate tree")
    said = "importing shop.core raised builtins.ModuleNotFoundError: No module named 'x'"
    assert imports_check(run(Result(import_error=said)), 5.0, 512).detail == said
    hung = imports_check(run(Result(), "\n@@optiloop importing\n", -9, timed_out=True), 5.0, 512)
    assert not hung.passed and hung.detail == "timed out after 5.0 s while importing shop.core"
    big = imports_check(run(Result(), "\n@@optiloop importing\nMemoryError", 1), 5.0, 512)
    assert big.detail == "exceeded the memory limit of 512 MB while importing shop.core"
    died = imports_check(run(Result(), "\n@@optiloop importing\nSegmentation fault", -11), 5.0, 512)
    assert died.detail == "Segmentation fault"
    assert imports_check(run(Result(), "", 3), 5.0, 512).detail == "exit code 3"


def test_the_evidence_says_how_many_calls_replayed_and_when_that_is_weak() -> None:
    strong = evidence_check(LOG, Result(replayed=38, skipped=1), 2)
    assert strong.passed and strong.detail == (
        "38 real call(s) replayed with the same results, exceptions and argument state (the workload made 60; "
        "3 could not be serialised; 2 left out: they do not replay reproducibly even on the original)")
    few = evidence_check(CallLog(None, "", 0, 0, 0, 0.0, "", (), "the workload never imported shop/core.py"),
                         Result(), 0)
    assert few.passed and few.detail.endswith(
        f"(the workload made 0); {WEAK_EVIDENCE}: fewer than 5 calls could be replayed: the workload never "
        "imported shop/core.py")
    none = evidence_check(None, Result(), 0)
    assert none.passed and WEAK_EVIDENCE in none.detail and none.detail.startswith("skipped: replay_calls is 0")


def test_the_replay_check_keeps_every_fifth_call_back_for_the_held_out_check(shop_gate: Shop) -> None:
    gate = shop_gate.gate
    tgt = target("median")
    shop_gate.ws.stage({shop.PATH: shop.CORE})  # the original itself, as a candidate
    found = gate.replay.check(tgt)
    assert [(c.name, c.passed) for c in found.checks] == [("imports", True), ("replay", True), ("hash seed", True)]
    assert found.checks[1].detail.startswith("40 real call(s) replayed"), found.checks[1].detail
    assert found.local_speedup is not None and found.local_speedup > 0
    assert found.held_out is not None and found.held_out.calls == tuple(range(HOLD_OUT_EVERY, 51, HOLD_OUT_EVERY))
    held = gate.held_out.check(Candidate(tgt, "", "test", "test"), found.held_out)
    assert held.passed and held.detail == "10 held-out real call(s) replayed the same, also under PYTHONHASHSEED=1"


def test_calls_the_original_cannot_reproduce_are_never_held_out(shop_gate: Shop) -> None:
    shop_gate.ws.stage({shop.PATH: shop.CORE})
    found = shop_gate.gate.replay.check(target("nonce"))  # every call reads os.urandom
    assert [c.name for c in found.checks] == ["imports", "replay"]  # nothing replayed: no second seed either
    assert "50 left out" in found.checks[1].detail and found.held_out is None


def test_a_held_out_failure_names_nothing_and_is_recorded(shop_gate: Shop) -> None:
    tgt = target("median")
    shop_gate.ws.stage({shop.PATH: shop.CORE})
    plan = shop_gate.gate.replay.check(tgt).held_out
    assert plan is not None
    wrong = shop.CORE.replace("    return (s[mid - 1] + s[mid]) / 2\n", "    return (s[mid - 1] + s[mid]) // 2\n")
    shop_gate.ws.stage({shop.PATH: wrong})
    candidate = Candidate(tgt, "def median(values): ...", "test", "test")
    held = shop_gate.gate.held_out.check(candidate, plan)
    assert (held.name, held.passed, held.detail) == ("held-out calls", False, OVERFITTED)
    record = shop_gate.gate.held_out.record_path(candidate)
    assert record == shop_gate.gate.held_out_record(candidate) and record.is_file()
    assert '"kind": "results"' in record.read_text(encoding="utf-8")
