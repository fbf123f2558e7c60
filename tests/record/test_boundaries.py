"""No event kind is written or read as a bare string outside ``optiloop/record/``, and no module reads a fact out
of a check's detail or a verdict's reason: everything else goes through the event classes and the fields."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from optiloop.record.events import KINDS
from tests.conftest import ROOT

PACKAGE = ROOT / "optiloop"
RECORD = PACKAGE / "record"
KIND_NAMES = ("event", "kind", "KIND")
# kinds that are no other word ("candidate", "baseline", "cost" are also a tree's side, a column, ...)
ONLY_KINDS = tuple(k for k in KINDS if "_" in k or k in ("proposals", "accepting"))


def modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if RECORD not in path.parents:
            yield path, ast.parse(path.read_text(encoding="utf-8"))


def is_str(node: ast.AST, values: object) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in values  # type: ignore[operator]


def raw_event_use(node: ast.AST) -> str | None:
    """What in ``node`` handles an event as a raw string or dict, if anything."""
    if isinstance(node, ast.Subscript) and is_str(node.slice, ("event",)):
        return 'a ["event"] lookup'
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "get" and node.args and is_str(node.args[0], ("event",)):
            return 'a .get("event")'
        if node.func.attr == "event":
            return "an .event(...) call"
    if isinstance(node, ast.Dict) and any(k is not None and is_str(k, ("event",)) for k in node.keys):
        return 'a dict with an "event" key'
    if isinstance(node, ast.Compare):
        sides = [node.left, *node.comparators]
        values = [v for side in sides for v in (side.elts if isinstance(side, (ast.Tuple, ast.List, ast.Set))
                                                   else [side])]
        of_kind = any(isinstance(s, ast.Name) and s.id in KIND_NAMES or
                      isinstance(s, ast.Attribute) and s.attr in KIND_NAMES for s in sides)
        if any(is_str(v, KINDS) for v in values) and of_kind or any(is_str(v, ONLY_KINDS) for v in values):
            return "a comparison with an event kind"
    return None


def test_no_event_is_a_bare_string_outside_the_record() -> None:
    found = [f"{path.relative_to(ROOT)}:{node.lineno}: {what}" for path, tree in modules()
             for node in ast.walk(tree) if (what := raw_event_use(node)) is not None]
    assert found == []


def test_the_check_finds_what_it_looks_for() -> None:
    for code in ('e["event"]', 'e.get("event")', 'journal.event("note", text="x")', '{"event": "note"}',
                 'kind == "attempt"', 'e.event in ("note", "undo")', 'x == "run_started"'):
        assert any(raw_event_use(n) for n in ast.walk(ast.parse(code))), code
    assert not any(raw_event_use(n) for n in ast.walk(ast.parse('side == "candidate"')))


def is_words(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in ("detail", "reason")


def reads_words(node: ast.AST) -> bool:
    """Whether ``node`` looks for something in a check's detail or a verdict's reason: a pattern, a prefix, a
    substring."""
    if isinstance(node, ast.Compare):
        return any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops) and any(map(is_words, node.comparators))
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return False
    method = node.func.attr
    return (is_words(node.func.value) and method in ("startswith", "endswith", "split", "find", "index")) or \
        (method in ("match", "search", "findall", "fullmatch") and any(map(is_words, node.args)))


def test_no_module_reads_a_fact_out_of_a_detail_or_a_reason() -> None:
    found = [f"{path.relative_to(ROOT)}:{node.lineno}" for path, tree in modules() for node in ast.walk(tree)
             if reads_words(node)]
    assert found == []
    for code in ('_TOOK.search(c.detail)', 'v.reason.startswith(prefix)', 'WEAK in c.detail'):  # as they were
        assert any(reads_words(n) for n in ast.walk(ast.parse(code))), code
    assert not any(reads_words(n) for n in ast.walk(ast.parse('f"{c.name}: {c.detail}"')))
