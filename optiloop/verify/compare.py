"""The comparison rules of replay (standard library only: this runs in the user's interpreter).

``difference(expected, got)`` is None when the two values count as the same, else a one-line
description of the first difference, with the path to it (``result[2]['b'].total``). The rules:

- **Types are strict**, recursively: ``type(expected) is type(got)``. A float is not a Decimal or an
  int, a list is not a tuple, a dict is not an OrderedDict, True is not 1.
- **float** (and complex parts): equal within a relative tolerance of ``REL_TOL`` (1e-9); NaN equals
  NaN; infinities must match exactly.
- **Decimal**: equal by value and by exponent (``1.0`` and ``1.00`` print differently); NaN equals NaN.
- **list, tuple** (and named tuples): same length, elements equal in order.
- **dict**: the same keys (order is irrelevant, except for OrderedDict), values equal per key.
- **set, frozenset**: equal by value (elements are compared with ``==``).
- **numpy** arrays: same dtype and shape, and ``numpy.array_equal(..., equal_nan=True)`` or, for
  inexact dtypes, ``numpy.allclose(rtol=REL_TOL, atol=0, equal_nan=True)``; numpy scalars by value.
- **pandas** Series, DataFrame, Index: ``pandas.testing.assert_*_equal`` with ``rtol=REL_TOL``.
  Both only when numpy or pandas is already imported by the values' own module.
- **Exceptions** (as values): same type, ``args`` equal by these rules.
- Classes, functions and modules: ``==`` (identity).
- **Other objects**: if the class defines its own ``__eq__``, that decides; otherwise their
  attributes (``__dict__`` and ``__slots__``) are compared by these rules.
- Strings, bytes, ints, bools, None, Fractions and everything else: ``==``.
"""

from __future__ import annotations

import decimal
import math
import reprlib
import sys
import types
from collections import OrderedDict
from typing import Any

REL_TOL = 1e-9
MAX_DEPTH = 60
_BY_IDENTITY = (type, types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.ModuleType)

_short = reprlib.Repr()
_short.maxlist = _short.maxtuple = _short.maxset = _short.maxfrozenset = _short.maxdeque = 6
_short.maxdict = 5
_short.maxstring = 60
_short.maxother = 80
_short.maxlevel = 4


def short(value: Any) -> str:
    """A compact repr, for messages that go back to a model."""
    try:
        text = _short.repr(value)
    except Exception:
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= 200 else text[:197] + "..."


def type_name(value: Any) -> str:
    kind = type(value)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def difference(expected: Any, got: Any, path: str = "value") -> str | None:
    """None when ``got`` counts as equal to ``expected``, else where and how they first differ."""
    return _diff(expected, got, path, 0, set())


def _floats_equal(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=0.0)


def _plain(expected: Any, got: Any, path: str) -> str:
    return f"{path}: expected {short(expected)}, got {short(got)}"


def _diff(expected: Any, got: Any, path: str, depth: int, seen: set[tuple[int, int]]) -> str | None:
    if expected is got and not isinstance(expected, float):
        return None
    if type(expected) is not type(got):
        return (f"{path}: expected {type_name(expected)} {short(expected)}, "
                f"got {type_name(got)} {short(got)}")
    if depth > MAX_DEPTH:
        return None if _safe_eq(expected, got) else _plain(expected, got, path)
    pair = (id(expected), id(got))
    if pair in seen:  # a cycle: already being compared further up
        return None
    kind = type(expected)
    if kind is float:
        return None if _floats_equal(expected, got) else _plain(expected, got, path)
    if kind is complex:
        same = _floats_equal(expected.real, got.real) and _floats_equal(expected.imag, got.imag)
        return None if same else _plain(expected, got, path)
    if kind is decimal.Decimal:
        if expected.is_nan() and got.is_nan():
            return None
        return None if str(expected) == str(got) else _plain(expected, got, path)
    if kind in (int, bool, str, bytes, bytearray, type(None)):
        return None if expected == got else _plain(expected, got, path)
    handled, special = _library_diff(expected, got, path)
    if handled:
        return special
    seen = seen | {pair}
    if isinstance(expected, (list, tuple)):
        for i, (a, b) in enumerate(zip(expected, got)):
            found = _diff(a, b, f"{path}[{i}]", depth + 1, seen)
            if found:
                return found
        if len(expected) != len(got):
            return f"{path}: expected {len(expected)} items, got {len(got)}: {short(got)}"
        return _attrs_diff(expected, got, path, depth, seen) if hasattr(expected, "__dict__") else None
    if isinstance(expected, dict):
        return _dict_diff(expected, got, path, depth, seen)
    if isinstance(expected, (set, frozenset)):
        if expected == got:
            return None
        missing, extra = expected - got, got - expected
        return f"{path}: missing {short(missing)}, unexpected {short(extra)}"
    if isinstance(expected, BaseException):
        return _diff(expected.args, got.args, f"{path}.args", depth + 1, seen)
    if isinstance(expected, _BY_IDENTITY):
        return None if _safe_eq(expected, got) else _plain(expected, got, path)
    if getattr(kind, "__eq__", object.__eq__) is not object.__eq__:
        return None if _safe_eq(expected, got) else _plain(expected, got, path)
    return _attrs_diff(expected, got, path, depth, seen)


