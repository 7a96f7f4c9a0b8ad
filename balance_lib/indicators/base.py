"""What every rule of the indicator package shares: statuses, three-valued logic, the exact
comparison with a threshold, and the tables of rules (by indicator id) and kinds.

Statuses
--------
An item is ``met`` only when every part of it is known to be met, ``not_met`` when any part is
known to fail, and ``not_assessed`` otherwise (three-valued "and": a known failure outweighs a
missing part). A missing table or column, an empty value or a division by zero never makes an
item ``met``.

Comparing with a threshold
--------------------------
Values are compared unrounded (unless a rounding setting says otherwise) with a relative
tolerance :data:`RTOL` of 1e-9: a value within a billionth of its threshold *is* the threshold.
9 PE and art teachers for 1,000 pupils are 0.9 per 100 and meet B3 although ``9 / 1000 * 100``
is 0.8999999999999999 in floating point; 18 / 2,000 and 27 / 3,000 likewise. The tolerance is
far below any difference the statistics can express (one pupil in a county of a million is
1e-6) and far above the rounding error of the arithmetic (about 1e-16), so it changes no
comparison but those that are exact in decimal. The same :func:`compare` serves every
threshold, 85 % floor and CV limit (``ge``: value ≥ threshold; ``le``: ≤; ``lt``: strictly <,
so a value at the threshold does *not* meet an ``lt`` rule).

>>> bool(compare(9 / 1000 * 100, 0.9, "ge")[0])
True
>>> bool(compare(0.15, 0.15, "lt")[0]), bool(compare(0.1499, 0.15, "lt")[0])
(False, True)

Rules and kinds
---------------
A rule turns the tables into rows for one indicator. The registry (``indicators.yaml``) names a
``kind`` for every indicator: the generic kinds (``unit_ratio``, ``school_ratio``,
``county_ratio``, ``judgement``) are implemented once, for any indicator that declares them
(so a province adds one of them with a YAML entry and no code); indicators whose rule needs
code are registered by id with :func:`rule` (``school_check`` and ``county_check`` kinds), the
way papermill registers engines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

KEY = ["county_id", "year"]
SCHOOL_KEY = ["county_id", "year", "school_id"]
CLASS_KEY = ["county_id", "year", "school_id", "level"]
MET, NOT_MET, NOT_ASSESSED = "met", "not_met", "not_assessed"
TRIGGERED, NOT_TRIGGERED, DISABLED = "triggered", "not_triggered", "disabled"
STATUSES = (MET, NOT_MET, NOT_ASSESSED)

#: Relative tolerance of every comparison with a threshold, floor or limit (module notes).
RTOL = 1e-9

#: Directions of the registry: value ≥ threshold, ≤ threshold, < threshold, or a judgement.
DIRECTIONS = ("ge", "le", "lt", "bool")

#: School types in the scope of B10 and B11 (小学、初中、一贯制、完全中学).
REGULAR_TYPES = ("primary", "junior", "nine_year", "twelve_year", "complete_secondary")
THROUGH_TYPES = ("nine_year", "twelve_year")


# ---------------------------------------------------------------------------------------------
# comparisons


def compare(value: Any, threshold: Any, direction: str) -> pd.arrays.BooleanArray:
    """``value direction threshold`` with the tolerance :data:`RTOL`; NA where either is NaN.

    >>> compare([0.8999999999999999, 0.89], 0.9, "ge").tolist()
    [True, False]
    >>> compare([2000.0000000001, float("nan")], 2000, "le").tolist()
    [True, <NA>]
    """
    v, t = _arrays(value, threshold)
    return tri(_compared(v, t, direction), np.isnan(v) | np.isnan(t))


def meets(value: Any, threshold: Any, direction: str) -> np.ndarray:
    """:func:`compare` as plain booleans (NaN → False), for the arrays of the B1–B7 engine."""
    return _compared(*_arrays(value, threshold), direction)


def _arrays(value: Any, threshold: Any) -> tuple[np.ndarray, np.ndarray]:
    v = np.atleast_1d(np.asarray(value, dtype=float))
    return v, np.broadcast_to(np.asarray(threshold, dtype=float), v.shape)


def _compared(v: np.ndarray, t: np.ndarray, direction: str) -> np.ndarray:
    """``v direction t`` with the tolerance :data:`RTOL` (False where either is NaN)."""
    tol = RTOL * np.abs(t)
    with np.errstate(invalid="ignore"):
        if direction == "ge":
            return v >= t - tol
        if direction == "le":
            return v <= t + tol
        if direction == "lt":
            return v < t - tol
    raise ValueError(f"cannot compare with direction {direction!r}")


def distance(value: Any, threshold: Any, direction: str) -> Any:
    """How far ``value`` is on the wrong side of ``threshold`` (negative on the right side):
    ``ge``: threshold − value; ``le``/``lt``: value − threshold. The one place, with
    :func:`compare`, that reads a direction.

    >>> float(distance(3.0, 4.5, "ge")), float(distance(2100, 2000, "le"))
    (1.5, 100.0)
    """
    v = np.asarray(value, dtype=float)
    t = np.asarray(threshold, dtype=float)
    return t - v if direction == "ge" else v - t


# ---------------------------------------------------------------------------------------------
# three-valued logic


def tri(values: Any, unknown: Any) -> pd.arrays.BooleanArray:
    """A nullable boolean array: ``values`` where known, NA where ``unknown``."""
    v = np.atleast_1d(np.asarray(values, dtype=bool))
    m = np.broadcast_to(np.asarray(unknown, dtype=bool), v.shape)
    return pd.arrays.BooleanArray(v & ~m, m.copy())


def true(b: Any) -> np.ndarray:
    """Known to be true (NA → False)."""
    return pd.array(b, dtype="boolean").fillna(False).to_numpy(dtype=bool)


def false(b: Any) -> np.ndarray:
    """Known to be false (NA → False)."""
    return (~pd.array(b, dtype="boolean")).fillna(False).to_numpy(dtype=bool)


def status_of(met: Any) -> np.ndarray:
    """met / not_met / not_assessed from a nullable boolean."""
    return np.select([true(met), false(met)], [MET, NOT_MET], NOT_ASSESSED).astype(object)


def all_of(parts: list[pd.arrays.BooleanArray]) -> pd.arrays.BooleanArray:
    """Three-valued AND of equally long nullable booleans (False beats NA beats True)."""
    met = parts[0]
    for p in parts[1:]:
        met = met & p
    return met


# ---------------------------------------------------------------------------------------------
# frames


def with_county(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    if "county_id" not in frame:
        frame = frame.assign(county_id="")
    return frame


def num(frame: pd.DataFrame | None, column: str) -> np.ndarray:
    """Column as float64; NaN where empty or when the column (or the frame) is absent."""
    if frame is None:
        return np.array([], dtype=float)
    if column not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)


def sum_known(*arrays: np.ndarray) -> np.ndarray:
    """Element-wise sum treating NaN as 0, NaN only where every term is NaN."""
    stack = np.vstack(arrays)
    out = np.nansum(stack, axis=0)
    out[np.isnan(stack).all(axis=0)] = np.nan
    return out


def text(frame: pd.DataFrame, column: str) -> pd.Series:
    """Column as text ("" where empty or absent)."""
    if column not in frame:
        return pd.Series([""] * len(frame), index=frame.index, dtype=object)
    return frame[column].astype(object).where(frame[column].notna(), "").astype(str)


def school_names(frame: pd.DataFrame) -> pd.Series:
    """The school's name, or its id where the name is empty."""
    ids = frame["school_id"].astype(str).to_numpy(dtype=object)
    if "school_name" not in frame:
        return pd.Series(ids, index=frame.index, dtype=object)
    col = frame["school_name"]
    if not pd.api.types.is_string_dtype(col.dtype):
        col = text(frame, "school_name")
    name = col.to_numpy(dtype=object).copy()
    blank = pd.isna(name) | (name == "")
    name[blank] = ids[blank]
    return pd.Series(name, index=frame.index, dtype=object)


