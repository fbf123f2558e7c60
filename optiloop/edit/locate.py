"""Where definitions are in a module: line spans by qualified name, and the libcst node behind one.

Qualified names follow Python's ``__qualname__`` without ``<locals>``: ``func``, ``Class.method``,
``Outer.Inner.method``. Definitions inside ``if``/``try``/``with``/loop blocks at module or class level
are listed; functions and classes nested in functions belong to their enclosing definition.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import libcst as cst

from optiloop.edit.normal import dump
from optiloop.types import Rejected

# type aliases
Kind = Literal["function", "method", "class"]
AstDef = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
CstDef = cst.FunctionDef | cst.ClassDef

_AST_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True)
class DefSpan:
    """One definition. Lines are 1-based and inclusive; ``start`` is the first decorator's line, if any,
    and ``body_start`` the line of the first statement of the body."""

    qualname: str
    kind: Kind
    start: int
    end: int
    body_start: int


@dataclass(frozen=True)
class Definition:
    span: DefSpan
    node: AstDef


@dataclass(frozen=True)
class Located:
    """A definition found in a module, with the parsed module around it."""

    definition: Definition
    tree: ast.Module
    module: cst.Module  # the module the node belongs to; edit this one
    node: CstDef
    top: int  # index in ``module.body`` of the top-level statement that holds the node
    ancestors: tuple[ast.ClassDef, ...]  # the enclosing classes, outermost first


def nested_blocks(stmt: ast.stmt) -> Iterator[list[ast.stmt]]:
    """The statement lists that run in the scope of ``stmt``: branches of if/for/while/with/try/match."""
    if isinstance(stmt, _AST_DEFS):
        return
    for field in ("body", "orelse", "finalbody"):
        block = getattr(stmt, field, None)
        if isinstance(block, list):
            yield block
    for part in [*getattr(stmt, "handlers", ()), *getattr(stmt, "cases", ())]:
        yield part.body


def definitions(tree: ast.Module) -> list[Definition]:
    """Every listed definition of ``tree``, in source order."""
    found: list[Definition] = []

    def visit(body: list[ast.stmt], prefix: str, in_class: bool) -> None:
        for stmt in body:
            if not isinstance(stmt, _AST_DEFS):
                for block in nested_blocks(stmt):
                    visit(block, prefix, in_class)
                continue
            qualname = prefix + stmt.name
            kind: Kind = "class" if isinstance(stmt, ast.ClassDef) else "method" if in_class else "function"
            start = min([stmt.lineno, *(d.lineno for d in stmt.decorator_list)])
            span = DefSpan(qualname, kind, start, stmt.end_lineno or stmt.lineno, stmt.body[0].lineno)
            found.append(Definition(span, stmt))
            if isinstance(stmt, ast.ClassDef):
                visit(stmt.body, qualname + ".", True)

    visit(tree.body, "", False)
    return found


def definition_spans(module_source: str) -> tuple[DefSpan, ...]:
    """The spans of the module's functions, methods and classes; empty if the module does not parse."""
    try:
        tree = ast.parse(module_source)
    except (SyntaxError, ValueError):
        return ()
    return tuple(d.span for d in definitions(tree))


def enclosing_definition(spans: Sequence[DefSpan], line: int) -> DefSpan | None:
    """The innermost span containing ``line``; a class's own lines outside its methods map to the class."""
    containing = [s for s in spans if s.start <= line <= s.end]
    return max(containing, key=lambda s: (s.start, -s.end), default=None)


class _Named(cst.CSTVisitor):
    """Collects the functions and classes of one name, in source order (the order ``ast`` sees them)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.found: list[CstDef] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.name.value == self.name:
            self.found.append(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if node.name.value == self.name:
            self.found.append(node)


def _pick(matches: list[Definition], decorators: tuple[str, ...] | None) -> Definition:
    """The last definition of a name, preferring one with the given decorators (a property's getter
    over its setter, say)."""
    if decorators is not None:
        same = [m for m in matches if tuple(dump(d) for d in m.node.decorator_list) == decorators]
        if same:
            return same[-1]
    return matches[-1]


def locate(
    module_source: str, qualname: str, path: str = "module.py", decorators: tuple[str, ...] | None = None
) -> Located | Rejected:
    """Find ``qualname`` in the module; ``decorators`` (dumped) pick among definitions of the same name."""
    try:
        tree = ast.parse(module_source)
    except SyntaxError as e:
        return Rejected(f"`{path}` does not parse: line {e.lineno}: {e.msg}")
    except ValueError as e:
        return Rejected(f"`{path}` does not parse: {e}")
    found = definitions(tree)
    matches = [d for d in found if d.span.qualname == qualname]
    if not matches:
        return Rejected(f"`{path}` has no function, method or class `{qualname}`")
    target = _pick(matches, decorators)
    try:
        module = cst.parse_module(module_source)
    except cst.ParserSyntaxError as e:
        return Rejected(
            f"`{path}` cannot be edited: libcst does not parse it: line {e.raw_line}: {e.message}"
        )
    name, where = target.node.name, (target.node.lineno, target.node.col_offset)
    ordinal = sum(
        1
        for n in ast.walk(tree)
        if isinstance(n, _AST_DEFS) and n.name == name and (n.lineno, n.col_offset) < where
    )
    named, top = _Named(name), -1
    for index, stmt in enumerate(module.body):
        stmt.visit(named)
        if len(named.found) > ordinal:
            top = index
            break
    if top < 0:
        return Rejected(f"`{path}` cannot be edited: libcst does not see `{qualname}`")
    parts = qualname.split(".")
    ancestors = tuple(
        next(
            d.node
            for d in found
            if isinstance(d.node, ast.ClassDef)
            and d.span.qualname == ".".join(parts[:k])
            and d.span.start <= target.span.start <= d.span.end
        )
        for k in range(1, len(parts))
    )
    return Located(target, tree, module, named.found[ordinal], top, ancestors)


def find_definition(module_source: str, qualname: str) -> str | None:
    """The source of ``qualname``'s definition with its decorators, dedented so it parses on its own."""
    found = locate(module_source, qualname)
    if isinstance(found, Rejected):
        return None
    return found.module.code_for_node(found.node.with_changes(leading_lines=()))
