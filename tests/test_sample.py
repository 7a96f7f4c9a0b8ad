"""The synthetic sample county: reproducible byte for byte, sound, and labelled synthetic."""

from __future__ import annotations

import io
import zipfile
import zlib

import numpy as np
import pandas as pd
import pytest

from balance_lib import sample
from balance_lib.columns import COLUMNS, TABLES, table_columns
from balance_lib.paths import DATA_DIR, SAMPLE_DIR

TYPES = ("primary", "junior", "nine_year", "twelve_year", "complete_secondary",
         "teaching_point", "special")


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return sample.generate()


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("sample")
    written = sample.write_sample(out)
    assert [p.name for p in written] == list(sample.SAMPLE_FILES)
    return {p.name: p.read_bytes() for p in out.iterdir()}


# ---- (1) the committed files are exactly what the generator writes ----------------------------


def test_committed_folder_has_exactly_the_generated_files(regenerated):
    committed = sorted(p.name for p in SAMPLE_DIR.iterdir() if p.is_file())
    assert committed == sorted(regenerated), "run `make sample` and commit data/sample/"
    assert len([n for n in committed if n.endswith(".csv")]) == len(TABLES) == 8
    assert "sample_county.xlsx" in committed


@pytest.mark.parametrize("name", [n for n in sample.SAMPLE_FILES if n != sample.WORKBOOK_FILE])
def test_committed_text_file_is_reproduced_byte_for_byte(regenerated, name):
    assert (SAMPLE_DIR / name).read_bytes() == regenerated[name], (
        f"data/sample/{name} differs from the generator's output: run `make sample`")


def _zip_entries(data: bytes) -> list[tuple[str, tuple, int, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(i.filename, i.date_time, i.compress_type, z.read(i)) for i in z.infolist()]


def test_committed_workbook_is_reproduced_byte_for_byte(regenerated):
    committed = (SAMPLE_DIR / sample.WORKBOOK_FILE).read_bytes()
    fresh = regenerated[sample.WORKBOOK_FILE]
    # the members (names, order, time stamps, content) must always agree
    assert _zip_entries(committed) == _zip_entries(fresh)
    if "ng" in zlib.ZLIB_RUNTIME_VERSION:
        pytest.skip("zlib-ng compresses differently; the workbook's members were compared")
    assert committed == fresh, "data/sample/sample_county.xlsx differs: run `make sample`"


def test_writing_twice_gives_identical_bytes(tmp_path):
    a = sample.write_sample(tmp_path / "a")
    b = sample.write_sample(tmp_path / "b")
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]


def test_workbook_has_notes_then_one_sheet_per_table(regenerated):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(regenerated[sample.WORKBOOK_FILE]), read_only=True)
    assert wb.sheetnames == [sample.SHEET_NOTES, *TABLES]
    notes = " ".join(str(c) for row in wb[sample.SHEET_NOTES].iter_rows(values_only=True)
                     for c in row if c is not None)
    assert "本数据为程序生成的模拟数据（synthetic），非昌吉市真实数据" in notes
    assert str(sample.DEFAULT_SEED) in notes and "balance_lib.sample" in notes
    assert wb.properties.created == wb.properties.modified == sample._STAMP
    wb.close()


def test_csv_files_are_plain_utf8_with_canonical_headers(regenerated):
    for name in TABLES:
        data = regenerated[f"{name}.csv"]
        assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data
        header = data.decode("utf-8").split("\n", 1)[0].split(",")
        assert header == _columns(name)
        assert not data.startswith(b"#")


def test_workbook_sheets_hold_the_same_tables_as_the_csv_files(regenerated):
    book = pd.read_excel(io.BytesIO(regenerated[sample.WORKBOOK_FILE]), sheet_name=None,
                         dtype=str)
    for name in TABLES:
        csv = pd.read_csv(io.BytesIO(regenerated[f"{name}.csv"]), dtype=str,
                          keep_default_na=False)
        sheet = book[name].fillna("")
        assert list(sheet.columns) == list(csv.columns)
        assert len(sheet) == len(csv)
        # same numbers (the CSV prints them, the sheet stores them)
        for col in csv.columns:
            a, b = csv[col], sheet[col]
            num_a, num_b = pd.to_numeric(a, errors="coerce"), pd.to_numeric(b, errors="coerce")
            if num_a.notna().all() and num_b.notna().all():
                np.testing.assert_allclose(num_a, num_b, err_msg=f"{name}.{col}")
            else:
                assert (a.str.lower() == b.str.lower()).all(), f"{name}.{col}"


