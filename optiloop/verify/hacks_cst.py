"""libcst plumbing for the static hack detector: a parsed module with the names it resolves.

``Parsed`` holds a module and libcst's ``ScopeProvider`` metadata for it, which gives the qualified name
of what a name or attribute chain refers to through imports and aliases (``from functools import
lru_cache as memo`` is ``functools.lru_cache``, ``from sys import _getframe as f`` is ``sys._getframe``,
``open`` is the builtin unless something else is bound to it). ``walk`` visits what ``ast.walk`` would:
expressions and statements, but not the names of definitions, parameters, keywords, attributes or
imports.
"""

from __future__ import annotations

import io
import tokenize
from collections.abc import Collection, Iterator, Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, QualifiedName, QualifiedNameSource, ScopeProvider

Def = cst.FunctionDef | cst.ClassDef
EMPTY = cst.Module(body=[])
_RESOLVED = (QualifiedNameSource.IMPORT, QualifiedNameSource.BUILTIN)
_STUB = cst.IndentedBlock(body=[cst.SimpleStatementLine(body=[cst.Pass()])])


class Parsed:
    """A module with libcst's scopes, to resolve what names refer to.

    With ``keep``, the bodies of the other top-level definitions are left out of the analysis (their
    names stay bound): scope analysis is the expensive part, and only the kept code is looked at.
    """

    def __init__(self, module: cst.Module, keep: Collection[cst.CSTNode] | None = None) -> None:
        if keep is not None:
            kept = {id(k) for k in keep}
            stub = (cst.FunctionDef, cst.ClassDef)
            module = module.with_changes(body=[s.with_changes(body=_STUB) if isinstance(s, stub) and id(s) not in kept
                                               else s for s in module.body])
        self.module = module
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)  # nodes are never changed: no copy needed
        self._scopes = wrapper.resolve(ScopeProvider)

    def qualified(self, node: cst.CSTNode) -> Collection[QualifiedName]:
        scope = self._scopes.get(node)
        return scope.get_qualified_names_for(node) if scope is not None else ()

    def dotted(self, node: cst.CSTNode | None) -> str:
        """What a name or attribute chain refers to when an import or builtin binds it
        (``functools.lru_cache``, ``sys._getframe``, ``open``), a function's local by its qualified name
        (``f.<locals>.x``); else ``a.b.c`` as written."""
        if isinstance(node, cst.Call):
            return self.dotted(node.func)
        if not isinstance(node, (cst.Name, cst.Attribute)):
            return ""
        names = self.qualified(node)
        resolved = sorted(q.name for q in names if q.source in _RESOLVED)
        if resolved:
            return resolved[0].removeprefix("builtins.")
        if isinstance(node, cst.Name):  # a function's own variable (``f.<locals>.open``) is not the builtin
            local = sorted(q.name for q in names if "<" in q.name)
            return local[0] if local and len(local) == len(names) else node.value
        inner = self.dotted(node.value)
        return f"{inner}.{node.attr.value}" if inner else node.attr.value

    def is_module_level(self, name: cst.Name) -> bool:
        """Whether a name read inside a function refers to something bound outside any function."""
        return not any("<" in q.name for q in self.qualified(name))


