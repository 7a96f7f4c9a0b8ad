"""Inter-school variation: the official 差异系数 (weighted CV), plus Gini and Theil diagnostics.

The official 差异系数 of an indicator is the **student-weighted, population-form** coefficient of
variation over the schools (or school parts) of one county and one level (indicator rules §2.1):

.. math::

    \\bar X = \\frac{\\sum_i P_i X_i}{\\sum_i P_i}, \\qquad
    S = \\sqrt{\\sum_i \\frac{P_i}{P} (X_i - \\bar X)^2}, \\qquad
    CV = \\frac{S}{\\bar X}

where :math:`P_i` is the number of students of school *i* (a frequency weight) and
:math:`P = \\sum_i P_i`. There is no *n* − 1 correction. The statistics are composed from one
another, as in xarray's ``weighted``: :func:`weighted_mean` → :func:`weighted_var` →
:func:`weighted_std` → :func:`weighted_cv`. :func:`grouped_weighted_cv` computes the same
quantities for many (county, year, level, indicator) groups in one vectorised pass; it is what
the engine calls.

Conventions shared by every function here:

* weights are frequency weights (students); only their ratios matter;
* rows with weight 0 carry no information and are dropped before anything is computed;
* nothing left (empty input, or total weight 0) → NaN; mean 0 → CV NaN;
* the scalar functions (and :func:`theil_decomposition`) raise :class:`ValueError` on
  mismatched lengths, negative weights and NaN or infinite entries, even on a row whose weight
  is 0; :func:`grouped_weighted_cv` raises on bad weights only and turns a bad value into NaN
  statistics for its group (see its Notes).

Pure numpy/pandas: no I/O, no plotting, no settings.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "cv",
    "grouped_weighted_cv",
    "unit_contributions",
    "theil_decomposition",
    "weighted_cv",
    "weighted_gini",
    "weighted_mean",
    "weighted_std",
    "weighted_theil",
    "weighted_var",
]

#: Columns that :func:`grouped_weighted_cv` adds after the group keys, in order.
GROUPED_COLUMNS = ("n_units", "total_weight", "mean", "std", "cv", "cv_unweighted", "cv_sample")

_NAN = float("nan")


# ---------------------------------------------------------------------------------------------
# Input checks


def _as_float_array(data: Any, name: str) -> np.ndarray:
    """``data`` as a one-dimensional float64 array (pandas NA becomes NaN)."""
    if isinstance(data, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray)):
        arr = pd.Series(data).to_numpy(dtype=float, na_value=np.nan)
    else:
        arr = np.asarray(data, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _first_bad(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def check_weights(w: np.ndarray, name: str = "weights") -> None:
    if not np.isfinite(w).all():
        i = _first_bad(~np.isfinite(w))
        raise ValueError(f"{name} must be finite; found {float(w[i])} at position {i}")
    if (w < 0).any():
        i = _first_bad(w < 0)
        raise ValueError(f"{name} must be non-negative; found {float(w[i])} at position {i}")


def _clean(
    values: Any, weights: Any, *, non_negative_values: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``values`` and ``weights``; return both restricted to the positive weights."""
    x = _as_float_array(values, "values")
    w = _as_float_array(weights, "weights")
    if x.shape != w.shape:
        raise ValueError(f"values and weights must have the same length, got {x.size} and {w.size}")
    if not np.isfinite(x).all():
        i = _first_bad(~np.isfinite(x))
        raise ValueError(f"values must be finite; found {float(x[i])} at position {i}")
    check_weights(w)
    if non_negative_values and (x < 0).any():
        i = _first_bad(x < 0)
        raise ValueError(f"values must be non-negative; found {float(x[i])} at position {i}")
    keep = w > 0
    return x[keep], w[keep]


# ---------------------------------------------------------------------------------------------
# The maths, on clean arrays (finite values, positive finite weights)


def _weighted_mean(x: np.ndarray, w: np.ndarray) -> float:
    total = w.sum()
    if x.size == 0 or total == 0:
        return _NAN
    # Σw·x / Σw, written as pivot + Σw·(x − pivot) / Σw so that constant data (and a single
    # school) give their value back exactly, hence a CV of exactly 0.
    pivot = x[0]
    return float(pivot + np.dot(w, x - pivot) / total)


