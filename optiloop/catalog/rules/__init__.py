"""The builtin rewrite rules, one module each, plus their shared helpers (``_util``, ``_bindings``,
``_loops``, ``_hoist``, ``_evidence``)."""

from __future__ import annotations

from optiloop.catalog.rules.any_all_generator import AnyAllGenerator
from optiloop.catalog.rules.attribute_set import AttributeListToSet
from optiloop.catalog.rules.count_counter import CountWithCounter
from optiloop.catalog.rules.dedupe_set import DedupeListToSet
from optiloop.catalog.rules.dict_keys import DictKeysMembership
from optiloop.catalog.rules.group_by import GroupByDict
from optiloop.catalog.rules.invariant_hoist import LoopInvariantHoist
from optiloop.catalog.rules.list_concat import ListConcatToAppend
from optiloop.catalog.rules.membership_set import MembershipLiteralToSet
from optiloop.catalog.rules.method_hoist import AttributeHoist
from optiloop.catalog.rules.queue_deque import QueuePop0ToDeque
from optiloop.catalog.rules.range_len import RangeLenToEnumerate
from optiloop.catalog.rules.recursive_cache import RecursiveCache
from optiloop.catalog.rules.regex_arg import RegexArgumentHoist
from optiloop.catalog.rules.regex_hoist import RegexHoist
from optiloop.catalog.rules.sorted_min import SortedFirstToMin
from optiloop.catalog.rules.string_join import StringConcatToJoin

# The order rules are tried in, and chained in when several apply to one target: rules that rewrite
# whole loops first, the hoisting rules last so they also see the loops earlier rules produced.
BUILTIN_RULES = (
    MembershipLiteralToSet,
    DictKeysMembership,
    AnyAllGenerator,
    RegexHoist,
    DedupeListToSet,
    QueuePop0ToDeque,
    RecursiveCache,
    CountWithCounter,
    GroupByDict,
    SortedFirstToMin,
    RangeLenToEnumerate,
    ListConcatToAppend,
    StringConcatToJoin,
    LoopInvariantHoist,
    AttributeHoist,
)

# Rules that need more than one definition (``optiloop.catalog.sites``): tried after the one-function rules.
SITE_RULES = (AttributeListToSet, RegexArgumentHoist)

__all__ = [
    "BUILTIN_RULES",
    "SITE_RULES",
    "AnyAllGenerator",
    "AttributeListToSet",
    "AttributeHoist",
    "CountWithCounter",
    "DedupeListToSet",
    "DictKeysMembership",
    "GroupByDict",
    "ListConcatToAppend",
    "LoopInvariantHoist",
    "MembershipLiteralToSet",
    "QueuePop0ToDeque",
    "RangeLenToEnumerate",
    "RecursiveCache",
    "RegexArgumentHoist",
    "RegexHoist",
    "SortedFirstToMin",
    "StringConcatToJoin",
]
