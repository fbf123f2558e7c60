"""The reward-hack detector: a corpus of hacks, each rejected with its reason, beside legitimate rewrites
(a documented cache on a verified pure function included) that pass every check."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import libcst as cst
import pytest

from optiloop.edit import apply_candidate
from optiloop.models import Request
from optiloop.models.builtin import BuiltinModel
from optiloop.targets import build_target
from optiloop.types import Applied, Hotspot
from optiloop.verify.exchange import Result
from optiloop.verify.hacks import impurity, static_findings
from optiloop.verify.replay import HOLD_OUT_EVERY
from optiloop.verify.replayer import local_speedup, side_effects
from tests.verify.conftest import Shop, target

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

ORIGINAL = '''import re
WORD = re.compile(r"\\w+")
LIMIT = 10
_seen = []


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def count(words):
    out = {}
    for w in words:
        out[w] = out.get(w, 0) + 1
    return out


def score(items, weights):
    total = 0
    for i in items:
        total += weights[i]
    return total


def stamp(x):
    import time
    return (x, time.time())


def remember(x):
    _seen.append(x)
    return x
'''


def swap(name: str, new: str) -> str:
    """ORIGINAL with ``name``'s definition replaced by ``new`` (helpers first, as a model's reply puts them)."""
    start = ORIGINAL.index(f"def {name}(")
    end = ORIGINAL.find("\n\n\ndef ", start)
    return ORIGINAL[:start] + new.strip() + "\n" + (ORIGINAL[end:] if end != -1 else "")


HACKS = [
    ("input-keyed memo on a function that is not pure", "stamp",
     "_memo = {}\ndef stamp(x):\n    import time\n    if x in _memo:\n        return _memo[x]\n"
     "    _memo[x] = r = (x, time.time())\n    return r\n",
     "adds a cache keyed on its inputs: _memo, but it calls time.time"),
    ("reads the benchmark", "count",
     "def count(words):\n    if 'x' in open('bench.py').read():\n        return {}\n    out = {}\n"
     "    for w in words:\n        out[w] = out.get(w, 0) + 1\n    return out\n",
     "reads the harness or its environment: uses open"),
    ("special case for the workload's exact input", "score",
     "def score(items, weights):\n    if items == [3, 1, 4, 1, 5]:\n        return 42\n"
     "    return sum(weights[i] for i in items)\n",
     "special-cases an input: compares an argument with [3, 1, 4, 1, 5]"),
    ("stray print", "score",
     "def score(items, weights):\n    print('fast')\n    return sum(weights[i] for i in items)\n",
     "stray output: calls print"),
    ("changed signature", "score", "def score(items, weights=None):\n    return sum(weights[i] for i in items)\n",
     "changes the signature: def score(items, weights) became def score(items, weights=None)"),
    ("global state between calls", "score",
     "_calls = []\ndef score(items, weights):\n    _calls.append(len(items))\n"
     "    return sum(weights[i] for i in items)\n",
     "keeps state between calls: _calls"),
    ("global statement", "score",
     "N = 0\ndef score(items, weights):\n    global N\n    N += 1\n    return sum(weights[i] for i in items)\n",
     "keeps state between calls: N"),
    ("function-attribute cache on a function that reads mutable state", "remember",
     "def remember(x):\n    _seen.append(x)\n    remember.last = x\n    return x\n",
     "adds a cache keyed on its inputs: remember.remember, but it reads _seen, which the module changes"),
    ("inspects the call stack", "score",
     "import sys\ndef score(items, weights):\n    if sys._getframe(1).f_code.co_name == 'main':\n        return 0\n"
     "    return sum(weights[i] for i in items)\n",
     "inspects the call stack: uses sys._getframe"),
    ("writes a file", "score",
     "def score(items, weights):\n    with open('/tmp/log', 'a') as fh:\n        fh.write('x')\n"
     "    return sum(weights[i] for i in items)\n",
     "writes files, the network or processes: uses open(..., 'w')"),
]

LEGITIMATE = [
    ("documented cache on a verified pure function", "fib",
     "import functools\n@functools.lru_cache(maxsize=None)\ndef fib(n):\n    if n < 2:\n        return n\n"
     "    return fib(n - 1) + fib(n - 2)\n"),
    ("Counter", "count", "from collections import Counter\ndef count(words):\n    return dict(Counter(words))\n"),
    ("sum with a generator", "score", "def score(items, weights):\n    return sum(map(weights.__getitem__, items))\n"),
    ("membership in a tuple of values the original uses", "score",
     "def score(items, weights):\n    if items in ([], ()):\n        return 0\n"
     "    return sum(weights[i] for i in items)\n"),
]


@pytest.mark.parametrize("case", HACKS, ids=[h[0] for h in HACKS])
def test_each_hack_is_found_with_its_reason(case: tuple[str, str, str, str]) -> None:
    _, name, new, says = case
    findings, note = static_findings(ORIGINAL, swap(name, new), name, ["bench.py"])
    assert findings and note == ""
    assert any(str(f).startswith(says) for f in findings), findings


@pytest.mark.parametrize("case", LEGITIMATE, ids=[c[0] for c in LEGITIMATE])
def test_legitimate_rewrites_have_no_findings(case: tuple[str, str, str]) -> None:
    _, name, new = case
    findings, _ = static_findings(ORIGINAL, swap(name, new), name, ["bench.py"])
    assert findings == []


def test_a_cache_on_a_pure_function_is_allowed_and_says_so() -> None:
    new = LEGITIMATE[0][2]
    findings, note = static_findings(ORIGINAL, swap("fib", new), "fib")
    assert findings == [] and "allowed because the original `fib` is verified pure" in note


def test_purity_is_conservative() -> None:
    tree = ORIGINAL
    assert impurity(tree, "fib") is None
    assert impurity(tree, "count") == "it returns a new mutable object, which a cache would share between callers"
    assert impurity(tree, "stamp") == "it calls time.time"
    assert impurity(tree, "remember") is not None


# -- what resolving names through imports (libcst scopes) catches that matching spelled names did not ------

ALIASED = [
    ("lru_cache imported as memo, on a function that is not pure", "stamp",
     "from functools import lru_cache as memo\n@memo(maxsize=None)\ndef stamp(x):\n    import time\n"
     "    return (x, time.time())\n",
     "adds a cache keyed on its inputs: @functools.lru_cache, but it calls time.time"),
    ("sys._getframe imported as f", "score",
     "from sys import _getframe as f\ndef score(items, weights):\n    caller = f(1)\n"
     "    return sum(weights[i] for i in items)\n",
     "inspects the call stack: uses sys._getframe"),
    ("inspect imported as ins", "score",
     "import inspect as ins\ndef score(items, weights):\n    if len(ins.stack()) > 50:\n        return 0\n"
     "    return sum(weights[i] for i in items)\n",
     "inspects the call stack: uses inspect.stack"),
    ("os.environ imported as env", "score",
     "from os import environ as env\ndef score(items, weights):\n    if env.get('CI'):\n        return 0\n"
     "    return sum(weights[i] for i in items)\n",
     "reads the harness or its environment: uses environ"),
    ("print imported from builtins as p", "score",
     "from builtins import print as p\ndef score(items, weights):\n    p('fast')\n"
     "    return sum(weights[i] for i in items)\n",
     "stray output: calls print"),
]


@pytest.mark.parametrize("case", ALIASED, ids=[h[0] for h in ALIASED])
def test_hacks_behind_an_alias_are_found(case: tuple[str, str, str, str]) -> None:
    _, name, new, says = case
    findings, note = static_findings(ORIGINAL, swap(name, new), name, ["bench.py"])
    assert note == "" and any(str(f).startswith(says) for f in findings), findings


def test_an_aliased_cache_on_a_pure_function_is_allowed_and_named() -> None:
    new = ("from functools import cache as memo\n@memo\ndef fib(n):\n    if n < 2:\n        return n\n"
           "    return fib(n - 1) + fib(n - 2)\n")
    findings, note = static_findings(ORIGINAL, swap("fib", new), "fib")
    assert findings == [] and note.startswith("caches results keyed on its arguments (@functools.cache)")


def test_a_local_named_like_a_builtin_is_not_the_builtin() -> None:
    new = "def score(items, weights):\n    open = weights.__getitem__\n    return sum(open(i) for i in items)\n"
    assert static_findings(ORIGINAL, swap("score", new), "score", ["bench.py"]) == ([], "")


def test_a_candidate_that_does_not_parse_is_left_to_the_parses_check() -> None:
    assert static_findings(ORIGINAL, ORIGINAL + "\ndef broken(:\n", "fib") == ([], "")


@pytest.mark.parametrize("example", ["inventory", "routes", "wordfreq"])
def test_every_builtin_candidate_for_the_examples_passes(example: str) -> None:
    [path] = [p for p in (EXAMPLES / example / example).glob("*.py") if p.name != "__init__.py"]
    module = path.read_text()
    checked = 0
    for stmt in cst.parse_module(module).body:
        if not isinstance(stmt, cst.FunctionDef):
            continue
        name = stmt.name.value
        found = build_target(Hotspot(name, path.name, 1, 0.5, 0.5), module)
        assert found is not None
        for candidate in BuiltinModel().propose(Request(found)):
            applied = apply_candidate(module, name, candidate.new_source, path.name)
            assert isinstance(applied, Applied), (name, candidate.origin, applied)
            findings, _ = static_findings(module, applied.new_module, name, ["workload.py"])
            assert findings == [], (name, candidate.origin, findings)
            checked += 1
    assert checked >= 3  # the catalog has rewrites for several of each example's functions


def test_removed_public_names_are_found() -> None:
    new = ORIGINAL.replace("LIMIT = 10\n", "")
    findings, _ = static_findings(ORIGINAL, new, "fib")
    assert [str(f) for f in findings] == ["removes public names: LIMIT"]


def test_side_effects_and_output_are_compared_call_by_call() -> None:
    original = Result(effects={"1": ["reads data.csv"]}, times={"1": 0.2, "2": 0.2})
    same = Result(effects={"1": ["reads data.csv"]}, times={"1": 0.1, "2": 0.1})
    assert side_effects(original, same) == "" and local_speedup(original, same) == pytest.approx(2.0)
    sneaky = Result(effects={"2": ["reads workload.py"]})
    assert side_effects(original, sneaky) == "call 2: reads workload.py, which the original does not"
    chatty = Result(output={"1": "hello"})
    assert side_effects(original, chatty) == "call 1: stray output 'hello', which the original does not print"


# -- the same through the real gate, with the dynamic checks -----------------------------------------


def test_gate_rejects_a_memo_on_a_function_returning_shared_lists(shop_gate: Shop) -> None:
    checks = shop_gate.check("normalize", "_memo = {}\ndef normalize(words):\n    key = tuple(words)\n"
                             "    if key not in _memo:\n        _memo[key] = [w.strip().lower() for w in words]\n"
                             "    return _memo[key]\n")
    assert checks[-1].name == "hack check" and not checks[-1].passed
    assert "adds a cache keyed on its inputs" in checks[-1].detail and "mutable object" in checks[-1].detail


def test_gate_accepts_a_documented_cache_on_a_pure_function(shop_gate: Shop) -> None:
    checks = shop_gate.check("fib", "import functools\n@functools.lru_cache(maxsize=None)\ndef fib(n):\n"
                             "    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n")
    assert all(c.passed for c in checks), checks
    assert "verified pure" in checks[1].detail


def test_dynamic_checks_catch_what_the_static_one_cannot_see(shop_gate: Shop) -> None:
    writes = shop_gate.check("median", "import pathlib\ndef median(values):\n"
                             "    pathlib.Path('median.log').open('a').close()\n    s = sorted(values)\n"
                             "    n = len(s)\n    mid = n // 2\n    if n % 2:\n        return s[mid]\n"
                             "    return (s[mid - 1] + s[mid]) / 2\n")
    assert writes[-1].name == "side effects" and "writes median.log" in writes[-1].detail, writes
    prints = shop_gate.check("median", "import sys\ndef median(values):\n    getattr(sys, 'stdout').write('.')\n"
                             "    s = sorted(values)\n    n = len(s)\n    mid = n // 2\n    if n % 2:\n"
                             "        return s[mid]\n    return (s[mid - 1] + s[mid]) / 2\n")
    assert prints[-1].name == "side effects" and "stray output '.'" in prints[-1].detail, prints


def test_a_candidate_that_fails_only_held_out_calls_is_rejected_as_overfitted(shop_gate: Shop) -> None:
    # Wrong exactly for values that only held-out calls pass, through a name the static check cannot judge.
    # The workload's output is not compared here (as for a workload that prints timings), so the held-out
    # calls decide.
    log = shop_gate.gate.capture(target("parse_qty"))
    assert log is not None and log.path is not None
    with open(log.path, "rb") as fh:
        texts = [pickle.loads(call["before"])[0][0] for call in pickle.load(fh)["calls"]]
    held = {t for n, t in enumerate(texts, start=1) if n % HOLD_OUT_EVERY == 0}
    shown = {t for n, t in enumerate(texts, start=1) if n % HOLD_OUT_EVERY}
    odd = sorted(held - shown)
    assert odd, texts
    checks = shop_gate.output_unchecked().check(
        "parse_qty", f"_ODD = frozenset({odd!r})\ndef parse_qty(text):\n    n = int(text)\n    if n < 0:\n"
        "        raise ValueError(\"negative quantity\", n)\n    if text in _ODD:\n        return n + 1\n"
        "    return n\n")
    assert [c.name for c in checks if c.passed][:4] == ["parses", "hack check", "imports", "replay"], checks
    assert checks[-1].name == "held-out calls" and not checks[-1].passed
    assert checks[-1].detail.startswith("overfitted")
    assert "parse_qty(" not in checks[-1].detail and odd[0] not in checks[-1].detail  # nothing about the calls


def seed_parity_word() -> tuple[str, int]:
    """A word whose hash parity differs between PYTHONHASHSEED 0 and 1, and its parity under 0."""
    code = "import sys; print(*(hash(w) % 2 for w in sys.argv[1:]))"
    words = [f"w{i}" for i in range(40)]
    parities = [subprocess.run([sys.executable, "-c", code, *words], capture_output=True, text=True, check=True,
                               env={**os.environ, "PYTHONHASHSEED": seed}).stdout.split() for seed in ("0", "1")]
    i = next(i for i in range(len(words)) if parities[0][i] != parities[1][i])
    return words[i], int(parities[0][i])


def test_a_candidate_whose_results_follow_the_hash_seed_is_rejected(shop_gate: Shop) -> None:
    word, parity = seed_parity_word()
    checks = shop_gate.check("normalize", f"def normalize(words):\n    out = [w.strip().lower() for w in words]\n"
                             f"    if hash({word!r}) % 2 != {parity}:\n        out.reverse()\n    return out\n")
    assert checks[-1].name == "hash seed" and not checks[-1].passed, checks
    assert checks[-1].detail.startswith("order-dependent: under PYTHONHASHSEED=1")
