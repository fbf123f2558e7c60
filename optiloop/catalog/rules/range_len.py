"""range-len-to-enumerate: ``for i in range(len(xs)):`` that reads ``xs[i]`` iterates ``xs`` directly.

* When ``i`` is used only as ``xs[i]`` (and not after the loop): ``for x in xs:`` with each ``xs[i]``
  replaced by ``x``.
* Otherwise: ``for i, x in enumerate(xs):`` with each ``xs[i]`` replaced by ``x``.

Both skip a ``len`` call, a ``range`` object and an index lookup per element. The guard requires
evidence that ``xs`` is a list, tuple or str (an annotated parameter that is never rebound, or a
local bound only to a list/tuple display, list comprehension, ``list()``, ``tuple()`` or
``sorted()``), since for other classes indexing and iteration may disagree (a dict, a class with its
own ``__iter__``). Inside the loop ``xs`` may only be read by ``xs[i]`` and ``len(xs)``, ``i`` is
never assigned, and either ``xs`` is a local that never escapes (only indexed, measured, iterated or
tested for membership) or the body calls nothing but ``len``/``abs``/``min``/``max``/``int``/``float``/
``str``/``round`` and holds no ``yield``/``await`` (another call could change the list's length through
an alias, which iteration would see and ``range`` would not).
"""

from __future__ import annotations

import libcst as cst

from optiloop.catalog.base import Rewrite, RuleContext
from optiloop.catalog.rules._bindings import function_names
from optiloop.catalog.rules._evidence import is_sequence, params
from optiloop.catalog.rules._loops import _inside, constant, is_store
from optiloop.catalog.rules._util import (
    NameUse,
    Replacement,
    SafeRule,
    all_nodes,
    fresh_local,
    is_iterated,
    is_membership_rhs,
    own_nodes,
    plural,
    quoted,
    replace_nodes,
    sole_arg_of,
    sole_assignment,
)

_SAFE_CALLS = frozenset({"len", "abs", "min", "max", "int", "float", "str", "round"})


def _range_len(loop: cst.For) -> tuple[str, str] | None:
    """``(i, xs)`` for ``for i in range(len(xs)):``."""
    it = loop.iter
    if not (isinstance(loop.target, cst.Name) and isinstance(it, cst.Call) and isinstance(it.func, cst.Name)):
        return None
    if it.func.value != "range" or len(it.args) != 1 or it.args[0].keyword or it.args[0].star:
        return None
    inner = it.args[0].value
    if not (isinstance(inner, cst.Call) and isinstance(inner.func, cst.Name) and inner.func.value == "len"):
        return None
    if len(inner.args) != 1 or inner.args[0].keyword or inner.args[0].star:
        return None
    if not isinstance(inner.args[0].value, cst.Name):
        return None
    return loop.target.value, inner.args[0].value.value


def _indexes(use: NameUse, seq: str) -> cst.Subscript | None:
    """``xs[i]`` (a load) when ``use`` is the ``i`` in it."""
    index, element, sub = use.up(1), use.up(2), use.up(3)
    if not (isinstance(index, cst.Index) and isinstance(element, cst.SubscriptElement)):
        return None
    if not isinstance(sub, cst.Subscript):
        return None
    if len(sub.slice) != 1 or not (isinstance(sub.value, cst.Name) and sub.value.value == seq):
        return None
    stored = is_store(sub, use.ancestors[:-3])
    return None if stored else sub


def _body_is_plain(loop: cst.For) -> bool:
    for node in all_nodes(loop.body):
        if isinstance(node, (cst.Yield, cst.Await, cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.Global)):
            return False
        if isinstance(node, cst.Call) and not (isinstance(node.func, cst.Name) and node.func.value in _SAFE_CALLS):
            return False
    return True


