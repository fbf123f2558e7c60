"""The builtin model's catalog of rewrite rules.

``default_rules()`` returns the builtin rules followed by those other installed packages register in
the ``optiloop.rules`` entry-point group (each entry point loads a Rule class, instantiated without
arguments, or a Rule instance; one that fails to load or does not look like a Rule is skipped, as is
one whose name is already taken). ``rule_context()`` builds what a rule may know about the module.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import libcst as cst

from optiloop.catalog.base import Rewrite, Rule, RuleContext
from optiloop.catalog.rules import BUILTIN_RULES
from optiloop.catalog.rules._bindings import find_function, module_level_names

ENTRY_POINT_GROUP = "optiloop.rules"

__all__ = [
    "ENTRY_POINT_GROUP",
    "Rewrite",
    "Rule",
    "RuleContext",
    "default_rules",
    "find_function",
    "module_level_names",
    "rule_context",
]


def _as_rule(obj: object) -> Rule | None:
    """``obj`` (a Rule class or instance) as a Rule instance, or None when it is not one."""
    if isinstance(obj, type):
        obj = obj()
    name, explanation = getattr(obj, "name", None), getattr(obj, "explanation", None)
    if not isinstance(name, str) or not name or not isinstance(explanation, str):
        return None
    if not callable(getattr(obj, "apply", None)):
        return None
    return obj  # type: ignore[return-value]  # checked structurally above


def _plugin_rules() -> list[Rule]:
    rules: list[Rule] = []
    try:
        found = entry_points(group=ENTRY_POINT_GROUP)
    except Exception:  # a broken installation must not stop the builtin catalog
        return rules
    for entry_point in found:
        try:
            rule = _as_rule(entry_point.load())
        except Exception:  # a plugin that fails to import or construct is skipped
            continue
        if rule is not None:
            rules.append(rule)
    return rules


def default_rules() -> tuple[Rule, ...]:
    """The builtin rules in the order they are tried, then rules registered by installed packages."""
    rules: list[Rule] = [rule_class() for rule_class in BUILTIN_RULES]
    names = {rule.name for rule in rules}
    for rule in _plugin_rules():
        if rule.name not in names:
            names.add(rule.name)
            rules.append(rule)
    return tuple(rules)


def rule_context(module: cst.Module, qualname: str) -> RuleContext:
    """What a rule may know about ``module`` when rewriting the function ``qualname``."""
    found = find_function(module, qualname)
    is_method = found[1] if found is not None else "." in qualname
    return RuleContext(module=module, qualname=qualname, taken_names=module_level_names(module), is_method=is_method)
