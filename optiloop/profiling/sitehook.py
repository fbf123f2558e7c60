"""A ``sitecustomize`` for the user's interpreter: sampling profiler fallback and covering-test finder.

This file is copied as ``sitecustomize.py`` into a directory put first on ``PYTHONPATH``, so every
Python process of the workload or the test command (child processes too: they inherit the
variable) runs it at start-up. It uses the standard library only, does nothing unless one of its
variables is set, and then imports the ``sitecustomize`` it shadows, if there is one.

``OPTILOOP_SAMPLER_OUT=DIR`` (``OPTILOOP_SAMPLER_RATE=HZ``): a sampler of the main thread's stack; at
exit ``DIR/<pid>.txt`` holds the stacks in py-spy's raw format (``fn (file:line);... count``,
outermost first). With ``OPTILOOP_SAMPLER_CPROFILE=1`` it runs cProfile instead and writes
``DIR/<pid>.prof`` (exact call counts; its overhead would distort the samples, so never both).

``OPTILOOP_COVER_OUT=DIR`` with ``OPTILOOP_COVER_TARGETS=FILE`` (JSON ``{file: [[start, end, key]]}``):
``sys.setprofile`` notes which targets each test calls (pytest's ``PYTEST_CURRENT_TEST``, or the id
of the running ``unittest.TestCase``); at exit ``DIR/<pid>.json`` maps test ids to target keys.
"""

from __future__ import annotations

import atexit
import collections
import importlib.util
import json
import os
import sys
import threading
from types import CodeType, FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # nothing here is evaluated at run time: the hook must import on older Pythons too
    from collections.abc import Callable

    Tracer = Callable[[FrameType, str, Any], Any]


def _frame_name(code: CodeType, line: int) -> str:
    return f"{getattr(code, 'co_qualname', code.co_name)} ({code.co_filename}:{line})"


def _largest_remainder(n: int, weights: dict[int, float]) -> dict[int, int]:
    """``n`` split over the keys in proportion to ``weights``, in whole numbers that add up to ``n``."""
    total = sum(weights.values())
    if total <= 0:
        return {}
    exact = {k: n * w / total for k, w in weights.items()}
    out = {k: int(v) for k, v in exact.items()}
    rest = sorted(exact, key=lambda k: exact[k] - out[k], reverse=True)
    for k in rest[: n - sum(out.values())]:
        out[k] += 1
    return out


def _start_sampler(out: str, rate: float) -> None:
    """Sample the main thread's stack ``rate`` times a second, with unbiased lines in the leaf frame.

    A timer thread asks the main thread to run a handler (``_thread.interrupt_main`` with a signal
    number: no real signal is sent); the handler records the stack it interrupted, weighted by the
    main thread's CPU time since the last one (a long C call delays the handler but still counts in
    full; time asleep or waiting does not count, as with py-spy without ``--idle``). Python code can
    only be interrupted between bytecodes at a loop's back edge or a call, so the line the leaf frame
    stands on is biased: a slow ``x in big_list`` would always be seen on the line after it. So each
    sample also opens a short window of line tracing on the leaf frame that times its lines; at exit
    the samples of a function are spread over its lines in proportion to those times. Tracing is on
    only inside a window, so calls elsewhere run at full speed.
    """
    import _thread
    import signal
    import time

    interval = 1.0 / max(rate, 1.0)
    window = min(interval / 2, 0.002)
    clock = time.perf_counter
    signum = getattr(signal, "SIGURG", signal.SIGUSR2)
    here = _frame_name.__code__.co_filename
    samples: collections.Counter[tuple[str, CodeType]] = collections.Counter()
    seen_lines: dict[CodeType, collections.Counter[int]] = collections.defaultdict(collections.Counter)
    timed: dict[CodeType, collections.Counter[int]] = collections.defaultdict(collections.Counter)
    win: list[Any] = [None, None, 0.0, 0.0]  # frame traced, its running line, since when, deadline
    cpu = [time.thread_time(), 0.0]  # the main thread's CPU time at the last tick, and the fraction owed
    stop = threading.Event()

    def noop(frame: FrameType, event: str, arg: Any) -> None:
        return None

    def close(now: float) -> None:
        frame, line = win[0], win[1]
        if frame is not None:
            if line is not None:
                timed[frame.f_code][line] += now - win[2]
            frame.f_trace = None
        win[0] = win[1] = None
        sys.settrace(None)

    def timer(frame: FrameType, event: str, arg: Any) -> Tracer | None:
        now = clock()
        if frame is not win[0]:
            return None
        if event == "line" and now < win[3]:
            if win[1] is not None:
                timed[frame.f_code][win[1]] += now - win[2]
            win[1] = frame.f_lineno
            win[2] = clock()
            return timer
        close(now)
        return None

    def on_tick(sig: int, frame: FrameType | None) -> None:
        while frame is not None and frame.f_code.co_filename == here:
            frame = frame.f_back
        if frame is None:
            return
        if win[0] is not None:
            close(clock())
        now_cpu = time.thread_time()
        owed = cpu[1] + (now_cpu - cpu[0]) / interval
        weight = int(owed)
        cpu[0], cpu[1] = now_cpu, owed - weight
        if weight <= 0:
            return  # a window still open (a long line): what it timed so far counts
        outer = []
        up = frame.f_back
        while up is not None:
            outer.append(_frame_name(up.f_code, up.f_lineno or 0))
            up = up.f_back
        samples[(";".join(reversed(outer)), frame.f_code)] += weight
        seen_lines[frame.f_code][frame.f_lineno or 0] += weight
        if sys.gettrace() is None:  # never take over a debugger's or coverage's tracer
            win[0], win[1], win[3] = frame, None, clock() + window
            frame.f_trace = timer
            sys.settrace(noop)

    def tick() -> None:
        while not stop.wait(interval):
            try:
                _thread.interrupt_main(signum)
            except (RuntimeError, ValueError, TypeError):  # TypeError: no signum before Python 3.10
                return

    def dump() -> None:
        stop.set()
        signal.signal(signum, signal.SIG_IGN)
        if win[0] is not None:
            close(clock())
        lines = []
        for (outer, code), n in samples.items():
            spread = _largest_remainder(n, dict(timed.get(code) or {})) or _largest_remainder(n, dict(seen_lines[code]))
            for line, k in spread.items():
                if k:
                    leaf = _frame_name(code, line)
                    lines.append(f"{outer};{leaf} {k}\n" if outer else f"{leaf} {k}\n")
        try:
            os.makedirs(out, exist_ok=True)
            with open(os.path.join(out, f"{os.getpid()}.txt"), "w", encoding="utf-8") as fh:
                fh.writelines(lines)
        except OSError:
            pass

    signal.signal(signum, on_tick)
    atexit.register(dump)
    threading.Thread(target=tick, name="optiloop-sampler", daemon=True).start()


