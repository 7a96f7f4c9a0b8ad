"""Enrolment projection per school, level and grade (cohort survival), with a back-test.

The history is ``classes.csv``: students and classes per (year, school, grade). Grades are held
as an array ``[year, school, grade]`` with the nine compulsory grades 1–9 on the last axis, so a
projection step is array arithmetic over all schools at once (the only Python loop is over the
few projected years, each of which depends on the one before).

One projected year *y* from *y − 1*:

* **progression**: grade *g* at school *s* = grade *g − 1* at *s* a year earlier × the school's
  grade progression ratio ``r[s, g]``: the median over consecutive observed years of
  ``N(t, s, g) / N(t − 1, s, g − 1)`` (a median, so that one year's jump, such as a school
  absorbing another, does not compound into every projected year); the county's pooled ratio
  of that grade when the school has no such history;
* **grade 1**: the county's entering cohort × the school's mean share of it. The county cohort
  comes from a least-squares linear ``trend`` over the observed years, the ``mean`` of them, or
  from ``births`` six years earlier × the observed mean entry ratio (births/entrants);
* **grade 7**: the county's grade 6 a year earlier × the county's 6 → 7 ratio, shared among the
  schools with a junior section by each one's mean share of the county's grade 7.

Students stay real numbers (a share of a cohort); they are rounded only where classes are formed
and counts are shown.

Classes follow ``class_policy``: ``keep`` (the default, capacity-bound): every cohort keeps the
classes it entered with, and each year's entering grades open as many classes as the school
opened in the last observed year; sizes grow or shrink with the cohort. ``open``: a cohort gets
more classes when its size would exceed the class-size limit (45 小学 / 50 初中, from the
registry), never fewer than under ``keep``; the classrooms this needs beyond the last observed
year's are reported. Within a grade, students are spread as evenly as possible over its classes
(sizes differ by at most one), which is how projected class sizes and 大班额 are counted.

:func:`backtest` projects the last observed year from the earlier ones and compares it with
what was observed, per school and for the county. :func:`entry_backtest` compares the entry
methods on the history: each observed year's county grade 1 projected from the years before it
(at least two) by ``trend``, ``mean`` and, when the births are known, ``births``;
:func:`best_entry_method` names the one that fits best.

Births come from the county's ``births.csv`` (:func:`births_from_table`) or a scenario file;
with births for every year the projection needs, scenario files default to ``entry: births``
(:func:`default_entry`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Grades 1–9 on the last array axis (index 0 = grade 1).
GRADES = np.arange(1, 10)
#: Index of the entering grade of each level (grade 1 and grade 7).
ENTRY = {"primary": 0, "junior": 6}
LEVEL_OF_GRADE = np.array(["primary"] * 6 + ["junior"] * 3)
ENTRY_METHODS = ("trend", "mean", "births")
CLASS_POLICIES = ("keep", "open")


@dataclass(frozen=True)
class ProjectionSettings:
    """How to project. Every field has a default, so ``ProjectionSettings()`` just works.

    Attributes
    ----------
    target_year
        Last projected year (school-year start), 2029 by default: the national evaluation.
    entry
        County grade-1 cohort: ``trend`` (linear over the observed years), ``mean`` or
        ``births`` (needs ``births``).
    births
        Births per calendar year (for ``entry="births"``); a child born in year *b* enters
        grade 1 in *b* + ``entry_age``.
    entry_age
        Age at grade 1 (6).
    class_policy
        ``keep`` or ``open`` (see the module notes).
    """

    target_year: int = 2029
    entry: str = "trend"
    births: Mapping[int, float] = field(default_factory=dict)
    entry_age: int = 6
    class_policy: str = "keep"


@dataclass(frozen=True)
class Cohorts:
    """Students and classes per (year, school, grade) as arrays: ``[year, school, grade]``."""

    years: np.ndarray
    school_ids: np.ndarray
    students: np.ndarray
    classes: np.ndarray

    def year_index(self, year: int) -> int:
        return int(np.searchsorted(self.years, year))

    def until(self, year: int) -> Cohorts:
        """The history up to and including ``year``."""
        keep = self.years <= year
        return Cohorts(self.years[keep], self.school_ids, self.students[keep], self.classes[keep])


@dataclass(frozen=True)
class Rates:
    """What the history says: per-school progression ratios and shares, county entry cohorts."""

    progression: np.ndarray  # [school, grade]; NaN at the entering grades
    share_entry: np.ndarray  # [school]: share of the county's grade 1
    share_junior: np.ndarray  # [school]: share of the county's grade 7
    ratio_6_7: float  # county grade 7 / county grade 6 a year earlier
    entry_years: np.ndarray  # observed years
    entry_county: np.ndarray  # observed county grade 1


def grade_table(classes: pd.DataFrame) -> pd.DataFrame:
    """Students and classes per (year, school_id, level, grade) from ``classes.csv`` rows.

    >>> c = pd.DataFrame({"year": 2024, "school_id": "S1", "level": "primary", "grade": [1, 1, 2],
    ...                   "class_id": ["a", "b", "c"], "students": [40, 42, 45]})
    >>> g = grade_table(c)
    >>> g.grade.tolist(), g.students.tolist(), g.classes.tolist()
    ([1, 2], [82.0, 45.0], [2, 1])
    """
    c = classes.assign(school_id=classes["school_id"].astype(str),
                       students=pd.to_numeric(classes["students"], errors="coerce").fillna(0.0))
    out = (c.groupby(["year", "school_id", "level", "grade"], sort=True, observed=True)
           .agg(students=("students", "sum"), classes=("students", "size")).reset_index())
    out["students"] = out["students"].astype(float)
    out["classes"] = out["classes"].astype(int)
    return out


def cohorts_from_classes(classes: pd.DataFrame, school_ids: np.ndarray | None = None) -> Cohorts:
    """Pivot ``classes.csv`` rows into :class:`Cohorts` (missing cells are 0)."""
    g = grade_table(classes)
    years = np.sort(g["year"].astype(int).unique())
    ids = np.sort(g["school_id"].unique()) if school_ids is None else np.asarray(school_ids, str)
    yi = np.searchsorted(years, g["year"].astype(int).to_numpy())
    si = pd.Index(ids).get_indexer(g["school_id"])
    gi = g["grade"].astype(int).to_numpy() - 1
    ok = (si >= 0) & (gi >= 0) & (gi < 9)
    students = np.zeros((len(years), len(ids), 9))
    classes_ = np.zeros((len(years), len(ids), 9), dtype=int)
    np.add.at(students, (yi[ok], si[ok], gi[ok]), g["students"].to_numpy()[ok])
    np.add.at(classes_, (yi[ok], si[ok], gi[ok]), g["classes"].to_numpy()[ok])
    return Cohorts(years, ids, students, classes_)


def _ratio(num: np.ndarray, den: np.ndarray, fallback: np.ndarray | float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        r = num / den
    return np.where(den > 0, r, fallback)


def _consecutive(years: np.ndarray) -> np.ndarray:
    """Indices t (≥ 1) whose year follows year t − 1 directly."""
    return np.flatnonzero(np.diff(years) == 1) + 1


def fit_rates(h: Cohorts) -> Rates:
    """Progression ratios, entry shares and the county 6 → 7 ratio from the history ``h``."""
    st = h.students
    t = _consecutive(h.years)
    num = st[t][:, :, 1:]  # [pair, school, grade 2..9]
    den = st[t - 1][:, :, :-1]  # [pair, school, grade 1..8]
    county = _ratio(num.sum(axis=(0, 1)), den.sum(axis=(0, 1)), 1.0)
    yearly = _ratio(num, den, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN: no history, county used
        median = np.nanmedian(yearly, axis=0) if len(t) else np.full(num.shape[1:], np.nan)
    prog = np.full((len(h.school_ids), 9), np.nan)
    prog[:, 1:] = np.where(np.isnan(median), county[None, :], median)
    prog[:, ENTRY["junior"]] = np.nan  # grade 7 comes from the county's grade 6

    def share(grade: int) -> np.ndarray:
        tot = st[:, :, grade].sum(axis=1, keepdims=True)
        s = _ratio(st[:, :, grade], tot, 0.0).mean(axis=0)
        return s / s.sum() if s.sum() > 0 else s

    g6 = st[t - 1][:, :, 5].sum()
    g7 = st[t][:, :, 6].sum()
    return Rates(
        progression=prog,
        share_entry=share(0),
        share_junior=share(6),
        ratio_6_7=float(g7 / g6) if g6 > 0 else 1.0,
        entry_years=h.years.copy(),
        entry_county=st[:, :, 0].sum(axis=1),
    )


def entry_cohorts(rates: Rates, years: np.ndarray, settings: ProjectionSettings) -> np.ndarray:
    """The county's grade-1 cohort in each of ``years``.

    >>> r = Rates(np.zeros((1, 9)), np.ones(1), np.ones(1), 1.0, np.array([2022, 2023, 2024]),
    ...           np.array([100.0, 110.0, 120.0]))
    >>> entry_cohorts(r, np.array([2025, 2026]), ProjectionSettings()).round(6).tolist()
    [130.0, 140.0]
    """
    return project_entry(rates.entry_years, rates.entry_county, years, settings)


def project_entry(observed_years: np.ndarray, observed: np.ndarray, years: np.ndarray,
                  settings: ProjectionSettings) -> np.ndarray:
    """The county's grade-1 cohort in ``years`` from the observed ones (``settings.entry``).

    ``births``: births ``entry_age`` years earlier × the mean observed ratio entrants / births
    (NaN where a birth year is missing).

    >>> s = ProjectionSettings(entry="births", births={2016: 200.0, 2017: 220.0, 2018: 180.0})
    >>> project_entry(np.array([2022, 2023]), np.array([100.0, 110.0]), np.array([2024]), s)
    array([90.])
    """
    x, yv = np.asarray(observed_years).astype(float), np.asarray(observed, dtype=float)
    years = np.asarray(years, dtype=float)
    if settings.entry == "births":
        births = {int(k): float(v) for k, v in settings.births.items()}
        age = settings.entry_age
        seen = [(b, e) for yr, e in zip(x, yv, strict=True) if (b := births.get(int(yr) - age))]
        rate = float(np.mean([e / b for b, e in seen])) if seen else 1.0
        return np.array([births.get(int(y) - settings.entry_age, np.nan) * rate for y in years])
    if settings.entry == "mean" or len(x) < 2:
        return np.full(len(years), float(yv.mean()))
    slope, intercept = np.polyfit(x - x.mean(), yv, 1)
    return np.maximum(intercept + slope * (years - x.mean()), 0.0)


def missing_birth_years(years: np.ndarray, settings: ProjectionSettings) -> list[int]:
    """Birth years the ``births`` method needs for ``years`` but does not have."""
    if settings.entry != "births":
        return []
    need = [int(y) - settings.entry_age for y in years]
    return [b for b in need if b not in {int(k) for k in settings.births}]


def project_students(h: Cohorts, rates: Rates, years: np.ndarray,
                     settings: ProjectionSettings) -> np.ndarray:
    """Students ``[year, school, grade]`` for ``years`` (consecutive, after the history)."""
    entry = entry_cohorts(rates, years, settings)
    out = np.zeros((len(years), len(h.school_ids), 9))
    prev = h.students[-1]
    prog = np.nan_to_num(rates.progression)
    for k in range(len(years)):
        cur = np.zeros_like(prev)
        cur[:, 1:] = prev[:, :-1] * prog[:, 1:]
        cur[:, 0] = entry[k] * rates.share_entry
        cur[:, 6] = prev[:, 5].sum() * rates.ratio_6_7 * rates.share_junior
        out[k] = cur
        prev = cur
    return out


def class_limits(registry) -> np.ndarray:
    """The class-size limit of each grade (B12: 45 小学, 50 初中) as a length-9 array."""
    ind = registry.indicator("B12")
    return np.array([float(ind.threshold(lv)) for lv in LEVEL_OF_GRADE])


def project_classes(students: np.ndarray, base_classes: np.ndarray, entry_classes: np.ndarray,
                    limits: np.ndarray, policy: str = "keep") -> np.ndarray:
    """Classes ``[year, school, grade]`` for projected ``students``.

    Parameters
    ----------
    students
        Projected students ``[year, school, grade]``.
    base_classes
        Classes ``[school, grade]`` of the last observed year (the cohorts move up from it).
    entry_classes
        Classes ``[year, school, grade]`` opened by the entering grades (1 and 7) each year;
        other grades are ignored.
    limits
        Class-size limit per grade.
    policy
        ``keep`` or ``open`` (see the module notes).

    Examples
    --------
    A cohort of 100 in 2 classes that grows to 120: ``keep`` stays at 2 classes (60 each),
    ``open`` opens a third (40 each).

    >>> st = np.zeros((1, 1, 9)); st[0, 0, 1] = 120
    >>> base = np.zeros((1, 9), int); base[0, 0] = 2
    >>> int(project_classes(st, base, np.zeros((1, 1, 9), int), np.full(9, 45.0))[0, 0, 1])
    2
    >>> int(project_classes(st, base, np.zeros((1, 1, 9), int), np.full(9, 45.0), "open")[0, 0, 1])
    3
    """
    n = np.rint(students)
    out = np.zeros(students.shape, dtype=int)
    prev = base_classes
    needed = np.ceil(n / limits).astype(int)
    for k in range(students.shape[0]):
        kept = np.zeros_like(prev)
        kept[:, 1:] = prev[:, :-1]
        for e in ENTRY.values():
            kept[:, e] = entry_classes[k][:, e]
        # a cohort with students and no class yet (a school's first intake) gets what it needs
        cls = np.where((kept == 0) & (n[k] > 0), needed[k], kept)
        if policy == "open":
            cls = np.maximum(cls, needed[k])
        cls = np.where(n[k] > 0, cls, 0)
        out[k] = cls
        prev = cls
    return out


def class_size_stats(students: np.ndarray, classes: np.ndarray, limits: np.ndarray,
                     large_min: float, super_min: float) -> dict[str, np.ndarray]:
    """Class sizes when a grade's students are spread evenly over its classes.

    Returns arrays of the input shape: ``max_class_size``, ``classes_over_limit``,
    ``large_classes`` (``large_min`` ≤ size < ``super_min``) and ``super_large_classes``.

    >>> s = class_size_stats(np.array([137.0]), np.array([3]), np.array([45.0]), 56, 66)
    >>> [int(s[k][0]) for k in ("max_class_size", "classes_over_limit")]
    [46, 2]
    """
    n = np.rint(students).astype(int)
    c = np.maximum(classes, 1)
    base, extra = np.divmod(n, c)
    small = c - extra  # classes of `base` students, `extra` classes of `base + 1`

    def count(pred) -> np.ndarray:
        return np.where(pred(base + 1), extra, 0) + np.where(pred(base), small, 0)

    has = classes > 0
    return {
        "max_class_size": np.where(has, base + (extra > 0), 0),
        "classes_over_limit": np.where(has, count(lambda x: x > limits), 0),
        "large_classes": np.where(has, count(lambda x: (x >= large_min) & (x < super_min)), 0),
        "super_large_classes": np.where(has, count(lambda x: x >= super_min), 0),
    }


def even_class_rows(students: np.ndarray, classes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One row per class: (index of its cell in the flattened arrays, its size), sizes even."""
    n = np.rint(students).astype(int).ravel()
    c = classes.ravel()
    cell = np.repeat(np.arange(c.size), c)
    pos = np.arange(cell.size) - np.repeat(np.cumsum(c) - c, c)  # 0..c-1 within its cell
    base, extra = np.divmod(n[cell], c[cell])
    return cell, base + (pos < extra)


