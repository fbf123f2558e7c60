"""Loop helpers shared by the builtin rules: which loop a node sits in, and statement positions."""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from optiloop.catalog.rules._util import COMPREHENSIONS, NESTED_SCOPES

LOOPS = (cst.For, cst.While)


class _Parents(cst.CSTVisitor):
    def __init__(self, root: cst.CSTNode) -> None:
        super().__init__()
        self.root = root
        self.stack: list[cst.CSTNode] = []
        self.ancestors: dict[int, tuple[cst.CSTNode, ...]] = {}

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.ancestors[id(node)] = tuple(self.stack)
        if node is not self.root and isinstance(node, NESTED_SCOPES):
            return False
        self.stack.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if self.stack and self.stack[-1] is original_node:
            self.stack.pop()


def ancestry(func: cst.FunctionDef) -> dict[int, tuple[cst.CSTNode, ...]]:
    """For every node of ``func``'s own code (by ``id``), its ancestors from ``func`` to the parent."""
    visitor = _Parents(func)
    func.visit(visitor)
    return visitor.ancestors


def _inside(node: cst.CSTNode, part: cst.CSTNode | None) -> bool:
    if part is None:
        return False
    if node is part:
        return True
    found = False

    class _Find(cst.CSTVisitor):
        def on_visit(self, inner: cst.CSTNode) -> bool:
            nonlocal found
            if inner is node:
                found = True
            return not found

    part.visit(_Find())
    return found


def repeats_in(node: cst.CSTNode, ancestors: tuple[cst.CSTNode, ...]) -> list[cst.CSTNode]:
    """The loops (``for``/``while`` statements and comprehensions) that may evaluate ``node`` many times,
    outermost first: ``node`` is in a loop's body or test, not in the iterable evaluated once."""
    loops: list[cst.CSTNode] = []
    chain = (*ancestors, node)
    for i, parent in enumerate(chain[:-1]):
        child = chain[i + 1]
        if isinstance(parent, cst.For) and child is not parent.iter and child is not parent.target:
            loops.append(parent)
        elif isinstance(parent, cst.While) and child is not parent.orelse:
            loops.append(parent)
        elif isinstance(parent, COMPREHENSIONS):
            for_in = parent.for_in
            if not (child is for_in and _inside(node, for_in.iter)):
                loops.append(parent)
    return [loop for loop in loops if not (isinstance(loop, cst.For) and _inside(node, loop.orelse))]


def body_statement(func: cst.FunctionDef, node: cst.CSTNode, ancestors: tuple[cst.CSTNode, ...]) -> int | None:
    """Index in ``func``'s body of the top-level statement that holds ``node``."""
    if not isinstance(func.body, cst.IndentedBlock):
        return None
    chain = (*ancestors, node)
    for i, stmt in enumerate(func.body.body):
        if len(chain) > 2 and chain[2] is stmt:
            return i
    return None


def simple_line(stmt: cst.BaseSmallStatement) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine(body=[stmt])


def parse_line(source: str) -> cst.SimpleStatementLine:
    stmt = cst.parse_statement(source + "\n")
    if not isinstance(stmt, cst.SimpleStatementLine):
        raise TypeError(f"not a simple statement: {source}")
    return stmt


def constant(node: cst.CSTNode) -> Callable[[cst.CSTNode], cst.CSTNode]:
    """A replacement that puts ``node`` in place of whatever was there."""

    def replace(_updated: cst.CSTNode) -> cst.CSTNode:
        return node

    return replace


def is_store(node: cst.CSTNode, ancestors: tuple[cst.CSTNode, ...]) -> bool:
    """``node`` (whose ancestors end with its parent) is assigned to or deleted, not read; also as part
    of an unpacking target such as ``a, xs[i] = ...``."""
    i = len(ancestors) - 1
    while i >= 0 and isinstance(ancestors[i], (cst.Element, cst.StarredElement, cst.Tuple, cst.List)):
        node, i = ancestors[i], i - 1
    holder = ancestors[i] if i >= 0 else None
    if isinstance(holder, (cst.AssignTarget, cst.Del)):
        return True
    if isinstance(holder, (cst.AugAssign, cst.AnnAssign, cst.For, cst.CompFor, cst.NamedExpr)):
        return holder.target is node
    return isinstance(holder, cst.AsName) and holder.name is node


def top_level_index(func: cst.FunctionDef, ancestors: tuple[cst.CSTNode, ...]) -> int | None:
    """The index in ``func``'s body of the simple statement line that directly holds a node with these
    ``ancestors`` (so it always runs before later top-level statements); None when it is nested in a
    compound statement (``if``, ``for``, ``try``...) or is not in ``func``'s own code."""
    if not isinstance(func.body, cst.IndentedBlock) or len(ancestors) < 3:
        return None
    line = ancestors[2]
    if not isinstance(line, cst.SimpleStatementLine):
        return None
    return next((i for i, stmt in enumerate(func.body.body) if stmt is line), None)
