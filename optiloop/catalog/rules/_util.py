"""libcst helpers shared by the builtin rules.

Everything here is read-only analysis of an unchanged tree plus a small transformer that swaps nodes
by identity, so a rule can first collect what it wants to change (and refuse as a whole) and only
then rewrite.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar, cast

import libcst as cst

from optiloop.catalog.base import Rewrite, RuleContext

NESTED_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
DYNAMIC_SCOPE_NAMES = frozenset({"locals", "vars", "eval", "exec"})

_EMPTY = cst.Module(body=[])

CSTNodeT = TypeVar("CSTNodeT", bound=cst.CSTNode)
Replacement = Callable[[cst.CSTNode], cst.CSTNode | cst.FlattenSentinel[cst.CSTNode]]


def code(node: cst.CSTNode) -> str:
    """Source text of ``node``."""
    return _EMPTY.code_for_node(node)


def quoted(sources: Iterable[str], most: int = 3) -> str:
    """Code snippets for an explanation, each once, in order: ```a``, ``a`` and ``b``, ``a``, ``b`` and 2 more``."""
    items = [f"`{s}`" for s in dict.fromkeys(sources)]
    if len(items) > most:
        return f"{', '.join(items[:most])} and {len(items) - most} more"
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def short(source: str, most: int = 40) -> str:
    """One line of code for an explanation, cut to ``most`` characters."""
    text = " ".join(source.split())
    return text if len(text) <= most else text[: most - 3] + "..."


def plural(sources: Iterable[str], one: str, more: str) -> str:
    """``one`` for a single distinct snippet, else ``more`` (``is``/``are``)."""
    return one if len(set(sources)) == 1 else more


class SafeRule(ABC):
    """Base for rules: ``apply`` never raises, whatever ``_apply`` runs into."""

    name: str = ""
    explanation: str = ""

    def apply(self, func: cst.FunctionDef, ctx: RuleContext) -> Rewrite | None:
        try:
            return self._apply(func, ctx)
        except Exception:  # a rule refuses code it does not understand instead of failing the loop
            return None

    @abstractmethod
    def _apply(self, func: cst.FunctionDef, ctx: RuleContext) -> Rewrite | None:
        """The rule itself; it may raise on code it does not understand."""


# --- where names occur ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NameUse:
    """One occurrence of a name, with every ancestor from the root (first) to the parent (last)."""

    node: cst.Name
    ancestors: tuple[cst.CSTNode, ...]
    nested: bool  # inside a def, lambda or class nested in the root
    in_comprehension: bool

    @property
    def parent(self) -> cst.CSTNode:
        return self.ancestors[-1]

    def up(self, n: int) -> cst.CSTNode | None:
        """The ``n``-th ancestor: 1 is the parent."""
        return self.ancestors[-n] if len(self.ancestors) >= n else None

    @property
    def own_scope(self) -> bool:
        return not self.nested and not self.in_comprehension


class _NameCollector(cst.CSTVisitor):
    def __init__(self, root: cst.CSTNode) -> None:
        super().__init__()
        self.root = root
        self.stack: list[cst.CSTNode] = []
        self.uses: dict[str, list[NameUse]] = {}

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.Name) and self.stack and not self._is_label(node, self.stack[-1]):
            nested = any(isinstance(a, NESTED_SCOPES) for a in self.stack[1:])
            comp = any(isinstance(a, COMPREHENSIONS) for a in self.stack)
            self.uses.setdefault(node.value, []).append(NameUse(node, tuple(self.stack), nested, comp))
        self.stack.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.stack.pop()

    def _is_label(self, node: cst.Name, parent: cst.CSTNode) -> bool:
        """Names that are not variables: attribute names, keyword names, the root's own name."""
        if isinstance(parent, cst.Attribute):
            return parent.attr is node
        if isinstance(parent, cst.Arg):
            return parent.keyword is node
        return parent is self.root and isinstance(parent, (cst.FunctionDef, cst.ClassDef))


def name_uses(root: cst.CSTNode) -> dict[str, list[NameUse]]:
    """Every variable-name occurrence under ``root`` (nested scopes included, flagged)."""
    collector = _NameCollector(root)
    root.visit(collector)
    return collector.uses


class _OwnNodes(cst.CSTVisitor):
    def __init__(self, root: cst.CSTNode) -> None:
        super().__init__()
        self.root = root
        self.nodes: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if node is not self.root and isinstance(node, NESTED_SCOPES):
            return False
        self.nodes.append(node)
        return True


def own_nodes(func: cst.FunctionDef) -> list[cst.CSTNode]:
    """Nodes of ``func`` outside nested defs, lambdas and classes (comprehensions included)."""
    visitor = _OwnNodes(func)
    func.visit(visitor)
    return visitor.nodes


def all_nodes(root: cst.CSTNode) -> list[cst.CSTNode]:
    """Every node under ``root``, ``root`` included."""
    nodes: list[cst.CSTNode] = []

    class _All(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            nodes.append(node)
            return True

    root.visit(_All())
    return nodes


# --- classifying one use -------------------------------------------------------------------------


def is_membership_rhs(use: NameUse) -> bool:
    """``... in NAME`` / ``... not in NAME``."""
    parent = use.parent
    return (
        isinstance(parent, cst.ComparisonTarget)
        and parent.comparator is use.node
        and isinstance(parent.operator, (cst.In, cst.NotIn))
    )


def sole_assignment(use: NameUse) -> cst.Assign | None:
    """The ``NAME = value`` statement when this use is its only target."""
    target, assign = use.up(1), use.up(2)
    if isinstance(target, cst.AssignTarget) and target.target is use.node and isinstance(assign, cst.Assign):
        return assign if len(assign.targets) == 1 else None
    return None


def method_call(use: NameUse) -> tuple[str, cst.Call] | None:
    """``NAME.method(...)``: the method name and the call."""
    attr, call = use.up(1), use.up(2)
    if isinstance(attr, cst.Attribute) and attr.value is use.node and isinstance(call, cst.Call):
        return (attr.attr.value, call) if call.func is attr else None
    return None


def plain_args(call: cst.Call) -> list[cst.BaseExpression] | None:
    """The arguments when all are positional and unstarred."""
    if any(arg.keyword is not None or arg.star for arg in call.args):
        return None
    return [arg.value for arg in call.args]


def sole_arg_of(use: NameUse, funcs: frozenset[str]) -> str | None:
    """``f(NAME)`` for ``f`` in ``funcs``: the name of ``f``."""
    arg, call = use.up(1), use.up(2)
    if not (isinstance(arg, cst.Arg) and isinstance(call, cst.Call) and arg.value is use.node):
        return None
    if len(call.args) != 1 or arg.keyword is not None or arg.star:
        return None
    return call.func.value if isinstance(call.func, cst.Name) and call.func.value in funcs else None


def is_truth_test(use: NameUse) -> bool:
    """The value is only tested for truth (``if q``, ``while q and x``, ``not q``)."""
    node: cst.CSTNode = use.node
    for parent in reversed(use.ancestors):
        if isinstance(parent, (cst.If, cst.While, cst.IfExp, cst.Assert)):
            return parent.test is node
        if isinstance(parent, cst.UnaryOperation):
            return isinstance(parent.operator, cst.Not)
        if not isinstance(parent, cst.BooleanOperation):
            return False
        node = parent  # the operand of and/or may be the result: climb to see how that is used
    return False


def is_iterated(use: NameUse) -> bool:
    """``for ... in NAME:`` in a statement."""
    return isinstance(use.parent, cst.For) and use.parent.iter is use.node


# --- literals ------------------------------------------------------------------------------------


def is_str_literal(node: cst.BaseExpression) -> bool:
    """A plain (not formatted) str or bytes literal, possibly implicitly concatenated."""
    if isinstance(node, cst.SimpleString):
        return True
    if isinstance(node, cst.ConcatenatedString):
        return is_str_literal(node.left) and is_str_literal(node.right)
    return False


def is_hashable_literal(node: cst.BaseExpression) -> bool:
    """A str/bytes/int literal, ``-int``, or None/True/False."""
    if is_str_literal(node) or isinstance(node, cst.Integer):
        return True
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.Minus, cst.Plus)):
        return isinstance(node.expression, cst.Integer)
    return isinstance(node, cst.Name) and node.value in ("None", "True", "False")


def literal_elements(node: cst.BaseExpression) -> list[cst.Element] | None:
    """The elements of a non-empty list/tuple display of hashable literals."""
    if not isinstance(node, (cst.List, cst.Tuple)) or not node.elements:
        return None
    elements = [e for e in node.elements if isinstance(e, cst.Element) and is_hashable_literal(e.value)]
    return elements if len(elements) == len(node.elements) else None


def set_display(node: cst.CSTNode) -> cst.Set:
    """A set display with the elements (and bracket whitespace) of a list/tuple display."""
    if isinstance(node, cst.List):
        lbrace = cst.LeftCurlyBrace(whitespace_after=node.lbracket.whitespace_after)
        rbrace = cst.RightCurlyBrace(whitespace_before=node.rbracket.whitespace_before)
        return cst.Set(node.elements, lbrace, rbrace, lpar=node.lpar, rpar=node.rpar)
    if isinstance(node, cst.Tuple) and node.lpar and node.rpar:
        lbrace = cst.LeftCurlyBrace(whitespace_after=node.lpar[-1].whitespace_after)
        rbrace = cst.RightCurlyBrace(whitespace_before=node.rpar[0].whitespace_before)
        return cst.Set(node.elements, lbrace, rbrace, lpar=node.lpar[:-1], rpar=node.rpar[1:])
    if isinstance(node, cst.Tuple):
        return cst.Set(node.elements)
    raise TypeError(f"not a list or tuple display: {type(node).__name__}")


# --- the function's names ------------------------------------------------------------------------


def uses_dynamic_scope(uses: dict[str, list[NameUse]]) -> bool:
    """The function may read its locals by name (``locals()``, ``eval``...)."""
    return any(name in uses for name in DYNAMIC_SCOPE_NAMES)


def fresh_local(uses: dict[str, list[NameUse]], ctx: RuleContext, stem: str) -> str:
    """A name used nowhere in the function and not bound at module level."""
    return ctx.with_names(tuple(uses)).fresh_name(stem)


# --- rewriting -----------------------------------------------------------------------------------


class _Replacer(cst.CSTTransformer):
    def __init__(self, plan: dict[int, Replacement]) -> None:
        super().__init__()
        self.plan = plan

    def on_leave(
        self, original_node: CSTNodeT, updated_node: CSTNodeT
    ) -> CSTNodeT | cst.RemovalSentinel | cst.FlattenSentinel[CSTNodeT]:
        replace = self.plan.get(id(original_node))
        if replace is None:
            return updated_node
        # libcst validates the replacement's type where it is placed in the parent
        return cast("CSTNodeT | cst.FlattenSentinel[CSTNodeT]", replace(updated_node))


def replace_nodes(func: cst.FunctionDef, plan: dict[int, Replacement]) -> cst.FunctionDef | None:
    """``func`` with each node whose ``id`` is in ``plan`` replaced by ``plan[id](updated node)``."""
    if not plan:
        return None
    result = func.visit(_Replacer(plan))
    return result if isinstance(result, cst.FunctionDef) else None


def statement_after(
    small: cst.BaseSmallStatement, ancestors: tuple[cst.CSTNode, ...], extra: cst.BaseSmallStatement
) -> tuple[int, Replacement] | None:
    """A plan entry that adds ``extra`` right after the small statement ``small``.

    ``ancestors`` ends with the statement's parent line. A statement alone on its line gets a new line
    of its own after it; otherwise ``extra`` joins the same line after a semicolon.
    """
    line = ancestors[-1] if ancestors else None
    if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 and line.body[0] is small:
        new_line = cst.SimpleStatementLine(body=[extra])
        return id(line), lambda updated: cst.FlattenSentinel([updated, new_line])
    if isinstance(line, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
        return id(small), lambda updated: cst.FlattenSentinel([updated, extra])
    return None