# ---- (2) structure -----------------------------------------------------------------------------


def _columns(name: str) -> list[str]:
    """The sample's columns: the vocabulary's in contract order (the optional ones the
    generator does not make left out), then the example provincial indicators' columns."""
    optional_absent = {("schools", "migrant_students"), ("schools", "nearby_enrolment_rate"),
                       ("county", "quota_rural_junior_share")}
    return [c.name for c in table_columns(name)
            if c.name != "county_id" and (name, c.name) not in optional_absent
            ] + list(sample.EXTENSION_COLUMNS.get(name, ()))


def test_tables_have_the_canonical_columns_in_order(tables):
    assert list(tables) == list(TABLES)
    for name, frame in tables.items():
        assert list(frame.columns) == _columns(name)
    known = {(c.table, c.name) for c in COLUMNS}
    extension = {(t, c) for t, cols in sample.EXTENSION_COLUMNS.items() for c in cols}
    assert all((n, col) in known | extension for n, f in tables.items() for col in f.columns)


def test_years_and_one_row_per_school_and_year(tables):
    s = tables["schools"]
    assert sorted(s.year.unique()) == [2022, 2023, 2024, 2025]
    assert not s.duplicated(["school_id", "year"]).any()
    assert (s.groupby("year").size() == s.school_id.nunique()).all()
    assert s.school_id.str.fullmatch(r"652301\d{4}").all()
    for name in ("county", "judgements", "survey"):
        assert sorted(tables[name].year.unique()) == [2022, 2023, 2024, 2025]
    assert sorted(tables["quality"].year.unique()) == [2023, 2025]


def test_required_school_types_are_present(tables):
    first = tables["schools"][tables["schools"].year == 2022]
    counts = first.school_type.value_counts()
    assert set(counts.index) == set(TYPES)
    assert 25 <= counts["primary"] <= 30 and 6 <= counts["junior"] <= 9
    assert 4 <= counts["nine_year"] <= 6 and 4 <= counts["teaching_point"] <= 6
    assert counts["complete_secondary"] == counts["twelve_year"] == counts["special"] == 1
    assert first.is_private.sum() == 1
    assert set(first.area_type) == {"urban", "town", "rural"}
    points = first[first.school_type == "teaching_point"].students_primary
    assert (points < 50).any() and points.between(50, 120).any()
    senior = first.set_index("school_type").students_senior
    assert senior["complete_secondary"] > 0 and senior["twelve_year"] > 0
    special = first[first.school_type == "special"].iloc[0]
    assert 0 < special.students_primary + special.students_junior < 100


def test_one_urban_primary_school_above_2000_students(tables):
    s = tables["schools"]
    big = s[(s.school_type == "primary") & (s.students_primary > 2000)]
    assert big.school_id.nunique() == 1
    assert (big.area_type == "urban").all() and set(big.year) == {2022, 2023, 2024, 2025}
    assert "crowded" in sample._BY_SERIAL[int(big.school_id.iloc[0][-4:])].tags


def test_every_teaching_point_has_an_existing_rural_parent(tables):
    s = tables["schools"]
    points = s[s.school_type == "teaching_point"]
    parents = s.set_index(["year", "school_id"])
    for row in points.itertuples():
        parent = parents.loc[(row.year, row.parent_school_id)]
        assert parent.school_type == "primary" and parent.area_type == "rural"
    others = s[s.school_type != "teaching_point"].parent_school_id
    assert others.isna().all()


def test_teacher_subsets_do_not_exceed_teachers(tables):
    s = tables["schools"]
    for level in ("primary", "junior"):
        teachers = s[f"teachers_{level}"]
        for kind in ("qualified", "backbone", "pe_art"):
            assert (s[f"{kind}_teachers_{level}"] <= teachers).all(), (kind, level)
        has = s[f"students_{level}"] > 0
        assert (teachers[has] > 0).all() and (teachers[~has] == 0).all()
    assert (s.certified_teachers <= s.teachers_primary + s.teachers_junior).all()


