"""Shortcuts for the edit tests: apply a candidate and insist on the kind of result."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from optiloop.edit import apply_candidate
from optiloop.types import Applied, Rejected

Apply = Callable[[str, str, str], str]


@pytest.fixture
def applied() -> Apply:
    """The new module text; fails the test if the candidate is rejected."""

    def run(module: str, qualname: str, new_source: str) -> str:
        result = apply_candidate(module, qualname, new_source)
        assert isinstance(result, Applied), result
        return result.new_module

    return run


@pytest.fixture
def rejected() -> Apply:
    """The rejection reason; fails the test if the candidate applies."""

    def run(module: str, qualname: str, new_source: str) -> str:
        result = apply_candidate(module, qualname, new_source)
        assert isinstance(result, Rejected), result
        assert "\n" not in result.reason
        return result.reason

    return run