def _weighted_var(x: np.ndarray, w: np.ndarray) -> float:
    mean = _weighted_mean(x, w)  # first pass
    if np.isnan(mean):
        return _NAN
    dev = x - mean  # second pass
    return float(np.dot(w, dev * dev) / w.sum())


def _weighted_std(x: np.ndarray, w: np.ndarray) -> float:
    return float(np.sqrt(_weighted_var(x, w)))


def _weighted_cv(x: np.ndarray, w: np.ndarray) -> float:
    mean = _weighted_mean(x, w)
    if np.isnan(mean) or mean == 0:
        return _NAN
    return _weighted_std(x, w) / mean


def _weighted_gini(x: np.ndarray, w: np.ndarray) -> float:
    income = np.dot(w, x)
    if x.size == 0 or income == 0:
        return _NAN
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    cum = np.cumsum(ws)
    total = cum[-1]
    # Σ w_i (2C_i − w_i − W) = 0, so measuring x from the minimum changes nothing in exact
    # arithmetic; it avoids cancellation and makes constant data give exactly 0.
    gini = np.dot(ws * (xs - xs[0]), 2.0 * cum - ws - total) / (total * income)
    return float(max(gini, 0.0))


def _xlogx_ratio(x: np.ndarray, ref: np.ndarray | float) -> np.ndarray:
    """ln(x / ref) where x > 0, and 0 where x == 0 (so that 0·ln 0 = 0).

    The quotient is only formed where x > 0: a group whose every school has the value 0 has
    the reference 0 too, and 0 / 0 must neither warn nor leak a NaN.
    """
    x = np.asarray(x, dtype=float)
    ref = np.broadcast_to(np.asarray(ref, dtype=float), x.shape)
    out = np.zeros(x.shape)
    pos = x > 0
    out[pos] = np.log(x[pos] / ref[pos])
    return out


def _weighted_theil(x: np.ndarray, w: np.ndarray) -> float:
    mean = _weighted_mean(x, w)
    if np.isnan(mean) or mean == 0:
        return _NAN
    income = w * x
    share = income / income.sum()
    return float(np.dot(share, _xlogx_ratio(x, mean)))


# ---------------------------------------------------------------------------------------------
# Public scalar functions


def weighted_mean(values: Any, weights: Any) -> float:
    """Weighted mean: the county value of an indicator.

    Parameters
    ----------
    values : array-like of float
        One value per school, e.g. books per student.
    weights : array-like of float
        Frequency weights, e.g. students per school. Non-negative, same length as ``values``.

    Returns
    -------
    float
        :math:`\\sum w_i x_i / \\sum w_i`. For per-student values with students as weights this is
        the ratio of the county totals, Σ R / Σ P.

    Raises
    ------
    ValueError
        If the lengths differ, a weight is negative, or an entry is NaN or infinite.

    Notes
    -----
    .. math:: \\bar x = \\frac{\\sum_i w_i x_i}{\\sum_i w_i}

    Rows with weight 0 are dropped. Empty input or total weight 0 gives NaN. The sum is taken
    around the first value (:math:`x_0 + \\sum w_i (x_i - x_0) / \\sum w_i`), which is the same
    number but returns constant data exactly.

    Examples
    --------
    >>> students = [45, 37, 89, 76, 55]
    >>> books = [279, 137, 935, 160, 402]
    >>> per_student = np.divide(books, students)
    >>> round(weighted_mean(per_student, students), 6), round(1913 / 302, 6)
    (6.334437, 6.334437)
    >>> weighted_mean([], [])
    nan
    """
    return _weighted_mean(*_clean(values, weights))


