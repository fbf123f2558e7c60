import json
from pathlib import Path

import pytest

from optiloop.edit import apply_candidate
from optiloop.errors import BadInput
from optiloop.models import Feedback, Request, resolve
from optiloop.models.builtin import BuiltinModel
from optiloop.models.scripted import ScriptedModel
from optiloop.targets import build_target
from optiloop.types import Applied, Hotspot

ROUTES = Path(__file__).resolve().parents[2] / "examples" / "routes" / "routes" / "grid.py"


def target(qualname: str, module: str, path: str = "m.py"):  # type: ignore[no-untyped-def]
    t = build_target(Hotspot(qualname, path, 1, 0.5, 0.5, ((2, 0.4),)), module)
    assert t is not None
    return t


def test_resolve_specs(tmp_path: Path) -> None:
    model, note = resolve(None, tmp_path)
    assert model.name == "builtin" and "builtin" in note
    assert resolve("builtin", tmp_path)[1] == ""
    (tmp_path / "r.json").write_text("[]")
    assert resolve("scripted:r.json", tmp_path)[0].name == "scripted:r.json"
    with pytest.raises(BadInput, match="unknown model 'nope'"):
        resolve("nope", tmp_path)
    with pytest.raises(BadInput, match="cannot read"):
        resolve("scripted:missing.json", tmp_path)


def test_builtin_combines_rules_first_then_each_alone() -> None:
    module = ROUTES.read_text()
    candidates = BuiltinModel().propose(Request(target("reachable", module, "routes/grid.py")))
    origins = [c.origin for c in candidates]
    # all matching rules chained come first (tests/models/test_builtin.py covers the ordering in full)
    assert {"dedupe-list-to-set", "queue-pop0-to-deque"} <= set(origins[0].removeprefix("builtin:").split("+"))
    assert {"builtin:dedupe-list-to-set", "builtin:queue-pop0-to-deque"} <= set(origins[1:])
    for c in candidates:
        assert isinstance(apply_candidate(module, "reachable", c.new_source, "routes/grid.py"), Applied)
    assert "dedupe-list-to-set: " in candidates[0].rationale.splitlines()[0]


def test_builtin_behaviour_is_kept_on_the_example() -> None:
    module = ROUTES.read_text()
    best = BuiltinModel().propose(Request(target("reachable", module, "routes/grid.py")))[0]
    edited = apply_candidate(module, "reachable", best.new_source, "routes/grid.py")
    assert isinstance(edited, Applied)
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    exec(compile(module, "before", "exec"), before)
    exec(compile(edited.new_module, "after", "exec"), after)
    graph = before["make_grid"](12, 9, {(3, y) for y in range(8)})  # type: ignore[operator]
    assert before["reachable"](graph, (0, 0)) == after["reachable"](graph, (0, 0))  # type: ignore[operator]


def test_builtin_has_nothing_for_clean_code() -> None:
    assert BuiltinModel().propose(Request(target("f", "def f(x):\n    return x + 1\n"))) == []


def test_scripted_replies_in_order_and_prompts_carry_history(tmp_path: Path) -> None:
    path = tmp_path / "replies.json"
    path.write_text(json.dumps([
        "no code here",
        {"reply": "Faster.\n```python\ndef g():\n    return 2\n```", "target": "g"},
        "Use min.\n```python\ndef f(xs):\n    return min(xs)\n```",
    ]))
    model = ScriptedModel(path)
    module = "def f(xs):\n    return sorted(xs)[0]\n"
    history = (Feedback("earlier", "tried sorting", "slower: 0.80x"),)
    got = model.propose(Request(target("f", module), history, hint="xs is never empty"))
    assert [c.rationale for c in got] == ["Use min."]
    assert model.problems == ["the reply has no fenced ```python block; put the new definition in one"]
    prompt = model.prompts[0]
    assert "`f` in `m.py`" in prompt and "slower: 0.80x" in prompt and "xs is never empty" in prompt
    assert "return sorted(xs)[0]  # 40%" in prompt
    assert model.propose(Request(target("f", module))) == []  # g's reply is kept for g
    assert [c.origin for c in model.propose(Request(target("g", "def g():\n    return 1\n")))] == [
        "scripted:replies.json"]
