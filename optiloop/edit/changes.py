"""What a candidate changes, read from the code itself: the definitions it changes, adds or removes, which of
them are public, and whether a private definition whose signature changed had every use of it updated too.

A definition is private when a part of its qualified name starts with one underscore, or when its module lists
``__all__`` and does not export it. Uses are found with libcst's qualified-name metadata (a name bound by an
import resolves to the module it comes from); a method's uses are every attribute of its name, since the type of
the object it is called on is not known statically.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider, QualifiedNameProvider

from optiloop.edit.imports import assigned
from optiloop.edit.locate import definition_spans, definitions, enclosing_definition
from optiloop.edit.normal import dump
from optiloop.types import Change

MODULE = "<module>"


def _class_shell(node: ast.ClassDef) -> ast.ClassDef:
    """The class without its nested functions and classes (they are definitions of their own)."""
    shell = copy.copy(node)
    shell.body = [s for s in node.body if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    return shell


def _items(source: str) -> dict[str, tuple[str, int]] | None:
    """Every definition and module-level name of ``source``: qualname -> (its code in normal form, its line)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    items: dict[str, tuple[str, int]] = {}
    for d in definitions(tree):
        node = _class_shell(d.node) if isinstance(d.node, ast.ClassDef) else d.node
        old = items.get(d.span.qualname)
        items[d.span.qualname] = ((old[0] if old else "") + dump(node), old[1] if old else d.span.start)
    for stmt in tree.body:
        for target in (t for a in assigned(stmt) for t in ast.walk(a) if isinstance(t, ast.Name)):
            old = items.get(target.id)
            items[target.id] = ((old[0] if old else "") + dump(stmt), old[1] if old else stmt.lineno)
    return items


def changed_definitions(old: str, new: str, path: str) -> tuple[Change, ...]:
    """The definitions (functions, methods, classes' own statements, module-level names) that differ between
    ``old`` and ``new``, in the new file's order, removed ones last."""
    before, after = _items(old), _items(new)
    if before is None or after is None:
        return ()
    found = [(line, Change(path, q, "added" if q not in before else "changed"))
             for q, (text, line) in after.items() if before.get(q, ("", 0))[0] != text]
    gone = [Change(path, q, "removed") for q in before if q not in after]
    return tuple(c for _, c in sorted(found, key=lambda x: x[0])) + tuple(gone)


def exported(tree: ast.Module) -> set[str] | None:
    """The module's ``__all__`` when it is a literal list or tuple of strings; None otherwise."""
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in assigned(stmt)):
            value = stmt.value
            if isinstance(value, (ast.List, ast.Tuple)) and all(
                    isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts):
                return {str(e.value) for e in value.elts if isinstance(e, ast.Constant)}
    return None


def is_private(qualname: str, module_source: str) -> bool:
    """A part of the name starts with one underscore, or the module's ``__all__`` leaves its top name out."""
    parts = qualname.split(".")
    if any(p.startswith("_") and not (p.startswith("__") and p.endswith("__")) for p in parts):
        return True
    try:
        names = exported(ast.parse(module_source))
    except (SyntaxError, ValueError):
        return False
    return names is not None and parts[0] not in names


def _signature(args: ast.arguments) -> tuple[tuple[str, str, bool], ...]:
    """How a function can be called: each parameter's kind, name and whether it has a default."""
    positional = [*args.posonlyargs, *args.args]
    defaults = len(args.defaults)
    out = [("positional-only" if i < len(args.posonlyargs) else "positional", a.arg, i >= len(positional) - defaults)
           for i, a in enumerate(positional)]
    out += [("*", args.vararg.arg, False)] if args.vararg else []
    out += [("keyword", a.arg, d is not None) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)]
    out += [("**", args.kwarg.arg, False)] if args.kwarg else []
    return tuple(out)


def signatures(source: str) -> dict[str, tuple[tuple[str, str, bool], ...]]:
    """qualname -> signature of every function and method of ``source`` (the last of a name)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    return {d.span.qualname: _signature(d.node.args) for d in definitions(tree)
            if isinstance(d.node, (ast.FunctionDef, ast.AsyncFunctionDef))}


@dataclass(frozen=True)
class Use:
    path: str
    line: int
    within: str  # the qualname of the definition the use sits in, or MODULE


def _refers(names: Sequence[str], dotted: str, name: str, own: bool) -> bool:
    full = f"{dotted}.{name}"
    return any((own and n == name) or n == full or n.endswith("." + full.rsplit(".", 2)[-2] + "." + name)
               for n in names)


class _Uses(cst.CSTVisitor):
    """Collects the lines of the nodes that refer to the definition (see ``uses``)."""

    METADATA_DEPENDENCIES = (QualifiedNameProvider, PositionProvider)

    def __init__(self, module: str, name: str, method: bool, own: bool) -> None:
        self.module, self.name, self.method, self.own = module, name, method, own
        self.lines: list[int] = []

    def _hit(self, node: cst.Name | cst.Attribute) -> None:
        if self.method:
            hit = isinstance(node, cst.Attribute) and node.attr.value == self.name
        else:
            names = [q.name for q in self.get_metadata(QualifiedNameProvider, node, set())]
            hit = _refers(names, self.module, self.name, self.own)
        if hit:
            self.lines.append(self.get_metadata(PositionProvider, node).start.line)

    def visit_Name(self, node: cst.Name) -> None:
        self._hit(node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._hit(node)


def uses(source: str, path: str, module: str, qualname: str, own: bool) -> list[Use]:
    """The uses of the definition ``qualname`` of module ``module`` (dotted) in ``source`` (the file at ``path``;
    ``own``: it is that module): names resolving to it, for a function; attributes of its name, for a method."""
    name = qualname.rsplit(".", 1)[-1]
    if name not in source:
        return []
    try:
        wrapper = MetadataWrapper(cst.parse_module(source))
    except cst.ParserSyntaxError:
        return []
    visitor = _Uses(module, name, "." in qualname, own)
    wrapper.visit(visitor)
    spans = definition_spans(source)
    found: list[Use] = []
    for line in visitor.lines:
        span = enclosing_definition(spans, line)
        within = span.qualname if span is not None else MODULE
        if not (within == qualname and span is not None and span.start == line):  # the def's own name
            found.append(Use(path, line, within))
    return found


def stale_uses(texts: Mapping[str, str], changed: set[tuple[str, str]], path: str, module: str,
               qualname: str) -> list[Use]:
    """The uses of ``path``'s ``qualname`` in ``texts`` (path -> text after the candidate) that sit outside the
    definitions the candidate changed: uses it did not update."""
    out = []
    for where, text in texts.items():
        for use in uses(text, where, module, qualname, where == path):
            if use.within == MODULE or (where, use.within) not in changed:
                if not (where == path and use.within == qualname):
                    out.append(use)
    return out
