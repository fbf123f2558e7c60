"""Module-level names, and which of a candidate's imports a module still needs."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import libcst as cst

from optiloop.edit.locate import nested_blocks
from optiloop.edit.normal import is_docstring
from optiloop.types import Rejected

ImportStmt = ast.Import | ast.ImportFrom
# nodes that bind ``.name`` / ``.rest``; ast has the match-pattern classes from 3.10 on only
_NAMED: tuple[type[ast.AST], ...] = (ast.ExceptHandler,) + tuple(
    getattr(ast, name) for name in ("MatchAs", "MatchStar") if hasattr(ast, name))
_REST: tuple[type[ast.AST], ...] = tuple(getattr(ast, name) for name in ("MatchMapping",) if hasattr(ast, name))

_SCOPES = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


@dataclass(frozen=True)
class Binding:
    """A module-level name and the line that binds it.

    For imports, ``value`` says what the name refers to (``import a`` for both ``import a`` and
    ``import a.b``) and ``loads`` the dotted module or imported name the statement makes available.
    """

    name: str
    line: int
    value: str | None = None
    loads: str | None = None
    text: str = ""  # the alias as written: ``a.b as c``


def import_bindings(stmt: ImportStmt) -> list[Binding]:
    """One binding per imported name."""
    found = []
    for alias in stmt.names:
        text = alias.name + (f" as {alias.asname}" if alias.asname else "")
        if isinstance(stmt, ast.Import):
            top = alias.name.split(".")[0]
            name = alias.asname or top
            value = f"import {alias.name if alias.asname else top}"
            found.append(Binding(name, stmt.lineno, value, alias.name, text))
        else:
            value = f"from {'.' * stmt.level}{stmt.module or ''} import {alias.name}"
            found.append(Binding(alias.asname or alias.name, stmt.lineno, value, value, text))
    return found


def _stored(node: ast.AST) -> Iterator[str]:
    """Names bound by ``node`` in the current scope, not looking into nested scopes or statements."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, _SCOPES) or isinstance(current, ast.stmt):
            continue
        if isinstance(current, ast.Name) and isinstance(current.ctx, ast.Store):
            yield current.id
        elif isinstance(current, _NAMED) and getattr(current, "name", None):
            yield current.name  # type: ignore[attr-defined]
        elif isinstance(current, _REST) and getattr(current, "rest", None):
            yield current.rest  # type: ignore[attr-defined]
        stack.extend(ast.iter_child_nodes(current))


def _is_type_checking(stmt: ast.stmt) -> bool:
    if not isinstance(stmt, ast.If):
        return False
    test = stmt.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def module_bindings(body: list[ast.stmt]) -> dict[str, list[Binding]]:
    """The names a module body binds at run time (``if TYPE_CHECKING:`` blocks do not run)."""
    bound: dict[str, list[Binding]] = {}

    def visit(stmts: list[ast.stmt]) -> None:
        for stmt in stmts:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                found = import_bindings(stmt)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found = [Binding(stmt.name, stmt.lineno)]
            else:
                found = [
                    Binding(name, stmt.lineno)
                    for field, value in ast.iter_fields(stmt)
                    if field not in ("body", "orelse", "finalbody")
                    for item in (value if isinstance(value, list) else [value])
                    if isinstance(item, ast.AST)
                    for name in _stored(item)
                ]
            for binding in found:
                bound.setdefault(binding.name, []).append(binding)
            if _is_type_checking(stmt):
                visit(getattr(stmt, "orelse", []))
            else:
                for block in nested_blocks(stmt):
                    visit(block)

    visit(body)
    return bound


def needed_imports(
    imports: Sequence[tuple[int, ImportStmt]], bound: dict[str, list[Binding]]
) -> list[str] | Rejected:
    """The import statements to add for the reply's ``(line, statement)`` imports, keeping only the
    names the module does not import the same way already."""
    added: set[tuple[str, str | None, str | None]] = set()
    lines = []
    for line, stmt in imports:
        keep = []
        for alias in import_bindings(stmt):
            existing = bound.get(alias.name, [])
            loaded = any(
                b.value == alias.value
                and b.loads is not None
                and alias.loads is not None
                and (b.loads == alias.loads or b.loads.startswith(alias.loads + "."))
                for b in existing
            )
            key = (alias.name, alias.value, alias.loads)
            if loaded or key in added:
                continue
            if existing and not any(b.value == alias.value for b in existing):
                return Rejected(
                    f"line {line}: `{ast.unparse(stmt)}` would rebind `{alias.name}`, which the module binds "
                    f"otherwise at its line {existing[0].line}; use the module's `{alias.name}` or an alias"
                )
            added.add(key)
            keep.append(alias.text)
        if keep:
            if isinstance(stmt, ast.Import):
                lines.append(f"import {', '.join(keep)}")
            else:
                lines.append(f"from {'.' * stmt.level}{stmt.module or ''} import {', '.join(keep)}")
    return lines


def _is_import_block(stmt: ast.stmt) -> bool:
    """An import, or an ``if``/``try`` block of imports (with assignments or ``pass`` as fallbacks)."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return True
    if not isinstance(stmt, (ast.If, ast.Try)):
        return False
    inner = [n for n in ast.walk(stmt) if isinstance(n, ast.stmt) and n is not stmt]
    allowed = (ast.Import, ast.ImportFrom, ast.Pass, ast.Assign, ast.AnnAssign, ast.Raise, ast.If, ast.Try)
    return any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in inner) and all(
        isinstance(n, allowed) for n in inner
    )


def assigned(stmt: ast.stmt) -> list[ast.expr]:
    """The targets of an assignment; empty for other statements."""
    if isinstance(stmt, ast.Assign):
        return stmt.targets
    return [stmt.target] if isinstance(stmt, ast.AnnAssign) else []


def _is_dunder_assignment(stmt: ast.stmt) -> bool:
    targets = assigned(stmt)
    return bool(targets) and all(
        isinstance(t, ast.Name) and t.id.startswith("__") and t.id.endswith("__") for t in targets
    )


def import_index(module: cst.Module) -> tuple[int, bool]:
    """Where new imports go in ``module.body`` (after the docstring and the top-of-file imports, among
    which dunder assignments such as ``__all__`` may sit), and whether the module has such imports."""
    index, has_imports = 0, False
    for i, stmt in enumerate(module.body):
        tree = ast.parse(module.code_for_node(stmt)).body
        if i == 0 and len(tree) == 1 and is_docstring(tree[0]):
            index = 1
        elif all(_is_import_block(s) for s in tree):
            index, has_imports = i + 1, True
        elif not all(_is_dunder_assignment(s) for s in tree):
            break
    return index, has_imports