def _start_cprofile(out: str) -> None:
    """cProfile over the whole process, its stats dumped to ``out/<pid>.prof`` at exit."""
    import cProfile

    profiler = cProfile.Profile()

    def dump() -> None:
        profiler.disable()
        try:
            os.makedirs(out, exist_ok=True)
            profiler.dump_stats(os.path.join(out, f"{os.getpid()}.prof"))
        except OSError:
            pass

    atexit.register(dump)
    profiler.enable()


def _start_cover(out: str, targets_file: str) -> None:
    with open(targets_file, encoding="utf-8") as fh:
        spans = json.load(fh)
    by_file = {os.path.realpath(f): [(int(a), int(b), str(k)) for a, b, k in v] for f, v in spans.items()}
    real: dict[str, str] = {}
    codes: dict[int, tuple[CodeType, str | None]] = {}
    hits: dict[str, set[str]] = collections.defaultdict(set)
    current: list[str | None] = [None]

    def lookup(code: CodeType) -> str | None:
        name = code.co_filename
        path = real.get(name)
        if path is None:
            path = real[name] = os.path.realpath(name)
        found: tuple[int, str] | None = None
        for start, end, key in by_file.get(path, ()):
            if start <= code.co_firstlineno <= end and (found is None or start >= found[0]):
                found = (start, key)
        return found[1] if found else None

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event != "call":
            return
        code = frame.f_code
        entry = codes.get(id(code))
        if entry is None or entry[0] is not code:
            entry = codes[id(code)] = (code, lookup(code))
        if entry[1] is None:
            return
        test = os.environ.get("PYTEST_CURRENT_TEST")
        test_id = test.rsplit(" (", 1)[0] if test else current[0]
        if test_id:
            hits[test_id].add(entry[1])

    try:
        import unittest.case

        original = unittest.case.TestCase.run

        def run(self: unittest.case.TestCase, result: Any = None) -> Any:
            before = current[0]
            current[0] = self.id()
            try:
                return original(self, result)
            finally:
                current[0] = before

        unittest.case.TestCase.run = run  # type: ignore[method-assign]
    except ImportError:
        pass

    def dump() -> None:
        sys.setprofile(None)
        try:
            os.makedirs(out, exist_ok=True)
            with open(os.path.join(out, f"{os.getpid()}.json"), "w", encoding="utf-8") as fh:
                json.dump({t: sorted(k) for t, k in hits.items()}, fh)
        except OSError:
            pass

    atexit.register(dump)
    threading.setprofile(profile)
    sys.setprofile(profile)


def _chain() -> None:
    """Run the ``sitecustomize`` this file shadows (the next one on ``sys.path``), if any."""
    here = os.path.dirname(os.path.abspath(__file__))
    for entry in sys.path:
        folder = os.path.abspath(entry or os.getcwd())
        if folder == here:
            continue
        path = os.path.join(folder, "sitecustomize.py")
        if os.path.isfile(path):
            spec = importlib.util.spec_from_file_location("_optiloop_shadowed_sitecustomize", path)
            if spec is not None and spec.loader is not None:
                module = importlib.util.module_from_spec(spec)
                sys.modules[spec.name] = module
                spec.loader.exec_module(module)
            return


def _main() -> None:
    sampler = os.environ.get("OPTILOOP_SAMPLER_OUT")
    if sampler and os.environ.get("OPTILOOP_SAMPLER_CPROFILE"):
        _start_cprofile(sampler)
    elif sampler:
        _start_sampler(sampler, float(os.environ.get("OPTILOOP_SAMPLER_RATE") or 100))
    cover = os.environ.get("OPTILOOP_COVER_OUT")
    targets = os.environ.get("OPTILOOP_COVER_TARGETS")
    if cover and targets:
        _start_cover(cover, targets)


if __name__ == "sitecustomize":
    _main()
    _chain()