def walk(root: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """``root`` and what is below it, as ``ast.walk`` sees it (no definition, parameter, keyword,
    attribute or import names; ``global`` statements are not descended)."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (cst.Import, cst.ImportFrom, cst.Global, cst.Nonlocal)):
            continue
        if isinstance(node, (cst.Attribute, cst.Arg)):
            stack.append(node.value)
            continue
        skip = node.name if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Param)) else None
        stack.extend(c for c in reversed(node.children) if c is not skip)


def code(node: cst.CSTNode, quotes: bool = True) -> str:
    """The code of ``node`` without comments and with its layout normalized (``[3,1]`` is ``[3, 1]``;
    with ``quotes``, ``"a"`` is ``'a'``), so that formatting alone does not count as a difference."""
    text = EMPTY.code_for_node(node).strip()
    out: list[str] = []
    previous = ""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return " ".join(text.split())
    for tok in tokens:
        if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                        tokenize.ENDMARKER):
            continue
        piece = _string(tok.string) if quotes and tok.type == tokenize.STRING else tok.string
        if previous and (previous[-1].isalnum() or previous[-1] in "_'\"") and (piece[0].isalnum() or piece[0] in "_"):
            out.append(" ")
        out.append(piece)
        if piece in (",", ":") and tok.type == tokenize.OP:
            out.append(" ")
        previous = piece
    return "".join(out).replace(" )", ")").replace(" ]", "]").replace(" }", "}").strip()


def _string(token: str) -> str:
    try:
        expr = cst.parse_expression(token)
    except cst.ParserSyntaxError:
        return token
    return repr(expr.evaluated_value) if isinstance(expr, cst.SimpleString) else token


def literal(node: cst.CSTNode) -> str | None:
    """``repr`` of a constant (number, string, None, True, False), as ``ast.Constant`` holds it; else None."""
    if isinstance(node, (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return None if value is None else repr(value)
    if isinstance(node, cst.Name) and node.value in ("None", "True", "False"):
        return node.value
    return None


def block(node: cst.CSTNode) -> Sequence[cst.CSTNode]:
    """The statements of a definition's body or a module, small statements of one line each on their own."""
    body: Sequence[cst.CSTNode] = ()
    if isinstance(node, cst.Module):
        body = node.body
    elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
        body = node.body.body
    out: list[cst.CSTNode] = []
    for stmt in body:
        out.extend(stmt.body if isinstance(stmt, cst.SimpleStatementLine) else [stmt])
    return out


def find_def(module: cst.Module, qualname: str) -> Def | None:
    scope: cst.CSTNode = module
    found: Def | None = None
    for part in qualname.split("."):
        found = next((n for n in block(scope) if isinstance(n, (cst.FunctionDef, cst.ClassDef))
                      and n.name.value == part), None)
        if found is None:
            return None
        scope = found
    return found


def params(node: cst.CSTNode) -> list[cst.Param]:
    if not isinstance(node, cst.FunctionDef):
        return []
    p = node.params
    extra = [x for x in (p.star_arg, p.star_kwarg) if isinstance(x, cst.Param)]
    return [*p.posonly_params, *p.params, *p.kwonly_params, *extra]


def parameters(p: cst.Parameters) -> str:
    """A parameter list in normal form: kinds, annotations and defaults, as ``ast.unparse`` writes it."""
    def one(param: cst.Param, star: str = "") -> str:
        text = star + param.name.value
        if param.annotation is not None:
            text += ": " + code(param.annotation.annotation)
        if param.default is not None:
            text += "=" + code(param.default)
        return text

    parts = [one(x) for x in p.posonly_params]
    if p.posonly_params:
        parts.append("/")
    parts += [one(x) for x in p.params]
    if isinstance(p.star_arg, cst.Param):
        parts.append(one(p.star_arg, "*"))
    elif p.kwonly_params:
        parts.append("*")
    parts += [one(x) for x in p.kwonly_params]
    if p.star_kwarg is not None:
        parts.append(one(p.star_kwarg, "**"))
    return ", ".join(parts)


def targets(stmt: cst.CSTNode) -> list[cst.BaseExpression]:
    """What an assignment or ``del`` binds or changes, tuples and lists unpacked."""
    found: list[cst.BaseExpression] = []
    if isinstance(stmt, cst.Assign):
        found = [t.target for t in stmt.targets]
    elif isinstance(stmt, (cst.AugAssign, cst.AnnAssign, cst.Del)):
        found = [stmt.target]
    out: list[cst.BaseExpression] = []
    while found:
        t = found.pop(0)
        if isinstance(t, (cst.Tuple, cst.List)):
            found.extend(e.value for e in t.elements)
        else:
            out.append(t)
    return out


def value_of(stmt: cst.CSTNode) -> cst.BaseExpression | None:
    return stmt.value if isinstance(stmt, (cst.Assign, cst.AnnAssign)) else None
