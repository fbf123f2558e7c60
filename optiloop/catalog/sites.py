"""Rules that need more than one definition: they read the target together with the definitions around it (its
class, its callers) and rewrite whichever of them the speedup needs.

A site rule returns the candidate's code as a reply block (a class block holding the methods it changes, or the
changed functions with the module-level helpers they need), which the editor merges like a model's multi-site
reply; or None when its pattern is absent or a guard refuses. Like the one-function rules, it never raises for
code it does not understand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import libcst as cst


@dataclass(frozen=True)
class SiteRewrite:
    """A multi-site candidate's code, and what it changed and why that is faster."""

    source: str
    explanation: str


class SiteRule(Protocol):
    name: str
    explanation: str

    def apply_sites(self, module: cst.Module, qualname: str) -> SiteRewrite | None: ...


def top_level(module: cst.Module, name: str, kind: type[cst.FunctionDef] | type[cst.ClassDef]) -> list[int]:
    """Indexes of the module's top-level definitions of ``name`` of ``kind``."""
    return [i for i, s in enumerate(module.body) if isinstance(s, kind) and s.name.value == name]


def code_of(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def with_body(node: cst.ClassDef, members: list[cst.BaseStatement]) -> cst.ClassDef:
    """``node`` holding only ``members`` (a class block for the editor: the members it does not name stay)."""
    first = [m.with_changes(leading_lines=()) if i == 0 else m for i, m in enumerate(members)]
    return node.with_changes(body=cst.IndentedBlock(body=first), leading_lines=(), decorators=())
