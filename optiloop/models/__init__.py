"""Models behind one interface, chosen by a spec string.

``builtin``, ``scripted:PATH``, ``openai:MODEL``, ``anthropic:MODEL``, ``openai-compatible:MODEL`` (with
``--base-url``), and any ``NAME:ARG`` a package registers in the entry-point group ``optiloop.models``
(a factory called as ``factory(arg, options)`` that returns a ``Model``; see docs/models.md). A provider
that fails to load or to start is named in the one-line error, never a traceback.

Keys are read from the environment only (``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY`` or ``--api-key-env``)
and handed to the SDK client; nothing else keeps them. ``OPTILOOP_REQUEST_TIMEOUT`` (seconds, default 120)
bounds each request; ``OPTILOOP_PRICES=FILE`` extends the price table (``pricing.py``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optiloop.config import Settings
from optiloop.errors import BadInput, OptiloopError
from optiloop.models.base import Feedback, Metered, Model, Refine, Repair, Request, Spend
from optiloop.plugins import describe, failure, registered

__all__ = ["Feedback", "Metered", "Model", "ModelOptions", "Refine", "Repair", "Request", "Spend", "resolve"]

KNOWN = "builtin, scripted:PATH, openai:MODEL, anthropic:MODEL, openai-compatible:MODEL --base-url URL"
ENTRY_POINT_GROUP = "optiloop.models"
NO_KEY = "not-needed"  # what a local OpenAI-compatible server is sent when no key is set


@dataclass(frozen=True)
class ModelOptions:
    """What the settings say about models; ``environ`` is where keys are read (never stored elsewhere)."""

    prompts: str | None = None
    api_key_env: str | None = None
    base_url: str | None = None
    cache: bool = True
    max_cost: float | None = None
    request_timeout: float = 120.0
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ), repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, environ: Mapping[str, str] | None = None) -> ModelOptions:
        env = dict(os.environ if environ is None else environ)
        timeout = env.get("OPTILOOP_REQUEST_TIMEOUT")
        try:
            request_timeout = float(timeout) if timeout else 120.0
        except ValueError:
            raise BadInput(f"OPTILOOP_REQUEST_TIMEOUT={timeout} is not a number of seconds", "fix it") from None
        return cls(settings.prompts, settings.api_key_env, settings.base_url, settings.cache, settings.max_cost,
                   request_timeout, env)


def _key(options: ModelOptions, default_env: str, spec: str, required: bool) -> str | None:
    name = options.api_key_env or default_env
    value = options.environ.get(name, "").strip()
    if value or not required:
        return value or None
    fix = f"set {name}" if options.api_key_env else f"set {default_env} (or name another variable with --api-key-env)"
    raise BadInput(f"No key found for {spec}", f"{fix}, or pass --model builtin")


def _chat_model(kind: str, name: str, spec: str, base_dir: Path, options: ModelOptions) -> Model:
    from optiloop.models.cache import ReplyCache
    from optiloop.models.chat import ChatModel
    from optiloop.models.pricing import load_prices, price_of
    from optiloop.models.providers import AnthropicChat, OpenAIChat, Transport

    transport: Transport
    if kind == "anthropic":
        key = _key(options, "ANTHROPIC_API_KEY", spec, True)
        assert key is not None
        hint = f"check {options.api_key_env or 'ANTHROPIC_API_KEY'}, or pass --model builtin"
        transport = AnthropicChat(name, key, options.base_url, options.request_timeout, hint)
    else:
        compatible = kind == "openai-compatible"
        if compatible and not options.base_url:
            raise BadInput(f"{spec} needs the server's address", "pass --base-url http://HOST:PORT/v1")
        key = _key(options, "OPENAI_API_KEY", spec, not compatible)
        hint = f"check {options.api_key_env or 'OPENAI_API_KEY'}, or pass --model builtin"
        transport = OpenAIChat(name, key or NO_KEY, options.base_url, options.request_timeout, hint)
    price = price_of(spec, load_prices(options.environ))
    if options.max_cost is not None and price is None:
        raise BadInput(f"--max-cost is set but no price is known for {spec}",
                       "add it to a price table named by OPTILOOP_PRICES=FILE, or drop --max-cost")
    cache = ReplyCache.default(options.environ) if options.cache else None
    return ChatModel(spec, transport, _prompts(options, base_dir), price, cache)


def _prompts(options: ModelOptions, base_dir: Path) -> Any:
    from optiloop.prompts import Prompts

    if not options.prompts:
        return Prompts()
    path = Path(options.prompts)
    return Prompts(path if path.is_absolute() else base_dir / path)


def _plugin(kind: str, arg: str, options: ModelOptions) -> Model | None:
    """The model of the provider registered as ``kind``; a provider that breaks is bad input, named."""
    for ep in registered(ENTRY_POINT_GROUP):
        if ep.name != kind:
            continue
        try:
            factory = ep.load()
        except Exception as exc:
            raise BadInput(f"model provider {describe(ep)} failed to load ({failure(exc)})",
                           "fix or reinstall the package that provides it, or pass another --model") from None
        try:
            model: Model = factory(arg, options)
        except OptiloopError:
            raise
        except Exception as exc:
            raise BadInput(f"model provider {describe(ep)} could not make a model for '{kind}:{arg}' "
                           f"({failure(exc)})", "check the provider's settings, or pass another --model") from None
        return model
    return None


def _installed_providers() -> str:
    names = sorted({ep.name for ep in registered(ENTRY_POINT_GROUP)})
    return f" (installed: {', '.join(names)})" if names else ""


def resolve(spec: str | None, base_dir: Path, options: ModelOptions | None = None) -> tuple[Model, str]:
    """The model for ``spec``, and a note for the user when the choice was made for them."""
    opts = options or ModelOptions()
    if spec is None or spec.strip() == "":
        from optiloop.models.builtin import BuiltinModel

        return BuiltinModel(), "no --model given: using the offline builtin model (no key needed)"
    kind, _, arg = spec.strip().partition(":")
    if kind == "builtin" and not arg:
        from optiloop.models.builtin import BuiltinModel

        return BuiltinModel(), ""
    if kind == "scripted" and arg:
        from optiloop.models.scripted import ScriptedModel

        path = Path(arg) if Path(arg).is_absolute() else base_dir / arg
        return ScriptedModel(path, _prompts(opts, base_dir)), ""
    if kind in ("openai", "anthropic", "openai-compatible") and arg:
        return _chat_model(kind, arg, spec.strip(), base_dir, opts), ""
    plugin = _plugin(kind, arg, opts) if kind else None
    if plugin is not None:
        return plugin, ""
    raise BadInput(f"unknown model '{spec}'", f"use one of: {KNOWN}, or a provider registered under the "
                   f"'{ENTRY_POINT_GROUP}' entry point group{_installed_providers()}")
