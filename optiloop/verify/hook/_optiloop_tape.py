"""The clock and uuid values one captured call saw, recorded at capture and played back at replay.

Standard library only: the capture hook (in the user's interpreter) and the replay child both load
this file. While a call runs, ``time.time``, ``time.perf_counter``, ``time.monotonic`` (and their
``_ns`` forms) and ``uuid.uuid1``/``uuid4`` are replaced by recorders; at replay the same functions
return the recorded values in order, per function, and the real ones once the tape runs out. So a
call that reads the clock replays exactly instead of being left out as irreproducible. Code that
imported the function itself (``from time import time``) is not reached, and stays irreproducible.
"""

from __future__ import annotations

import contextlib
import sys
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

FUNCTIONS = (("time", "time"), ("time", "time_ns"), ("time", "monotonic"), ("time", "monotonic_ns"),
             ("time", "perf_counter"), ("time", "perf_counter_ns"), ("uuid", "uuid1"), ("uuid", "uuid4"))
LIMIT = 1000  # a call that reads the clock more often than this is not recorded


def _swap(make: Callable[[str, Callable[..., Any]], Callable[..., Any]]) -> list[tuple[Any, str, Any]]:
    swapped = []
    for module_name, name in FUNCTIONS:
        module = sys.modules.get(module_name)
        real = getattr(module, name, None) if module is not None else None
        if real is None:
            continue
        swapped.append((module, name, real))
        setattr(module, name, make(f"{module_name}.{name}", real))
    return swapped


def _restore(swapped: list[tuple[Any, str, Any]]) -> None:
    for module, name, real in swapped:
        setattr(module, name, real)


@contextlib.contextmanager
def recording() -> Iterator[list[tuple[str, Any]]]:
    """Yields the list the values go into, as ``(function, value)`` in call order."""
    tape: list[tuple[str, Any]] = []

    def make(key: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def recorded(*args: Any, **kwargs: Any) -> Any:
            value = real(*args, **kwargs)
            if len(tape) <= LIMIT:
                tape.append((key, value))
            return value
        return recorded

    swapped = _swap(make)
    try:
        yield tape
    finally:
        _restore(swapped)
        if len(tape) > LIMIT:
            tape.clear()
            tape.append(("overflow", None))


@contextlib.contextmanager
def playing(tape: list[tuple[str, Any]]) -> Iterator[None]:
    queues: dict[str, deque[Any]] = {}
    for key, value in tape:
        queues.setdefault(key, deque()).append(value)

    def make(key: str, real: Callable[..., Any]) -> Callable[..., Any]:
        queue = queues.get(key, deque())

        def played(*args: Any, **kwargs: Any) -> Any:
            return queue.popleft() if queue else real(*args, **kwargs)
        return played

    swapped = _swap(make) if queues else []
    try:
        yield
    finally:
        _restore(swapped)
