"""What a Python rewrite of the project can reach: where each sample's own time is, and the Amdahl bound.

Every sample is classified by its innermost frame (its own time). Native frames (py-spy ``--native``) of
the interpreter itself and of the C library (``libpython``, ``Objects/*.c``, ``libc``: list and string
operations, allocation, ``memcmp``) are the cost of the Python line that called them and count as that
line's; a sample with a frame of any other compiled code below its innermost Python frame is ``native``.

- ``project``: an in-scope Python file of the project (its definitions or module-level code): addressable;
- ``excluded``: a file of the repository out of scope (tests, the workload's own script, vendored,
  generated or excluded paths): shown, never targeted;
- ``stdlib``: the standard library (``.../lib/python3.X/...``, ``<frozen ...>`` modules);
- ``third-party``: installed packages (``site-packages``, ``dist-packages``);
- ``native``: C extension modules and the libraries they use, seen only when py-spy records with
  ``--native`` (``_hashlib`` and libcrypto, ``zlib``, ``_json``, numpy, ...);
- ``interpreter``: native frames only, no Python frame (start-up, shutdown, a collection between frames);
- ``other``: anything else (``<string>`` code, Python files outside the repository and the environment).

What is not separated: built-in functions of the interpreter (``sorted``, ``str.join``, dict and set
operations, ``re``'s engine) stay with the Python line that called them, which is right for the bound (a
rewrite can call them less); without ``--native`` (a platform py-spy cannot unwind, or the fallback
sampler) that is true of every C function, so a C extension called straight from the project's code
counts as the project's. Time a process spends waiting (sleep, I/O, locks) is not sampled at all. Both
make the addressable share an over-estimate, never an under-estimate: the bound below errs towards trying.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

from optiloop.profiling.collapsed import Frame, Resolver, Stack
from optiloop.types import Profile, fmt_ratio

PROJECT, EXCLUDED, STDLIB, THIRD_PARTY = "project", "excluded", "stdlib", "third-party"
NATIVE, INTERPRETER, OTHER = "native", "interpreter", "other"
CLASSES = (PROJECT, EXCLUDED, STDLIB, THIRD_PARTY, NATIVE, INTERPRETER, OTHER)
LABELS = {
    PROJECT: "the project's own Python code",
    EXCLUDED: "excluded project files",
    STDLIB: "standard library",
    THIRD_PARTY: "third-party packages",
    NATIVE: "C extensions and native code",
    INTERPRETER: "the interpreter outside Python code",
    OTHER: "other code",
}
_THIRD_PARTY = re.compile(r"[/\\](?:site|dist)-packages[/\\]")
_STDLIB = re.compile(r"[/\\]lib(?:64)?[/\\](?:python|pypy)\d+(?:\.\d+)?t?[/\\]|[/\\]Lib[/\\]")
_RUNTIME_LIB = re.compile(  # the interpreter's own binary or library, the C library, the loader; "?": no symbols
    r"(?:^|[/\\])(?:libpython[\d.]+\w*\.(?:so|dylib)[\d.]*|python[\d.]*t?(?:\.exe)?|python3\d*\.dll|libc[.-][\w.-]*"
    r"|libm[.-][\w.-]*|libpthread[.-][\w.-]*|libdl[.-][\w.-]*|ld-[\w.-]+|libsystem_\w+\.dylib|ntdll\.dll"
    r"|kernel32\.dll|ucrtbase\.dll|vcruntime\w*\.dll|\?)$", re.IGNORECASE)
_RUNTIME_SOURCE = re.compile(  # CPython's core sources, when the interpreter has debug information
    r"(?:^|[/\\])(?:Objects|Python|Include|Parser)[/\\](?:[\w.-]+[/\\])*[\w.-]+\.[ch]$|[/\\]Modules[/\\]gcmodule\.c$")


def runtime(frame: Frame) -> bool:
    """A native frame of the interpreter itself or of the C library (not of an extension module)."""
    return _RUNTIME_LIB.search(frame.file) is not None or _RUNTIME_SOURCE.search(frame.file) is not None


def classify(frames: Stack, resolve: Resolver) -> str:
    """The class of a sample (outermost frame first) by its own time: its innermost Python frame, unless
    compiled code other than the interpreter's runs below that frame."""
    i = len(frames) - 1
    while i >= 0 and frames[i].native:
        if not runtime(frames[i]):
            return NATIVE
        i -= 1
    return INTERPRETER if i < 0 else _classify_python(frames[i], resolve)