def _private(func: cst.FunctionDef, seq: str, uses: list[NameUse]) -> bool:
    """``seq`` is a local (not a parameter) that never escapes: every use binds it, indexes it, takes its
    ``len``, iterates it or tests membership in it, so no call can reach it to change its length."""
    if any(p.name.value == seq for p in params(func)):
        return False
    for use in uses:
        parent = use.parent
        if sole_assignment(use) is not None or is_iterated(use) or is_membership_rhs(use):
            continue
        if isinstance(parent, cst.Subscript) and parent.value is use.node:
            continue  # an element read or store: the list's length stays
        if sole_arg_of(use, frozenset({"len"})) is not None:
            continue
        return False
    return True


class RangeLenToEnumerate(SafeRule):
    name = "range-len-to-enumerate"
    explanation = "for i in range(len(xs)) pays a len, a range and an index per element; iterating xs does not"

    def _apply(self, func: cst.FunctionDef, ctx: RuleContext) -> Rewrite | None:
        names = function_names(func, ctx)
        if names is None:
            return None
        uses, counts, shadowed = names
        if shadowed & (_SAFE_CALLS | {"range", "enumerate"}):
            return None
        plan: dict[int, Replacement] = {}
        taken: list[str] = []
        loops: list[str] = []
        seqs: list[str] = []
        for loop in own_nodes(func):
            if isinstance(loop, cst.For) and loop.asynchronous is None:
                found = _range_len(loop)
                if found is not None and self._plan(func, loop, found, uses, counts, ctx, taken, plan):
                    loops.append(f"for {found[0]} in range(len({found[1]}))")
                    seqs.append(found[1])
        definition = replace_nodes(func, plan)
        if definition is None:
            return None
        said = f"{quoted(loops)} {plural(loops, 'pays', 'pay')} a len, a range and an index per element; iterating " \
               f"{quoted(seqs)} directly does not"
        return Rewrite(definition=definition, explanation=said)

    def _plan(
        self,
        func: cst.FunctionDef,
        loop: cst.For,
        found: tuple[str, str],
        uses: dict[str, list[NameUse]],
        counts: dict[str, int],
        ctx: RuleContext,
        taken: list[str],
        plan: dict[int, Replacement],
    ) -> bool:
        """Plan the rewrite of one ``for i in range(len(xs))`` loop; whether it was planned."""
        index, seq = found
        if index == seq or counts.get(index) != 1 or not is_sequence(func, seq, uses.get(seq, []), counts, ctx):
            return False
        if not (_body_is_plain(loop) or _private(func, seq, uses.get(seq, []))):
            return False
        in_loop = [u for u in uses.get(index, []) if _inside(u.node, loop.body)]
        outside = [u for u in uses.get(index, []) if not _inside(u.node, loop.body) and u.node is not loop.target]
        if not all(u.own_scope for u in uses.get(index, [])):
            return False
        subs = {id(u.node): _indexes(u, seq) for u in in_loop}
        reads = [s for s in subs.values() if s is not None]
        if not reads:
            return False
        for use in uses.get(seq, []):  # xs itself is only read in the loop by xs[i] or len(xs)
            if _inside(use.node, loop.body) and not any(use.node is s.value for s in reads):
                call = use.up(2)
                if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value == "len"):
                    return False
        stem = seq[:-1] if seq.endswith("s") and len(seq) > 1 else f"{seq}_item"
        element = fresh_local({**uses, **{t: [] for t in taken}}, ctx, stem)
        taken.append(element)
        only_indexing = len(reads) == len(in_loop) and not outside
        for sub in reads:
            plan[id(sub)] = constant(cst.Name(element))
        target: cst.BaseAssignTargetExpression
        new_iter: cst.BaseExpression
        if only_indexing:
            target, new_iter = cst.Name(element), cst.Name(seq)
        else:
            target = cst.Tuple([cst.Element(cst.Name(index)), cst.Element(cst.Name(element))], lpar=[], rpar=[])
            new_iter = cst.Call(func=cst.Name("enumerate"), args=[cst.Arg(cst.Name(seq))])

        def header(updated: cst.CSTNode) -> cst.CSTNode:
            if not isinstance(updated, cst.For):
                raise TypeError("expected a for loop")
            return updated.with_changes(target=target, iter=new_iter)

        plan[id(loop)] = header
        return True
