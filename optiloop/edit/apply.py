"""Writing a candidate into its module.

The new definition takes the old one's place (keeping the comments and blank lines above it), new
imports join the module's top-of-file imports, and new helpers go just before the top-level statement
that holds the target. The result must compile; it is returned with a unified diff.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Sequence
from typing import TypeVar, cast

import libcst as cst

from optiloop.edit.imports import Binding, import_index, module_bindings, needed_imports
from optiloop.edit.locate import Located, locate
from optiloop.edit.normal import dump, normalized
from optiloop.edit.reply import Reply, read_reply
from optiloop.types import Applied, EditResult, Rejected

_Node = TypeVar("_Node", bound=cst.CSTNode)


class _DefaultIndent(cst.CSTTransformer):
    """Indent every block by the module's own unit, whatever unit the reply used."""

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        return updated_node.with_changes(indent=None)


def _reindented(node: _Node) -> _Node:
    return cast(_Node, node.visit(_DefaultIndent()))


def _blank_lines(n: int) -> tuple[cst.EmptyLine, ...]:
    return tuple(cst.EmptyLine() for _ in range(n))


def _leading(stmt: cst.BaseStatement) -> tuple[cst.EmptyLine, ...]:
    return tuple(getattr(stmt, "leading_lines", ()))


def _blank_count(lines: Sequence[cst.EmptyLine]) -> int:
    """How many blank lines come before the first comment."""
    return next((i for i, line in enumerate(lines) if line.comment is not None), len(lines))


def _check_shape(reply: Reply, found: Located, qualname: str) -> Rejected | None:
    """The reply's definition must be of the target's kind, and a class wrapper around it must leave
    the class's other members as they are."""
    name = reply.target.name.value
    want = found.definition.span.kind
    got = "class" if isinstance(reply.target, cst.ClassDef) else "function"
    if (got == "class") != (want == "class"):
        hint = "send the whole class" if want == "class" else f"send `def {name}(...)`"
        return Rejected(
            f"line {reply.line}: the reply defines `{name}` as a {got}, but `{qualname}` is a {want}; {hint}"
        )
    for member in reply.members:
        cls = found.ancestors[member.depth]
        current = {dump(s) for s in cls.body}
        if not all(dump(s) in current for s in member.tree):
            return Rejected(
                f"line {member.line}: the reply's `class {cls.name}` also changes or adds `{member.label}`; "
                f"send only the new `{name}`, or keep the class's other members as they are"
            )
    return None


def _new_helpers(
    reply: Reply, found: Located, bound: dict[str, list[Binding]]
) -> list[cst.BaseStatement] | Rejected:
    """The reply's helpers the module lacks; those identical to a top-level statement are skipped."""
    existing = {dump(s) for s in found.tree.body}
    kept: list[cst.BaseStatement] = []
    for helper in reply.helpers:
        if all(dump(s) in existing for s in helper.tree):
            continue
        taken = next((name for name in module_bindings(helper.tree) if name in bound), None)
        if taken is not None:
            return Rejected(
                f"line {helper.line}: helper `{taken}` would replace the module's existing `{taken}`; "
                "give it a new name"
            )
        kept.append(_reindented(helper.node))
    return kept


def _place_helpers(body: list[cst.BaseStatement], top: int, helpers: list[cst.BaseStatement]) -> None:
    """Put the helpers before ``body[top]``, spaced like it is from what precedes it."""
    if not helpers:
        return
    anchor = body[top]
    blanks = _blank_count(_leading(anchor))
    own = _leading(helpers[0])
    helpers[0] = helpers[0].with_changes(leading_lines=_blank_lines(blanks) + own[_blank_count(own) :])
    if blanks == 0:
        gap = 2 if isinstance(anchor, (cst.FunctionDef, cst.ClassDef)) else 1
        body[top] = anchor.with_changes(leading_lines=_blank_lines(gap) + _leading(anchor))
    body[top:top] = helpers


def _place_imports(body: list[cst.BaseStatement], found: Located, imports: list[str]) -> None:
    """Put the imports after the module's docstring and top-of-file imports."""
    if not imports:
        return
    index, has_imports = import_index(found.module)
    new = [cst.parse_statement(line) for line in imports]
    if not has_imports:
        if index > 0:
            new[0] = new[0].with_changes(leading_lines=_blank_lines(1))
        if index < len(body) and _blank_count(_leading(body[index])) == 0:
            body[index] = body[index].with_changes(leading_lines=_blank_lines(1) + _leading(body[index]))
    body[index:index] = new


def _lines(text: str) -> list[str]:
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def unified_diff(old: str, new: str, path: str) -> str:
    """A unified diff from ``a/<path>`` to ``b/<path>`` with 3 lines of context, ending with a newline."""
    diff = difflib.unified_diff(_lines(old), _lines(new), f"a/{path}", f"b/{path}", n=3)
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in diff
    )


def _compile_error(code: str, path: str) -> Rejected | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(code, path, "exec", dont_inherit=True)
    except SyntaxError as e:
        lines = code.splitlines()
        text = (e.text or (lines[e.lineno - 1] if e.lineno and e.lineno <= len(lines) else "")).strip()
        return Rejected(f"the edited module does not compile: {e.msg} (line {e.lineno}: `{text}`)")
    except ValueError as e:
        return Rejected(f"the edited module does not compile: {e}")
    return None


def apply_candidate(
    module_source: str, qualname: str, new_source: str, path: str = "module.py"
) -> EditResult:
    """Write the candidate ``new_source`` for ``qualname`` into the module; never raises for bad input."""
    reply = read_reply(new_source, qualname)
    if isinstance(reply, Rejected):
        return reply
    found = locate(module_source, qualname, path, reply.decorators)
    if isinstance(found, Rejected):
        return found
    shape = _check_shape(reply, found, qualname)
    if shape is not None:
        return shape
    bound = module_bindings(found.tree.body)
    imports = needed_imports(reply.imports, bound)
    if isinstance(imports, Rejected):
        return imports
    helpers = _new_helpers(reply, found, bound)
    if isinstance(helpers, Rejected):
        return helpers
    target = _reindented(reply.target).with_changes(leading_lines=found.node.leading_lines)
    module = cast(cst.Module, found.module.deep_replace(found.node, target))
    body: list[cst.BaseStatement] = list(module.body)
    _place_helpers(body, found.top, helpers)
    _place_imports(body, found, imports)
    new_module = module.with_changes(body=body).code
    if new_module == module_source:
        return Rejected("the candidate is identical to the current code")
    if normalized(new_module) == normalized(module_source):
        return Rejected(
            "the candidate is identical to the current code except for layout, comments and docstrings"
        )
    error = _compile_error(new_module, path)
    if error is not None:
        return error
    return Applied(unified_diff(module_source, new_module, path), new_module)