def test_facilities_are_consistent_whole_school_quantities(tables):
    s = tables["schools"]
    assert (s.indoor_sports_area_m2 <= s.teaching_aux_area_m2).all()
    amounts = ["teaching_aux_area_m2", "indoor_sports_area_m2", "sports_ground_area_m2",
               "equipment_value_10k_yuan", "public_funding_yuan"]
    assert (s[amounts] >= 0).all().all() and (s.multimedia_classrooms > 0).all()
    # areas never shrink from one year to the next
    for col in ("teaching_aux_area_m2", "indoor_sports_area_m2", "sports_ground_area_m2"):
        wide = s.pivot(index="school_id", columns="year", values=col)
        assert (wide.diff(axis=1).iloc[:, 1:] >= 0).all().all(), col


def test_classes_sum_to_students_and_match_class_counts(tables):
    s, c = tables["schools"], tables["classes"]
    assert not c.duplicated(["year", "class_id"]).any()
    agg = c.groupby(["year", "school_id", "level"]).students.agg(["sum", "size"])
    for level in ("primary", "junior"):
        merged = s.join(agg.xs(level, level="level"), on=["year", "school_id"])
        merged = merged.fillna({"sum": 0, "size": 0})
        assert (merged["sum"] == merged[f"students_{level}"]).all(), level
        assert (merged["size"] == merged[f"classes_{level}"]).all(), level
    grades = c.groupby("level").grade.agg(["min", "max"])
    assert tuple(grades.loc["primary"]) == (1, 6) and tuple(grades.loc["junior"]) == (7, 9)


def test_class_sizes_tell_the_big_class_story(tables):
    c = tables["classes"].merge(tables["schools"][["year", "school_id", "area_type"]],
                                on=["year", "school_id"])
    limit = np.where(c.level == "primary", 45, 50)
    over = c.students > limit
    assert (~over).mean() > 0.85                         # most classes within the limit
    assert set(c.area_type[over & (c.students >= 50)]) == {"urban"}  # crowding is urban
    by_year = over.groupby(c.year).sum()
    assert by_year[2025] < by_year[2022] and by_year[2025] > 50   # easing, not gone
    large = (c.students >= 56).groupby(c.year).sum()
    assert large.is_monotonic_decreasing and large[2022] > large[2025] > 0  # a few 大班额
    assert (c.students >= 66).groupby(c.year).sum().to_dict() == {2022: 1, 2023: 0, 2024: 0,
                                                                  2025: 0}


def test_teaching_points_have_plausible_rooms_and_teachers(tables):
    s = tables["schools"]
    tp = s[s.school_type == "teaching_point"]
    assert (tp.multimedia_classrooms <= tp.classes_primary + 1).all()
    assert (tp.music_rooms == 0).all() and (tp.art_rooms == 0).all()
    assert tp.classes_primary.between(3, 4).all()
    ratio = tp.students_primary / tp.teachers_primary
    assert ratio.between(5, 15).all(), ratio.describe()
    parents = s.set_index(["year", "school_id"]).students_primary
    mine = tp.set_index(["year", "parent_school_id"]).students_primary
    assert (mine.to_numpy() < parents.reindex(mine.index).to_numpy()).all()


