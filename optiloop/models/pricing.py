"""What model calls cost: a price table shipped with optiloop, extended or overridden by a file.

Prices are US dollars per million tokens, keyed by model spec (``openai:gpt-4o``); a key that ends in
``*`` matches every spec it is a prefix of, the longest such key winning. ``OPTILOOP_PRICES=FILE``
(JSON or TOML of the same shape) is read over the shipped table.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optiloop.errors import BadInput

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

SHIPPED = Path(__file__).with_name("prices.json")
ENV = "OPTILOOP_PRICES"


@dataclass(frozen=True)
class Price:
    input: float  # dollars per million input tokens
    output: float

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input + output_tokens * self.output) / 1_000_000


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except OSError as exc:
        raise BadInput(f"cannot read the price table {path}: {exc.strerror}", f"fix or unset {ENV}") from None
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise BadInput(f"the price table {path} is not valid: {exc}", f"fix or unset {ENV}") from None
    if not isinstance(data, dict):
        raise BadInput(f"the price table {path} must map model specs to prices", f"fix or unset {ENV}")
    return data


def load_prices(environ: Mapping[str, str]) -> dict[str, Price]:
    table = _read(SHIPPED)
    override = environ.get(ENV)
    if override:
        table.update(_read(Path(override)))
    prices = {}
    for key, value in table.items():
        if key.startswith("_"):
            continue
        try:
            prices[key] = Price(float(value["input"]), float(value["output"]))
        except (TypeError, KeyError, ValueError):
            raise BadInput(f"price table entry '{key}' needs numeric 'input' and 'output' (dollars per "
                           "million tokens)", f"fix the table named by {ENV}") from None
    return prices


def price_of(spec: str, prices: Mapping[str, Price]) -> Price | None:
    if spec in prices:
        return prices[spec]
    matches = [k for k in prices if k.endswith("*") and spec.startswith(k[:-1])]
    return prices[max(matches, key=len)] if matches else None
