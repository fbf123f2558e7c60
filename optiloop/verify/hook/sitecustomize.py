"""optiloop's hook inside the user's interpreter (standard library only).

Put on ``PYTHONPATH`` of a child process, Python imports it at start-up. It then:

- seeds ``random`` when ``OPTILOOP_SEED`` is set, so test runs are deterministic;
- when ``OPTILOOP_CAPTURE`` names a JSON spec file, wraps ONE target (a module-level function,
  ``Class.method``, a static or class method) as soon as its module is imported, and records up to
  ``limit`` of its outermost calls: the first half of the limit in order, the rest a uniform
  reservoir sample over the remaining calls. A record holds the pickled arguments before the call,
  and the pickled outcome (return value or exception) with the arguments after it, and the clock and
  uuid values the call read (``_optiloop_tape.py``, so that replay can give them back). Values that
  cannot be pickled are counted and skipped. The records are written to ``<out>/<pid>.pkl`` at exit;
- when ``OPTILOOP_WHERE`` names a JSON spec file (``names``: the project's top-level packages, ``out``: a
  directory), writes ``<out>/<pid>.json`` at exit: where each of those packages was imported from, so
  optiloop can check that the tests and the workload run the worktree's code, not an installed copy;
- finally runs the ``sitecustomize`` that would have been imported without this one.
"""

from __future__ import annotations

import atexit
import importlib.machinery
import importlib.util
import json
import os
import pickle
import random
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import _optiloop_tape as _tape  # noqa: E402 - next to this file, on the same PYTHONPATH entry

_HERE = os.path.dirname(os.path.abspath(__file__))
_PROTOCOL = pickle.HIGHEST_PROTOCOL
_perf = time.perf_counter  # the recorder's own clock, never the one a captured call sees


class _Recorder:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.limit = int(spec["limit"])
        self.head = (self.limit + 1) // 2
        self.rng = random.Random(0)  # private: the program's own random state is left alone
        self.calls = 0
        self.skipped = 0
        self.slots: dict[int, dict[str, Any]] = {}
        self.local = threading.local()
        self.module = ""
        self.problem = ""
        self.hooked = False

    def slot(self) -> int | None:
        """Where the next call's record goes, or None when it is not sampled (decided before the call)."""
        n = self.calls
        self.calls += 1
        if n < self.head:
            return n
        room = self.limit - self.head
        i = n - self.head
        if i < room:
            return self.head + i
        j = self.rng.randrange(i + 1)
        return self.head + j if j < room else None

    def wrap(self, func: Callable[..., Any]) -> Callable[..., Any]:
        recorder = self

        def optiloop_capture(*args: Any, **kwargs: Any) -> Any:
            if getattr(recorder.local, "active", False):
                return func(*args, **kwargs)  # the target's own recursion: only outermost calls
            recorder.local.active = True
            try:
                where = recorder.slot()
                index = recorder.calls - 1
                if where is None:
                    return func(*args, **kwargs)
                try:
                    before = pickle.dumps((args, kwargs), _PROTOCOL)
                except Exception:
                    recorder.skipped += 1
                    return func(*args, **kwargs)
                start = _perf()
                try:
                    with _tape.recording() as tape:
                        result = func(*args, **kwargs)
                except BaseException as exc:
                    outcome = ("raise", _exc_name(exc), exc.args)
                    recorder.keep(where, index, before, outcome, args, kwargs, start, tape)
                    raise
                recorder.keep(where, index, before, ("return", result), args, kwargs, start, tape)
                return result
            finally:
                recorder.local.active = False

        optiloop_capture.__wrapped__ = func  # type: ignore[attr-defined]
        for name in ("__name__", "__qualname__", "__doc__", "__module__"):
            try:
                setattr(optiloop_capture, name, getattr(func, name))
            except (AttributeError, TypeError):
                pass
        return optiloop_capture

    def keep(self, where: int, index: int, before: bytes, outcome: tuple[Any, ...], args: Any, kwargs: Any,
             start: float, tape: list[tuple[str, Any]]) -> None:
        seconds = _perf() - start
        try:
            after = pickle.dumps((outcome, args, kwargs), _PROTOCOL)
        except Exception:
            if outcome[0] != "raise":
                self.skipped += 1
                self.slots.pop(where, None)
                return
            try:  # exception arguments that do not pickle are compared by their repr
                after = pickle.dumps((("raise", outcome[1], repr(outcome[2])), args, kwargs), _PROTOCOL)
            except Exception:
                self.skipped += 1
                self.slots.pop(where, None)
                return
        record = {"index": index, "before": before, "after": after, "seconds": seconds}
        if tape and tape[0][0] != "overflow":
            try:
                record["tape"] = pickle.dumps(tape, _PROTOCOL)
            except Exception:
                pass
        self.slots[where] = record

    def install(self, module: Any) -> None:
        """Replace the target in its module or class with the recording wrapper."""
        self.module = module.__name__
        parts = str(self.spec["qualname"]).split(".")
        owner: Any = module
        try:
            for part in parts[:-1]:
                owner = getattr(owner, part)
            raw = owner.__dict__[parts[-1]]
        except (AttributeError, KeyError):
            self.problem = f"{self.spec['qualname']} not found in {module.__name__}"
            return
        if isinstance(raw, staticmethod):
            new: Any = staticmethod(self.wrap(raw.__func__))
        elif isinstance(raw, classmethod):
            new = classmethod(self.wrap(raw.__func__))
        elif callable(raw):
            new = self.wrap(raw)
        else:
            self.problem = f"{self.spec['qualname']} is not a function"
            return
        setattr(owner, parts[-1], new)
        self.hooked = True

    def write(self) -> None:
        calls = [self.slots[k] for k in sorted(self.slots)]
        calls.sort(key=lambda c: int(c["index"]))
        data = {
            "version": 1,
            "module": self.module,
            "qualname": self.spec["qualname"],
            "hooked": self.hooked,
            "problem": self.problem,
            "total_calls": self.calls,
            "skipped": self.skipped,
            "sys_path": [os.path.abspath(p) for p in sys.path],
            "executable": sys.executable,
            "calls": calls,
        }
        if not self.hooked and not self.problem:
            return  # this process never imported the target's module
        out = os.path.join(self.spec["out"], f"{os.getpid()}.pkl")
        with open(out + ".tmp", "wb") as fh:
            pickle.dump(data, fh, _PROTOCOL)
        os.replace(out + ".tmp", out)


