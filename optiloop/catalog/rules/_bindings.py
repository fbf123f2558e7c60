"""Where names are bound: module-level bindings (via libcst's ScopeProvider), a function's locals,
and locating a definition or statement in a module."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
from libcst.metadata import Assignment, MetadataWrapper, ScopeProvider

from optiloop.catalog.base import RuleContext
from optiloop.catalog.rules._util import all_nodes, own_nodes


def _top_name(name: str) -> str:
    return name.split(".", 1)[0]


def _global_scope(module: cst.Module) -> cst.metadata.Scope | None:
    scopes = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ScopeProvider)
    return scopes.get(module)


def module_level_names(module: cst.Module) -> frozenset[str]:
    """Names bound at module top level: imports, assignments, defs, classes, ``global`` targets."""
    scope = _global_scope(module)
    if scope is None:
        return frozenset()
    return frozenset(_top_name(a.name) for a in scope.assignments)


def module_bindings(module: cst.Module, name: str) -> list[cst.CSTNode]:
    """The nodes that bind ``name`` at module level (an import statement, a def, an assign target...)."""
    scope = _global_scope(module)
    if scope is None:
        return []
    nodes: list[cst.CSTNode] = []
    for assignment in scope.assignments:
        if not isinstance(assignment, Assignment) or _top_name(assignment.name) != name:
            continue
        if all(n is not assignment.node for n in nodes):
            nodes.append(assignment.node)
    return nodes


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


def function_local_names(func: cst.FunctionDef) -> frozenset[str]:
    """Names bound in the function's own scope, plus those it declares global or nonlocal."""
    scopes = MetadataWrapper(cst.Module(body=[func]), unsafe_skip_copy=True).resolve(ScopeProvider)
    scope = scopes.get(func.body)
    names = {_top_name(a.name) for a in scope.assignments} if scope is not None else set()
    for node in own_nodes(func):
        if isinstance(node, (cst.Global, cst.Nonlocal)):
            names.update(item.name.value for item in node.names)
    return frozenset(names)


def has_star_import(module: cst.Module) -> bool:
    nodes = all_nodes(module)
    return any(isinstance(n, cst.ImportFrom) and isinstance(n.names, cst.ImportStar) for n in nodes)


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
