"""From hotspots to targets: the definition's current source and what a prompt needs beside it.

``FindTargets`` is the loop's ``TargetFinder``: for a profile it reads the definitions as they are
now (so after a commit the next prompt sees the new code and its new profile), runs the tests once
to learn which of them exercise each target, and builds each target's context within a token
budget (``optiloop.context``). Running only the covering tests is ``optiloop.testselect``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from optiloop.context import DEFAULT_BUDGET, ContextBuilder, key_of, module_imports
from optiloop.edit import DefSpan, definition_spans, find_definition
from optiloop.paths import module_parts
from optiloop.profiling.collapsed import Edges, Key, Resolver, call_edges, parse_raw
from optiloop.profiling.covering import Coverage, Span, covering_tests
from optiloop.types import Hotspot, Profile, Target


def dotted_name(path: str, qualname: str, subdir: str = "") -> str:
    """``pkg/mod.py`` + ``Cls.meth`` → ``pkg.mod.Cls.meth`` (``src/`` and ``subdir`` dropped)."""
    return ".".join([*module_parts(path, subdir), qualname])


def build_target(hotspot: Hotspot, module_source: str) -> Target | None:
    source = find_definition(module_source, hotspot.qualname)
    if source is None:
        return None
    context = module_imports(module_source)
    return Target(hotspot=hotspot, source=source, module_source=module_source, context=context)


def targets_from(profile: Profile, read: Callable[[str], str]) -> list[Target]:
    """Targets for the profile's hotspots, hottest first; definitions that vanished are skipped."""
    out = []
    for hotspot in profile.hotspots:
        target = build_target(hotspot, read(hotspot.path))
        if target is not None:
            out.append(target)
    return out


# -- targets with context -----------------------------------------------------------------------


class FindTargets:
    """The loop's ``TargetFinder``: targets with heat, callers, callees, imports and covering tests.

    ``tree`` is the repository tree the profile was taken in (the accepted state), ``project`` the
    directory the test command runs from, ``work`` gives a fresh directory for each coverage run.
    """

    def __init__(
        self,
        tree: Path,
        project: Path,
        in_scope: Callable[[str], bool],
        tests_cmd: str | None,
        env: Mapping[str, str],
        work: Callable[[str], Path],
        timeout: float,
        budget: int = DEFAULT_BUDGET,
        on_note: Callable[[str], None] | None = None,
    ) -> None:
        self.tree = tree
        self.project = project
        self.in_scope = in_scope
        self.tests_cmd = tests_cmd
        self.env = dict(env)
        self.work = work
        self.timeout = timeout
        self.budget = budget
        self.runs = 0
        self.coverage: Coverage | None = None
        self.on_note = on_note

    def __call__(self, profile: Profile, read: Callable[[str], str]) -> list[Target]:
        found: list[tuple[Hotspot, str, str, DefSpan]] = []
        for hotspot in profile.hotspots:
            try:
                module = read(hotspot.path)
            except (OSError, UnicodeDecodeError):
                continue
            source = find_definition(module, hotspot.qualname)
            span = _span_of(module, hotspot)
            if source is not None and span is not None:
                found.append((hotspot, module, source, span))
        edges = Edges({}, {})
        if profile.raw_path is not None and profile.raw_path.is_file():
            stacks = parse_raw(profile.raw_path.read_text(encoding="utf-8", errors="replace"))
            edges = call_edges(stacks, Resolver(self.tree, self.in_scope))
        tests = self._covering([key_of(h) for h, _, _, _ in found], [(h.path, s) for h, _, _, s in found])
        out = []
        for hotspot, module, source, span in found:
            key = key_of(hotspot)
            covering = tests.get(f"{key[0]}::{key[1]}", ())
            context = ContextBuilder(hotspot, module, source, span, edges, read, self.budget).build(covering)
            out.append(Target(hotspot, source, module, context, covering))
        return out

    def _covering(self, keys: list[Key], spans: list[tuple[str, DefSpan]]) -> dict[str, tuple[str, ...]]:
        if not self.tests_cmd or not keys:
            return {}
        self.runs += 1
        watched = [Span(f"{k[0]}::{k[1]}", self.tree / path, s.start, s.end)
                   for k, (path, s) in zip(keys, spans, strict=True)]  # one list, split in two
        self.coverage = covering_tests(self.tests_cmd, self.project, self.env, watched,
                                       self.work(f"covering/{self.runs}"), self.timeout)
        if not self.coverage.ok and self.on_note is not None:
            self.on_note("the tests failed while finding which of them cover the hot definitions "
                         f"({self.coverage.detail or 'no detail'}); the covering tests found may be incomplete")
        return self.coverage.tests


def _span_of(module: str, hotspot: Hotspot) -> DefSpan | None:
    spans = [s for s in definition_spans(module) if s.qualname == hotspot.qualname]
    return next((s for s in spans if s.start == hotspot.line), spans[-1] if spans else None)


