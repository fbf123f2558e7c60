"""What a prompt shows beside a target: its source annotated with line heat, its callers and callees, the
module's imports and the tests that cover it, within a token budget. Tokens are approximated as
characters / 4 (no tokenizer is shipped)."""

from __future__ import annotations

import ast
from collections.abc import Callable

import libcst as cst

from optiloop.edit import DefSpan, definition_spans
from optiloop.profiling.collapsed import Edges, Key
from optiloop.types import Hotspot, Target

CHARS_PER_TOKEN = 4
DEFAULT_BUDGET = 1500  # tokens for the annotated source plus its context
MAX_CALLERS = 5
MAX_CALLEE_LINES = 25
MAX_TESTS_SHOWN = 12  # covering tests a prompt names; the gate still runs all of them


def key_of(hotspot: Hotspot) -> Key:
    return (hotspot.path, hotspot.qualname)


def hottest_line(hotspot: Hotspot) -> tuple[int, float] | None:
    return max(hotspot.line_heat, key=lambda lh: (lh[1], -lh[0]), default=None)


def estimate_tokens(text: str) -> int:
    """Tokens as characters / 4, rounded up: a stated approximation, close for code in English."""
    return -(-len(text) // CHARS_PER_TOKEN)


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


def _test_rank(test: str, words: tuple[str, ...]) -> tuple[int, int, str]:
    """Tests that name the target come first, then those of a test module named after its module, then the
    shortest ids (a test of one thing before a test of everything)."""
    lower = test.lower()
    name, module = words[0], words[1]
    return (0 if name in lower else 1 if module and module in lower.split("::")[0] else 2, len(test), test)


def shown_tests(target: Target, limit: int = MAX_TESTS_SHOWN) -> tuple[tuple[str, ...], int]:
    """The covering tests a prompt names, best first, at most ``limit`` (on projects with a thousand tests every
    one of them covers the hot code; the list alone would take tens of thousands of characters), and how many more
    there are."""
    tests = target.covering_tests
    if len(tests) <= limit:
        return tests, 0
    name = target.qualname.rsplit(".", 1)[-1].strip("_").lower()
    module = target.path.rsplit("/", 1)[-1].removesuffix(".py").lower()
    ranked = sorted(tests, key=lambda t: _test_rank(t, (name, module)))
    return tuple(ranked[:limit]), len(tests) - limit


def covering_list(tests: tuple[str, ...], more: int = 0) -> str:
    return "".join(f"- {t}\n" for t in tests) + (f"- ... and {more} more\n" if more else "")


def prompt_material(target: Target) -> str:
    """What a prompt shows of a target: heat-annotated source, context, the covering tests it names."""
    annotated = annotate_heat(target.source, target.hotspot.line, target.hotspot.line_heat)
    return f"{annotated}\n{target.context}\n{covering_list(*shown_tests(target))}"


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
        for text in class_state(self.module, self.h):  # a multi-site change needs where the state is made
            self.add(text)
        tests = shown_tests(Target(self.h, self.source, self.module, covering_tests=covering))
        self.used += estimate_tokens(covering_list(*tests))  # the prompt names them from ``covering_tests``
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
        for site in self.edges.call_sites(key_of(self.h)):
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
        for callee, line, n in self.edges.called(key_of(self.h)):
            if callee not in seen and callee != key_of(self.h):
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


def _self_attributes(node: ast.AST) -> set[str]:
    return {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
            and n.value.id == "self"}


def class_state(module: str, hotspot: Hotspot) -> list[str]:
    """For a method: its class's ``__init__`` and the other methods that read or write the attributes of ``self``
    it uses, ``__init__`` first (whole when short, else their first lines), as commented sections."""
    if "." not in hotspot.qualname:
        return []
    try:
        tree = ast.parse(module)
    except (SyntaxError, ValueError):
        return []
    owner, name = hotspot.qualname.rsplit(".", 1)
    spans = {s.qualname: s for s in definition_spans(module)}
    methods = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
               and f"{owner}.{n.name}" in spans and spans[f"{owner}.{n.name}"].start <= n.lineno
               <= spans[f"{owner}.{n.name}"].end and n.name != name]
    target = next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                   and n.name == name and hotspot.qualname in spans
                   and spans[hotspot.qualname].start <= n.lineno <= spans[hotspot.qualname].end), None)
    if target is None:
        return []
    used = _self_attributes(target)
    picked = sorted((m for m in methods if m.name == "__init__" or _self_attributes(m) & used),
                    key=lambda m: (m.name != "__init__", m.lineno))
    lines = module.splitlines()
    out = []
    for m in picked:
        span = spans[f"{owner}.{m.name}"]
        end = span.end if span.end - span.start < MAX_CALLEE_LINES else span.start + MAX_CALLEE_LINES - 1
        shared = ", ".join(sorted(_self_attributes(m) & used)) or "none"
        text = "\n".join(lines[span.start - 1:end]) + ("\n    ..." if end < span.end else "")
        out.append(f"# {owner}.{m.name} (line {span.start}; shares self.{{{shared}}}):\n{_dedent(text)}")
    return out


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