def test_the_tables_agree_across_files_and_years(tables):
    """What ``validate --strict`` asks: no cross-table or year-to-year warning at all."""
    from balance_lib.consistency import cross_checks
    from balance_lib.io import CountyData

    frames = {k: v.assign(county_id="") for k, v in tables.items()}
    data = CountyData(SAMPLE_DIR, frames, {k: f"{k}.csv" for k in frames})
    assert [w.format() for w in cross_checks(data)] == []
    # the junior cohort of 2025 entered grade 7 in 2022, exactly as classes.csv counts it
    c, k = tables["classes"], tables["county"].set_index("year")
    assert k.junior_cohort_start[2025] == c[(c.year == 2022) & (c.grade == 7)].students.sum()
    teachers = (tables["schools"].teachers_primary + tables["schools"].teachers_junior).groupby(
        tables["schools"].year).sum()
    share = k.training_360h_eligible / teachers
    assert share.between(0.92, 0.94).all()  # B16 counts most 专任教师 (93 %)
    assert (k.rotation_eligible_teachers / teachers).between(0.41, 0.43).all()
    g9 = c[c.grade == 9].groupby("year").students.sum()
    fewer = 1 - k.junior_cohort_graduated.loc[2023:] / g9.loc[:2024].to_numpy()
    assert fewer.between(0.015, 0.025).all()  # about 2 % of grade 9 do not graduate
    # teaching points teach grades 1–3 or 1–4; their pupils go on to the 中心校
    tp = tables["schools"][tables["schools"].school_type == "teaching_point"].school_id
    assert c[c.school_id.isin(tp)].grade.max() <= 4


def test_births_fall_after_2017_and_grade_1_follows_them(tables):
    b = tables["births"].set_index("year").births
    assert b.index.min() <= 2016 and b.index.max() == 2023
    assert b.idxmax() == 2017 and b.loc[2017:].is_monotonic_decreasing
    assert b[2023] < 0.6 * b[2017]
    c = tables["classes"]
    g1 = c[c.grade == 1].groupby("year").students.sum()
    ratio = g1 / b.reindex(g1.index - 6).to_numpy()
    assert ratio.between(0.8, 0.9).all() and ratio.std() < 0.01
    assert g1.idxmax() == 2023 and g1[2025] < g1[2024] < g1[2023]  # the 2017 peak passed


def test_county_survey_quality_and_judgements(tables):
    k = tables["county"].set_index("year")
    assert k.resident_population.between(550_000, 650_000).all()
    assert (k.public_funding_norm_primary_yuan == 650).all()
    assert (k.public_funding_norm_junior_yuan == 850).all()
    rotation = k.rotated_teachers / k.rotation_eligible_teachers
    assert rotation[2022] < 0.10 <= rotation[2025]
    rate_cols = [c.name for c in table_columns("county") if c.kind == "rate" and c.name in k]
    assert k[rate_cols].apply(lambda x: x.between(0, 1)).all().all()

    v = tables["survey"]
    per_year = v.groupby("year")[["respondents", "satisfied"]].sum()
    parents = v[v.respondent_group == "parent"].groupby("year").respondents.sum()
    assert per_year.respondents[2022] < 1.5e-3 * k.resident_population[2022]
    assert (per_year.respondents[2023:] >= 1.5e-3 * k.resident_population[2023:]).all()
    assert (parents / per_year.respondents >= 0.5).all()
    share = per_year.satisfied / per_year.respondents
    assert share[2022] < 0.85 <= share[2025]

    q = tables["quality"]
    assert set(q.subject) == {"语文", "数学", "科学"}
    assert q.share_level3_or_above.between(0.7, 0.95).all()
    assert q.mean_score.between(400, 600).all()

    j = tables["judgements"]
    assert not j.duplicated(["year", "item_id"]).any()
    vetoes = j[j.item_id.str.startswith("V")]
    assert vetoes.met.all()  # met = true: no veto triggered
    b9 = j[j.item_id == "B9"].set_index("year").met
    assert list(b9) == [False, False, True, True]
    items = j.groupby("year").item_id.apply(set)
    assert items[2022] < items[2025]  # one item not assessed in 2022


