"""Parsing and tab completion of the session's commands."""

from __future__ import annotations

import pytest

from optiloop.session.commands import COMMANDS, Completer, Parsed, UnknownCommand, parse


def test_commands_parse_with_arguments_aliases_and_unique_prefixes() -> None:
    assert parse("   ") is None
    assert parse("pick 2") == Parsed("pick", "2")
    assert parse("hint  use a set  ") == Parsed("hint", "use a set")
    assert parse("q") == Parsed("quit", "")
    assert parse("ACCEPT") == Parsed("accept", "")
    assert parse("und") == Parsed("undo", "")


@pytest.mark.parametrize(("line", "message"), [("frobnicate", "type `help`"), ("re", "reject or retry")])
def test_unknown_or_ambiguous_commands_say_what_to_do(line: str, message: str) -> None:
    with pytest.raises(UnknownCommand, match=message):
        parse(line)


def test_completion_offers_commands_then_target_numbers_and_names() -> None:
    buffer = ""
    complete = Completer(lambda: ["1", "2", "pkg.core.dedupe", "pkg.core.total"], lambda: buffer)
    assert complete("", 0) is not None
    assert [complete("", i) for i in range(len(COMMANDS) + 1)][-1] is None
    buffer = "he"
    assert complete("he", 0) == "help " and complete("he", 1) is None
    buffer = "pick pkg.core.t"
    assert complete("pkg.core.t", 0) == "pkg.core.total" and complete("pkg.core.t", 1) is None
    buffer = "pick "
    assert [complete("", i) for i in range(5)] == ["1", "2", "pkg.core.dedupe", "pkg.core.total", None]
    buffer = "hint "
    assert complete("", 0) is None
