"""The builtin model's catalog of rewrite rules.

``default_rules()`` returns the builtin rules followed by those other installed packages register in
the ``optiloop.rules`` entry-point group (each entry point loads a Rule class, instantiated without
arguments, or a Rule instance; one that fails to load or does not look like a Rule is skipped, as is
one whose name is already taken, each with a ``PluginWarning`` that names it). ``rule_context()`` builds
what a rule may know about the module.
"""

from __future__ import annotations

import libcst as cst

from optiloop.catalog.base import Rewrite, Rule, RuleContext
from optiloop.catalog.rules import BUILTIN_RULES
from optiloop.catalog.rules._bindings import find_function, module_level_names
from optiloop.plugins import describe, failure, registered, warn

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


def _plugin_rules(taken: set[str]) -> list[Rule]:
    """The registered rules that load, look like a Rule and have a name not in ``taken``; a warning for each
    other one (the builtin catalog goes on without it)."""
    rules: list[Rule] = []
    for entry_point in registered(ENTRY_POINT_GROUP):
        fix = "fix or uninstall the package that provides it"
        try:
            rule = _as_rule(entry_point.load())
        except Exception as exc:  # fails to import or to construct
            warn(f"rule plugin {describe(entry_point)} failed to load ({failure(exc)}); skipped — {fix}")
            continue
        if rule is None:
            warn(f"rule plugin {describe(entry_point)} is not a rule (it needs a `name`, an `explanation` and an "
                 f"`apply` method, see docs/catalog.md); skipped — {fix}")
        elif rule.name in taken:
            warn(f"rule plugin {describe(entry_point)} is named '{rule.name}', which another rule has; skipped — "
                 "rename the plugin's rule")
        else:
            taken.add(rule.name)
            rules.append(rule)
    return rules


def default_rules() -> tuple[Rule, ...]:
    """The builtin rules in the order they are tried, then rules registered by installed packages."""
    rules: list[Rule] = [rule_class() for rule_class in BUILTIN_RULES]
    return (*rules, *_plugin_rules({rule.name for rule in rules}))


def rule_context(module: cst.Module, qualname: str) -> RuleContext:
    """What a rule may know about ``module`` when rewriting the function ``qualname``."""
    found = find_function(module, qualname)
    is_method = found[1] if found is not None else "." in qualname
    return RuleContext(module=module, qualname=qualname, taken_names=module_level_names(module), is_method=is_method)
