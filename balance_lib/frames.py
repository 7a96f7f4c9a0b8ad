"""Sorting and grouping tidy frames by integer codes.

``DataFrame.sort_values`` and ``groupby`` on text keys compare Python strings again for every
call; a nation's tables (240,000 schools, 93,000 indicator rows) are sorted and grouped by
``county_id``, ``year``, ``school_id`` and ``id`` many times in one evaluation. Here each key
column is factorised once (its distinct values sorted, or ranked by a given order) and the
keys are combined into one ``int64`` code per row, so a sort is one ``argsort`` of integers
and a grouping one ``np.unique``. The results equal ``sort_values(keys, kind="stable")``
(missing values and values outside a given order last) and ``groupby(keys, sort=True)``.

>>> f = pd.DataFrame({"c": ["b", "a", "b", "a"], "lv": ["junior", "primary", "primary", "junior"]})
>>> sort_frame(f, ["c", "lv"], orders={"lv": {"primary": 0, "junior": 1}}).to_dict("list")
{'c': ['a', 'a', 'b', 'b'], 'lv': ['primary', 'junior', 'primary', 'junior']}
>>> codes, n = group_codes(f, ["c"])
>>> codes.tolist(), n
([1, 0, 1, 0], 2)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

#: Text columns of the frames: pandas ``str`` (NaN for missing) holding Python objects. Built
#: from Python strings about ten times faster than Arrow-backed ``str`` (the default), and read
#: back (``to_numpy``, ``tolist``) without a conversion: the rules build and read text columns
#: of a nation's 240,000 schools several times.
SHARED_STR = pd.StringDtype("python", na_value=np.nan)

__all__ = ["KEY_CODE", "SCHOOL_CODE", "SHARED_STR", "at_positions", "column_codes", "text_array",
           "first_rows", "group_codes", "key_codes", "lookup", "lookup_positions", "sort_frame",
           "sort_order", "one_county", "with_key_codes"]


#: Working columns of the schools frame an evaluation carries through its rules: one
#: ``int64`` per row ordering (county_id, year) and one ordering (county_id, year, school_id),
#: ranked once (:func:`with_key_codes`) so that the unit table and the school rows are sorted
#: and grouped by integers, not by text ranked again in every pass.
KEY_CODE, SCHOOL_CODE = "_key_code", "_school_code"


def with_key_codes(schools: pd.DataFrame) -> pd.DataFrame:
    """``schools`` with :data:`KEY_CODE` and :data:`SCHOOL_CODE` (module notes)."""
    if not len(schools):
        return schools
    key = np.unique(key_codes(schools, ["county_id", "year"]), return_inverse=True)[1]
    school = np.unique(key_codes(schools, ["county_id", "year", "school_id"]),
                       return_inverse=True)[1]
    return schools.assign(**{KEY_CODE: key.astype(np.int64).reshape(-1),
                             SCHOOL_CODE: school.astype(np.int64).reshape(-1)})


def text_array(values: Any) -> Any:
    """Python strings as a :data:`SHARED_STR` array; a text array that already is one (or
    Arrow-backed text) is returned as it is, without a copy."""
    if isinstance(values, pd.Series):
        values = values.array
    if isinstance(getattr(values, "dtype", None), pd.StringDtype):
        return values
    return pd.array(np.asarray(values, dtype=object), dtype=SHARED_STR)


def column_codes(values: Any, order: Mapping[Any, int] | None = None) -> tuple[np.ndarray, int]:
    """Rank of each value among the column's distinct values (ascending), or by ``order``;
    missing values and values outside ``order`` rank last. Returns (codes, number of ranks).
    """
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if order is not None:  # rank the distinct values only (a map over every row is slow)
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        ranked = np.array([order.get(u, np.nan) for u in uniques], dtype=float)
        top = int(np.nanmax(ranked)) + 1 if np.isfinite(ranked).any() else 0
        ranked = np.append(np.where(np.isnan(ranked), top, ranked), top).astype(np.int64)
        out = ranked[codes]  # code −1 (missing): the last entry
        return out, int(out.max()) + 1 if len(out) else 0
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        ranked = _text_ranks(s)
        if ranked is not None:
            return ranked
    codes, uniques = pd.factorize(s, sort=True, use_na_sentinel=True)
    n = len(uniques)
    if (codes < 0).any():
        codes = np.where(codes < 0, n, codes)
        n += 1
    return codes.astype(np.int64, copy=False), n


def _text_ranks(s: pd.Series) -> tuple[np.ndarray, int] | None:
    """Dense ranks of a text column by Arrow (UTF-8 byte order is code point order, as
    Python compares strings), missing values last; None when the column is not all text.

    Only the distinct values are ranked: Arrow text is dictionary-encoded by Arrow, Python
    strings are factorised by hash (their hashes are cached, and the reader shares one
    object per distinct value), so a key of 3,000 counties over 430,000 rows sorts 3,000
    strings, not 430,000."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arrow = getattr(s.array, "_pa_array", None)  # Arrow-backed text: no conversion
    kind = getattr(arrow, "type", None)
    if kind is not None and (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        arr = arrow.combine_chunks() if isinstance(arrow, pa.ChunkedArray) else arrow
        encoded = pc.dictionary_encode(arr)
        codes = encoded.indices.fill_null(-1).to_numpy()
        uniques = encoded.dictionary
    else:
        codes, found = pd.factorize(s.to_numpy(dtype=object), use_na_sentinel=True)
        try:
            uniques = pa.array(np.asarray(found, dtype=object), type=pa.string(),
                               from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return None
    n = len(uniques)
    rank = np.empty(n + 1, dtype=np.int64)  # the last entry: missing values (code −1)
    rank[:n] = pc.rank(uniques, sort_keys="ascending", tiebreaker="first").to_numpy() - 1
    rank[n] = n
    return rank[codes], n + 1 if (codes < 0).any() else n


def key_codes(frame: pd.DataFrame, keys: Sequence[str],
              orders: Mapping[str, Mapping[Any, int]] | None = None) -> np.ndarray:
    """One ``int64`` per row that orders the rows as ``keys`` do (lexicographically)."""
    orders = orders or {}
    combined = np.zeros(len(frame), dtype=np.int64)
    span = 1
    for k in keys:
        if k in (KEY_CODE, SCHOOL_CODE) and k not in orders and len(frame):
            codes = frame[k].to_numpy(dtype=np.int64)  # ranks already (with_key_codes)
            n = int(codes.max()) + 1
        else:
            codes, n = column_codes(frame[k], orders.get(k))
        n = max(n, 1)
        if span * n >= 2**62:  # too many combinations for one integer: rank what we have
            combined = np.unique(combined, return_inverse=True)[1].astype(np.int64)
            span = int(combined.max()) + 1 if len(combined) else 1
        combined = combined * n + codes
        span *= n
    return combined


def sort_order(frame: pd.DataFrame, keys: Sequence[str],
               orders: Mapping[str, Mapping[Any, int]] | None = None) -> np.ndarray:
    """The positions that sort ``frame`` by ``keys`` (stable)."""
    if not len(frame):
        return np.arange(0)
    return np.argsort(key_codes(frame, keys, orders), kind="stable")


def sort_frame(frame: pd.DataFrame, keys: Sequence[str],
               orders: Mapping[str, Mapping[Any, int]] | None = None) -> pd.DataFrame:
    """``frame`` sorted by ``keys`` (stable, index reset); ``orders``: column → value → rank
    for columns not sorted by their values (levels in teaching order, ids in registry order).
    """
    return frame.take(sort_order(frame, keys, orders)).reset_index(drop=True)


def group_codes(frame: pd.DataFrame, keys: Sequence[str],
                orders: Mapping[str, Mapping[Any, int]] | None = None
                ) -> tuple[np.ndarray, int]:
    """Group number of each row (0 … n−1, in key order) and the number of groups."""
    if not len(frame):
        return np.zeros(0, dtype=np.int64), 0
    uniq, inverse = np.unique(key_codes(frame, keys, orders), return_inverse=True)
    return inverse.astype(np.int64).reshape(-1), len(uniq)


def first_rows(codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Position of the first row of each group (``len(codes)`` for a group without rows)."""
    first = np.full(n_groups, len(codes), dtype=np.int64)
    np.minimum.at(first, codes, np.arange(len(codes)))
    return first


def lookup_positions(index: pd.DataFrame, keys: pd.DataFrame) -> np.ndarray:
    """Position in ``index`` of the row that matches each row of ``keys`` on every column of
    ``index`` (the first match where ``index`` repeats a key), −1 where none does: one look-up
    serves several columns of values (:func:`lookup`).

    >>> idx = pd.DataFrame({"c": ["A", "A", "B"], "s": ["1", "2", "1"]})
    >>> lookup_positions(idx, pd.DataFrame({"c": ["B", "A", "C"], "s": ["1", "2", "1"]}))
    array([ 2,  1, -1])
    """
    both = pd.concat([index.reset_index(drop=True), keys.reset_index(drop=True)],
                     ignore_index=True)
    codes = key_codes(both, list(index.columns))
    own, wanted = codes[:len(index)], codes[len(index):]
    uniq, first = np.unique(own, return_index=True)
    pos = np.searchsorted(uniq, wanted)
    pos = np.minimum(pos, max(len(uniq) - 1, 0))
    found = (uniq[pos] == wanted) if len(uniq) else np.zeros(len(wanted), dtype=bool)
    out = np.full(len(keys), -1, dtype=np.int64)
    out[found] = first[pos[found]]
    return out


def at_positions(values: Any, positions: np.ndarray) -> np.ndarray:
    """``values[positions]``, NaN where the position is −1 (integers and booleans as floats).
    """
    values = np.asarray(values)
    kind = values.dtype if values.dtype.kind in "fcO" else np.dtype(float)
    if values.dtype.kind in "biu":
        values = values.astype(float)
    out = np.full(len(positions), np.nan, dtype=kind)
    found = positions >= 0
    if found.any():
        out[found] = values[positions[found]]
    return out


def lookup(index: pd.DataFrame, values: Any, keys: pd.DataFrame) -> np.ndarray:
    """``values`` (one per row of ``index``) at the rows of ``keys`` that match a row of
    ``index`` on every column (the first match where ``index`` repeats a key), NaN elsewhere.

    >>> idx = pd.DataFrame({"c": ["A", "A", "B"], "s": ["1", "2", "1"]})
    >>> lookup(idx, [10, 20, 30], pd.DataFrame({"c": ["B", "A", "C"], "s": ["1", "2", "1"]}))
    array([30., 20., nan])
    """
    return at_positions(values, lookup_positions(index, keys))


def one_county(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` when it holds one county; a clear error when it holds several (ids of
    schools and indicators repeat across counties: restrict the data to one county first,
    ``balance_lib.report.load(..., county=ID)``)."""
    if "county_id" in frame and frame["county_id"].nunique() > 1:
        n = frame["county_id"].nunique()
        raise ValueError(f"the table holds {n} counties: restrict it to one (report.load(..., "
                         f"county=ID)) / 表中有 {n} 个县，请先限定为一个县")
    return frame