def missing_names(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Per row: the columns among ``columns`` that are empty, joined by ", "."""
    empty = {col: (frame[col].isna().to_numpy() if col in frame
                   else np.ones(len(frame), dtype=bool)) for col in columns}
    return names_where(empty, frame.index)


def names_where(flags: dict[str, np.ndarray], index: pd.Index) -> pd.Series:
    """Per row: the names whose flag is set, joined by ", " ("" where none).

    Each distinct combination of flags is joined once (a bit pattern per row), so the text
    costs nothing for the rows without a flag, however many rows there are.
    """
    out = np.full(len(index), "", dtype=object)
    names = list(flags)
    if names and len(index):
        pattern = np.zeros(len(index), dtype=np.int64)
        for bit, name in enumerate(names):
            pattern |= np.asarray(flags[name], dtype=bool).astype(np.int64) << bit
        for p in np.unique(pattern[pattern != 0]).tolist():
            out[pattern == p] = ", ".join(n for bit, n in enumerate(names) if p >> bit & 1)
    return pd.Series(out, index=index, dtype=object)


def frame_of(keys: pd.DataFrame, columns: dict[str, Any], n: int | None = None,
             key_columns: list[str] = KEY) -> pd.DataFrame:
    """One frame of ``keys``' ``key_columns`` (repeated ``n // len(keys)`` times, default once) and
    ``columns`` in one construction: arrays of length ``n``, or scalars repeated (a ``str``
    scalar as :data:`~balance_lib.frames.SHARED_STR`; pass text arrays through
    :func:`~balance_lib.frames.text_array`).

    A rule's rows built column by column (``keys.copy()`` then ``f[col] = …``) cost a column
    insertion and an Arrow-backed ``str`` per column: on the tables of one small county those
    fixed costs are most of :func:`~balance_lib.indicators.evaluate`'s time.
    """
    from ..frames import text_array

    m = len(keys)
    n = m if n is None else n
    reps = n // m if m else 0
    data: dict[str, Any] = {}
    for c in key_columns:
        col = keys[c].array
        if reps != 1:
            tiled = np.tile(col.to_numpy(), reps)
            col = text_array(tiled) if isinstance(col.dtype, pd.StringDtype) else tiled
        data[c] = col
    for name, v in columns.items():
        if isinstance(v, str):
            v = text_array(np.full(n, v, dtype=object))
        elif np.isscalar(v):
            v = np.full(n, v)
        data[name] = v
    return pd.DataFrame(data, index=pd.RangeIndex(n), copy=False)


#: What :func:`per_registry` built: (id of the registry, name) -> (weak reference, value).
_BUILT: dict[tuple[int, str], tuple[Any, Any]] = {}


def per_registry(registry: Any, name: str, build: Callable[[Any], Any]) -> Any:
    """``build(registry)``, built once per registry object (a registry is frozen; the
    thresholds, limits and look-ups derived from it are the same for every evaluation, and
    the explorer and the tests evaluate thousands of times). The value is shared: read it,
    never change it."""
    import weakref

    key = (id(registry), name)
    hit = _BUILT.get(key)
    if hit is not None and hit[0]() is registry:
        return hit[1]
    value = build(registry)
    _BUILT[key] = (weakref.ref(registry, lambda _ref, key=key: _BUILT.pop(key, None)), value)
    return value


def keys_of(schools: pd.DataFrame) -> pd.DataFrame:
    """The (county_id, year) pairs evaluated: those of ``schools``, sorted."""
    return schools[KEY].drop_duplicates().sort_values(KEY, kind="stable").reset_index(drop=True)


def na_ints(n: int) -> pd.arrays.IntegerArray:
    return pd.array([pd.NA] * n, dtype="Int64")


def order_by_registry(frame: pd.DataFrame, keys: list[str], order: dict[str, int],
                      id_column: str = "id") -> pd.DataFrame:
    """Sort by ``keys`` with ``id_column`` in registry order (B1 … B32, then extensions)."""
    from ..frames import sort_frame

    return sort_frame(frame, keys, {id_column: order})


# ---------------------------------------------------------------------------------------------
# rule tables

#: Rules that need code, by indicator id (filled by the family modules with :func:`rule`).
RULES: dict[str, Callable[..., Any]] = {}
#: Generic rules, by kind (filled with :func:`kind`).
KINDS: dict[str, Callable[..., Any]] = {}
#: What each rule with its own code reads: table -> columns (``()``: the table as a whole).
#: Without these inputs the rule must not find its item met (the contract test checks it).
READS: dict[str, dict[str, tuple[str, ...]]] = {}


def rule(indicator_id: str, reads: dict[str, tuple[str, ...]] | None = None
         ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the rule of one indicator id (``@rule("B10", reads={...})``)."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        if indicator_id in RULES:
            raise ValueError(f"a rule for {indicator_id} is already registered")
        RULES[indicator_id] = fn
        if reads is not None:
            READS[indicator_id] = reads
        return fn

    return register


def inputs_of(ind: Any) -> dict[str, tuple[str, ...]]:
    """The inputs an indicator's rule reads: table -> columns (``()``: the whole table).

    Generic kinds: from the registry (numerator, denominator and parts; judged parts and
    judgement items read ``judgements``); rules with their own code: as registered.
    """
    from ..units import NUMERATOR_SOURCES

    def cols(terms: Any) -> list[str]:
        return [c for c, _ in terms]

    out: dict[str, list[str]] = {}
    if ind.kind == "unit_ratio":
        q = ind.numerator
        out["schools"] = list(NUMERATOR_SOURCES.get(q, (q, f"{q}_primary", f"{q}_junior")))
    elif ind.kind == "school_ratio":
        out["schools"] = cols(ind.numerator) + cols(ind.denominator)
    elif ind.kind == "judgement":
        out["judgements"] = []
    for part in ind.parts:
        if part.judged:
            out.setdefault("judgements", [])
        else:
            out.setdefault("county", []).extend(cols(part.numerator) + cols(part.denominator))
    for table, columns in READS.get(ind.id, {}).items():
        out.setdefault(table, []).extend(columns)
    return {t: tuple(dict.fromkeys(c)) for t, c in out.items()}


def kind(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the generic rule of a kind (``@kind("school_ratio")``)."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        KINDS[name] = fn
        return fn

    return register