def weighted_var(values: Any, weights: Any) -> float:
    """Weighted population variance (frequency weights, no *n* − 1 correction).

    Parameters
    ----------
    values : array-like of float
        One value per school.
    weights : array-like of float
        Frequency weights (students). Non-negative, same length as ``values``.

    Returns
    -------
    float
        :math:`\\ge 0`; 0 when all schools have the same value.

    Raises
    ------
    ValueError
        If the lengths differ, a weight is negative, or an entry is NaN or infinite.

    Notes
    -----
    .. math:: \\sigma^2 = \\sum_i \\frac{w_i}{\\sum_j w_j} (x_i - \\bar x)^2

    Two passes: :func:`weighted_mean` first, then the weighted squared deviations from it (no
    Σx² − (Σx)² cancellation). ddof is 0: the weights count students, and the official formula
    has no *n* − 1. Rows with weight 0 are dropped; empty input or total weight 0 gives NaN; a
    single school gives 0.

    Examples
    --------
    >>> weighted_var([1.0, 3.0], [1, 1])
    1.0
    >>> weighted_var([1.0, 3.0], [3, 1])  # mean 1.5: (3·0.25 + 1·2.25) / 4
    0.75
    """
    return _weighted_var(*_clean(values, weights))


def weighted_std(values: Any, weights: Any) -> float:
    """Weighted population standard deviation, the square root of :func:`weighted_var`.

    Parameters
    ----------
    values : array-like of float
        One value per school.
    weights : array-like of float
        Frequency weights (students). Non-negative, same length as ``values``.

    Returns
    -------
    float
        :math:`\\ge 0`, in the units of ``values``.

    Raises
    ------
    ValueError
        If the lengths differ, a weight is negative, or an entry is NaN or infinite.

    Notes
    -----
    .. math:: S = \\sqrt{\\sum_i \\frac{w_i}{\\sum_j w_j} (x_i - \\bar x)^2}

    Same conventions as :func:`weighted_var`: ddof 0, weight-0 rows dropped, empty input or total
    weight 0 → NaN, a single school → 0.

    Examples
    --------
    >>> weighted_std([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0], [1] * 8)
    2.0
    >>> weighted_std([2.0, 4.0, 5.0, 7.0, 9.0], [1, 3, 2, 1, 1])  # the same data, weighted
    2.0
    """
    return _weighted_std(*_clean(values, weights))


def weighted_cv(values: Any, weights: Any) -> float:
    """The official 差异系数: student-weighted population coefficient of variation.

    Parameters
    ----------
    values : array-like of float
        One value per school (or school part) of one county and level, e.g. m² per student.
    weights : array-like of float
        Students per school (frequency weights). Non-negative, same length as ``values``.

    Returns
    -------
    float
        :math:`S / \\bar x`; 0 = identical schools. The 2017 办法 requires ≤ 0.50 (小学) and
        ≤ 0.45 (初中) for each indicator.

    Raises
    ------
    ValueError
        If the lengths differ, a weight is negative, or an entry is NaN or infinite.

    Notes
    -----
    .. math::

        CV = \\frac{S}{\\bar x}, \\quad
        S = \\sqrt{\\sum_i \\frac{P_i}{P} (x_i - \\bar x)^2}, \\quad
        \\bar x = \\frac{\\sum_i P_i x_i}{P}, \\quad P = \\sum_i P_i

    This is the form of the worked example in indicator rules §2.2 (5 schools, books per
    student → 0.51526). The weights are frequency weights and ddof is 0: no *n* − 1 correction.
    The CV does not change when the values are rescaled (×100 for "每百名学生" indicators) or
    when all weights are multiplied by a constant.

    Edge cases: rows with weight 0 are dropped; empty input or total weight 0 → NaN; mean 0 →
    NaN (not infinity); a single school → 0.

    References
    ----------
    县域义务教育校际均衡指标计算方法（以生均图书册数为例）, https://m.777doc.com/doc-2019910.html

    Examples
    --------
    >>> students = [45, 37, 89, 76, 55]
    >>> books = [279, 137, 935, 160, 402]
    >>> round(weighted_cv(np.divide(books, students), students), 5)
    0.51526
    >>> weighted_cv([7.5], [300])
    0.0
    >>> weighted_cv([0.0, 0.0], [10, 20])
    nan
    """
    return _weighted_cv(*_clean(values, weights))


