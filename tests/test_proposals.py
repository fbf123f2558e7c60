"""The loop's queue of proposals: duplicates (same target, same normalised code) never come out twice."""

from __future__ import annotations

from optiloop.proposals import Proposals
from optiloop.types import Candidate, Hotspot, Target


def target(name: str) -> Target:
    return Target(Hotspot(name, "m.py", 1, 0.5, 0.5), f"def {name}():\n    pass\n", "")


def cand(name: str, body: str) -> Candidate:
    return Candidate(target(name), f"def {name}():\n    {body}\n", "why", "test")


def test_duplicates_and_candidates_seen_before_a_resume_never_come_out() -> None:
    p = Proposals()
    p.seen(cand("f", "return 0"))  # ran before the resume
    p.fill([cand("f", "return  0"), cand("f", "return 1"), cand("f", "return 1"), cand("g", "return 1")])
    assert [c.new_source for c in p.upcoming()] == ["def f():\n    return 1\n"] * 2 + ["def g():\n    return 1\n"]
    first = p.take()
    assert first is not None and first.new_source.endswith("return 1\n") and first.target.key == "m.py::f"
    assert [c.target.qualname for c in p.upcoming()] == ["g"]  # the second `return 1` for f is seen now
    second = p.take()
    assert second is not None and second.target.qualname == "g"
    assert p.take() is None and p.upcoming() == []


def test_a_pick_keeps_only_its_targets_proposals_and_a_new_profile_drops_them_all() -> None:
    p = Proposals()
    p.fill([cand("f", "return 1"), cand("g", "return 2")])
    p.only("m.py::g")
    assert [c.target.qualname for c in p.upcoming()] == ["g"]
    p.clear()
    assert p.take() is None
