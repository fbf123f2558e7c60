"""Prices, the reply cache's location, and providers registered through entry points."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optiloop.errors import BadInput
from optiloop.models import ModelOptions, Request, resolve
from optiloop.models.cache import Completion, ReplyCache, cache_dir
from optiloop.models.pricing import Price, load_prices, price_of
from tests.conftest import plugin_package


def test_shipped_prices_and_prefix_matches() -> None:
    prices = load_prices({})
    assert price_of("openai:gpt-4o", prices) == Price(2.5, 10.0)
    assert price_of("anthropic:claude-sonnet-4-5-20250929", prices) == Price(3.0, 15.0)
    assert price_of("openai-compatible:llama3", prices) == Price(0.0, 0.0)
    assert price_of("openai:unknown", prices) is None
    assert Price(2.5, 10.0).cost(1_000, 500) == pytest.approx(0.0075)


def test_a_price_file_overrides_and_extends(tmp_path: Path) -> None:
    (tmp_path / "p.toml").write_text('"openai:gpt-4o" = {input = 1.0, output = 2.0}\n'
                                     '"openai:mine" = {input = 5, output = 6}\n')
    prices = load_prices({"OPTILOOP_PRICES": str(tmp_path / "p.toml")})
    assert price_of("openai:gpt-4o", prices) == Price(1.0, 2.0) and price_of("openai:mine", prices) == Price(5, 6)
    (tmp_path / "bad.json").write_text(json.dumps({"openai:x": {"input": "a lot"}}))
    with pytest.raises(BadInput, match="needs numeric 'input' and 'output'"):
        load_prices({"OPTILOOP_PRICES": str(tmp_path / "bad.json")})
    with pytest.raises(BadInput, match="cannot read the price table"):
        load_prices({"OPTILOOP_PRICES": str(tmp_path / "missing.json")})


def test_cache_location_and_round_trip(tmp_path: Path) -> None:
    assert cache_dir({"XDG_CACHE_HOME": "/x"}) == Path("/x/optiloop")
    assert cache_dir({"HOME": "/home/u"}) == Path("/home/u/.cache/optiloop")
    cache = ReplyCache.default({"XDG_CACHE_HOME": str(tmp_path)})
    assert cache.get("k") is None
    cache.put("k", Completion("text", 3, 4))
    assert ReplyCache.default({"XDG_CACHE_HOME": str(tmp_path)}).get("k") == Completion("text", 3, 4)


PLUGIN = '''
from optiloop.types import Candidate


class Echo:
    def __init__(self, arg, options):
        self.name = "echo:" + arg
        self.base_url = options.base_url

    def propose(self, request):
        return [Candidate(request.target, request.target.source, "same", self.name)]


def factory(arg, options):
    return Echo(arg, options)
'''


def test_a_provider_registered_by_entry_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "echo_provider.py").write_text(PLUGIN)
    dist = tmp_path / "echo_provider-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: echo-provider\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[optiloop.models]\necho = echo_provider:factory\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    model, note = resolve("echo:v2", tmp_path, ModelOptions(base_url="http://h/v1", environ={}))
    assert model.name == "echo:v2" and note == "" and vars(model)["base_url"] == "http://h/v1"
    from optiloop.targets import build_target
    from optiloop.types import Hotspot

    t = build_target(Hotspot("f", "m.py", 1, 0.5, 0.5), "def f():\n    return 1\n")
    assert t is not None and model.propose(Request(t))[0].origin == "echo:v2"
    with pytest.raises(BadInput, match="unknown model 'nope:x'.*entry point group"):
        resolve("nope:x", tmp_path, ModelOptions(environ={}))


BROKEN = '''
from optiloop.errors import BadInput


def crash(arg, options):
    raise ValueError("no such size: " + arg)


def refuse(arg, options):
    raise BadInput("the server at " + arg + " is down", "start it")
'''


def test_a_provider_that_breaks_is_named_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry_points = ("[optiloop.models]\ngone = gone_provider:factory\ncrashy = broken_provider:crash\n"
                    "refusing = broken_provider:refuse\n")
    monkeypatch.syspath_prepend(str(plugin_package(tmp_path, "broken-provider", entry_points,
                                                   {"broken_provider.py": BROKEN})))
    options = ModelOptions(environ={})
    with pytest.raises(BadInput) as failed:
        resolve("gone:x", tmp_path, options)
    assert str(failed.value) == (
        "model provider 'gone = gone_provider:factory' (broken-provider 1.0) failed to load (ModuleNotFoundError: "
        "No module named 'gone_provider') — fix or reinstall the package that provides it, or pass another --model")
    with pytest.raises(BadInput) as failed:
        resolve("crashy:huge", tmp_path, options)
    assert str(failed.value) == (
        "model provider 'crashy = broken_provider:crash' (broken-provider 1.0) could not make a model for "
        "'crashy:huge' (ValueError: no such size: huge) — check the provider's settings, or pass another --model")
    with pytest.raises(BadInput, match=r"^the server at h:1 is down — start it$"):  # its own error, as it said it
        resolve("refusing:h:1", tmp_path, options)
    with pytest.raises(BadInput, match=r"unknown model 'nope:x'.*\(installed: crashy, gone, refusing\)$"):
        resolve("nope:x", tmp_path, options)
