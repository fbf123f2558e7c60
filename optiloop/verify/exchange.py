"""What the gate and the replay child say to each other (standard library only, Python 3.9 syntax).

The gate writes a ``Spec`` to a JSON file and runs ``replay_child.py SPEC.json`` in the project's
interpreter; the child writes its ``Result`` to the file the spec names. Both sides use these classes: the
gate imports this module as ``optiloop.verify.exchange``, the child (which must not import ``optiloop``,
absent from the project's environment) loads this file under a private name. Reading is lenient: a key
that is missing takes its default, an unknown one is ignored, so a self-check cached by an earlier
release reads too.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from typing import Any


def _known(cls: Any, data: dict[str, Any]) -> dict[str, Any]:
    """The items of ``data`` that are fields of the dataclass ``cls``."""
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def _read(path: str) -> dict[str, Any]:
    """The JSON object in ``path``; an empty one when the file is missing, unreadable or not an object."""
    try:
        with open(path, encoding="utf-8") as fh:
            found = json.load(fh)
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def write_json(path: str, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` atomically: a reader sees the old file or the new one, never half."""
    with open(path + ".tmp", "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    os.replace(path + ".tmp", path)


@dataclass(frozen=True)
class Spec:
    """One replay: where the module is, which capture files to replay and which of their calls to skip
    (numbered from 1); with ``collect``, every differing call is noted instead of stopping at the first
    (the self-check of the original, which finds the calls that do not replay reproducibly)."""

    module: str
    file: str  # the file the module must be imported from
    qualname: str
    sys_path: list[str]  # put first on the child's sys.path
    result: str  # where the child writes its Result
    captures: list[str] = field(default_factory=list)
    skip: list[int] = field(default_factory=list)
    collect: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Spec:
        return cls(**_known(cls, data))

    def write(self, path: str) -> None:
        write_json(path, self.to_dict())

    @classmethod
    def read(cls, path: str) -> Spec:
        with open(path, encoding="utf-8") as fh:
            return cls.from_dict(json.load(fh))


@dataclass
class Result:
    """What a replay found. The child fills it in as it goes and writes it once the module imported and
    again at the end (``done``), so a child that died or was killed still leaves what it got to. Per-call
    facts are keyed by the call's number as a string (as JSON keeps them)."""

    imported: bool = False
    import_error: str = ""  # why the module could not be imported (or lacks the target), for the model
    replayed: int = 0
    skipped: int = 0  # calls whose captured values could not be unpickled
    unstable_skipped: int = 0  # calls left out because the spec said to skip them
    mismatch: str = ""  # the first call that differed, described for the model
    memory: bool = False  # a call ran out of memory
    seconds: float = 0.0  # the replayed calls' time
    captured_seconds: float = 0.0  # the same calls' time when they were captured
    times: dict[str, float] = field(default_factory=dict)
    effects: dict[str, list[str]] = field(default_factory=dict)  # what a call did outside its arguments
    output: dict[str, str] = field(default_factory=dict)  # what a call printed (the first 200 characters)
    unstable: list[int] = field(default_factory=list)  # with ``collect``: the calls that differed
    done: bool = False  # the child got to the end

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        return cls(**_known(cls, data))

    def write(self, path: str) -> None:
        write_json(path, self.to_dict())

    @classmethod
    def read(cls, path: str) -> Result:
        """The result in ``path``; an empty one (nothing imported, not done) when there is none."""
        return cls.from_dict(_read(path))