def _units(schools: pd.DataFrame) -> pd.DataFrame:
    """A plain reference computation of the B1–B7 values per unit (rules §1.2, §3)."""
    rows = []
    for r in schools.itertuples():
        if r.school_type == "special" or (r.school_type == "teaching_point"
                                          and r.students_primary < 50):
            continue
        if r.school_type == "complete_secondary":
            w = {"primary": 0.0, "junior": r.students_junior, "senior": 1.2 * r.students_senior}
        else:
            w = {"primary": r.students_primary, "junior": 1.1 * r.students_junior,
                 "senior": 1.32 * r.students_senior}
        facilities = (r.teaching_aux_area_m2 - r.indoor_sports_area_m2,
                      r.indoor_sports_area_m2 + r.sports_ground_area_m2,
                      r.equipment_value_10k_yuan * 1e4, r.multimedia_classrooms)
        for level in ("primary", "junior"):
            p = getattr(r, f"students_{level}")
            if p == 0:
                continue
            share = w[level] / sum(w.values())
            teachers = [getattr(r, f"{k}_teachers_{level}") for k in
                        ("qualified", "backbone", "pe_art")]
            f = [x * share for x in facilities]
            values = [100 * teachers[0] / p, 100 * teachers[1] / p, 100 * teachers[2] / p,
                      f[0] / p, f[1] / p, f[2] / p, 100 * f[3] / p]
            rows.append({"year": r.year, "school_id": r.school_id, "level": level, "students": p,
                         **{f"B{k + 1}": x for k, x in enumerate(values)}})
    return pd.DataFrame(rows)


def _cvs(units: pd.DataFrame) -> pd.DataFrame:
    """Student-weighted CV per (year, level, indicator), computed plainly."""
    rows = []
    for (year, level), g in units.groupby(["year", "level"]):
        w = g.students.to_numpy(float) / g.students.sum()
        for k in range(1, 8):
            v = g[f"B{k}"].to_numpy(float)
            mean = (w * v).sum()
            rows.append({"year": year, "level": level, "indicator": f"B{k}",
                         "cv": np.sqrt((w * (v - mean) ** 2).sum()) / mean})
    return pd.DataFrame(rows).set_index(["year", "level", "indicator"]).cv


def test_resource_picture_starts_below_the_standard_and_improves(tables):
    thresholds = {"primary": [4.2, 1, 0.9, 4.5, 7.5, 2000, 2.3],
                  "junior": [5.3, 1, 0.9, 5.8, 10.2, 2500, 2.4]}
    limits = {"primary": 0.50, "junior": 0.45}
    units = _units(tables["schools"])
    ids = [f"B{k}" for k in range(1, 8)]
    t = np.array([thresholds[lv] for lv in units.level])
    x = units[ids].to_numpy()
    units["passes"] = ((x >= t).sum(axis=1) >= 6) & (x >= 0.85 * t).all(axis=1)
    passing = units.groupby("year").passes.agg(["sum", "size"])
    assert 40 <= passing.loc[2022, "size"] <= 60
    n = passing.loc[2022, "size"]
    assert n / 3 < passing.loc[2022, "sum"] < n / 2 + 3   # below the standard in 2022
    assert passing["sum"].is_monotonic_increasing
    assert n * 0.7 < passing.loc[2025, "sum"] < n - 5      # improving, still short in 2025

    cv = _cvs(units)
    over = {y: {(lv, i) for (yy, lv, i), c in cv.items() if yy == y and c > limits[lv]}
            for y in (2022, 2025)}
    assert {("primary", "B5"), ("junior", "B5")} <= over[2022]
    assert ("primary", "B5") in over[2025] and len(over[2025]) < len(over[2022])

    # who still fails in 2025: crowded urban schools, the 民办 school, a few village schools
    s25 = tables["schools"][tables["schools"].year == 2025].set_index("school_id")
    fail = set(units[(units.year == 2025) & ~units.passes].school_id)
    tags = {s.school_id: s for s in sample.ROSTER}
    assert any(tags[f].has("crowded") for f in fail)
    assert any(tags[f].private for f in fail)
    assert any(s25.area_type[f] == "rural" for f in fail)
    totals = tables["schools"].groupby("year")[["students_primary", "students_junior"]].sum()
    assert totals.students_primary.between(26_000, 29_000).all()
    assert totals.students_junior.between(12_000, 14_000).all()


