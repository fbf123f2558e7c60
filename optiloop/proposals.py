"""The candidates a model proposed that the loop has not tried yet, and which it has seen.

A candidate is the same as an earlier one when it is for the same target with the same normalised code: a
duplicate never runs, whether it came in the same reply, a later one, or before a resumed run's restart.
"""

from __future__ import annotations

from collections.abc import Iterable

from optiloop.edit import normalized
from optiloop.types import Candidate


def identity(candidate: Candidate) -> tuple[str, str]:
    return candidate.target.key, normalized(candidate.new_source)


class Proposals:
    def __init__(self) -> None:
        self._pending: list[Candidate] = []
        self._seen: set[tuple[str, str]] = set()

    def fill(self, candidates: Iterable[Candidate]) -> None:
        """The model's new proposals replace what was left."""
        self._pending = list(candidates)

    def clear(self) -> None:
        """A new profile: what was proposed for the old code is not tried."""
        self._pending = []

    def only(self, target_key: str) -> None:
        """A person picked a target: only its proposals stay."""
        self._pending = [c for c in self._pending if c.target.key == target_key]

    def seen(self, candidate: Candidate) -> None:
        """``candidate`` ran (or ran before a resume): an equal one never runs again."""
        self._seen.add(identity(candidate))

    def take(self) -> Candidate | None:
        """The next proposal not seen before (now seen), or None when none is left."""
        while self._pending:
            candidate = self._pending.pop(0)
            if identity(candidate) not in self._seen:
                self.seen(candidate)
                return candidate
        return None

    def upcoming(self) -> list[Candidate]:
        """The proposals the loop would take next, in order (an executor may verify them alongside)."""
        return [c for c in self._pending if identity(c) not in self._seen]
