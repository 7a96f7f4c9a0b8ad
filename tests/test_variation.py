"""balance_lib.variation: the official 差异系数, Gini, Theil and the grouped workhorse.

Published worked example, hand cases, invariants, naive references against the vectorised code,
and the documented edge cases.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from balance_lib.variation import (
    GROUPED_COLUMNS,
    cv,
    grouped_weighted_cv,
    theil_decomposition,
    weighted_cv,
    weighted_gini,
    weighted_mean,
    weighted_std,
    weighted_theil,
    weighted_var,
)

pytestmark = pytest.mark.filterwarnings("error")

# Indicator rules §2.2: 生均图书册数 of five 小学 (https://m.777doc.com/doc-2019910.html)
STUDENTS = [45, 37, 89, 76, 55]
BOOKS = [279, 137, 935, 160, 402]
PER_STUDENT = np.divide(BOOKS, STUDENTS)
PRIMARY_LIMIT = 0.50

WEIGHTED = [weighted_mean, weighted_var, weighted_std, weighted_cv, weighted_gini, weighted_theil]
SPREAD = [weighted_var, weighted_std, weighted_cv, weighted_gini, weighted_theil]


def random_schools(seed: int, n: int = 12) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.gamma(2.0, 3.0, n), rng.integers(1, 900, n).astype(float)


# ---------------------------------------------------------------------------------------------
# 1. The published worked example


def test_worked_example_county_value_is_ratio_of_totals():
    assert weighted_mean(PER_STUDENT, STUDENTS) == pytest.approx(1913 / 302, rel=1e-14)


def test_worked_example_published_steps():
    # 差异情况 = P_i/P · (X_i − X̄)²: 0.003, 0.849, 5.127, 4.501, 0.173 → 10.6528; S = 3.26386
    mean = 1913 / 302
    terms = np.array(STUDENTS) / 302 * (PER_STUDENT - mean) ** 2
    assert terms == pytest.approx([0.003, 0.849, 5.127, 4.501, 0.173], abs=5e-4)
    assert weighted_var(PER_STUDENT, STUDENTS) == pytest.approx(10.6528, abs=5e-5)
    assert weighted_std(PER_STUDENT, STUDENTS) == pytest.approx(3.26386, abs=5e-6)


def test_worked_example_official_cv_fails_the_primary_limit():
    official = weighted_cv(PER_STUDENT, STUDENTS)
    assert official == pytest.approx(0.51526, abs=5e-5)
    assert round(official, 2) == 0.52  # the published figure
    assert official > PRIMARY_LIMIT


def test_worked_example_unofficial_forms():
    population = cv(PER_STUDENT)
    sample = cv(PER_STUDENT, ddof=1)
    assert population == pytest.approx(0.4888, abs=5e-5)
    assert sample == pytest.approx(0.5465, abs=5e-5)
    # the unweighted form would wrongly pass the 0.50 limit that the official form fails
    assert population <= PRIMARY_LIMIT < weighted_cv(PER_STUDENT, STUDENTS)


def test_worked_example_grouped():
    frame = pd.DataFrame({"county_id": "C1", "x": PER_STUDENT, "students": STUDENTS})
    row = grouped_weighted_cv(frame, "x", "students", ["county_id"]).iloc[0]
    assert row.n_units == 5
    assert row.total_weight == 302
    assert row["mean"] == pytest.approx(1913 / 302, rel=1e-14)
    assert row["cv"] == pytest.approx(0.51526, abs=5e-5)
    assert row.cv_unweighted == pytest.approx(0.4888, abs=5e-5)
    assert row.cv_sample == pytest.approx(0.5465, abs=5e-5)


@pytest.mark.parametrize(
    "convert",
    [list, np.asarray, pd.Series, lambda a: pd.Series(a, dtype="Float64"), tuple],
    ids=["list", "ndarray", "series", "nullable-series", "tuple"],
)
def test_input_types_give_the_same_result(convert):
    result = weighted_cv(convert(list(PER_STUDENT)), convert(STUDENTS))
    assert result == weighted_cv(PER_STUDENT, np.asarray(STUDENTS, dtype=float))
    assert isinstance(result, float)


# ---------------------------------------------------------------------------------------------
# 2. Invariants


@pytest.mark.parametrize("func", WEIGHTED)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_order_of_schools_is_irrelevant(func, seed):
    x, w = random_schools(seed)
    order = np.random.default_rng(seed + 100).permutation(x.size)
    assert func(x[order], w[order]) == pytest.approx(func(x, w), rel=1e-12)


@pytest.mark.parametrize("factor", [100, 37.5, 1e-3])
@pytest.mark.parametrize("func", [weighted_cv, weighted_gini, weighted_theil])
def test_relative_measures_are_scale_invariant(func, factor):
    assert func(PER_STUDENT * factor, STUDENTS) == pytest.approx(
        func(PER_STUDENT, STUDENTS), rel=1e-12
    )


@pytest.mark.parametrize("factor", [100, 37.5])
def test_unweighted_cv_is_scale_invariant(factor):
    for ddof in (0, 1):
        assert cv(PER_STUDENT * factor, ddof=ddof) == pytest.approx(
            cv(PER_STUDENT, ddof=ddof), rel=1e-12
        )


@pytest.mark.parametrize("factor", [2, 0.5, 1000 / 3])
@pytest.mark.parametrize("func", WEIGHTED)
def test_scaling_all_weights_changes_nothing(func, factor):
    w = np.asarray(STUDENTS, dtype=float)
    assert func(PER_STUDENT, w * factor) == pytest.approx(func(PER_STUDENT, w), rel=1e-12)


@pytest.mark.parametrize("weight", [1, 7, 0.25])
def test_equal_weights_equal_the_unweighted_population_form(weight):
    x, _ = random_schools(5)
    w = np.full(x.size, weight)
    assert weighted_cv(x, w) == pytest.approx(cv(x, ddof=0), rel=1e-12)
    assert weighted_mean(x, w) == pytest.approx(x.mean(), rel=1e-12)
    assert weighted_var(x, w) == pytest.approx(x.var(ddof=0), rel=1e-12)
    assert cv(x, ddof=1) == pytest.approx(x.std(ddof=1) / x.mean(), rel=1e-12)


@pytest.mark.parametrize("func", WEIGHTED)
@pytest.mark.parametrize("school", [0, 2, 4])
def test_duplicating_a_school_equals_doubling_its_weight(func, school):
    x = np.append(PER_STUDENT, PER_STUDENT[school])
    w = np.append(STUDENTS, STUDENTS[school])
    doubled = np.array(STUDENTS, dtype=float)
    doubled[school] *= 2
    assert func(x, w) == pytest.approx(func(PER_STUDENT, doubled), rel=1e-12)


@pytest.mark.parametrize("func", WEIGHTED)
@pytest.mark.parametrize("value", [0.0, 17.3])
def test_a_school_with_zero_weight_changes_nothing(func, value):
    x = np.append(PER_STUDENT, value)
    w = np.append(STUDENTS, 0)
    assert func(x, w) == pytest.approx(func(PER_STUDENT, STUDENTS), rel=1e-15)


@pytest.mark.parametrize("func", SPREAD)
@pytest.mark.parametrize("value", [0.1, 6.2, 1e6 / 3])
def test_single_school_has_no_variation(func, value):
    assert func([value], [37]) == 0.0


@pytest.mark.parametrize("func", SPREAD)
@pytest.mark.parametrize("value", [0.1, 2.3, 1e6 / 3])
def test_identical_schools_have_no_variation(func, value):
    assert func([value] * 4, [3.5, 7, 11, 0.2]) == 0.0


def test_single_school_unweighted():
    assert cv([6.2]) == 0.0
    assert math.isnan(cv([6.2], ddof=1))  # n − 1 = 0


# ---------------------------------------------------------------------------------------------
# 3. The grouped workhorse against a slow, obviously-correct loop


def loop_reference(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    rows = []
    for key, g in frame.groupby(by, sort=True, dropna=False):
        g = g[g.w > 0]
        rows.append(
            {
                **dict(zip(by, key, strict=True)),
                "n_units": len(g),
                "total_weight": float(g.w.sum()),
                "mean": weighted_mean(g.x, g.w),
                "std": weighted_std(g.x, g.w),
                "cv": weighted_cv(g.x, g.w),
                "cv_unweighted": cv(g.x),
                "cv_sample": cv(g.x, ddof=1),
            }
        )
    return pd.DataFrame(rows)


def random_long(seed: int, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "county_id": rng.choice(["A", "B", "C", "D"], n),
            "level": rng.choice(["primary", "junior"], n),
            "x": rng.gamma(2.0, 3.0, n) * 10.0 ** rng.integers(-2, 4, n),
            "w": rng.integers(1, 2000, n).astype(float),
        }
    )
    frame = frame[~((frame.county_id == "D") & (frame.level == "junior"))]
    extra = pd.DataFrame(
        {
            "county_id": ["E", "F", "F", "A", "B", "G", "G"],
            "level": ["primary", "primary", "primary", "junior", "primary", "junior", "junior"],
            "x": [5.5, 3.0, 8.0, 99.0, np.nan, 1.0, 2.0],
            "w": [120.0, 0.0, 10.0, 0.0, 0.0, 0.0, 0.0],
        }
    )
    # E: single unit; F: single unit plus a zero-weight row; A/junior and B/primary: a
    # zero-weight row (one with value NaN, as 0/0 gives); G: every weight zero
    return pd.concat([frame, extra], ignore_index=True)


def assert_same_stats(got: pd.DataFrame, expected: pd.DataFrame, by: list[str]) -> None:
    assert list(got.columns) == [*by, *GROUPED_COLUMNS]
    pd.testing.assert_frame_equal(got[by], expected[by])
    np.testing.assert_array_equal(got.n_units.to_numpy(), expected.n_units.to_numpy())
    for col in GROUPED_COLUMNS[1:]:
        np.testing.assert_allclose(
            got[col].to_numpy(),
            expected[col].to_numpy(),
            rtol=1e-12,
            atol=0,
            equal_nan=True,
            err_msg=col,
        )


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_grouped_equals_loop(seed):
    frame = random_long(seed)
    by = ["county_id", "level"]
    got = grouped_weighted_cv(frame, "x", "w", by)
    expected = loop_reference(frame, by)
    assert_same_stats(got, expected, by)
    e = got.set_index(by).loc[("E", "primary")]
    assert (e.n_units, e["cv"], e["std"]) == (1, 0.0, 0.0)
    f = got.set_index(by).loc[("F", "primary")]
    assert (f.n_units, f.total_weight, f["mean"], f["cv"]) == (1, 10.0, 8.0, 0.0)
    assert math.isnan(f.cv_sample)


def test_grouped_row_order_is_irrelevant():
    frame = random_long(4)
    by = ["county_id", "level"]
    a = grouped_weighted_cv(frame, "x", "w", by)
    b = grouped_weighted_cv(frame.sample(frac=1, random_state=1), "x", "w", by)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)


def test_grouped_many_groups_equals_loop_on_integer_keys():
    # the engine's call: integer group codes × indicator codes
    rng = np.random.default_rng(9)
    n = 20_000
    frame = pd.DataFrame(
        {
            "group": rng.integers(0, 1500, n),
            "indicator": rng.integers(0, 7, n),
            "x": rng.gamma(2.0, 3.0, n),
            "w": rng.integers(0, 1500, n).astype(float),
        }
    )
    by = ["group", "indicator"]
    got = grouped_weighted_cv(frame, "x", "w", by)
    assert len(got) == frame.groupby(by).ngroups
    sample = got.sample(200, random_state=0)
    subset = frame.merge(sample[by], on=by)
    expected = loop_reference(subset, by)
    assert_same_stats(sample.sort_values(by).reset_index(drop=True), expected, by)


def test_grouped_all_zero_weight_group_is_kept_with_nan():
    frame = random_long(0)
    g = (
        grouped_weighted_cv(frame, "x", "w", ["county_id", "level"])
        .set_index(["county_id", "level"])
        .loc[("G", "junior")]
    )
    assert g.n_units == 0
    assert g.total_weight == 0
    assert g[list(GROUPED_COLUMNS[2:])].isna().all()


def test_grouped_zero_weight_rows_do_not_count_as_units():
    frame = pd.DataFrame({"k": ["a"] * 3, "x": [1.0, 3.0, np.nan], "w": [1.0, 1.0, 0.0]})
    row = grouped_weighted_cv(frame, "x", "w", "k").iloc[0]
    assert row.n_units == 2
    assert row["mean"] == 2.0
    assert row.cv_sample == pytest.approx(math.sqrt(2) / 2, rel=1e-15)


def test_grouped_nan_value_with_weight_poisons_only_its_group():
    frame = pd.DataFrame(
        {"k": ["a", "a", "b", "b"], "x": [1.0, np.nan, 1.0, 3.0], "w": [5.0, 5.0, 1.0, 1.0]}
    )
    out = grouped_weighted_cv(frame, "x", "w", "k").set_index("k")
    assert out.loc["a", ["n_units", "total_weight"]].tolist() == [2, 10.0]
    assert out.loc["a", list(GROUPED_COLUMNS[2:])].isna().all()
    assert out.loc["b", "cv"] == 0.5


def test_grouped_mean_zero_gives_nan_cv():
    frame = pd.DataFrame({"k": ["a", "a", "b"], "x": [0.0, 0.0, 4.0], "w": [3.0, 4.0, 2.0]})
    out = grouped_weighted_cv(frame, "x", "w", ["k"]).set_index("k")
    assert out.loc["a", "mean"] == 0.0
    assert out.loc["a", "std"] == 0.0
    assert out.loc["a", ["cv", "cv_unweighted", "cv_sample"]].isna().all()
    assert out.loc["b", "cv"] == 0.0


def test_grouped_missing_keys_form_their_own_group():
    frame = pd.DataFrame({"k": ["a", None, None], "x": [1.0, 1.0, 3.0], "w": [1.0, 1.0, 1.0]})
    out = grouped_weighted_cv(frame, "x", "w", "k")
    assert out.k.tolist()[0] == "a" and pd.isna(out.k.iloc[1])
    assert out.n_units.tolist() == [1, 2]
    assert out["cv"].tolist() == [0.0, 0.5]


def test_grouped_empty_input():
    frame = pd.DataFrame({"k": pd.Series([], dtype=str), "x": [], "w": []})
    out = grouped_weighted_cv(frame, "x", "w", ["k"])
    assert out.empty
    assert list(out.columns) == ["k", *GROUPED_COLUMNS]


def test_grouped_output_is_sorted_by_keys_and_keeps_key_dtypes():
    frame = pd.DataFrame(
        {"year": [2025, 2024, 2025], "k": ["b", "a", "a"], "x": [1.0, 2.0, 3.0], "w": [1, 1, 1]}
    )
    out = grouped_weighted_cv(frame, "x", "w", ["year", "k"])
    assert list(zip(out.year, out.k, strict=True)) == [(2024, "a"), (2025, "a"), (2025, "b")]
    assert out.year.dtype == frame.year.dtype
    assert out.n_units.dtype == np.int64


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        ([1.0, -1.0], r"column 'w' must be non-negative; found -1\.0 at position 1"),
        ([1.0, np.nan], r"column 'w' must be finite; found nan at position 1"),
        ([np.inf, 1.0], r"column 'w' must be finite"),
    ],
)
def test_grouped_rejects_bad_weights(weights, match):
    frame = pd.DataFrame({"k": ["a", "b"], "x": [1.0, 2.0], "w": weights})
    with pytest.raises(ValueError, match=match):
        grouped_weighted_cv(frame, "x", "w", ["k"])


# ---------------------------------------------------------------------------------------------
# 4. Gini and Theil


def naive_gini(x, w) -> float:
    x, w = np.asarray(x, float), np.asarray(w, float)
    diff = np.abs(x[:, None] - x[None, :])
    pairs = (w[:, None] * w[None, :] * diff).sum()
    return float(pairs / (2 * w.sum() ** 2 * np.average(x, weights=w)))


def naive_theil(x, w) -> float:
    x, w = np.asarray(x, float), np.asarray(w, float)
    mean = np.average(x, weights=w)
    terms = [wi * xi / mean * math.log(xi / mean) for xi, wi in zip(x, w, strict=True) if xi > 0]
    return float(sum(terms) / w.sum())


@pytest.mark.parametrize(
    ("values", "weights", "gini", "theil"),
    [
        ([0, 0, 0, 10, 10, 10], [1] * 6, 0.5, math.log(2)),
        ([0, 10], [3, 3], 0.5, math.log(2)),
        ([0, 0, 0, 1], [1] * 4, 0.75, math.log(4)),  # one holder: Theil = ln n
        ([0, 1], [3, 1], 0.75, math.log(4)),
        ([1, 2, 3, 4], [1] * 4, 0.25, None),
        ([5, 5, 5], [1, 1, 1], 0.0, 0.0),
        ([2.5, 2.5, 2.5], [0.3, 7, 12], 0.0, 0.0),
    ],
)
def test_gini_theil_hand_cases(values, weights, gini, theil):
    assert weighted_gini(values, weights) == pytest.approx(gini, abs=1e-15)
    if theil is not None:
        assert weighted_theil(values, weights) == pytest.approx(theil, abs=1e-15)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weighted_gini_and_theil_equal_the_expanded_sample(seed):
    rng = np.random.default_rng(seed)
    x = rng.gamma(2.0, 3.0, 15)
    w = rng.integers(1, 12, 15)
    expanded = np.repeat(x, w)
    ones = np.ones(expanded.size)
    assert weighted_gini(x, w) == pytest.approx(weighted_gini(expanded, ones), rel=1e-12)
    assert weighted_gini(x, w) == pytest.approx(naive_gini(expanded, ones), rel=1e-12)
    assert weighted_theil(x, w) == pytest.approx(weighted_theil(expanded, ones), rel=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gini_theil_equal_naive_formulas_with_real_weights(seed):
    x, w = random_schools(seed, n=30)
    x[::7] = 0.0  # schools with none of the resource
    w = w / 3.7
    assert weighted_gini(x, w) == pytest.approx(naive_gini(x, w), rel=1e-12)
    assert weighted_theil(x, w) == pytest.approx(naive_theil(x, w), rel=1e-12)


def areas_frame(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 60
    return pd.DataFrame(
        {
            "area_type": rng.choice(["urban", "town", "rural"], n),
            "x": rng.gamma(2.0, 3.0, n) * np.where(rng.random(n) < 0.1, 0.0, 1.0),
            "students": rng.integers(0, 1500, n),
        }
    )


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_theil_decomposition_sums_to_total(seed):
    frame = areas_frame(seed)
    parts = theil_decomposition(frame, "x", "students", "area_type")
    assert list(parts.index) == ["total", "between", "within"]
    assert parts["total"] == pytest.approx(weighted_theil(frame.x, frame.students), rel=1e-15)
    assert abs(parts["between"] + parts["within"] - parts["total"]) < 1e-12
    assert parts["between"] > 0 and parts["within"] > 0


def test_theil_decomposition_hand_case():
    # urban 12, 8 (100 students each), rural 4 (200): means 10 and 4, county 7
    frame = pd.DataFrame(
        {
            "area": ["urban", "urban", "rural", "rural"],
            "x": [12.0, 8.0, 4.0, 4.0],
            "p": [100, 100, 50, 150],
        }
    )
    parts = theil_decomposition(frame, "x", "p", "area")
    urban_share, rural_share = 2000 / 2800, 800 / 2800
    between = urban_share * math.log(10 / 7) + rural_share * math.log(4 / 7)
    within = urban_share * (0.6 * math.log(1.2) + 0.4 * math.log(0.8))
    assert parts["between"] == pytest.approx(between, rel=1e-12)
    assert parts["within"] == pytest.approx(within, rel=1e-12)


def test_theil_decomposition_extremes():
    frame = pd.DataFrame({"g": ["a", "a", "b", "b"], "x": [2.0, 2.0, 5.0, 5.0], "w": [1, 3, 2, 2]})
    constant_within = theil_decomposition(frame, "x", "w", "g")
    assert constant_within["within"] == 0.0
    assert constant_within["between"] == pytest.approx(constant_within["total"], rel=1e-15)
    one_group = theil_decomposition(frame, "x", "w", ["g"]).copy()
    frame["all"] = "county"
    single = theil_decomposition(frame, "x", "w", "all")
    assert single["between"] == 0.0
    assert single["within"] == pytest.approx(single["total"], rel=1e-15)
    assert single["total"] == pytest.approx(one_group["total"], rel=1e-15)


def test_theil_decomposition_equal_group_means_have_no_between_part():
    frame = pd.DataFrame({"g": ["a", "a", "b", "b"], "x": [1.0, 3.0, 2.0, 2.0], "w": [1, 1, 5, 5]})
    parts = theil_decomposition(frame, "x", "w", "g")
    assert parts["between"] == 0.0
    assert parts["within"] == pytest.approx(parts["total"], rel=1e-15)


def test_theil_decomposition_ignores_zero_weight_rows_and_handles_empty():
    frame = areas_frame(0)
    with_zero = pd.concat(
        [frame, pd.DataFrame({"area_type": ["suburb"], "x": [50.0], "students": [0]})]
    )
    pd.testing.assert_series_equal(
        theil_decomposition(with_zero, "x", "students", "area_type"),
        theil_decomposition(frame, "x", "students", "area_type"),
    )
    empty = theil_decomposition(frame.iloc[:0], "x", "students", "area_type")
    assert empty.isna().all() and list(empty.index) == ["total", "between", "within"]


def test_theil_decomposition_with_a_group_of_zeros_is_silent_and_correct():
    """A group whose every school has 0 (no multimedia room in any rural school): no 0/0
    warning (warnings are errors in this module), and the group simply holds no share."""
    frame = pd.DataFrame({"area": ["urban", "urban", "rural", "rural"],
                          "x": [12.0, 8.0, 0.0, 0.0], "p": [100, 100, 50, 150]})
    parts = theil_decomposition(frame, "x", "p", "area")
    # county mean 2000 / 400 = 5; the urban group holds the whole resource
    between = math.log(10 / 5)
    within = 0.6 * math.log(1.2) + 0.4 * math.log(0.8)
    assert parts["between"] == pytest.approx(between, rel=1e-12)
    assert parts["within"] == pytest.approx(within, rel=1e-12)
    assert parts["total"] == pytest.approx(between + within, rel=1e-12)
    assert not parts.isna().any()


def test_theil_decomposition_rejects_negative_values():
    frame = pd.DataFrame({"g": ["a", "b"], "x": [1.0, -2.0], "w": [1, 1]})
    with pytest.raises(ValueError, match="values must be non-negative"):
        theil_decomposition(frame, "x", "w", "g")


# ---------------------------------------------------------------------------------------------
# 5. Edge cases


@pytest.mark.parametrize("func", WEIGHTED)
def test_empty_input_gives_nan(func):
    assert math.isnan(func([], []))


@pytest.mark.parametrize("func", WEIGHTED)
def test_zero_total_weight_gives_nan(func):
    assert math.isnan(func([1.0, 2.0], [0, 0]))


def test_empty_unweighted_cv_is_nan():
    assert math.isnan(cv([]))
    assert math.isnan(cv([], ddof=1))


@pytest.mark.parametrize("func", [weighted_cv, weighted_gini, weighted_theil])
def test_mean_zero_gives_nan(func):
    assert math.isnan(func([0.0, 0.0, 0.0], [10, 20, 30]))


def test_mean_zero_cv_is_nan_not_infinite():
    assert weighted_std([-1.0, 1.0], [1, 1]) == 1.0
    assert math.isnan(weighted_cv([-1.0, 1.0], [1, 1]))
    assert math.isnan(cv([-1.0, 1.0]))


@pytest.mark.parametrize("func", WEIGHTED)
def test_negative_weight_raises(func):
    match = r"weights must be non-negative; found -3\.0 at position 1"
    with pytest.raises(ValueError, match=match):
        func([1.0, 2.0], [5, -3])


@pytest.mark.parametrize("func", WEIGHTED)
@pytest.mark.parametrize(("values", "weights"), [([1.0, 2.0], [1]), ([1.0], [1, 2]), ([], [1])])
def test_mismatched_lengths_raise(func, values, weights):
    with pytest.raises(ValueError, match="values and weights must have the same length"):
        func(values, weights)


@pytest.mark.parametrize("func", WEIGHTED)
@pytest.mark.parametrize(
    ("values", "weights", "match"),
    [
        ([1.0, np.nan], [1, 1], r"values must be finite; found nan at position 1"),
        ([np.inf, 1.0], [1, 1], r"values must be finite; found inf at position 0"),
        ([1.0, 2.0], [np.nan, 1], r"weights must be finite; found nan at position 0"),
        ([1.0, np.nan], [1, 0], r"values must be finite"),  # even where the weight is 0
        (pd.Series([1.0, None], dtype="Float64"), [1, 1], r"values must be finite"),
    ],
)
def test_nan_or_infinite_entries_raise(func, values, weights, match):
    with pytest.raises(ValueError, match=match):
        func(values, weights)


def test_unweighted_cv_rejects_nan_and_bad_ddof():
    with pytest.raises(ValueError, match="values must be finite"):
        cv([1.0, np.nan])
    with pytest.raises(ValueError, match="ddof must be non-negative"):
        cv([1.0, 2.0], ddof=-1)


@pytest.mark.parametrize("func", WEIGHTED)
def test_two_dimensional_input_raises(func):
    with pytest.raises(ValueError, match=r"values must be one-dimensional, got shape \(2, 2\)"):
        func([[1.0, 2.0], [3.0, 4.0]], [1, 1])


@pytest.mark.parametrize("func", [weighted_gini, weighted_theil])
def test_gini_and_theil_reject_negative_values(func):
    with pytest.raises(ValueError, match=r"values must be non-negative; found -0\.5 at position 1"):
        func([1.0, -0.5], [1, 1])


# --- unit_contributions: a school's share of the weighted variance and the CV without it ----

def test_unit_contributions_by_hand():
    from balance_lib.variation import unit_contributions

    # 100, 100, 200 students with 1, 2, 3: X̄ = 900/400 = 2.25,
    # terms (P_i/P)(X_i − X̄)² = 0.25·1.5625, 0.25·0.0625, 0.5·0.5625 → V = 0.6875
    f = pd.DataFrame({"g": ["A", "A", "A", "B"], "x": [1.0, 2.0, 3.0, 7.0],
                      "p": [100, 100, 200, 50]})
    out = unit_contributions(f, "x", "p", "g")
    assert out.loc[0:2, "share_of_variance"].tolist() == pytest.approx(
        [0.390625 / 0.6875, 0.015625 / 0.6875, 0.28125 / 0.6875])
    assert out.loc[0:2, "share_of_variance"].sum() == pytest.approx(1.0)
    assert out.loc[0, "cv"] == pytest.approx(math.sqrt(0.6875) / 2.25)
    # without the first: 100·2 + 200·3 over 300 = 8/3; V = (1/3)(2/3)² + (2/3)(1/3)² = 2/9
    assert out.loc[0, "cv_without"] == pytest.approx(math.sqrt(2 / 9) / (8 / 3))
    # without the third: 1 and 2 with 100 each: 0.5 / 1.5
    assert out.loc[2, "cv_without"] == pytest.approx(1 / 3)
    # a unit alone in its group: CV 0, no variance to share, no CV without it
    assert out.loc[3, "cv"] == 0 and math.isnan(out.loc[3, "share_of_variance"])
    assert math.isnan(out.loc[3, "cv_without"])


def test_unit_contributions_equal_the_naive_recomputation():
    from balance_lib.variation import unit_contributions

    rng = np.random.default_rng(7)
    f = pd.DataFrame({"g": rng.integers(0, 4, 60), "x": rng.uniform(1, 9, 60),
                      "p": rng.integers(0, 900, 60)})
    out = unit_contributions(f, "x", "p", "g")
    for i, row in f.iterrows():
        g = f[f.g == row.g]
        if row.p == 0:
            assert out.loc[i].isna().all()
            continue
        mean = np.average(g.x[g.p > 0], weights=g.p[g.p > 0])
        var = np.average((g.x[g.p > 0] - mean) ** 2, weights=g.p[g.p > 0])
        assert out.loc[i, "share_of_variance"] == pytest.approx(
            row.p / g.p.sum() * (row.x - mean) ** 2 / var)
        rest = g.drop(index=i)
        assert out.loc[i, "cv_without"] == pytest.approx(weighted_cv(rest.x, rest.p))
