"""Values and events as JSON and back.

Dataclasses are written as objects with a ``type`` key (their class name), tuples as lists, paths as
strings; reading turns a known ``type`` back into its dataclass and lists into tuples (frozen dataclasses
hold tuples).
"""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path
from typing import Any

from optiloop import types
from optiloop.errors import BadInput
from optiloop.record.events import KINDS, VERSION, Event


def to_jsonable(value: Any) -> Any:
    """Dataclasses, paths and tuples as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        out["type"] = type(value).__name__
        return out
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def registry() -> dict[str, type]:
    """The dataclasses a record holds, by name: those of ``optiloop.types``."""
    return {name: obj for name, obj in vars(types).items() if dataclasses.is_dataclass(obj) and isinstance(obj, type)}


def from_jsonable(value: Any, known: dict[str, type] | None = None) -> Any:
    """The inverse of ``to_jsonable`` for the dataclasses of ``registry()``: a dict with a known ``type``
    becomes that dataclass again (fields it does not have are left out), lists become tuples."""
    known = known if known is not None else registry()
    if isinstance(value, list):
        return tuple(from_jsonable(v, known) for v in value)
    if not isinstance(value, dict):
        return value
    cls = known.get(value.get("type", ""))
    if cls is None:
        return {k: from_jsonable(v, known) for k, v in value.items()}
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    return cls(**{k: from_jsonable(v, known) for k, v in value.items() if k in names})


def encode(event: Event) -> dict[str, Any]:
    """One line of ``events.jsonl``: the kind, the schema version, the time, then the fields."""
    fields = {f.name: to_jsonable(getattr(event, f.name)) for f in dataclasses.fields(event) if f.name != "time"}
    return {"event": event.KIND, "version": VERSION, "time": event.time, **fields}


def version_of(data: dict[str, Any], where: str) -> int:
    """The schema version of one event (0: written before versions existed); a newer one than this optiloop
    reads is bad input that names it."""
    version = data.get("version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise BadInput(f"the run record {where} has an event of unknown version {version!r}",
                       "it was not written by optiloop; that run cannot be read")
    if version > VERSION:
        raise BadInput(f"the run record {where} was written by a newer optiloop (record version {version}; this "
                       f"one reads versions up to {VERSION})", "upgrade optiloop to read that run")
    return version


_HELD: dict[type[Event], dict[str, type]] = {}


def _held_dataclasses(cls: type[Event]) -> dict[str, type]:
    """The fields of ``cls`` that hold one dataclass (or None), by name: what ``decode`` checks."""
    if cls not in _HELD:
        out = {}
        for name, hint in typing.get_type_hints(cls, localns=registry()).items():
            options = [a for a in typing.get_args(hint) if a is not type(None)] if typing.get_args(hint) else [hint]
            if len(options) == 1 and dataclasses.is_dataclass(options[0]) and isinstance(options[0], type):
                out[name] = options[0]
        _HELD[cls] = out
    return _HELD[cls]


def decode(data: dict[str, Any], known: dict[str, type], where: str) -> Event | None:
    """The event of one line, or None for a kind this optiloop does not know; a line that lacks a field its
    kind requires, or holds something else than the dataclass a field holds, is a damaged record."""
    cls = KINDS.get(str(data.get("event", "")))
    if cls is None:
        return None
    damaged = f"the run record {where} is damaged: a {cls.KIND} event"
    try:
        event = cls(**{f.name: data[f.name] if f.metadata.get("raw") else from_jsonable(data[f.name], known)
                       for f in dataclasses.fields(cls) if f.name in data})
    except TypeError as exc:
        raise BadInput(f"{damaged} cannot be read ({exc})", "that run cannot be read") from None
    for name, held in _held_dataclasses(cls).items():
        value = getattr(event, name)
        if value is not None and not isinstance(value, held):
            raise BadInput(f"{damaged} holds no {held.__name__} in its {name}", "that run cannot be read")
    return event
