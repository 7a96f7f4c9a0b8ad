"""Sorting and grouping by integer codes (balance_lib.frames) equal pandas' own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from balance_lib.frames import (
    SHARED_STR,
    column_codes,
    first_rows,
    group_codes,
    lookup,
    one_county,
    sort_frame,
    text_array,
)


def _frame(seed: int, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    words = np.array(["b", "a", "中", "Z", "é", "a10", "a2", ""], dtype=object)
    text = words[rng.integers(0, len(words), n)]
    text[rng.random(n) < 0.1] = None
    return pd.DataFrame({
        "text": pd.Series(text, dtype="str"),
        "shared": pd.Series(text, dtype=SHARED_STR),
        "obj": pd.Series(text, dtype=object),
        "year": rng.integers(2022, 2026, n),
        "x": np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 5, n) / 2),
        "level": np.array(["junior", "primary", "senior"], dtype=object)[rng.integers(0, 3, n)],
    })


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("keys", [["text", "year"], ["shared", "x"], ["obj", "year", "x"],
                                  ["x"], ["year", "shared"]])
def test_sort_frame_equals_a_stable_sort_values(seed, keys):
    f = _frame(seed)
    expected = f.sort_values(keys, kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(sort_frame(f, keys), expected)


def test_an_order_mapping_ranks_like_sort_values_with_a_key():
    f = _frame(3)
    order = {"primary": 0, "junior": 1}  # senior: not in the order, last
    expected = f.sort_values(["level", "year"], key=lambda c: c.map(order) if c.name == "level"
                             else c, kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(sort_frame(f, ["level", "year"], {"level": order}), expected)


def test_text_codes_follow_python_string_order_with_missing_last():
    codes, n = column_codes(pd.Series(["b", "a", None, "é", "Z", "中", "a"], dtype="str"))
    assert codes.tolist() == [2, 1, 5, 3, 0, 4, 1] and n == 6
    assert sorted(["b", "a", "é", "Z", "中"]) == ["Z", "a", "b", "é", "中"]


@pytest.mark.parametrize("keys", [["text", "year"], ["obj", "x"]])
def test_group_codes_equal_groupby_ngroup(keys):
    f = _frame(4)
    codes, n = group_codes(f, keys)
    expected = f.groupby(keys, sort=True, dropna=False).ngroup().to_numpy()
    assert codes.tolist() == expected.tolist() and n == expected.max() + 1
    first = first_rows(codes, n)
    assert first.tolist() == [int(np.flatnonzero(codes == g)[0]) for g in range(n)]


def test_lookup_takes_the_first_match_of_every_key_and_nan_elsewhere():
    index = pd.DataFrame({"c": ["A", "A", "B", "A"], "s": ["1", "2", "1", "1"]})
    keys = pd.DataFrame({"c": ["B", "A", "C", "A"], "s": ["1", "1", "1", "2"]})
    got = lookup(index, np.array([10, 20, 30, 40]), keys)
    np.testing.assert_array_equal(got, [30.0, 10.0, np.nan, 20.0])
    names = lookup(index, np.array(["x", "y", "z", "w"], dtype=object), keys)
    assert names[0] == "z" and names[1] == "x" and pd.isna(names[2])
    assert lookup(index.iloc[:0], np.array([]), keys).shape == (4,)


def test_text_array_keeps_text_arrays_and_builds_shared_strings():
    arrow = pd.Series(["a", "b"], dtype="str")
    assert text_array(arrow) is arrow.array
    built = text_array(np.array(["a", "b"], dtype=object))
    assert built.dtype == SHARED_STR and list(built) == ["a", "b"]


def test_one_county_refuses_a_table_of_several_counties():
    f = pd.DataFrame({"county_id": ["A", "A"], "school_id": ["1", "2"]})
    assert one_county(f) is f
    with pytest.raises(ValueError, match="holds 2 counties"):
        one_county(pd.DataFrame({"county_id": ["A", "B"], "school_id": ["1", "1"]}))