def _classify_python(frame: Frame, resolve: Resolver) -> str:
    if frame.file.startswith("<"):  # ``<frozen importlib._bootstrap>``, ``<string>``: no file of the tree
        return STDLIB if frame.file.startswith("<frozen ") else OTHER
    rel = resolve.relative(frame.file)
    if rel is not None:
        return PROJECT if resolve.in_scope(rel) else EXCLUDED
    if _THIRD_PARTY.search(frame.file):
        return THIRD_PARTY
    if _STDLIB.search(frame.file):
        return STDLIB
    return OTHER


def breakdown(stacks: Iterable[tuple[Stack, int]], resolve: Resolver) -> tuple[tuple[str, float], ...]:
    """(class, share of samples) for each class that has samples, largest first (ties in ``CLASSES`` order)."""
    counts: Counter[str] = Counter()
    for frames, count in stacks:
        if frames:
            counts[classify(frames, resolve)] += count
    total = sum(counts.values())
    if not total:
        return ()
    shares = [(c, counts[c] / total) for c in CLASSES if counts[c]]
    return tuple(sorted(shares, key=lambda cs: -cs[1]))


def addressable_share(shares: tuple[tuple[str, float], ...]) -> float:
    """The project's share of a breakdown; 1.0 when there is none (nothing was sampled: nothing to say)."""
    return dict(shares).get(PROJECT, 0.0) if shares else 1.0


def bound_of(addressable: float) -> float:
    """Amdahl with an infinite local speedup: 1 / (1 - addressable); ``inf`` when all of the time is addressable."""
    rest = 1.0 - addressable
    return math.inf if rest <= 1e-12 else 1.0 / rest


def bound(profile: Profile) -> float:
    """The best whole-workload speedup any rewrite of the project's Python code could give (Amdahl):
    even infinitely fast project code leaves the rest of the time. ``inf`` when all of it is the project's."""
    return bound_of(profile.addressable)


def pct(share: float) -> str:
    """A share as a whole percentage, with "<1%" for small ones that are not zero."""
    return "<1%" if 0 < share < 0.005 else f"{share:.0%}"


def elsewhere(profile: Profile) -> str:
    """The time outside the project's code, by class: ``C extensions and native code 90%, standard library 7%``."""
    return ", ".join(f"{LABELS.get(c, c)} {pct(share)}" for c, share in profile.breakdown if c != PROJECT)


def footer(profile: Profile) -> str | None:
    """One line under a hotspot table: what is not targeted and what the profile allows; None when all of
    the time is the project's own."""
    rest = elsewhere(profile)
    if not rest:
        return None
    best = bound(profile)
    allows = "" if math.isinf(best) else f"; a rewrite of the project's code allows at most {fmt_ratio(best)}x"
    return f"not targeted: {rest} (own time, by innermost frame){allows}"


def unreachable(profile: Profile, min_speedup: float) -> str | None:
    """A one-line statement when even infinitely fast project code cannot reach ``min_speedup``, else None."""
    best = bound(profile)
    if profile.samples <= 0 or best >= min_speedup:
        return None
    rest = elsewhere(profile)
    return (f"only {pct(profile.addressable)} of the workload's time is in the project's own Python code"
            f"{f' ({rest})' if rest else ''}: no rewrite of it can reach the {min_speedup:.2f}x --min-speedup "
            f"(the best possible is {fmt_ratio(best)}x)")