def cv(values: Any, *, ddof: int = 0) -> float:
    """Unweighted coefficient of variation, for diagnostics only (not the official form).

    Parameters
    ----------
    values : array-like of float
        One value per school.
    ddof : int, default 0
        Delta degrees of freedom: 0 gives the population form, 1 the sample (*n* − 1) form.

    Returns
    -------
    float
        :math:`s / \\bar x` with :math:`s^2 = \\sum (x_i - \\bar x)^2 / (n - \\mathrm{ddof})`.

    Raises
    ------
    ValueError
        If an entry is NaN or infinite, or ``ddof`` is negative.

    Notes
    -----
    Equal to ``weighted_cv(values, ones)`` when ``ddof=0``. Schools count equally whatever their
    size, which is why this form disagrees with the official 差异系数. Empty input → NaN;
    *n* ≤ ``ddof`` (e.g. one school with ``ddof=1``) → NaN; mean 0 → NaN; a single school with
    ``ddof=0`` → 0.

    Examples
    --------
    >>> per_student = np.divide([279, 137, 935, 160, 402], [45, 37, 89, 76, 55])
    >>> round(cv(per_student), 4), round(cv(per_student, ddof=1), 4)
    (0.4888, 0.5465)
    """
    if ddof < 0:
        raise ValueError(f"ddof must be non-negative, got {ddof}")
    x = _as_float_array(values, "values")
    x, w = _clean(x, np.ones_like(x))
    n = x.size
    if n <= ddof:
        return _NAN
    mean = _weighted_mean(x, w)
    if np.isnan(mean) or mean == 0:
        return _NAN
    var = _weighted_var(x, w) * n / (n - ddof)
    return float(np.sqrt(var) / mean)


def weighted_gini(values: Any, weights: Any) -> float:
    """Weighted Gini coefficient of per-student values across schools.

    Parameters
    ----------
    values : array-like of float
        One non-negative value per school.
    weights : array-like of float
        Students per school (frequency weights). Non-negative, same length as ``values``.

    Returns
    -------
    float
        In [0, 1): 0 = every student has the same value.

    Raises
    ------
    ValueError
        If the lengths differ, a weight or value is negative, or an entry is NaN or infinite.

    Notes
    -----
    Half the weighted mean absolute difference over the mean:

    .. math::

        G = \\frac{\\sum_i \\sum_j w_i w_j |x_i - x_j|}{2 W^2 \\bar x}
          = \\frac{\\sum_i w_i x_i (2 C_i - w_i - W)}{W \\sum_i w_i x_i}

    with the values sorted ascending, :math:`C_i` the cumulative weight up to and including *i*
    and :math:`W = \\sum w_i`. With integer weights it equals the unweighted Gini of the sample
    in which school *i* is repeated :math:`w_i` times (no small-sample n/(n − 1) factor).
    Rows with weight 0 are dropped; empty input, total weight 0 or mean 0 → NaN.

    Examples
    --------
    >>> weighted_gini([0, 0, 0, 10, 10, 10], [1] * 6)
    0.5
    >>> weighted_gini([0, 10], [3, 3])
    0.5
    >>> weighted_gini([4.0, 4.0, 4.0], [1, 2, 3])
    0.0
    """
    return _weighted_gini(*_clean(values, weights, non_negative_values=True))


def weighted_theil(values: Any, weights: Any) -> float:
    """Weighted Theil T index (GE(1)) of per-student values across schools.

    Parameters
    ----------
    values : array-like of float
        One non-negative value per school.
    weights : array-like of float
        Students per school: population weights. Non-negative, same length as ``values``.

    Returns
    -------
    float
        In [0, ln W/w_min]; 0 = every student has the same value.

    Raises
    ------
    ValueError
        If the lengths differ, a weight or value is negative, or an entry is NaN or infinite.

    Notes
    -----
    .. math::

        T = \\sum_i s_i \\ln \\frac{x_i}{\\bar x}, \\qquad
        s_i = \\frac{w_i x_i}{\\sum_j w_j x_j}, \\qquad
        \\bar x = \\frac{\\sum_j w_j x_j}{\\sum_j w_j}

    The population shares are :math:`w_i / W`, the resource ("income") shares :math:`s_i` use
    :math:`w_i x_i`. A school with value 0 contributes 0 (0 · ln 0 = 0). Rows with weight 0 are
    dropped; empty input, total weight 0 or mean 0 → NaN. See :func:`theil_decomposition` for
    the between/within split.

    Examples
    --------
    >>> t = weighted_theil([0, 0, 0, 10, 10, 10], [1] * 6)
    >>> bool(np.isclose(t, np.log(2)))
    True
    >>> weighted_theil([3.0, 3.0], [10, 40])
    0.0
    """
    return _weighted_theil(*_clean(values, weights, non_negative_values=True))


