"""Reading a candidate's code: its imports, its module-level helpers and the new definition of the target.

Anything else in the reply is refused with one line that names the offending line and what is wrong.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from optiloop.edit.imports import ImportStmt, assigned
from optiloop.edit.locate import CstDef
from optiloop.edit.normal import dump
from optiloop.types import Rejected

_COMPOUND_KINDS = {
    "If": "an `if` block",
    "For": "a `for` loop",
    "While": "a `while` loop",
    "With": "a `with` block",
    "Try": "a `try` block",
    "TryStar": "a `try` block",
    "Match": "a `match` block",
}
_SMALL_KINDS = {
    "Expr": "an expression",
    "AugAssign": "an augmented assignment",
    "TypeAlias": "a `type` alias",
}


@dataclass(frozen=True)
class Helper:
    """A module-level statement of the reply other than the target: an assignment, def or class."""

    line: int
    node: cst.BaseStatement
    tree: list[ast.stmt]


@dataclass(frozen=True)
class Member:
    """A member of a reply's class wrapper other than the target; it must match the current class."""

    line: int
    depth: int  # index in the qualname's parts of the class it sits in
    label: str
    tree: list[ast.stmt]


@dataclass(frozen=True)
class Reply:
    imports: tuple[tuple[int, ImportStmt], ...]
    helpers: tuple[Helper, ...]
    target: CstDef
    line: int
    decorators: tuple[str, ...]  # the target's decorators, dumped
    members: tuple[Member, ...]


class _Reader:
    def __init__(self, module: cst.Module, lines: Callable[[cst.CSTNode], int], name: str) -> None:
        self.module = module
        self.line = lines
        self.name = name

    def tree(self, node: cst.CSTNode) -> list[ast.stmt]:
        return ast.parse(self.module.code_for_node(node)).body

    def snippet(self, node: cst.CSTNode) -> str:
        code = self.module.code_for_node(node).splitlines()
        text = next((s.strip() for s in code if s.strip() and not s.strip().startswith("#")), "")
        return text if len(text) <= 60 else text[:57] + "..."

    def refuse(self, stmt: cst.CSTNode, kind: str) -> Rejected:
        return Rejected(
            f"line {self.line(stmt)}: `{self.snippet(stmt)}` ({kind}) is not allowed at the top level of "
            f"the reply; send only imports, module-level helpers and the new `{self.name}`"
        )

    def statement(self, stmt: cst.BaseStatement) -> list[ImportStmt] | Helper | Rejected:
        """An import line, a helper, or why the statement is refused."""
        line = self.line(stmt)
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            return Helper(line, stmt, self.tree(stmt))
        if not isinstance(stmt, cst.SimpleStatementLine):
            return self.refuse(stmt, _COMPOUND_KINDS.get(type(stmt).__name__, "a compound statement"))
        for small in stmt.body:
            if not isinstance(small, (cst.Import, cst.ImportFrom, cst.Assign, cst.AnnAssign)):
                kind = type(small).__name__
                return self.refuse(stmt, _SMALL_KINDS.get(kind, f"a `{kind.lower()}` statement"))
        tree = self.tree(stmt)
        imports = [s for s in tree if isinstance(s, (ast.Import, ast.ImportFrom))]
        if imports and len(imports) < len(tree):
            return Rejected(f"line {line}: put imports and helpers on separate lines")
        for imp in imports:
            if isinstance(imp, ast.ImportFrom) and imp.module == "__future__" and not imp.level:
                return Rejected(
                    f"line {line}: `from __future__` imports cannot be added by a candidate; remove it"
                )
            if any(alias.name == "*" for alias in imp.names):
                return Rejected(
                    f"line {line}: `{self.snippet(stmt)}` is a star import; import names explicitly"
                )
        if imports:
            return imports
        for assign in tree:
            if not all(_binds_names(t) for t in assigned(assign)):
                return Rejected(
                    f"line {line}: `{self.snippet(stmt)}` assigns to an attribute or item; helpers may only "
                    "bind new module-level names"
                )
        return Helper(line, stmt, tree)

    def unwrap(self, node: CstDef, parts: list[str]) -> tuple[CstDef, list[Member]] | Rejected:
        """The target inside a reply's class wrapper (``class C:`` around ``def method``), with the
        wrapper's other members; the wrapper's own decorators and bases play no part."""
        members: list[Member] = []
        if node.name.value == parts[-1]:
            return node, members
        depth = parts.index(node.name.value)
        while depth < len(parts) - 1:
            body = list(node.body.body) if isinstance(node.body, cst.IndentedBlock) else []
            want = parts[depth + 1]
            kinds = (cst.FunctionDef, cst.ClassDef) if depth + 2 == len(parts) else (cst.ClassDef,)
            index = next(
                (
                    i
                    for i in reversed(range(len(body)))
                    if isinstance(body[i], kinds) and _name(body[i]) == want
                ),
                None,
            )
            if index is None:
                return Rejected(
                    f"line {self.line(node)}: the reply's `class {node.name.value}` does not define `{want}`"
                )
            for i, member in enumerate(body):
                if i != index and not _stands_for_omitted(member):
                    label = _name(member) or self.snippet(member)
                    members.append(Member(self.line(member), depth, label, self.tree(member)))
            found = body[index]
            assert isinstance(found, (cst.FunctionDef, cst.ClassDef))
            node, depth = found, depth + 1
        return node, members