def _exc_name(exc: BaseException) -> str:
    kind = type(exc)
    return f"{kind.__module__}.{kind.__qualname__}"


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


class _Finder:
    """Finds the target's module through the other finders and hooks it right after it executes."""

    def __init__(self, recorder: _Recorder) -> None:
        self.recorder = recorder
        self.names = set(recorder.spec["modules"])

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname not in self.names or self.recorder.hooked:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if spec.origin is None or loader is None or not _same_file(spec.origin, self.recorder.spec["file"]):
            return spec
        original = loader.exec_module
        recorder = self.recorder

        def exec_module(module: Any) -> None:
            original(module)
            recorder.install(module)

        loader.exec_module = exec_module
        return spec


def _start_capture(path: str) -> None:
    with open(path, encoding="utf-8") as fh:
        spec = json.load(fh)
    recorder = _Recorder(spec)
    sys.meta_path.insert(0, _Finder(recorder))
    atexit.register(recorder.write)


def _start_where(path: str) -> None:
    with open(path, encoding="utf-8") as fh:
        spec = json.load(fh)

    def write() -> None:
        found: dict[str, list[str]] = {}
        for name in spec["names"]:
            module = sys.modules.get(name)
            if module is None:
                continue
            file = getattr(module, "__file__", None)
            found[name] = [file] if file else [str(p) for p in getattr(module, "__path__", ())]  # namespace
        out = os.path.join(spec["out"], f"{os.getpid()}.json")
        try:  # a temporary name, then a rename: a reader never sees half a file
            with open(out + ".tmp", "w", encoding="utf-8") as fh:
                json.dump(found, fh)
            os.replace(out + ".tmp", out)
        except OSError:
            pass

    atexit.register(write)


def _chain() -> None:
    """Run the next ``sitecustomize`` on the path, as Python would have without this one."""
    rest = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.origin is None or spec.loader is None:
        return
    chained = importlib.util.spec_from_file_location("_optiloop_chained_sitecustomize", spec.origin)
    if chained is None or chained.loader is None:
        return
    module = importlib.util.module_from_spec(chained)
    chained.loader.exec_module(module)


def _main() -> None:
    seed = os.environ.get("OPTILOOP_SEED")
    if seed is not None:
        random.seed(int(seed) if seed.isdigit() else seed)
    capture = os.environ.get("OPTILOOP_CAPTURE")
    if capture:
        _start_capture(capture)  # every Python process of the workload writes its own file
    where = os.environ.get("OPTILOOP_WHERE")
    if where:
        _start_where(where)
    _chain()


_main()