# ---------------------------------------------------------------------------------------------
# Frame functions


def _as_keys(by: Hashable | Sequence[Hashable]) -> list[Hashable]:
    if isinstance(by, (list, tuple)):
        return list(by)
    return [by]


def theil_decomposition(
    frame: pd.DataFrame,
    value: Hashable,
    weight: Hashable,
    group: Hashable | Sequence[Hashable],
) -> pd.Series:
    """Split the weighted Theil T index into between-group and within-group parts.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per school.
    value : hashable
        Column of non-negative per-student values.
    weight : hashable
        Column of students (population weights).
    group : hashable or list of hashable
        Column(s) that define the groups, e.g. ``"area_type"`` (urban / town / rural).

    Returns
    -------
    pandas.Series
        Named ``"theil"`` with index ``total``, ``between``, ``within``;
        ``total == between + within`` up to rounding (1e-12).

    Raises
    ------
    ValueError
        If a weight is negative, a value is negative, or an entry is NaN or infinite.

    Notes
    -----
    With :math:`S_g = \\sum_{i \\in g} w_i x_i / \\sum_i w_i x_i` the resource share of group *g*,
    :math:`\\bar x_g` its weighted mean and :math:`T_g` its own Theil index:

    .. math::

        T = \\underbrace{\\sum_g S_g \\ln \\frac{\\bar x_g}{\\bar x}}_{\\text{between}}
          + \\underbrace{\\sum_g S_g T_g}_{\\text{within}}

    ``total`` is computed directly with :func:`weighted_theil`, not as the sum. Rows with weight 0
    are dropped; missing group keys form their own group. Empty input, total weight 0 or mean 0
    → all three NaN.

    Examples
    --------
    >>> schools = pd.DataFrame({
    ...     "area_type": ["urban", "urban", "rural", "rural"],
    ...     "books_per_student": [12.0, 8.0, 4.0, 4.0],
    ...     "students": [100, 100, 50, 150],
    ... })
    >>> parts = theil_decomposition(schools, "books_per_student", "students", "area_type")
    >>> parts.round(4).to_dict()
    {'total': 0.1093, 'between': 0.0949, 'within': 0.0144}
    """
    keys = _as_keys(group)
    x_all = _as_float_array(frame[value], f"column {value!r}")
    w_all = _as_float_array(frame[weight], f"column {weight!r}")
    x, w = _clean(x_all, w_all, non_negative_values=True)
    keep = w_all > 0
    codes = frame.loc[keep, keys].groupby(keys, sort=False, dropna=False, observed=True).ngroup()
    codes = codes.to_numpy()
    total = _weighted_theil(x, w)
    if np.isnan(total):
        between = within = _NAN
    else:
        income = w * x
        total_income = income.sum()
        mean = _weighted_mean(x, w)
        n_groups = int(codes.max()) + 1
        group_weight = np.bincount(codes, weights=w, minlength=n_groups)
        group_income = np.bincount(codes, weights=income, minlength=n_groups)
        group_mean = group_income / group_weight
        group_share = group_income / total_income
        between = float(np.dot(group_share, _xlogx_ratio(group_mean, mean)))
        within = float(np.dot(income / total_income, _xlogx_ratio(x, group_mean[codes])))
    return pd.Series(
        {"total": total, "between": between, "within": within}, name="theil", dtype=float
    )