def _name(stmt: cst.BaseStatement) -> str | None:
    return stmt.name.value if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)) else None


def _binds_names(target: ast.expr) -> bool:
    if isinstance(target, ast.Starred):
        return _binds_names(target.value)
    if isinstance(target, (ast.Tuple, ast.List)):
        return all(_binds_names(t) for t in target.elts)
    return isinstance(target, ast.Name)


def _stands_for_omitted(stmt: cst.BaseStatement) -> bool:
    """``pass`` or ``...`` standing for members the wrapper leaves out."""
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(s, cst.Pass) or (isinstance(s, cst.Expr) and isinstance(s.value, cst.Ellipsis))
        for s in stmt.body
    )


def _is_target_form(stmt: cst.BaseStatement, parts: list[str]) -> bool:
    """The target itself, or a class named after one of its enclosing classes."""
    return isinstance(stmt, (cst.FunctionDef, cst.ClassDef)) and (
        stmt.name.value == parts[-1] or (isinstance(stmt, cst.ClassDef) and stmt.name.value in parts[:-1])
    )


def read_reply(source: str, qualname: str) -> Reply | Rejected:
    """Split the reply into imports, helpers and the target; the target is the last top-level
    definition named like it (or a class wrapper around it)."""
    try:
        ast.parse(source)
    except SyntaxError as e:
        return Rejected(f"the reply's code does not parse: line {e.lineno}: {e.msg}")
    except ValueError as e:
        return Rejected(f"the reply's code does not parse: {e}")
    try:
        wrapper = MetadataWrapper(cst.parse_module(source))
    except cst.ParserSyntaxError as e:
        return Rejected(f"the reply's code does not parse: line {e.raw_line}: {e.message}")
    positions = wrapper.resolve(PositionProvider)
    module = wrapper.module
    parts = qualname.split(".")
    reader = _Reader(module, lambda node: positions[node].start.line, parts[-1])
    forms = [i for i, stmt in enumerate(module.body) if _is_target_form(stmt, parts)]
    imports: list[tuple[int, ImportStmt]] = []
    helpers: list[Helper] = []
    for i, stmt in enumerate(module.body):
        if forms and i == forms[-1]:
            continue
        read = reader.statement(stmt)
        if isinstance(read, Rejected):
            return read
        if isinstance(read, Helper):
            helpers.append(read)
        else:
            imports.extend((reader.line(stmt), s) for s in read)
    if not forms:
        return Rejected(f"the reply does not define `{parts[-1]}`")
    wrapped = module.body[forms[-1]]
    assert isinstance(wrapped, (cst.FunctionDef, cst.ClassDef))
    unwrapped = reader.unwrap(wrapped, parts)
    if isinstance(unwrapped, Rejected):
        return unwrapped
    target, members = unwrapped
    decorators = tuple(dump(d) for d in getattr(reader.tree(target)[0], "decorator_list", []))
    return Reply(tuple(imports), tuple(helpers), target, reader.line(target), decorators, tuple(members))
