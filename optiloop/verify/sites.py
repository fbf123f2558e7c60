"""What the gate checks beside the target when a candidate changes several definitions.

Every changed function or method whose calls can be replayed is a target of its own for the replay: its calls
are captured on the baseline and replayed against the candidate like the target's (held-out share, second hash
seed, side effects). Calls cannot be replayed when the definition's signature changed (a private one, changed
together with its uses: the uses' replays cover it), nor for a method of a class whose state the candidate lays
out anew (``__init__``, ``__new__``, ``__slots__`` or ``__setstate__`` changed: calls captured on objects of the
old layout say nothing about the new one); the tests and the workload's output then decide, and the replay
check says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from optiloop.edit import find_definition
from optiloop.edit.changes import signatures
from optiloop.types import Change, Check, Hotspot, Target

LAYOUT = ("__init__", "__new__", "__slots__", "__setstate__")


@dataclass(frozen=True)
class Others:
    """The changed definitions beside the target: those to replay, and why the others are not replayed."""

    replay: tuple[Target, ...]
    skipped: tuple[str, ...]  # one line each


def relaid(changes: Sequence[Change]) -> set[tuple[str, str]]:
    """The (path, class) pairs whose state layout the candidate changes."""
    return {(c.path, c.qualname.rsplit(".", 1)[0]) for c in changes
            if "." in c.qualname and c.qualname.rsplit(".", 1)[1] in LAYOUT}


def others(target: Target, changes: Sequence[Change], read: Callable[[str, str], str]) -> Others:
    """The changed functions and methods to replay beside ``target`` (``read(path, side)`` reads a tree's file),
    and why the target or any of them cannot be replayed."""
    layout = relaid(changes)
    replay: list[Target] = []
    skipped: list[str] = []
    for c in changes:
        if c.kind != "changed":
            continue
        old, new = read(c.path, "baseline"), read(c.path, "candidate")
        before, after = signatures(old).get(c.qualname), signatures(new).get(c.qualname)
        if before is None or after is None:
            continue  # a class's own statements or a module-level name: the tests decide
        own = (c.path, c.qualname) == (target.path, target.qualname)
        if before != after:
            skipped.append(f"`{c.qualname}` is not replayed: its signature changed (its uses are replayed instead)")
        elif "." in c.qualname and (c.path, c.qualname.rsplit(".", 1)[0]) in layout and (
                c.qualname.rsplit(".", 1)[1] not in LAYOUT or own):
            skipped.append(f"`{c.qualname}` is not replayed: the candidate changes how "
                           f"`{c.qualname.rsplit('.', 1)[0]}` keeps its state, so calls captured on the old state "
                           "do not apply")
        elif not own and "." in c.qualname and c.qualname.rsplit(".", 1)[1] in LAYOUT:
            skipped.append(f"`{c.qualname}` is not replayed: it lays out its class's state anew")
        elif not own:
            source = find_definition(old, c.qualname)
            if source is not None:
                replay.append(Target(Hotspot(c.qualname, c.path, 0, 0.0, 0.0), source, old))
    owner = (target.path, target.qualname.rsplit(".", 1)[0])
    if "." in target.qualname and owner in layout and target_replayable(target, Others((), tuple(skipped))):
        skipped.insert(0, f"`{target.qualname}` is not replayed: the candidate changes how `{owner[1]}` keeps its "
                          "state, so calls captured on the old state do not apply")
    return Others(tuple(replay), tuple(skipped))


def target_replayable(target: Target, found: Others) -> bool:
    return not any(line.startswith(f"`{target.qualname}` ") for line in found.skipped)


def labelled(checks: Sequence[Check], qualname: str) -> list[Check]:
    """``checks`` of another changed definition's replay, their details naming it."""
    return [replace(c, detail=f"`{qualname}`: {c.detail}") for c in checks]


def not_replayed(lines: Sequence[str]) -> Check:
    """The passed replay check of changed definitions whose calls cannot be replayed (weak: the tests carry it)."""
    return Check("replay", True, "; ".join(lines) + "; the tests and the workload's output decide", replayed=0,
                 weak=True)


def covering_union(target: Target, changes: Sequence[Change],
                   coverage: Mapping[str, tuple[str, ...]] | None) -> Target:
    """``target`` with the tests that cover every changed definition, or with none (the full suite then runs
    before measuring) when a changed definition's covering tests are not known."""
    tests = list(target.covering_tests)
    for c in changes:
        key = f"{c.path}::{c.qualname}"
        if key == target.key or c.kind in ("added", "removed"):
            continue
        found = (coverage or {}).get(key)
        if found is None:
            return replace(target, covering_tests=())
        tests += [t for t in found if t not in tests]
    return replace(target, covering_tests=tuple(tests))
