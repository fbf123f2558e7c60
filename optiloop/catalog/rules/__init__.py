"""The builtin rewrite rules, one module each, plus their shared helpers in ``_util``."""

from __future__ import annotations

from optiloop.catalog.rules.any_all_generator import AnyAllGenerator
from optiloop.catalog.rules.dedupe_set import DedupeListToSet
from optiloop.catalog.rules.dict_keys import DictKeysMembership
from optiloop.catalog.rules.membership_set import MembershipLiteralToSet
from optiloop.catalog.rules.queue_deque import QueuePop0ToDeque
from optiloop.catalog.rules.recursive_cache import RecursiveCache
from optiloop.catalog.rules.regex_hoist import RegexHoist

BUILTIN_RULES = (
    MembershipLiteralToSet,
    DictKeysMembership,
    AnyAllGenerator,
    RegexHoist,
    DedupeListToSet,
    QueuePop0ToDeque,
    RecursiveCache,
)

__all__ = [
    "BUILTIN_RULES",
    "AnyAllGenerator",
    "DedupeListToSet",
    "DictKeysMembership",
    "MembershipLiteralToSet",
    "QueuePop0ToDeque",
    "RecursiveCache",
    "RegexHoist",
]
