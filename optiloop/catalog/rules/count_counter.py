"""count-with-counter: a loop that only counts its items into an empty dict becomes one
``Counter`` call; the dict stays a plain ``dict``.

Recognised (``d`` bound to ``{}`` or ``dict()`` by the statement right before the loop)::

    d = {}                           d = {}
    for w in words:                  d.update(Counter(iter(words)))
        if w in d:
            d[w] += 1        ->
        else:
            d[w] = 1

and the loop bodies ``d[w] = d.get(w, 0) + 1`` and ``if w not in d: d[w] = 0`` + ``d[w] += 1``.
``Counter`` counts in C with exactly that algorithm (``d[w] = d.get(w, 0) + 1``), so ``d`` ends with
the same keys (the first-seen key objects), in the same order, with the same ``int`` counts, and
stays a plain ``dict``: returning a ``Counter`` would change ``type()``, ``repr`` and ``d[missing]``.
The guard: the loop is a top-level statement of the function (not in ``try``/``with``: if iteration
raises, the half-filled dict is never seen), has no ``else``, its target is a plain name used nowhere
outside the loop, ``d`` is a local bound once and not used by nested functions, and the loop body
is exactly one of the shapes above. ``iter(...)`` keeps what the loop did for a mapping (``Counter``
would take its values as counts) and for ``None`` (``Counter(None)`` is empty; the loop raises).
"""

from __future__ import annotations

import libcst as cst

from optiloop.catalog.base import Rewrite, RuleContext
from optiloop.catalog.rules._bindings import can_import, function_names
from optiloop.catalog.rules._loops import _inside, constant, parse_line
from optiloop.catalog.rules._util import (
    Replacement,
    SafeRule,
    all_nodes,
    code,
    plural,
    quoted,
    replace_nodes,
)

_SHAPES = (
    ("{d}[{w}] = {d}.get({w}, 0) + 1",),
    ("if {w} in {d}:\n    {d}[{w}] += 1\nelse:\n    {d}[{w}] = 1",),
    ("if {w} not in {d}:\n    {d}[{w}] = 1\nelse:\n    {d}[{w}] += 1",),
    ("if {w} not in {d}:\n    {d}[{w}] = 0", "{d}[{w}] += 1"),
)


def _normal(node: cst.CSTNode) -> str:
    """Source with whitespace and comments dropped, to compare statement shapes."""
    return cst.parse_module(code(node).strip()).code.replace(" ", "").replace("\n", "|").strip("|")


def _empty_dict(stmt: cst.CSTNode, shadowed: frozenset[str]) -> str | None:
    """``d`` for a line ``d = {}`` / ``d = dict()``."""
    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Assign)):
        return None
    assign = stmt.body[0]
    if len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
        return None
    value = assign.value
    empty = isinstance(value, cst.Dict) and not value.elements
    func = value.func if isinstance(value, cst.Call) and not value.args else None
    if isinstance(func, cst.Name) and func.value == "dict":
        empty = "dict" not in shadowed
    return assign.targets[0].target.value if empty else None


def _matches(loop: cst.For, d: str, w: str) -> bool:
    body = loop.body
    if not isinstance(body, cst.IndentedBlock):
        return False
    found = "|".join(_normal(stmt) for stmt in body.body)
    for shape in _SHAPES:
        expected = "|".join(_normal(cst.parse_statement(s.format(d=d, w=w) + "\n")) for s in shape)
        if found == expected:
            return True
    return False


class CountWithCounter(SafeRule):
    name = "count-with-counter"
    explanation = "counting into a dict runs Python code per item; Counter counts in C and the dict stays a dict"

    def _apply(self, func: cst.FunctionDef, ctx: RuleContext) -> Rewrite | None:
        names = function_names(func, ctx)
        if names is None or not isinstance(func.body, cst.IndentedBlock):
            return None
        uses, counts, shadowed = names
        if "iter" in shadowed:
            return None
        if can_import(ctx, "Counter", "collections", func):
            counter, import_line = "Counter", "from collections import Counter"
        elif can_import(ctx, "collections", None, func):
            counter, import_line = "collections.Counter", "import collections"
        else:
            return None
        plan: dict[int, Replacement] = {}
        dicts: list[str] = []
        statements = list(func.body.body)
        for before, loop in zip(statements, statements[1:], strict=False):
            if not (isinstance(loop, cst.For) and loop.asynchronous is None and loop.orelse is None):
                continue
            d = _empty_dict(before, shadowed)
            if d is None or not isinstance(loop.target, cst.Name) or counts.get(d) != 1:
                continue
            w = loop.target.value
            if w == d or counts.get(w) != 1 or not _matches(loop, d, w):
                continue
            if any(not _inside(u.node, loop) for u in uses.get(w, [])) or not all(u.own_scope for u in uses[d]):
                continue
            if any(isinstance(n, cst.Name) and n.value == d for n in all_nodes(loop.iter)):
                continue
            line = parse_line(f"{d}.update({counter}(iter(ITER)))")
            new = line.with_deep_changes(_call_arg(line), value=loop.iter)
            plan[id(loop)] = constant(new)
            dicts.append(d)
        definition = replace_nodes(func, plan)
        if definition is None:
            return None
        said = f"counting into {quoted(dicts)} one item at a time runs Python code per item; {counter} counts in C " \
               f"and {plural(dicts, 'the dict stays a dict', 'the dicts stay dicts')}"
        return Rewrite(definition=definition, imports=(import_line,), explanation=said)


def _call_arg(line: cst.SimpleStatementLine) -> cst.Arg:
    expr = line.body[0]
    assert isinstance(expr, cst.Expr) and isinstance(expr.value, cst.Call)
    counter = expr.value.args[0].value
    assert isinstance(counter, cst.Call)
    inner = counter.args[0].value
    assert isinstance(inner, cst.Call)
    return inner.args[0]