@pytest.mark.parametrize("level", ["primary", "junior"])
def test_cvs_look_like_published_counties(tables, level):
    """Teacher CVs 0.2–0.6 in 2022 and falling; B5 the largest facility CV, B6 among the
    smallest (indicator-rules §6.5)."""
    cv = _cvs(_units(tables["schools"])).xs(level, level="level")
    for ind in ("B1", "B2", "B3"):
        series = cv.xs(ind, level="indicator")
        assert 0.2 <= series[2022] <= 0.6, (ind, series[2022])
        assert series[2025] < series[2022] - 0.02, ind
        assert (series.diff().dropna() < 0.01).all(), (ind, series.round(3).to_dict())
    for year in (2022, 2023, 2024, 2025):
        c = cv.xs(year, level="year")
        assert c.idxmax() == "B5", c.round(3).to_dict()
        assert c["B5"] == max(c[["B4", "B5", "B6", "B7"]])
        facilities = c[["B4", "B5", "B6", "B7"]].sort_values()
        assert "B6" in facilities.index[:2], c.round(3).to_dict()  # among the smallest
        assert c["B6"] < c.median(), c.round(3).to_dict()


def test_indicator_story_2025_still_short_on_crowding_and_2022_below(tables):
    from balance_lib.indicators import evaluate
    from balance_lib.registry import load_registry
    from balance_lib.settings import Settings

    result = evaluate(tables, Settings(), load_registry())
    items = result.items[~result.items["id"].isin([f"B{k}" for k in range(1, 8)])]
    items = items.set_index(["year", "id"]).status
    ids = [f"B{k}" for k in range(8, 33)]
    assert sorted(items.loc[2025].index, key=lambda i: int(i[1:])) == ids

    # 2025: the crowded urban schools still miss B10 (a music room turned into a classroom),
    # B11 (第一小学 above 2000) and B12 (classes above 45/50); everything else is met
    y25 = items.loc[2025]
    assert sorted(y25[y25 != "met"].index) == ["B10", "B11", "B12"]
    assert set(y25[y25 != "met"]) == {"not_met"}
    vetoes = result.vetoes.set_index(["year", "id"]).status
    expected = {f"V{k}": "not_triggered" for k in range(1, 8)} | {"V8": "disabled"}
    assert vetoes.loc[2025].to_dict() == expected
    for year in (2022, 2023, 2024):
        assert "triggered" not in set(vetoes.loc[year])  # no veto in any year

    # 2022: many items not met, some not assessed (B27 judgement, B31 quality, B32 survey)
    y22 = items.loc[2022]
    assert (y22 == "not_met").sum() >= 10
    assert {"B27", "B31", "B32"} == set(y22[y22 == "not_assessed"].index)
    # shortfalls closed between years
    not_met = items[items == "not_met"].groupby(level="year").size()
    assert not_met.is_monotonic_decreasing and not_met[2025] == 3
    assert items.loc[(2023, "B31")] == "not_met" and items.loc[(2025, "B31")] == "met"
    q = tables["quality"]
    low = q[q.share_level3_or_above < 0.8].groupby("year").school_id.nunique()
    assert low.get(2023, 0) >= 3 and low.get(2025, 0) == 0


# ---- (3) labelled synthetic ----------------------------------------------------------------------


def test_synthetic_note_and_readmes():
    assert "模拟" in sample.SYNTHETIC_NOTE and "synthetic" in sample.SYNTHETIC_NOTE.lower()
    for readme in (DATA_DIR / "README.md", SAMPLE_DIR / "README.md"):
        text = readme.read_text(encoding="utf-8")
        assert "SYNTHETIC" in text and "模拟数据" in text, readme


def test_is_sample_recognises_the_sample_and_its_copies(tmp_path, regenerated):
    assert sample.is_sample(SAMPLE_DIR)
    assert sample.is_sample(SAMPLE_DIR / sample.WORKBOOK_FILE)
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(regenerated[sample.WORKBOOK_FILE])
    assert sample.is_sample(copy)
    (tmp_path / "schools.csv").write_bytes(regenerated["schools.csv"])
    assert not sample.is_sample(tmp_path)  # no README: not recognisable as the sample
    assert not sample.is_sample(DATA_DIR)


def test_data_readme_lists_every_column_with_its_chinese_header():
    text = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    for c in COLUMNS:
        assert f"| `{c.name}` | {c.zh} |" in text, (c.table, c.name)
    for word in ("GBK", "BOM", ".xlsx"):
        assert word in text


def test_other_seeds_give_other_counties_of_the_same_shape():
    a, b = sample.generate(1), sample.generate(2)
    assert not a["schools"].equals(b["schools"])
    assert a["schools"].shape == b["schools"].shape
