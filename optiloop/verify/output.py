"""Comparing the workload's output with the baseline's."""

from __future__ import annotations


def first_difference(expected: str, got: str) -> str:
    """Where two outputs first differ, in one line a model can act on."""
    exp, act = expected.splitlines(), got.splitlines()
    for n, (a, b) in enumerate(zip(exp, act, strict=False), start=1):
        if a != b:
            return f"line {n}: expected {a[:120]!r}, got {b[:120]!r}"
    n = min(len(exp), len(act)) + 1
    if len(exp) > len(act):
        return f"line {n}: expected {exp[n - 1][:120]!r}, got end of output"
    return f"line {n}: expected end of output, got {act[n - 1][:120]!r}"