def births_from_table(births: pd.DataFrame | None) -> dict[int, float]:
    """Births per birth year from a ``births`` table (one county); {} when there is none.

    >>> births_from_table(pd.DataFrame({"year": [2017, 2018], "births": [5600, 4700]}))
    {2017: 5600.0, 2018: 4700.0}
    """
    if births is None or births.empty or not {"year", "births"} <= set(births):
        return {}
    b = births[["year", "births"]].dropna()
    return {int(y): float(n) for y, n in zip(b["year"], b["births"], strict=True)}


def default_entry(births: Mapping[int, float], observed_years: np.ndarray,
                  years: np.ndarray, entry_age: int = 6) -> str:
    """``births`` when the births cover every projected year and some observed year (to fit
    the entry ratio), else ``trend``.

    >>> default_entry({2019: 1.0, 2020: 1.0}, np.array([2025]), np.array([2026]))
    'births'
    >>> default_entry({2020: 1.0}, np.array([2025]), np.array([2026, 2027]))
    'trend'
    """
    have = {int(k) for k in births}
    fits = any(int(y) - entry_age in have for y in observed_years)
    covers = all(int(y) - entry_age in have for y in years)
    return "births" if have and fits and covers else "trend"


def entry_backtest(h: Cohorts, births: Mapping[int, float] | None = None,
                   entry_age: int = 6, min_years: int = 2) -> pd.DataFrame:
    """Each entry method on the history: every observed year's county grade 1 projected from the
    years before it.

    A year is tested when at least ``min_years`` consecutive observed years come before it
    (rolling origin: only the years before are used). ``births`` is tested only where the
    births of the tested year and of an earlier year are known.

    Returns
    -------
    DataFrame
        One row per (method, tested year): ``method``, ``year``, ``observed``, ``projected``,
        ``error`` (projected − observed), ``abs_pct_error``.

    Examples
    --------
    Entrants follow births (0.5 per birth) while they fall; the trend and the mean lag behind:

    >>> c = pd.DataFrame({"year": [2022, 2023, 2024, 2025], "school_id": "A",
    ...                   "level": "primary", "grade": 1, "class_id": "a",
    ...                   "students": [100, 110, 100, 90]})
    >>> bt = entry_backtest(cohorts_from_classes(c), {2016: 200, 2017: 220, 2018: 200,
    ...                                              2019: 180})
    >>> bt.groupby("method").abs_pct_error.mean().round(3).to_dict()
    {'births': 0.0, 'mean': 0.099, 'trend': 0.174}
    """
    cols = ["method", "year", "observed", "projected", "error", "abs_pct_error"]
    births = {int(k): float(v) for k, v in (births or {}).items()}
    years = h.years.astype(int)
    county = h.students[:, :, 0].sum(axis=1)
    rows = []
    for k in range(min_years, len(years)):
        past = slice(k - min_years, k)
        if not np.all(np.diff(years[: k + 1][past.start:]) == 1):
            continue
        for method in ENTRY_METHODS:
            if method == "births":
                usable = [y for y in years[:k] if y - entry_age in births]
                if years[k] - entry_age not in births or not usable:
                    continue
            s = ProjectionSettings(entry=method, births=births, entry_age=entry_age)
            proj = float(project_entry(years[:k], county[:k], years[k:k + 1], s)[0])
            rows.append((method, int(years[k]), float(county[k]), proj))
    frame = pd.DataFrame(rows, columns=cols[:4])
    frame["error"] = frame["projected"] - frame["observed"]
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["abs_pct_error"] = np.where(frame.observed > 0,
                                          frame["error"].abs() / frame["observed"], np.nan)
    return frame[cols]


