"""Where names are bound: module-level bindings, a function's locals (via libcst's ScopeProvider),
and locating a definition or statement in a module."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import libcst as cst
from libcst.metadata import MetadataWrapper, ScopeProvider

from optiloop.catalog.base import RuleContext
from optiloop.catalog.rules._util import NameUse, all_nodes, code, name_uses, own_nodes, uses_dynamic_scope

_STAR = "*"  # the index key for star imports, which can bind any name


def _top_name(name: str) -> str:
    return name.split(".", 1)[0]


def _names(target: cst.BaseExpression | cst.BaseElement) -> list[str]:
    """Plain names an assignment target binds (attributes and subscripts bind none)."""
    if isinstance(target, (cst.Element, cst.StarredElement)):
        return _names(target.value)
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [name for element in target.elements for name in _names(element)]
    return []


class _GlobalFinder(cst.CSTVisitor):
    """``global`` statements anywhere in a def or class, skipping expressions for speed."""

    def __init__(self, found: list[cst.Global]) -> None:
        super().__init__()
        self.found = found

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.Global):
            self.found.append(node)
        return not isinstance(node, cst.BaseExpression)


class _ModuleBindings(cst.CSTVisitor):
    """Every node that binds (or deletes) a name in the module's global scope."""

    def __init__(self) -> None:
        super().__init__()
        self.index: dict[str, list[cst.CSTNode]] = {}

    def _add(self, names: list[str], node: cst.CSTNode) -> None:
        for name in names:
            nodes = self.index.setdefault(name, [])
            if all(n is not node for n in nodes):
                nodes.append(node)

    def _scope(self, node: cst.FunctionDef | cst.ClassDef) -> bool:
        self._add([node.name.value], node)
        found: list[cst.Global] = []
        node.body.visit(_GlobalFinder(found))
        for stmt in found:
            self._add([item.name.value for item in stmt.names], stmt)
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return self._scope(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return self._scope(node)

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Assign(self, node: cst.Assign) -> None:
        self._add([n for t in node.targets for n in _names(t.target)], node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._add(_names(node.target), node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._add(_names(node.target), node)

    def visit_For(self, node: cst.For) -> None:
        self._add(_names(node.target), node)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._add(_names(node.target), node)

    def visit_Del(self, node: cst.Del) -> None:
        self._add(_names(node.target), node)

    def visit_AsName(self, node: cst.AsName) -> None:  # with ... as x, except E as x, import a as x
        if isinstance(node.name, (cst.Name, cst.Tuple, cst.List)):
            self._add(_names(node.name), node)

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            if alias.asname is None:
                self._add([_top_name(code(alias.name))], node)
            else:
                self._add(_names(cast(cst.BaseExpression, alias.asname.name)), node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            self._add([_STAR], node)
        else:
            for alias in node.names:
                bound = alias.asname.name if alias.asname is not None else alias.name
                self._add(_names(cast(cst.BaseExpression, bound)), node)

    def visit_MatchAs(self, node: cst.MatchAs) -> None:
        if node.name is not None:
            self._add([node.name.value], node)

    def visit_MatchStar(self, node: cst.MatchStar) -> None:
        if node.name is not None:
            self._add([node.name.value], node)

    def visit_MatchMapping(self, node: cst.MatchMapping) -> None:
        if node.rest is not None:
            self._add([node.rest.value], node)


_last_index: list[tuple[cst.Module, dict[str, list[cst.CSTNode]]]] = []  # the last module's, by identity


def _bindings_index(module: cst.Module) -> dict[str, list[cst.CSTNode]]:
    """Binding nodes by name; remembered for the last module asked about, since every rule asks."""
    if _last_index and _last_index[0][0] is module:
        return _last_index[0][1]
    visitor = _ModuleBindings()
    module.visit(visitor)
    _last_index[:] = [(module, visitor.index)]
    return visitor.index


def module_level_names(module: cst.Module) -> frozenset[str]:
    """Names bound at module top level: imports, assignments, defs, classes, ``global`` targets."""
    return frozenset(_bindings_index(module)) - {_STAR}


def module_bindings(module: cst.Module, name: str) -> list[cst.CSTNode]:
    """The nodes that bind or delete ``name`` at module level (an import statement, a def, an assign...)."""
    return _bindings_index(module).get(name, [])


def module_imports_plainly(module: cst.Module, name: str, source: str | None = None) -> bool:
    """``name`` is bound at module level only by ``import name`` (or ``from source import name``)."""
    nodes = module_bindings(module, name)
    if len(nodes) != 1:
        return False
    stmt = nodes[0]
    aliases: Sequence[cst.ImportAlias] = ()
    if source is None and isinstance(stmt, cst.Import):
        aliases = stmt.names
    elif isinstance(stmt, cst.ImportFrom) and not stmt.relative and isinstance(stmt.module, cst.Name):
        if stmt.module.value == source and not isinstance(stmt.names, cst.ImportStar):
            aliases = stmt.names
    return any(isinstance(a.name, cst.Name) and a.name.value == name and a.asname is None for a in aliases)


def function_binding_counts(func: cst.FunctionDef) -> dict[str, int]:
    """How many times each name is bound in the function's own scope (parameters, assignments, loop
    targets, imports...); a name it declares global or nonlocal counts one more."""
    scopes = MetadataWrapper(cst.Module(body=[func]), unsafe_skip_copy=True).resolve(ScopeProvider)
    scope = scopes.get(func.body)
    counts: dict[str, int] = {}
    for assignment in scope.assignments if scope is not None else ():
        name = _top_name(assignment.name)
        counts[name] = counts.get(name, 0) + 1
    for node in own_nodes(func):
        if isinstance(node, (cst.Global, cst.Nonlocal)):
            for item in node.names:
                counts[item.name.value] = counts.get(item.name.value, 0) + 1
    return counts


def function_names(
    func: cst.FunctionDef, ctx: RuleContext
) -> tuple[dict[str, list[NameUse]], dict[str, int], frozenset[str]] | None:
    """``(uses, counts, shadowed)``: every name use in ``func`` (``name_uses``), how many times each local
    is bound (``function_binding_counts``), and the names a builtin may be shadowed by (bound at module
    level or locally); None when ``func`` may read its locals by name (``locals()``, ``eval``...)."""
    uses = name_uses(func)
    if uses_dynamic_scope(uses):
        return None
    counts = function_binding_counts(func)
    return uses, counts, ctx.taken_names | frozenset(counts)


def function_local_names(func: cst.FunctionDef) -> frozenset[str]:
    """Names bound in the function's own scope, plus those it declares global or nonlocal."""
    return frozenset(function_binding_counts(func))


def has_star_import(module: cst.Module) -> bool:
    """``from x import *`` somewhere at module level (the only place Python allows it)."""
    return _STAR in _bindings_index(module)


def find_function(module: cst.Module, qualname: str) -> tuple[cst.FunctionDef, bool] | None:
    """The definition named by a dotted ``qualname`` and whether it sits directly in a class."""
    body: tuple[cst.CSTNode, ...] = tuple(module.body)
    in_class = False
    parts = qualname.split(".")
    for i, part in enumerate(parts):
        match = [n for n in body if isinstance(n, (cst.FunctionDef, cst.ClassDef)) and n.name.value == part]
        if len(match) != 1:
            return None
        node = match[0]
        if i == len(parts) - 1:
            return (node, in_class) if isinstance(node, cst.FunctionDef) else None
        if not isinstance(node.body, cst.IndentedBlock):
            return None
        in_class = isinstance(node, cst.ClassDef)
        body = tuple(node.body.body)
    return None


def top_level_index(module: cst.Module, name: str) -> int | None:
    """Index in ``module.body`` of the def/class statement named ``name``."""
    for i, stmt in enumerate(module.body):
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)) and stmt.name.value == name:
            return i
    return None


def statement_index(module: cst.Module, node: cst.CSTNode) -> int | None:
    """Index of the top-level statement that is or directly wraps ``node`` (an import or assign)."""
    for i, stmt in enumerate(module.body):
        if stmt is node or (isinstance(stmt, cst.SimpleStatementLine) and any(s is node for s in stmt.body)):
            return i
    return None


def can_import(ctx: RuleContext, name: str, source: str | None = None, func: cst.FunctionDef | None = None) -> bool:
    """After ``import name`` (or ``from source import name``) ``name`` means that module object.

    True when ``name`` is not a local of ``func`` and either the module already binds it exactly so, or
    nothing binds or may bind it: not a module-level name, not read as a global by ``func``, and no
    star import could bind it behind the rule's back.
    """
    if func is not None and name in function_local_names(func):
        return False
    if module_imports_plainly(ctx.module, name, source):
        return True
    used = func is not None and any(isinstance(n, cst.Name) and n.value == name for n in all_nodes(func))
    return name not in ctx.taken_names and not used and not has_star_import(ctx.module)
