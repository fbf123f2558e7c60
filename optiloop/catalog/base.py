"""The shape of a builtin rewrite rule.

A rule looks at one function definition (the hot target) and either returns a ``Rewrite`` or
``None`` when its pattern is absent or its guard refuses. Rules never raise for code they do not
understand; they return ``None``.

``func`` may come from a separate parse of the target's source, so a rule matches it to
``ctx.module`` by name, never by node identity. The editor places helpers just before the
top-level statement that holds the target, so a helper may use any name bound above that point.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

import libcst as cst


@dataclass(frozen=True)
class Rewrite:
    """A rewritten definition plus what it needs at module level.

    ``imports`` are whole import statements (``"from collections import deque"``); ``helpers`` are
    module-level statements placed before the target (``"_WORD_RE = re.compile(r'\\w+')"``).
    ``names`` are the module-level names the helpers bind. ``explanation`` says why this rewrite of this
    code is faster, naming what it changed (the rule's generic ``explanation`` stands in when it is empty).
    """

    definition: cst.FunctionDef
    imports: tuple[str, ...] = ()
    helpers: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    explanation: str = ""


@dataclass(frozen=True)
class RuleContext:
    """What a rule may know beyond the function itself."""

    module: cst.Module
    qualname: str
    taken_names: frozenset[str]  # names bound at module level, plus names earlier rules added
    is_method: bool = False

    def fresh_name(self, stem: str) -> str:
        """A module-level name that is not taken yet, based on ``stem``."""
        name, n = stem, 2
        while name in self.taken_names:
            name, n = f"{stem}_{n}", n + 1
        return name

    def with_names(self, names: tuple[str, ...]) -> RuleContext:
        return replace(self, taken_names=self.taken_names | frozenset(names))


class Rule(Protocol):
    """One optimization pattern: a libcst rewrite guarded against behaviour changes."""

    name: str
    explanation: str

    def apply(self, func: cst.FunctionDef, ctx: RuleContext) -> Rewrite | None: ...
