"""Records written before the schema had a version (version 0): facts that were then only in words.

Version 0 is what optiloop wrote before ``optiloop.record`` existed: the same kinds and fields, but some
facts that are fields now were then only in the text of a check's detail or a verdict's reason:

- ``Check.replayed``: the ``<n> real call(s) replayed ...`` of a passed replay check (0 when none was);
- ``Check.weak``: ``weak evidence`` in a replay check's detail;
- ``Check.seconds``: the ``... passed in <time>`` of a passed test run;
- ``Verdict.cause`` of a verdict recorded without one (older still), from the first words of its reason: a
  ``quick screen`` reason is a verdict that ``stopped`` at the screen, an ``unknown`` one has the
  ``UNKNOWN`` outcome.

This module is the one place that reads facts out of text, and only the text of version-0 records: the
reader (``RunLog``) upgrades their attempts here, so that everything else reads fields.
"""

from __future__ import annotations

import re
from dataclasses import replace

from optiloop.record.events import Accepting, AttemptRecorded, Event
from optiloop.types import Attempt, Cause, Check, Verdict

_REPLAYED = re.compile(r"^(\d+) real call")
_TOOK = re.compile(r" passed in ([0-9.]+) (m?s)\b")
_WEAK = "weak evidence"
_TEST_RUNS = ("tests", "covering tests", "full suite")
_CAUSES: tuple[tuple[str, Cause], ...] = (
    ("not confirmed", "not-confirmed"),
    ("slower", "slower"),
    ("not significant", "not-significant"),
    ("faster but below", "below-min-speedup"),
    ("the workload failed", "failed"),
)


def upgrade(event: Event) -> Event:
    """A version-0 event with the facts its text holds as fields."""
    if isinstance(event, AttemptRecorded):
        return replace(event, attempt=_attempt(event.attempt))
    if isinstance(event, Accepting):
        return replace(event, attempt=_attempt(event.attempt))
    return event


def _attempt(attempt: Attempt) -> Attempt:
    verdict = _verdict(attempt.verdict) if attempt.verdict is not None else None
    return replace(attempt, checks=tuple(_check(c) for c in attempt.checks), verdict=verdict)


def _check(check: Check) -> Check:
    if check.name == "replay" and check.passed and check.replayed is None:
        found = _REPLAYED.match(check.detail)
        return replace(check, replayed=int(found[1]) if found else 0, weak=_WEAK in check.detail)
    if check.name in _TEST_RUNS and check.passed and check.seconds is None:
        took = _TOOK.search(check.detail)
        if took is not None:
            return replace(check, seconds=float(took[1]) / (1000 if took[2] == "ms" else 1))
    return check


def _verdict(verdict: Verdict) -> Verdict:
    if verdict.cause:
        return verdict
    reason = verdict.reason
    if reason.startswith("quick screen"):
        return replace(verdict, stopped="screen")
    if reason.startswith("unknown"):
        return replace(verdict, outcome="UNKNOWN")
    cause = next((cause for prefix, cause in _CAUSES if reason.startswith(prefix)), None)
    return replace(verdict, cause=cause) if cause is not None else verdict
