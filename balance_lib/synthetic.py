"""Random school tables at any scale, for tests and benchmarks (not the sample county).

:func:`make_schools` draws a ``schools`` table in the canonical vocabulary with a realistic mix
of school types, vectorised with numpy so that a synthetic nation (2,895 counties, ~240,000 rows)
takes well under a second. Values are plausible but carry no meaning; the sample county in
``data/sample`` is made by :mod:`balance_lib.sample` instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: (type, share of schools) roughly as in the national statistics (rules §7).
TYPE_MIX = (
    ("primary", 0.56),
    ("teaching_point", 0.20),
    ("junior", 0.13),
    ("nine_year", 0.07),
    ("complete_secondary", 0.02),
    ("twelve_year", 0.01),
    ("special", 0.01),
)


def make_schools(
    n_counties: int = 3,
    schools_per_county: float = 83.0,
    *,
    years: tuple[int, ...] = (2024,),
    seed: int = 0,
) -> pd.DataFrame:
    """A random multi-county ``schools`` table (one row per school and year).

    >>> s = make_schools(2, 10, seed=1)
    >>> sorted(s.county_id.unique())
    ['C0000', 'C0001']
    >>> bool((s.qualified_teachers_primary <= s.teachers_primary).all())
    True
    """
    rng = np.random.default_rng(seed)
    sizes = np.maximum(rng.poisson(schools_per_county, n_counties), 2)
    county = np.repeat(np.arange(n_counties), sizes)
    n = len(county)
    types = np.array([t for t, _ in TYPE_MIX])
    probs = np.array([p for _, p in TYPE_MIX])
    school_type = types[rng.choice(len(types), n, p=probs / probs.sum())]
    # the first school of every county is a primary school, the parent of its teaching points
    first = np.r_[0, np.cumsum(sizes)[:-1]]
    school_type[first] = "primary"

    def has(*names):
        return np.isin(school_type, names)

    base = rng.lognormal(6.0, 0.7, n)
    students_primary = np.where(has("primary", "nine_year", "twelve_year"), base, 0)
    students_primary = np.where(has("teaching_point"), rng.integers(5, 150, n), students_primary)
    students_primary = np.where(has("special"), rng.integers(10, 60, n), students_primary)
    students_junior = np.where(has("junior", "complete_secondary"), base * 1.1, 0)
    students_junior = np.where(has("nine_year", "twelve_year"), base * 0.6, students_junior)
    students_senior = np.where(has("complete_secondary", "twelve_year"), base * 0.8, 0)
    students_primary = np.maximum(np.round(students_primary), np.where(students_primary > 0, 1, 0))
    students_junior = np.maximum(np.round(students_junior), np.where(students_junior > 0, 1, 0))
    students_senior = np.round(students_senior)

    def teachers(students, per100):
        t = np.round(students * rng.normal(per100, per100 * 0.25, n) / 100)
        return np.where(students > 0, np.maximum(t, 1), 0)

    def part(total, lo, hi):
        return np.minimum(np.round(total * rng.uniform(lo, hi, n)), total)

    tp = teachers(students_primary, 6.0)
    tj = teachers(students_junior, 8.0)
    all_students = students_primary + students_junior + students_senior
    aux = all_students * rng.lognormal(np.log(5.0), 0.35, n)
    frame = pd.DataFrame(
        {
            "year": years[0],
            "county_id": np.char.add("C", np.char.zfill(county.astype(str), 4)),
            "school_id": np.char.add("S", np.char.zfill(np.arange(n).astype(str), 7)),
            "school_name": np.char.add("学校", np.arange(n).astype(str)),
            "school_type": school_type,
            "parent_school_id": "",
            "area_type": np.array(["urban", "town", "rural"])[rng.integers(0, 3, n)],
            "is_private": rng.random(n) < 0.05,
            "is_boarding": rng.random(n) < 0.1,
            "year_built": rng.integers(1950, 2023, n),
            "students_primary": students_primary,
            "students_junior": students_junior,
            "students_senior": students_senior,
            "classes_primary": np.ceil(students_primary / 42),
            "classes_junior": np.ceil(students_junior / 48),
            "teachers_primary": tp,
            "teachers_junior": tj,
            "qualified_teachers_primary": part(tp, 0.6, 1.0),
            "qualified_teachers_junior": part(tj, 0.5, 1.0),
            "backbone_teachers_primary": part(tp, 0.05, 0.3),
            "backbone_teachers_junior": part(tj, 0.05, 0.3),
            "pe_art_teachers_primary": part(tp, 0.08, 0.25),
            "pe_art_teachers_junior": part(tj, 0.08, 0.25),
            "certified_teachers": part(tp + tj, 0.9, 1.0),
            "teaching_aux_area_m2": np.round(aux, 1),
            "indoor_sports_area_m2": np.round(aux * rng.uniform(0, 0.15, n), 1),
            "sports_ground_area_m2": np.round(all_students * rng.lognormal(np.log(8.0), 0.5, n), 1),
            "equipment_value_10k_yuan": np.round(all_students * rng.lognormal(np.log(0.23), 0.4, n), 2),
            "multimedia_classrooms": np.round(all_students * rng.lognormal(np.log(0.026), 0.4, n)),
        }
    )
    parent = frame["school_id"].to_numpy()[first][county]
    frame.loc[school_type == "teaching_point", "parent_school_id"] = parent[school_type == "teaching_point"]
    if len(years) > 1:
        frame = pd.concat([frame.assign(year=y) for y in years], ignore_index=True)
    return frame


def make_classes(schools: pd.DataFrame) -> pd.DataFrame:
    """A ``classes`` table for ``schools``: each level's students spread evenly over its
    grades (1–6, 7–9), each grade over as few classes as the class-size limits (45 / 50) allow.

    Special schools get no classes. With the classes a synthetic county can be projected
    (``balance scenario``, ``balance plan --by`` a later year). Vectorised: no loop over
    schools.

    >>> s = make_schools(1, 3, seed=2)
    >>> c = make_classes(s)
    >>> int(c.students.sum()) == int(s.loc[s.school_type != "special",
    ...                                    ["students_primary", "students_junior"]].sum().sum())
    True
    >>> bool(c.groupby(["school_id", "grade"]).students.max().le(50).all())
    True
    """
    frames = []
    for level, grades, cap in (("primary", range(1, 7), 45), ("junior", range(7, 10), 50)):
        col = f"students_{level}"
        sel = schools[(schools[col] > 0) & (schools.school_type != "special")]
        total = sel[col].to_numpy().astype(np.int64)
        g = np.asarray(grades)
        # students per grade: the total spread evenly, the remainder to the first grades
        per = total[:, None] // len(g) + (np.arange(len(g)) < (total % len(g))[:, None])
        k = np.maximum(1, -(-per // cap)).ravel()  # classes per grade: ceil(per / cap)
        n = np.repeat(per.ravel(), k)
        kk = np.repeat(k, k)
        c = np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)  # class number in its grade
        row = np.repeat(np.repeat(np.arange(len(sel)), len(g)), k)
        grade = np.repeat(np.tile(g, len(sel)), k)
        sid = sel["school_id"].astype(str).to_numpy()[row]
        frames.append(pd.DataFrame({
            "year": sel["year"].to_numpy()[row], "school_id": sel["school_id"].to_numpy()[row],
            "level": level, "grade": grade,
            "class_id": pd.Series(sid) + "-" + grade.astype(str) + "-" + c.astype(str),
            "students": (n // kk + (c < n % kk)).astype(int)}))
    return pd.concat(frames, ignore_index=True)