def _first_rows(codes: np.ndarray, rows: np.ndarray, n_groups: int) -> np.ndarray:
    """Smallest of ``rows`` per group code (int64 max for a code that does not occur); O(n)."""
    first = np.full(n_groups, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, codes, rows)
    return first


def grouped_weighted_cv(
    frame: pd.DataFrame,
    value: Hashable,
    weight: Hashable,
    by: Hashable | Sequence[Hashable],
) -> pd.DataFrame:
    """Weighted mean, std and CV (plus unweighted diagnostics) for many groups in one pass.

    Parameters
    ----------
    frame : pandas.DataFrame
        Long table, one row per school (unit) and group, e.g. per county, year, level and
        indicator.
    value : hashable
        Column of values (e.g. the per-student value of an indicator).
    weight : hashable
        Column of frequency weights (students). Must be non-negative and not missing.
    by : hashable or list of hashable
        Group key column(s), e.g. ``["county_id", "year", "level", "indicator"]``.

    Returns
    -------
    pandas.DataFrame
        One row per group, sorted by the keys, with the key columns followed by

        * ``n_units``: rows with a positive weight (int);
        * ``total_weight``: Σ w;
        * ``mean``: Σ w·x / Σ w, the county value;
        * ``std``: weighted population standard deviation;
        * ``cv``: ``std / mean``, the official 差异系数 (see :func:`weighted_cv`);
        * ``cv_unweighted``: unweighted population CV over the units (diagnostic);
        * ``cv_sample``: unweighted sample (*n* − 1) CV (diagnostic).

    Raises
    ------
    ValueError
        If a weight is negative, NaN or infinite.

    Notes
    -----
    The groups are coded once (``groupby(...).ngroup()``); every sum is then a ``np.bincount``
    over the codes, with no Python loop over groups. Two passes: the group means are computed
    first and broadcast back to the rows by indexing with the codes, then the weighted squared
    deviations are summed. Each group is centred on its first value before the first pass, so a
    single unit or constant values give exactly ``std == 0``. The results equal
    :func:`weighted_mean`, :func:`weighted_std`, :func:`weighted_cv` and :func:`cv` applied to
    each group separately.

    Edge cases:

    * rows with weight 0 are dropped from **all** statistics, ``n_units`` included (a school
      without students is not a unit); their values may be NaN (e.g. 0/0);
    * a group whose rows all have weight 0 is still returned, with ``n_units`` 0,
      ``total_weight`` 0 and NaN statistics;
    * a NaN or infinite value on a row with positive weight makes ``mean``, ``std``, ``cv``,
      ``cv_unweighted`` and ``cv_sample`` of its group NaN (other groups are unaffected);
      ``n_units`` and ``total_weight`` still count the row;
    * mean 0 → ``cv`` and ``cv_unweighted`` NaN; a single unit → ``std`` and ``cv`` 0 and
      ``cv_sample`` NaN;
    * missing key values form their own group (``dropna=False``); empty input gives an empty
      frame with the same columns.

    Examples
    --------
    >>> long = pd.DataFrame({
    ...     "county_id": ["A"] * 5 + ["B"] * 2,
    ...     "students": [45, 37, 89, 76, 55, 300, 0],
    ...     "books": [279, 137, 935, 160, 402, 2400, 0],
    ... })
    >>> long["books_per_student"] = long.books / long.students  # 0/0 = NaN, weight 0
    >>> out = grouped_weighted_cv(long, "books_per_student", "students", ["county_id"])
    >>> out[["county_id", "n_units", "total_weight", "mean", "cv", "cv_unweighted"]].round(4)
      county_id  n_units  total_weight    mean      cv  cv_unweighted
    0         A        5         302.0  6.3344  0.5153         0.4888
    1         B        1         300.0  8.0000  0.0000         0.0000
    """
    keys = _as_keys(by)
    w = _as_float_array(frame[weight], f"column {weight!r}")
    check_weights(w, f"column {weight!r}")
    x = _as_float_array(frame[value], f"column {value!r}")
    grouped = frame.groupby(keys, sort=True, dropna=False, observed=True)
    codes = grouped.ngroup().to_numpy()
    n_groups = int(codes.max()) + 1 if codes.size else 0  # every code 0 … n_groups − 1 occurs
    rows = np.arange(codes.size)
    out = frame[keys].iloc[_first_rows(codes, rows, n_groups)].reset_index(drop=True)
    stats = weighted_cv_by_code(x, w, codes, n_groups)
    return pd.concat([out, pd.DataFrame(stats, index=out.index)], axis=1)


