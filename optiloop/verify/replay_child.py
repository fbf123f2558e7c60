"""Imports the candidate's module and replays captured calls against it (standard library only).

Run as a script in a fresh interpreter of the project: ``python replay_child.py SPEC.json``. The spec
(``exchange.Spec``) names the module, the candidate's file, ``sys.path`` entries to put first, the capture
files, the result file, calls to ``skip`` and whether to ``collect`` every differing call instead of
stopping at the first (the self-check of the original, which finds calls that do not replay reproducibly).
While a call runs, an audit hook notes what it does outside its arguments (files opened, sockets,
processes, the call stack) and its stdout/stderr are captured; the result holds them per call with each
call's time, so the parent can compare a candidate's effects and speed with the original's.
Progress goes to stderr as ``@@optiloop <stage>`` lines, so a parent that kills a hung child knows
where it hung. The result (JSON) says whether the import worked, how many calls were
replayed or skipped, and the first mismatch, described for a model to act on (``exchange.Result``).
The comparison rules are those of ``compare.py`` next to this file; ``exchange.py`` and ``compare.py`` are
loaded from their files under private names, so they never shadow the project's own modules.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import os
import pickle
import random
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for mypy only: at run time the file is loaded by ``_load`` (optiloop is not importable here)
    from optiloop.verify.exchange import Result, Spec

MEMORY = "MemoryError"
_perf = time.perf_counter  # the replay's own clock, never the one a replayed call sees
CODE_FILES = (".py", ".pyc", ".so", ".pyd", ".pth", ".zip")
EFFECTS = {"socket.connect": "uses the network", "socket.bind": "uses the network", "socket.sendto": "uses the network",
           "socket.getaddrinfo": "uses the network", "urllib.Request": "uses the network",
           "subprocess.Popen": "starts a process", "os.system": "starts a process", "os.exec": "starts a process",
           "os.posix_spawn": "starts a process", "os.spawn": "starts a process", "os.fork": "starts a process",
           "os.remove": "changes files", "os.rename": "changes files", "os.mkdir": "changes files",
           "os.rmdir": "changes files", "shutil.rmtree": "changes files", "shutil.copyfile": "changes files",
           "shutil.move": "changes files", "os.putenv": "changes the environment",
           "os.unsetenv": "changes the environment", "sys._getframe": "inspects the call stack",
           "sys._current_frames": "inspects the call stack", "builtins.input": "reads the terminal"}


class Effects:
    """An audit hook (it cannot be removed, so it is switched on and off around each call)."""

    def __init__(self) -> None:
        self.on = False
        self.seen: set[str] = set()
        self.prefixes = tuple(os.path.realpath(p) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix})

    def __call__(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.on:
            return
        if event == "open":
            self._open(args)
        elif event in EFFECTS:
            self.seen.add(EFFECTS[event])

    def _open(self, args: tuple[Any, ...]) -> None:
        path, mode, flags = (tuple(args) + (None, None, 0))[:3]
        if not isinstance(path, (str, bytes, os.PathLike)):
            return
        name = os.fsdecode(path)
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool(
            (flags or 0) & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
        if writes:
            self.seen.add(f"writes {os.path.basename(name)}")
        elif not name.endswith(CODE_FILES) and not os.path.realpath(name).startswith(self.prefixes):
            self.seen.add(f"reads {os.path.basename(name)}")

    @contextlib.contextmanager
    def watching(self) -> Any:
        self.seen = set()
        self.on = True
        try:
            yield
        finally:
            self.on = False


def _load(name: str, *where: str) -> Any:
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location(name, os.path.join(here, *where))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _load_compare() -> Any:
    return _load("_optiloop_compare", "compare.py")


def _mark(stage: str) -> None:
    sys.stderr.write(f"\n@@optiloop {stage}\n")
    sys.stderr.flush()


def _exc_name(exc: BaseException) -> str:
    kind = type(exc)
    return f"{kind.__module__}.{kind.__qualname__}"


def _resolve(module: Any, qualname: str) -> tuple[Any, bool]:
    """The plain function to call, and whether its first argument is ``self`` or ``cls``."""
    owner = module
    parts = qualname.split(".")
    for part in parts[:-1]:
        owner = getattr(owner, part)
    raw = owner.__dict__[parts[-1]]
    if isinstance(raw, staticmethod):
        return raw.__func__, False
    if isinstance(raw, classmethod):
        return raw.__func__, True
    return raw, len(parts) > 1


class Replay:
    def __init__(self, spec: Spec, result: Result, compare: Any) -> None:
        self.spec = spec
        self.cmp = compare
        self.tape = _load("_optiloop_tape", "hook", "_optiloop_tape.py")
        self.result = result
        self.effects = Effects()

    def call_text(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any], bound: bool) -> str:
        name = self.spec.qualname
        shown = [self.cmp.short(a) for a in (args[1:] if bound else args)]
        shown += [f"{k}={self.cmp.short(v)}" for k, v in kwargs.items()]
        if bound and args:
            who = args[0].__qualname__ if isinstance(args[0], type) else type(args[0]).__qualname__
            return f"{who}.{name.split('.')[-1]}({', '.join(shown)})"
        return f"{name}({', '.join(shown)})"

    def exc_text(self, name: str, args: Any, qualified: bool = False) -> str:
        """``KeyError('zz')``; with ``qualified``, the type's full name (``builtins.KeyError``)."""
        shown = name if qualified else name.split(".")[-1]
        if isinstance(args, str):  # the original's arguments did not pickle; this is their repr
            return f"{shown}{args}"
        return f"{shown}({', '.join(self.cmp.short(a) for a in args)})"

    def outcome_difference(self, expected: tuple[Any, ...], got: tuple[Any, ...]) -> str | None:
        short = self.cmp.short
        if expected[0] == "return" and got[0] == "return":
            found: str | None = self.cmp.difference(expected[1], got[1], "result")
            return f"wrong result: {found}" if found else None
        if expected[0] == "return":
            return f"raised {self.exc_text(got[1], got[2])} instead of returning {short(expected[1])}"
        if got[0] == "return":
            return f"returned {short(got[1])} instead of raising {self.exc_text(expected[1], expected[2])}"
        if expected[1] != got[1]:
            return (f"raised {self.exc_text(got[1], got[2], True)} instead of "
                    f"{self.exc_text(expected[1], expected[2], True)} (the exception type must stay the same)")
        exp_args, got_args = expected[2], got[2]
        if isinstance(exp_args, str):  # the original's arguments did not pickle: compared by repr
            got_args = repr(got_args)
        found = self.cmp.difference(exp_args, got_args, "exception args")
        return f"raised {expected[1]} with different arguments: {found}" if found else None

    def mutation_difference(self, expected: tuple[Any, ...], got: tuple[Any, ...], bound: bool,
                            exp_kwargs: dict[str, Any], got_kwargs: dict[str, Any]) -> str | None:
        for i, (a, b) in enumerate(zip(expected, got)):
            label = ("self" if not isinstance(a, type) else "cls") if bound and i == 0 else f"argument {i + 1}"
            found = self.cmp.difference(a, b, label)
            if found:
                return f"{label} after the call differs from the original's: {found}"
        for key in exp_kwargs:
            found = self.cmp.difference(exp_kwargs[key], got_kwargs.get(key), f"argument {key}=")
            if found:
                return f"argument {key}= after the call differs from the original's: {found}"
        return None

    def target(self) -> tuple[Any, bool] | None:
        """The function to replay, imported from the spec's file, and whether it is bound; None (saying why
        in the result) when the module does not import, comes from elsewhere or lacks the function."""
        spec, result = self.spec, self.result
        _mark("importing")
        try:
            module = importlib.import_module(spec.module)
        except BaseException as exc:  # noqa: BLE001 - any failure to import is the verdict
            result.import_error = f"importing {spec.module} raised {_exc_name(exc)}: {exc}"
            return None
        where = getattr(module, "__file__", None) or "?"
        if not (where != "?" and os.path.exists(spec.file) and os.path.samefile(where, spec.file)):
            result.import_error = f"{spec.module} was imported from {where}, not from {spec.file}"
            return None
        try:
            return _resolve(module, spec.qualname)
        except (AttributeError, KeyError):
            result.import_error = f"{spec.module} has no {spec.qualname} after the change"
            return None

    def run(self) -> Result:
        found = self.target()
        if found is None:
            return self.result
        func, bound = found
        self.result.imported = True
        self.result.write(self.spec.result)
        sys.addaudithook(self.effects)
        records: list[dict[str, Any]] = []
        for path in self.spec.captures:
            with open(path, "rb") as fh:
                records.extend(pickle.load(fh)["calls"])
        skip = set(self.spec.skip)
        for n, record in enumerate(records, start=1):
            if n in skip:
                self.result.unstable_skipped += 1
                continue
            try:
                args, kwargs = pickle.loads(record["before"])
                expected, exp_args, exp_kwargs = pickle.loads(record["after"])
                tape = pickle.loads(record["tape"]) if "tape" in record else []
            except Exception:
                self.result.skipped += 1
                continue
            shown = f"call {n} of {len(records)}: {self.call_text(func, args, kwargs, bound)}"
            got = self.call(n, shown, func, args, kwargs, tape, float(record.get("seconds", 0.0)))
            if got[0] == "raise" and got[1] == "builtins." + MEMORY and expected[1] != got[1] and not self.spec.collect:
                self.result.memory = True
                self.result.mismatch = f"{shown} raised MemoryError"
                return self.result
            differs = self.outcome_difference(expected, got)
            if differs is None:
                differs = self.mutation_difference(exp_args, args, bound, exp_kwargs, kwargs)
            if differs is not None and self.spec.collect:  # the self-check: note every call that differs
                self.result.unstable.append(n)
            elif differs is not None:
                self.result.mismatch = f"{shown} {differs}"
                return self.result
        return self.result

    def call(self, n: int, shown: str, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any], tape: Any,
             captured: float) -> tuple[Any, ...]:
        """Call number ``n`` replayed, its outcome (``("return", value)`` or ``("raise", type, args)``), with
        its time, effects and output noted in the result."""
        _mark(shown)
        random.seed(0)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed), self.effects.watching():
            start = _perf()
            try:
                with self.tape.playing(tape):
                    got: tuple[Any, ...] = ("return", func(*args, **kwargs))
            except BaseException as exc:  # noqa: BLE001 - exceptions are part of the behaviour
                got = ("raise", _exc_name(exc), exc.args)
            took = _perf() - start
        result = self.result
        result.seconds += took
        result.times[str(n)] = took
        if self.effects.seen:
            result.effects[str(n)] = sorted(self.effects.seen)
        if printed.getvalue():
            result.output[str(n)] = printed.getvalue()[:200]
        result.captured_seconds += captured
        result.replayed += 1
        return got


def main(argv: list[str]) -> int:
    exchange = _load("_optiloop_exchange", "exchange.py")
    spec: Spec = exchange.Spec.read(argv[1])
    sys.path[:0] = spec.sys_path
    random.seed(0)
    result: Result = Replay(spec, exchange.Result(), _load_compare()).run()
    result.done = True
    result.write(spec.result)
    return 0


if __name__ == "__main__":
    # this file's directory is not the project's: keep its neighbours from shadowing project modules
    if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]
    sys.exit(main(sys.argv))