def best_entry_method(bt: pd.DataFrame) -> dict[str, object]:
    """The methods' mean absolute percentage error over the years tested for every one of
    them, and the best (None when nothing could be tested).

    >>> bt = pd.DataFrame({"method": ["trend", "mean", "trend", "mean"], "year": [24, 24, 25, 25],
    ...                    "abs_pct_error": [0.1, 0.02, 0.3, 0.04]})
    >>> best_entry_method(bt)
    {'methods': {'trend': 0.2, 'mean': 0.03}, 'years': [24, 25], 'best': 'mean'}
    """
    if bt.empty:
        return {"methods": {}, "years": [], "best": None}
    per = bt.pivot_table(index="year", columns="method", values="abs_pct_error")
    # compare on the years every method was tested in; a method tested in none drops out
    methods = [m for m in ENTRY_METHODS if m in per]
    full = per[methods].dropna(axis=0, how="any")
    if full.empty:
        methods = [m for m in methods if per[m].notna().all()] or methods[:1]
        full = per[methods].dropna(axis=0, how="any")
    mape = {m: round(float(full[m].mean()), 6) for m in methods if m in full}
    best = min(mape, key=lambda m: (mape[m], ENTRY_METHODS.index(m))) if mape else None
    return {"methods": mape, "years": [int(y) for y in full.index], "best": best}