def weighted_cv_by_code(x: np.ndarray, w: np.ndarray, codes: np.ndarray, n_groups: int
                        ) -> dict[str, np.ndarray]:
    """The statistics of :func:`grouped_weighted_cv` (:data:`GROUPED_COLUMNS`) for groups
    given as integer codes 0 … ``n_groups`` − 1 (weights already checked), one array each.

    >>> st = weighted_cv_by_code(np.array([279 / 45, 137 / 37, 935 / 89, 160 / 76, 402 / 55]),
    ...                          np.array([45.0, 37, 89, 76, 55]), np.zeros(5, dtype=int), 1)
    >>> round(float(st["cv"][0]), 4)
    0.5153
    """
    rows = np.arange(codes.size)
    positive = w > 0
    finite = np.isfinite(x)
    bad = positive & ~finite
    used = positive & finite
    ww = np.where(used, w, 0.0)
    uu = used.astype(float)
    xx = np.where(used, x, 0.0)

    def gsum(weights: np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=weights, minlength=n_groups)

    n_units = gsum(positive.astype(float))
    total_weight = gsum(np.where(positive, w, 0.0))
    weight_used = gsum(ww)
    n_used = gsum(uu)
    n_bad = gsum(bad.astype(float))

    # pivot: the first usable value of each group (0 for a group without one)
    first_usable = _first_rows(codes[used], rows[used], n_groups)
    has_usable = first_usable < codes.size
    pivot = np.zeros(n_groups)
    pivot[has_usable] = x[first_usable[has_usable]]
    shifted = np.where(used, xx - pivot[codes], 0.0)

    with np.errstate(divide="ignore", invalid="ignore"):
        # pass 1: group means, broadcast back to the rows
        mean = pivot + gsum(ww * shifted) / weight_used
        mean_unw = pivot + gsum(uu * shifted) / n_used
        # pass 2: squared deviations from them
        dev = np.where(used, xx - mean[codes], 0.0)
        dev_unw = np.where(used, xx - mean_unw[codes], 0.0)
        var = gsum(ww * dev * dev) / weight_used
        sq_unw = gsum(uu * dev_unw * dev_unw)
        std = np.sqrt(var)
        cv_w = np.where(mean == 0, np.nan, std / mean)
        cv_unw = np.where(mean_unw == 0, np.nan, np.sqrt(sq_unw / n_used) / mean_unw)
        var_sample = np.where(n_used > 1, sq_unw / (n_used - 1), np.nan)
        cv_smp = np.where(mean_unw == 0, np.nan, np.sqrt(var_sample) / mean_unw)

    invalid = (n_bad > 0) | (n_used == 0)
    stats = {
        "n_units": n_units.astype(np.int64),
        "total_weight": total_weight,
        "mean": mean,
        "std": std,
        "cv": cv_w,
        "cv_unweighted": cv_unw,
        "cv_sample": cv_smp,
    }
    for name in GROUPED_COLUMNS[2:]:
        stats[name] = np.where(invalid, np.nan, stats[name])
    return stats


#: Columns that :func:`unit_contributions` returns, in order.
CONTRIBUTION_COLUMNS = ("cv", "share_of_variance", "cv_without")


