"""Applying a candidate to a module: find definitions, write the new one in, and report the diff.

Every outcome is a value: ``Applied(diff, new_module)`` or ``Rejected(reason)`` with a one-line reason
a model can act on.
"""

from optiloop.edit.apply import apply_candidate, unified_diff
from optiloop.edit.locate import DefSpan, definition_spans, enclosing_definition, find_definition
from optiloop.edit.normal import normalized

__all__ = [
    "DefSpan",
    "apply_candidate",
    "definition_spans",
    "enclosing_definition",
    "find_definition",
    "normalized",
    "unified_diff",
]
