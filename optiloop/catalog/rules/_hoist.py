"""Putting new local assignments right before a top-level statement of the function body."""

from __future__ import annotations

import libcst as cst

from optiloop.catalog.rules._loops import ancestry, body_statement, parse_line, repeats_in
from optiloop.catalog.rules._util import Replacement


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


__all__ = ["ancestry", "in_loop", "insert_before"]