def _dict_diff(expected: dict[Any, Any], got: dict[Any, Any], path: str, depth: int,
               seen: set[tuple[int, int]]) -> str | None:
    missing = [k for k in expected if k not in got]
    if missing:
        return f"{path}: key {short(missing[0])} missing (got keys {short(list(got))})"
    extra = [k for k in got if k not in expected]
    if extra:
        return f"{path}: unexpected key {short(extra[0])}"
    if isinstance(expected, OrderedDict) and list(expected) != list(got):
        return f"{path}: key order differs: expected {short(list(expected))}, got {short(list(got))}"
    for key, value in expected.items():
        found = _diff(value, got[key], f"{path}[{short(key)}]", depth + 1, seen)
        if found:
            return found
    return None


def _attrs_diff(expected: Any, got: Any, path: str, depth: int, seen: set[tuple[int, int]]) -> str | None:
    a, b = _state(expected), _state(got)
    if a is None or b is None:
        return None if _safe_eq(expected, got) else _plain(expected, got, path)
    for name in sorted(set(a) | set(b)):
        if name not in b:
            return f"{path}.{name}: expected {short(a[name])}, got no such attribute"
        if name not in a:
            return f"{path}.{name}: unexpected attribute, value {short(b[name])}"
        found = _diff(a[name], b[name], f"{path}.{name}", depth + 1, seen)
        if found:
            return found
    return None


def _state(obj: Any) -> dict[str, Any] | None:
    """An object's attributes: ``__dict__`` plus filled ``__slots__``; None when it has neither."""
    out: dict[str, Any] = {}
    has = False
    if hasattr(obj, "__dict__"):
        try:
            out.update(vars(obj))
            has = True
        except TypeError:
            pass
    for klass in type(obj).__mro__:
        slots = klass.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if name in ("__dict__", "__weakref__"):
                continue
            has = True
            if hasattr(obj, name):
                out[name] = getattr(obj, name)
    return out if has else None


def _safe_eq(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:
        return False


def _library_diff(expected: Any, got: Any, path: str) -> tuple[bool, str | None]:
    """numpy and pandas values through their own helpers: (handled, difference)."""
    module = type(expected).__module__.split(".")[0]
    if module == "numpy" and "numpy" in sys.modules:
        np: Any = sys.modules["numpy"]
        if isinstance(expected, np.ndarray):
            if expected.dtype != got.dtype or expected.shape != got.shape:
                return True, (f"{path}: expected array of {expected.dtype} {expected.shape}, "
                              f"got {got.dtype} {got.shape}")
            try:
                if np.issubdtype(expected.dtype, np.inexact):
                    same = bool(np.allclose(expected, got, rtol=REL_TOL, atol=0.0, equal_nan=True))
                else:
                    same = bool(np.array_equal(expected, got))
            except TypeError:
                same = bool(np.array_equal(expected, got))
            return True, (None if same else _plain(expected, got, path))
        if isinstance(expected, np.generic):
            if isinstance(expected, np.inexact) and not isinstance(expected, np.complexfloating):
                return True, (None if _floats_equal(float(expected), float(got)) else _plain(expected, got, path))
            return True, (None if _safe_eq(expected, got) else _plain(expected, got, path))
        return False, None
    if module == "pandas" and "pandas" in sys.modules:
        pd: Any = sys.modules["pandas"]
        checks = ((pd.DataFrame, pd.testing.assert_frame_equal), (pd.Series, pd.testing.assert_series_equal),
                  (pd.Index, pd.testing.assert_index_equal))
        for kind, check in checks:
            if isinstance(expected, kind):
                try:
                    check(expected, got, check_exact=False, rtol=REL_TOL)
                except AssertionError as exc:
                    first = str(exc).strip().splitlines()[0] if str(exc).strip() else "differs"
                    return True, f"{path}: {first}"
                return True, None
        return False, None
    return False, None
