"""From hotspots to targets: the definition's current source and what a prompt needs beside it.

``FindTargets`` is the loop's ``TargetFinder``: for a profile it reads the definitions as they are
now (so after a commit the next prompt sees the new code and its new profile), runs the tests once
to learn which of them exercise each target, and builds each target's context within a token
budget. Tokens are approximated as characters / 4 (no tokenizer is shipped).
"""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Callable, Mapping
from pathlib import Path

import libcst as cst

from optiloop.edit import DefSpan, definition_spans, find_definition
from optiloop.profiling.collapsed import Edges, Key, Resolver, call_edges, parse_raw
from optiloop.profiling.covering import Coverage, Span, covering_tests
from optiloop.types import Hotspot, Profile, Target

CHARS_PER_TOKEN = 4
DEFAULT_BUDGET = 1500  # tokens for the annotated source plus its context
MAX_CALLERS = 5
MAX_CALLEE_LINES = 25


def estimate_tokens(text: str) -> int:
    """Tokens as characters / 4, rounded up: a stated approximation, close for code in English."""
    return -(-len(text) // CHARS_PER_TOKEN)


def dotted_name(path: str, qualname: str, subdir: str = "") -> str:
    """``pkg/mod.py`` + ``Cls.meth`` → ``pkg.mod.Cls.meth`` (``src/`` and ``subdir`` dropped)."""
    rel = path[len(subdir) + 1:] if subdir and path.startswith(subdir + "/") else path
    parts = rel[:-3].split("/") if rel.endswith(".py") else rel.split("/")
    if parts and parts[0] == "src":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([*parts, qualname])


def module_imports(module_source: str) -> str:
    """The module's top-level import statements, as written."""
    try:
        module = cst.parse_module(module_source)
    except cst.ParserSyntaxError:
        return ""
    lines = [
        module.code_for_node(stmt).strip()
        for stmt in module.body
        if isinstance(stmt, cst.SimpleStatementLine)
        and any(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body)
    ]
    return "\n".join(lines)


def annotate_heat(source: str, start: int, heat: tuple[tuple[int, float], ...]) -> str:
    """The definition's source with each hot line's share of samples in a trailing comment."""
    by_line = dict(heat)
    out = []
    for offset, text in enumerate(source.splitlines()):
        share = by_line.get(start + offset)
        out.append(f"{text}  # {share:.0%}" if share and share >= 0.005 else text)
    return "\n".join(out)


def covering_list(tests: tuple[str, ...]) -> str:
    return "".join(f"- {t}\n" for t in tests)


def prompt_material(target: Target) -> str:
    """What a prompt shows of a target: heat-annotated source, context, covering tests."""
    annotated = annotate_heat(target.source, target.hotspot.line, target.hotspot.line_heat)
    return f"{annotated}\n{target.context}\n{covering_list(target.covering_tests)}"


def hottest_line(hotspot: Hotspot) -> tuple[int, float] | None:
    return max(hotspot.line_heat, key=lambda lh: (lh[1], -lh[0]), default=None)


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


# -- running only some tests ------------------------------------------------------------------

_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SHELL = re.compile(r"[;&|<>`$()\n]")
_MAX_IDS_CHARS = 100_000  # test ids beyond this run as the full suite (one argument may hold 128 KiB)
_PYTEST_VALUE = {"-c", "-o", "-p", "-W", "-n", "-r", "--maxfail", "--rootdir", "--tb", "--ignore", "--ignore-glob",
                 "--junitxml", "--confcutdir", "--basetemp", "--durations", "--dist", "--import-mode", "--cov",
                 "--cov-report", "--log-level", "--timeout", "--color", "--capture"}
_PYTEST_SELECT = {"-k", "-m", "--deselect"}
_UNITTEST_FLAGS = {"-v", "-q", "-f", "-c", "-b", "--verbose", "--quiet", "--failfast", "--catch", "--buffer",
                   "--locals", "--durations"}


def covering_command(tests_cmd: str, test_ids: tuple[str, ...]) -> str | None:
    """A shell command that runs only ``test_ids`` with the same runner as ``tests_cmd``.

    pytest commands (``pytest ...``, ``python -m pytest ...``) keep their options and get node ids
    instead of paths and ``-k``/``-m`` selections; unittest commands (``python -m unittest [discover
    ...]``) get dotted ids, with the discovery top-level directory on ``PYTHONPATH``. None when the
    command is anything else (a script, make, tox, a pipeline) or there are no ids, or when the ids would
    not fit in one command line (``bash -c`` takes at most 128 KiB in its argument: E2BIG).
    """
    if not test_ids or _SHELL.search(tests_cmd) or sum(len(t) + 3 for t in test_ids) > _MAX_IDS_CHARS:
        return None
    try:
        words = shlex.split(tests_cmd)
    except ValueError:
        return None
    n = 0
    while n < len(words) and _ASSIGN.match(words[n]):
        n += 1
    env, rest = words[:n], words[n:]
    if not rest:
        return None
    program = Path(rest[0]).name
    if program in ("pytest", "py.test"):
        return shlex.join([*env, rest[0], *_pytest_options(rest[1:]), *test_ids])
    if not re.fullmatch(r"python[0-9.]*", program) or len(rest) < 3 or rest[1] != "-m":
        return None
    if rest[2] == "pytest":
        return shlex.join([*env, *rest[:3], *_pytest_options(rest[3:]), *test_ids])
    if rest[2] != "unittest":
        return None
    parsed = _unittest_args(rest[3:])
    if parsed is None:
        return None
    flags, top = parsed
    command = shlex.join([*env, *rest[:3], *flags, *test_ids])
    if top in ("", "."):
        return command
    return f"PYTHONPATH={shlex.quote(top)}${{PYTHONPATH:+:$PYTHONPATH}} {command}"


def _pytest_options(args: list[str]) -> list[str]:
    kept: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        if word in _PYTEST_SELECT:
            i += 2
            continue
        if any(word.startswith(opt + "=") for opt in _PYTEST_SELECT if opt.startswith("--")):
            i += 1
            continue
        if word.startswith("-"):
            kept.append(word)
            if word in _PYTEST_VALUE and i + 1 < len(args):
                kept.append(args[i + 1])
                i += 1
        i += 1
    return kept


def _unittest_args(args: list[str]) -> tuple[list[str], str] | None:
    """(flags to keep, top-level directory of the ids) for ``python -m unittest ARGS``."""
    discover = bool(args) and args[0] == "discover"
    words = args[1:] if discover else args
    flags: list[str] = []
    start, top, positional = ".", "", []
    i = 0
    while i < len(words):
        word = words[i]
        value = words[i + 1] if i + 1 < len(words) else ""
        if word in ("-s", "--start-directory"):
            start, i = value, i + 2
        elif word in ("-t", "--top-level-directory"):
            top, i = value, i + 2
        elif word in ("-p", "--pattern", "-k"):
            i += 2
        elif word in _UNITTEST_FLAGS:
            flags.append(word)
            i += 1
        elif word.startswith("-"):
            return None
        else:
            positional.append(word)
            i += 1
    if not discover:
        return flags, "."
    if positional:
        start = positional[0]
        top = positional[2] if len(positional) > 2 else top
    return flags, top or start


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
        tests = self._covering([_key(h) for h, _, _, _ in found], [(h.path, s) for h, _, _, s in found])
        out = []
        for hotspot, module, source, span in found:
            key = _key(hotspot)
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


def _key(hotspot: Hotspot) -> Key:
    return (hotspot.path, hotspot.qualname)


def _span_of(module: str, hotspot: Hotspot) -> DefSpan | None:
    spans = [s for s in definition_spans(module) if s.qualname == hotspot.qualname]
    return next((s for s in spans if s.start == hotspot.line), spans[-1] if spans else None)


def _line(text: str, line: int) -> str:
    lines = text.splitlines()
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def _comment(text: str) -> str:
    return "\n".join(f"# {ln}" if ln else "#" for ln in text.splitlines())


class ContextBuilder:
    """The context of one target as Python-commented sections, within ``budget`` tokens together with
    the heat-annotated source and the list of covering tests (both shown by the prompt from the
    target itself). Sections in priority order: profile summary (always), module imports, the
    module-level assignments it reads (``STOPWORDS = [...]``), callers, in-project callees
    (signatures first, then whole sources of short ones while the budget lasts)."""

    def __init__(self, hotspot: Hotspot, module: str, source: str, span: DefSpan, edges: Edges,
                 read: Callable[[str], str], budget: int) -> None:
        self.h = hotspot
        self.module = module
        self.source = source
        self.span = span
        self.edges = edges
        self.read = read
        self.used = estimate_tokens(annotate_heat(source, hotspot.line, hotspot.line_heat))
        self.budget = budget
        self.parts: list[str] = []

    def add(self, text: str, force: bool = False) -> bool:
        cost = estimate_tokens(text) + 1
        if not force and self.used + cost > self.budget:
            return False
        self.parts.append(text)
        self.used += cost
        return True

    def build(self, covering: tuple[str, ...]) -> str:
        self.add(self.summary(), force=True)
        imports = module_imports(self.module)
        if imports:
            self.add(f"# Imports of {self.h.path}:\n{imports}")
        names = _module_names(self.module, self.span)
        if names:
            self.add(f"# Module-level names it uses ({self.h.path}):\n{names}")
        callers = self.callers()
        if callers:
            self.add("# Called from (sampled call sites):\n" + "\n".join(callers[:MAX_CALLERS]))
        self.used += estimate_tokens(covering_list(covering))  # the prompt lists them from ``covering_tests``
        shown = [(short, full) for short, full in self.callees() if self.add(short)]
        for short, full in shown:
            if full != short:
                self._upgrade(short, full)
        return "\n\n".join(self.parts)

    def _upgrade(self, short: str, full: str) -> None:
        """Swap a callee's signature for its whole (short) source if the budget still allows."""
        extra = estimate_tokens(full) - estimate_tokens(short)
        if self.used + extra <= self.budget and short in self.parts:
            self.parts[self.parts.index(short)] = full
            self.used += extra

    def summary(self) -> str:
        h = self.h
        text = (f"Profile of {h.path}::{h.qualname}: {h.self_frac:.0%} of samples are addressable here "
                f"(its own lines and the library/builtin code it calls directly), {h.total_frac:.0%} "
                f"inclusive.")
        hot = hottest_line(h)
        if hot is not None:
            text += f"\nHottest line {hot[0]} ({hot[1]:.0%}): {_line(self.module, hot[0])}"
        return _comment(text)

    def callers(self) -> list[str]:
        out = []
        for site in self.edges.call_sites(_key(self.h)):
            try:
                code = _line(self.read(site.path), site.line)
            except (OSError, UnicodeDecodeError):
                code = ""
            out.append(f"#   {site.path}:{site.line} in {site.caller}: {code}  ({site.samples} samples)")
        return out

    def callees(self) -> list[tuple[str, str]]:
        """(signature block, bounded whole block) of in-project callees, sampled ones first."""
        seen: list[Key] = []
        notes: dict[Key, str] = {}
        for callee, line, n in self.edges.called(_key(self.h)):
            if callee not in seen and callee != _key(self.h):
                seen.append(callee)
                notes[callee] = f"called from line {line}, {n} samples"
        for callee in _static_callees(self.module, self.span, self.h):
            if callee not in seen:
                seen.append(callee)
                notes[callee] = "not sampled"
        out = []
        for path, qualname in seen:
            try:
                module = self.read(path)
            except (OSError, UnicodeDecodeError):
                continue
            spans = [s for s in definition_spans(module) if s.qualname == qualname]
            if not spans:
                continue
            span = spans[-1]
            head = f"# Calls {path}::{qualname} ({notes[(path, qualname)]}):"
            lines = module.splitlines()
            whole = "\n".join(lines[span.start - 1:span.end])
            signature = "\n".join(lines[span.start - 1:span.body_start - 1]) + "\n    ..."
            if span.body_start == span.start:  # a one-line definition
                signature = whole
            full = whole if span.end - span.start < MAX_CALLEE_LINES else signature
            out.append((f"{head}\n{_dedent(signature)}", f"{head}\n{_dedent(full)}"))
        return out


def _dedent(text: str) -> str:
    lines = text.splitlines()
    indent = min((len(ln) - len(ln.lstrip()) for ln in lines if ln.strip()), default=0)
    return "\n".join(ln[indent:] for ln in lines)


def _module_names(module: str, span: DefSpan, max_lines: int = 12) -> str:
    """The module-level assignments of the names the definition reads, as written (long ones cut)."""
    try:
        tree = ast.parse(module)
    except (SyntaxError, ValueError):
        return ""
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
            and span.start <= n.lineno <= span.end}
    lines = module.splitlines()
    out = []
    for stmt in tree.body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(
            stmt, (ast.AnnAssign, ast.AugAssign)) else []
        names = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        if names & used:
            end = stmt.end_lineno or stmt.lineno
            text = lines[stmt.lineno - 1:min(end, stmt.lineno - 1 + max_lines)]
            out.append("\n".join(text) + ("\n# ... (cut)" if end - stmt.lineno >= max_lines else ""))
    return "\n".join(out)


def _static_callees(module: str, span: DefSpan, hotspot: Hotspot) -> list[Key]:
    """Definitions of the same module the target calls by name (``f(...)``, ``self.m(...)``)."""
    try:
        tree = ast.parse(module)
    except (SyntaxError, ValueError):
        return []
    spans = {s.qualname: s for s in definition_spans(module)}
    owner = hotspot.qualname.rsplit(".", 1)[0] if "." in hotspot.qualname else ""
    found: list[Key] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not span.start <= node.lineno <= span.end:
            continue
        name = None
        if isinstance(node.func, ast.Name):
            name = node.func.id
        elif (isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
              and node.func.value.id in ("self", "cls") and owner):
            name = f"{owner}.{node.func.attr}"
        if name and name in spans and name != hotspot.qualname and (hotspot.path, name) not in found:
            found.append((hotspot.path, name))
    return found