def backtest(h: Cohorts, settings: ProjectionSettings | None = None) -> pd.DataFrame:
    """Project the last observed year from the earlier ones and compare with what was observed.

    Returns one row per school with students in the last year (``observed``, ``projected``,
    ``error`` = projected − observed, ``abs_pct_error``) and a final row ``school_id="county"``
    for the county total. Empty when fewer than three observed years (two are needed to fit the
    ratios, one to test).
    """
    cols = ["school_id", "observed", "projected", "error", "abs_pct_error"]
    settings = settings or ProjectionSettings()
    if len(h.years) < 3 or h.years[-1] - h.years[-2] != 1:
        return pd.DataFrame(columns=cols)
    past = h.until(int(h.years[-2]))
    rates = fit_rates(past)
    if settings.entry == "births" and missing_birth_years(h.years[-1:], settings):
        settings = ProjectionSettings(entry="trend")
    proj = project_students(past, rates, h.years[-1:], settings)[0].sum(axis=1)
    obs = h.students[-1].sum(axis=1)
    frame = pd.DataFrame({"school_id": h.school_ids, "observed": obs, "projected": proj})
    frame = frame[(frame.observed > 0) | (frame.projected > 0)]
    total = pd.DataFrame({"school_id": ["county"], "observed": [obs.sum()],
                          "projected": [proj.sum()]})
    frame = pd.concat([frame, total], ignore_index=True)
    frame["error"] = frame["projected"] - frame["observed"]
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["abs_pct_error"] = np.where(frame.observed > 0,
                                          (frame["error"].abs() / frame["observed"]), np.nan)
    return frame[cols]


def backtest_summary(bt: pd.DataFrame) -> dict[str, float | None]:
    """County error (%) and the schools' mean and largest absolute percentage error."""
    if bt.empty:
        return {"county_pct_error": None, "school_mape": None, "school_max_ape": None}
    county = bt[bt.school_id == "county"].iloc[0]
    schools = bt[bt.school_id != "county"]["abs_pct_error"].dropna()
    return {
        "county_pct_error": float(county.error / county.observed) if county.observed else None,
        "school_mape": float(schools.mean()) if len(schools) else None,
        "school_max_ape": float(schools.max()) if len(schools) else None,
    }
