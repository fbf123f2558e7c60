"""What every way of steering a run by hand shares: a person's terminal session (``repl.Session``) and a coding
agent's MCP connection (``optiloop.agent``).

Both name targets the same way (the number of the ranked table, or a name), work on a target as the code is now,
take back a resumed run's undone commits, undo the last accepted commit and re-profile under labels no earlier
profile of the run has. Nothing here prints: problems are ``BadInput`` with one line, for the caller to show.
"""

from __future__ import annotations

from optiloop.app import Prepared
from optiloop.errors import BadInput
from optiloop.record import RunLog, Undone
from optiloop.session.view import target_name
from optiloop.targets import build_target
from optiloop.types import Attempt, Profile, Target

NOTHING_TO_UNDO = "nothing to undo: no speedup was accepted in this session"


class Steering:
    def __init__(self, prepared: Prepared) -> None:
        self.p = prepared
        self.loop = prepared.loop
        self.profiles = 0

    def take_back(self) -> None:
        """A resumed run: the commits undone in it are no longer counted as accepted."""
        for sha in self.undone():
            self.loop.forget(sha, f"undone by the person (was {sha[:10]})")

    def begin(self) -> None:
        """``take_back``, then measure the baseline and profile it unless the loop has already."""
        self.take_back()
        if self.loop.profile is None:
            self.loop.start()

    def targets(self) -> list[Target]:
        return list(self.loop.targets)

    def find(self, arg: str) -> Target:
        """The target ``arg`` names: its number in the ranked table, its dotted name, qualified name or key (or a
        unique part of its dotted name)."""
        targets = self.targets()
        if not arg:
            raise BadInput("pick which? give the number from the table or the name of a target")
        if arg.isdigit():
            if 1 <= int(arg) <= len(targets):
                return targets[int(arg) - 1]
            raise BadInput(f"there is no target {arg}: the table has {len(targets)}")
        exact = [t for t in targets if arg in (target_name(t), t.qualname, t.key)]
        found = exact or [t for t in targets if target_name(t).endswith(arg) or arg in target_name(t)]
        if len(found) == 1:
            return found[0]
        names = ", ".join(target_name(t) for t in found[:5])
        raise BadInput(f"'{arg}' names {len(found)} targets: {names}" if found else f"no hot target is called '{arg}'")

    def fresh(self, target: Target) -> Target:
        """The target as the code is now (after commits and undos), from the latest profile if it is there."""
        for t in self.targets():
            if t.key == target.key:
                return t
        rebuilt = build_target(target.hotspot, self.loop.s.place.read(target.path))
        return rebuilt if rebuilt is not None else target

    def label(self, kind: str) -> str:
        """A profile label no earlier profile of this run has (profiles are kept under their labels)."""
        self.profiles += 1
        return f"{kind}-{len(self.loop.attempts)}-{self.profiles}"

    def reprofile(self, kind: str) -> Profile:
        return self.loop.reprofile(self.label(kind))

    def undo(self, by: str) -> tuple[str, Attempt | None]:
        """Drop the last accepted commit of the run (recorded as an ``Undone`` event; the loop forgets it was
        accepted, ``by`` says who undid it); returns its sha and its attempt. Re-profiling is the caller's."""
        if not any(a.accepted for a in self.loop.attempts):
            raise BadInput(NOTHING_TO_UNDO)
        sha = self.p.workspace.undo_last()
        self.p.journal.write(Undone(commit=sha))
        return sha, self.loop.forget(sha, f"undone by {by} (was {sha[:10]})")

    def undone(self) -> tuple[str, ...]:
        return RunLog.read(self.p.journal.dir).undone