def unit_contributions(
    frame: pd.DataFrame,
    value: Hashable,
    weight: Hashable,
    by: Hashable | Sequence[Hashable],
) -> pd.DataFrame:
    """How much each unit weighs on its group's 差异系数: its share of the weighted variance
    and the CV of its group without it.

    Parameters
    ----------
    frame : pandas.DataFrame
        Long table, one row per unit and group (as for :func:`grouped_weighted_cv`).
    value, weight : hashable
        Columns of values and of frequency weights (students; non-negative, not missing).
    by : hashable or list of hashable
        Group key column(s), e.g. ``["county_id", "year", "level", "indicator"]``.

    Returns
    -------
    pandas.DataFrame
        Aligned with ``frame`` (same index), columns

        * ``cv``: the group's official CV (:func:`weighted_cv`);
        * ``share_of_variance``: the unit's term of the weighted variance over the variance,
          :math:`\\frac{(P_i/P)(X_i-\\bar X)^2}{\\sum_j (P_j/P)(X_j-\\bar X)^2}`, in 0–1; the
          shares of a group add up to 1;
        * ``cv_without``: the group's CV recomputed without the unit (its students and its
          numerator removed from the county value too).

    Notes
    -----
    Vectorised: the group sums of the weights and of the weighted squared deviations
    :math:`d_i = X_i - \\bar X` are taken once; without unit *i*, the weight is
    :math:`P - P_i`, the mean moves by :math:`m_i = -P_i d_i / (P - P_i)` and the variance is
    :math:`(P V - P_i d_i^2) / (P - P_i) - m_i^2` (exact algebra, no second pass per unit).
    Rows with weight 0 (and rows whose value is not finite) get NaN, as does a unit alone in
    its group (``cv_without``), or a group without variance (``share_of_variance``).

    Examples
    --------
    Three schools of 100, 100 and 200 students with 1, 2 and 3 (per student): the county
    value is (100 + 200 + 600) / 400 = 2.25, the variance (0.25·1.5625 + 0.25·0.0625 +
    0.5·0.5625) = 0.6875, so the first school holds 0.390625 / 0.6875 = 0.568 of it; without
    it the county value is 800 / 300 = 2.667 and the CV 0.4714 / 2.667 = 0.177; without the
    third, the first two (1 and 2, 100 students each) give 0.5 / 1.5 = 0.333.

    >>> f = pd.DataFrame({"g": ["A"] * 3, "x": [1.0, 2.0, 3.0], "p": [100, 100, 200]})
    >>> unit_contributions(f, "x", "p", "g").round(4)
           cv  share_of_variance  cv_without
    0  0.3685             0.5682      0.1768
    1  0.3685             0.0227      0.4041
    2  0.3685             0.4091      0.3333
    """
    keys = _as_keys(by)
    w = _as_float_array(frame[weight], f"column {weight!r}")
    check_weights(w, f"column {weight!r}")
    x = _as_float_array(frame[value], f"column {value!r}")
    codes = frame.groupby(keys, sort=True, dropna=False, observed=True).ngroup().to_numpy()
    n_groups = int(codes.max()) + 1 if codes.size else 0
    used = (w > 0) & np.isfinite(x)
    ww = np.where(used, w, 0.0)
    xx = np.where(used, x, 0.0)

    def gsum(v: np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=v, minlength=n_groups)

    with np.errstate(divide="ignore", invalid="ignore"):
        total = gsum(ww)
        mean = gsum(ww * xx) / total
        d = np.where(used, xx - mean[codes], 0.0)
        var = gsum(ww * d * d) / total
        cv_g = np.where(mean == 0, np.nan, np.sqrt(var) / mean)
        t = total[codes]
        share = np.where(var[codes] > 0, ww * d * d / (t * var[codes]), np.nan)
        rest = t - ww
        shift = -ww * d / rest
        var_wo = (t * var[codes] - ww * d * d) / rest - shift * shift
        mean_wo = mean[codes] + shift
        cv_wo = np.sqrt(np.maximum(var_wo, 0.0)) / mean_wo
        cv_wo = np.where((rest > 0) & (mean_wo != 0), cv_wo, np.nan)
    bad = gsum((~np.isfinite(x) & (w > 0)).astype(float)) > 0  # a group with a bad value
    invalid = ~used | bad[codes]
    out = pd.DataFrame({"cv": np.where(bad[codes], np.nan, cv_g[codes]),
                        "share_of_variance": np.where(invalid, np.nan, share),
                        "cv_without": np.where(invalid, np.nan, cv_wo)}, index=frame.index)
    return out
