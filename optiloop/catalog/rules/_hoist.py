"""Putting new local assignments right before a top-level statement of the function body, and hoisting
what a loop evaluates many times into such locals."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import libcst as cst

from optiloop.catalog.base import Rewrite, RuleContext
from optiloop.catalog.rules._loops import ancestry, body_statement, parse_line, repeats_in
from optiloop.catalog.rules._util import NameUse, Replacement, fresh_local, replace_nodes


def in_loop(func: cst.FunctionDef, node: cst.CSTNode, parents: dict[int, tuple[cst.CSTNode, ...]]) -> int | None:
    """The index of the top-level statement holding ``node`` when a loop may evaluate ``node`` many times."""
    ancestors = parents.get(id(node))
    if ancestors is None or not repeats_in(node, ancestors):
        return None
    return body_statement(func, node, ancestors)


def insert_before(
    func: cst.FunctionDef, lines: dict[int, list[str]], plan: dict[int, Replacement]
) -> None:
    """Plan ``lines[i]`` (source lines) to go right before top-level statement ``i`` of ``func``."""
    if not isinstance(func.body, cst.IndentedBlock):
        return
    for index, sources in lines.items():
        stmt = func.body.body[index]
        new = [parse_line(s) for s in sources]

        def replace(updated: cst.CSTNode, new: list[cst.SimpleStatementLine] = new) -> cst.CSTNode:
            return cst.FlattenSentinel([*new, updated])  # type: ignore[return-value]

        plan[id(stmt)] = replace


@dataclass(frozen=True)
class Hoisted:
    """One expression a loop evaluates many times, to be computed once into a local."""

    node: cst.CSTNode  # the occurrence in the loop
    source: str  # what the local is assigned (``set(STOP)``, ``out.append``); equal sources share a local
    stem: str  # the local's name, unless taken
    index: int  # the top-level statement holding the loop: the local is assigned right before it


def hoist(
    func: cst.FunctionDef,
    ctx: RuleContext,
    uses: dict[str, list[NameUse]],
    found: Sequence[Hoisted],
    replacement: Callable[[str], Replacement],
) -> Rewrite | None:
    """``func`` with each ``found`` source assigned to a fresh local once, before the earliest top-level
    statement that needs it, and each occurrence replaced by ``replacement(local)``."""
    if not found:
        return None
    taken = dict(uses)
    locals_: dict[str, tuple[str, int]] = {}  # source -> (local, statement index)
    for item in found:
        if item.source not in locals_ or item.index < locals_[item.source][1]:
            local = locals_[item.source][0] if item.source in locals_ else fresh_local(taken, ctx, item.stem)
            taken[local] = []
            locals_[item.source] = (local, item.index)
    plan: dict[int, Replacement] = {}
    for item in found:
        plan[id(item.node)] = replacement(locals_[item.source][0])
    lines: dict[int, list[str]] = {}
    for source, (local, index) in locals_.items():
        lines.setdefault(index, []).append(f"{local} = {source}")
    insert_before(func, lines, plan)
    definition = replace_nodes(func, plan)
    return None if definition is None else Rewrite(definition=definition)


__all__ = ["Hoisted", "ancestry", "hoist", "in_loop", "insert_before"]
