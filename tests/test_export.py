"""Parquet and CSV: tables out (balance evaluate --format parquet|csv) and tables in
(a county folder of .parquet files), checked against the JSON of the same evaluation."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from balance_lib.cli import app
from balance_lib.export import FILE_NAMES, TABLES

MULTI = Path("tests/fixtures/multi")
TINY = Path("tests/fixtures/tiny")
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def multi_json() -> dict:
    res = run("evaluate", MULTI, "--year", 2025, "--format", "json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.fixture(scope="module")
def parquet_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tables") / "multi-2025"
    res = run("evaluate", MULTI, "--year", 2025, "--format", "parquet", "--output", out)
    assert res.exit_code == 0, res.output
    return out


def read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(folder / f"{name}.parquet")


def test_the_folder_holds_the_five_tables_and_their_description(parquet_dir):
    assert sorted(p.name for p in parquet_dir.iterdir()) == sorted(
        [*(f"{t}.parquet" for t in TABLES), "meta.json"])
    meta = json.loads((parquet_dir / "meta.json").read_text(encoding="utf-8"))
    assert meta["year"] == 2025 and meta["format"] == "parquet"
    assert meta["settings"]["teaching_points"] == "separate"
    for name in TABLES:
        frame = read(parquet_dir, name)
        assert meta["tables"][name]["rows"] == len(frame)
        assert meta["tables"][name]["columns"] == list(frame.columns)
        assert all(re.fullmatch(r"[a-z][a-z0-9_]*", c) for c in frame.columns), frame.columns
        assert frame.columns[0] == "county_id" and "year" in frame
        assert set(frame["county_id"]) == {"652301", "652302", "659001", "659002"}
        assert set(frame["year"]) == {2025}


def test_units_are_the_json_units(parquet_dir, multi_json):
    u = read(parquet_dir, "units")
    assert len(u) == len(multi_json["units"])
    by_key = {(r["county_id"], r["school_id"], r["level"]): r for r in multi_json["units"]}
    # school ids repeat across counties: the key is (county_id, school_id, level)
    assert len(by_key) == len(u)
    for row in u.itertuples(index=False):
        j = by_key[(row.county_id, row.school_id, row.level)]
        assert row.students == j["students"] and row.passes == j["passes"]
        assert row.met_count == j["met_count"]
        for i in j["values"]:
            assert getattr(row, f"value_{i.lower()}") == pytest.approx(j["values"][i], abs=1e-9)
            assert getattr(row, f"met_{i.lower()}") == j["met"][i]
            assert getattr(row, f"shortfall_{i.lower()}") == j["shortfall"].get(i, 0)


def test_variation_indicators_vetoes_and_verdict_are_the_json_records(parquet_dir, multi_json):
    v = read(parquet_dir, "variation")
    assert len(v) == len(multi_json["variation"])
    for row, j in zip(v.to_dict("records"), multi_json["variation"], strict=True):
        for k in ("county_id", "level", "indicator", "n_units", "met"):
            assert row[k] == j[k]
        assert row["cv"] == pytest.approx(j["cv"], abs=1e-9)
    ind = read(parquet_dir, "indicators")
    # the sentences of the items not met; the others' status and reason code say it all
    assert [(r["county_id"], r["id"], r["status"], r["detail"]) for r in ind.to_dict("records")] \
        == [(j["county_id"], j["id"], j["status"], j["detail"] if j["status"] == "not_met"
             else "") for j in multi_json["indicators"]]
    assert (ind["detail"] != "").sum() == sum(j["status"] == "not_met"
                                              for j in multi_json["indicators"]) > 0
    scalar = ind[ind["scope"] != "unit"]
    for r, j in zip(scalar.to_dict("records"),
                    [j for j in multi_json["indicators"] if not isinstance(j["value"], dict)],
                    strict=True):
        assert (np.isnan(r["value"]) and j["value"] is None) or r["value"] == pytest.approx(
            j["value"], abs=1e-9)
    assert ind.loc[ind["id"] == "B12", "responsible_units"].iloc[0] == "市教育局"
    vetoes = read(parquet_dir, "vetoes")
    assert [(r["id"], r["status"], r["evidence"]) for r in vetoes.to_dict("records")] == [
        (j["id"], j["status"], j["evidence"]) for j in multi_json["vetoes"]]
    verdict = read(parquet_dir, "verdict").set_index("county_id")
    for j in multi_json["verdict"]:
        assert verdict.loc[j["county_id"], "status"] == j["status"]
        assert verdict.loc[j["county_id"], "reasons"] == "；".join(j["reasons"])
    assert verdict.loc["652302", "vetoes_triggered"] == "V2, V4"
    assert verdict.loc["652301", "n_units_passing"] == 3
    assert verdict.loc["652301", "n_failing_units"] == 1


def test_details_writes_the_sentence_of_every_item(tmp_path, multi_json):
    out = tmp_path / "all"
    res = run("evaluate", MULTI, "--year", 2025, "--format", "parquet", "--output", out,
              "--details")
    assert res.exit_code == 0, res.output
    ind = read(out, "indicators")
    assert ind["detail"].tolist() == [j["detail"] for j in multi_json["indicators"]]
    assert json.loads((out / "meta.json").read_text(encoding="utf-8"))["details"] == "all"


def test_items_not_assessed_carry_their_reason_code(parquet_dir, multi_json):
    ind = read(parquet_dir, "indicators").set_index(["county_id", "id"])
    assessed = ind[ind["status"] != "not_assessed"]
    assert (assessed["reason"] == "").all() and (assessed["reason_arg"] == "").all()
    missing = ind[ind["status"] == "not_assessed"]
    assert len(missing) and (missing["reason"] != "").all(), missing[["reason"]]
    assert missing.loc[("659001", "B31"), "reason"] == "no_table"
    assert missing.loc[("659001", "B8"), "reason"] == "no_judgement"
    # B12: six schools without classes rows (the JSON's detail says "6 所学校缺少数据")
    assert tuple(missing.loc[("659001", "B12"), ["reason", "reason_arg"]]) == (
        "schools_unknown", "6")
    assert missing.loc[("659001", "B26"), "reason"] == "no_schools"


def test_csv_holds_the_same_tables(parquet_dir, tmp_path):
    out = tmp_path / "csv"
    res = run("evaluate", MULTI, "--year", 2025, "--format", "csv", "--output", out)
    assert res.exit_code == 0, res.output
    for name in TABLES:
        raw = (out / f"{name}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the Chinese
        got = pd.read_csv(out / f"{name}.csv", encoding="utf-8-sig",
                          dtype={"county_id": str, "school_id": str}, keep_default_na=False,
                          na_values=[""])
        want = read(parquet_dir, name)
        assert list(got.columns) == list(want.columns)
        assert len(got) == len(want)
        for col in want.columns:
            if pd.api.types.is_float_dtype(want[col]):
                np.testing.assert_allclose(got[col].to_numpy(float), want[col].to_numpy(float),
                                           atol=1e-9)
            elif want[col].dtype == object or pd.api.types.is_string_dtype(want[col]):
                assert got[col].fillna("").astype(str).tolist() == want[col].fillna(
                    "").astype(str).tolist(), col


def test_the_same_evaluation_gives_the_same_bytes(parquet_dir, tmp_path):
    again = tmp_path / "again"
    assert run("evaluate", MULTI, "--year", 2025, "--format", "parquet", "--output",
               again).exit_code == 0
    for name in FILE_NAMES & {p.name for p in parquet_dir.iterdir()}:
        assert (again / name).read_bytes() == (parquet_dir / name).read_bytes(), name


def test_a_folder_is_replaced_whole_and_only_when_it_is_ours(tmp_path):
    out = tmp_path / "out"
    assert run("evaluate", TINY, "--year", 2025, "--format", "parquet", "--output",
               out).exit_code == 0
    assert run("evaluate", TINY, "--year", 2025, "--format", "csv", "--output",
               out).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*(f"{t}.csv" for t in TABLES), "meta.json"])
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporaries
    (out / "mine.txt").write_text("keep")
    res = run("evaluate", TINY, "--year", 2025, "--format", "csv", "--output", out)
    assert res.exit_code == 2 and "mine.txt" in res.output
    assert (out / "mine.txt").read_text() == "keep"
    res = run("evaluate", TINY, "--year", 2025, "--format", "parquet")
    assert res.exit_code == 2 and "--output" in res.output
    res = run("evaluate", TINY, "--year", 2025, "--format", "parquet", "--output", TINY)
    assert res.exit_code == 2


def test_csv_cells_that_a_spreadsheet_would_run_get_an_apostrophe(tmp_path):
    data = tmp_path / "county"
    shutil.copytree(TINY, data)
    s = pd.read_csv(data / "schools.csv", dtype=str, keep_default_na=False)
    s.loc[s["school_id"] == s.loc[0, "school_id"], "school_name"] = "=HYPERLINK(\"http://x\")"
    s.to_csv(data / "schools.csv", index=False)
    out = tmp_path / "csv"
    assert run("evaluate", data, "--year", 2025, "--format", "csv", "--output",
               out).exit_code == 0
    units = (out / "units.csv").read_text(encoding="utf-8-sig")
    assert "\"'=HYPERLINK(\"\"http://x\"\")\"" in units
    assert "\n=" not in units and ",=" not in units


def _as_parquet(src: Path, dst: Path, typed: bool) -> None:
    dst.mkdir()
    for f in src.glob("*.csv"):
        frame = pd.read_csv(f, dtype=None if typed else str, keep_default_na=not typed)
        for col in frame.columns:  # ids stay text, as a county's export holds them
            if col.endswith("_id") or col == "parent_school_id":
                frame[col] = frame[col].astype("string")
        frame.to_parquet(dst / f"{f.stem}.parquet", index=False)
    for f in src.glob("*.md"):
        shutil.copy(f, dst / f.name)


@pytest.mark.parametrize("typed", [False, True], ids=["text", "typed"])
def test_a_folder_of_parquet_files_evaluates_as_its_csv_files(tmp_path, typed):
    _as_parquet(MULTI, tmp_path / "pq", typed)
    want = run("evaluate", MULTI, "--year", 2025, "--format", "json")
    got = run("evaluate", tmp_path / "pq", "--year", 2025, "--format", "json")
    assert got.exit_code == 0, got.output
    a, b = json.loads(want.stdout), json.loads(got.stdout)
    a.pop("dataset"), b.pop("dataset")
    assert a == b


def test_bad_parquet_cells_are_located_like_csv_cells(tmp_path):
    data = tmp_path / "pq"
    _as_parquet(TINY, data, typed=False)
    s = pd.read_parquet(data / "schools.parquet")
    s.loc[2, "students_primary"] = "many"
    s.loc[4, "is_private"] = "perhaps"
    s.to_parquet(data / "schools.parquet", index=False)
    res = run("validate", data)
    assert res.exit_code == 2
    # the first record is row 2, as in the CSV file of the same table
    assert re.search(r"schools\.parquet.*第 4 行.*students_primary", res.output), res.output
    assert re.search(r"schools\.parquet.*第 6 行.*is_private", res.output), res.output
    assert "Traceback" not in res.output


def test_a_parquet_column_without_a_cell_value_makes_the_file_unreadable(tmp_path):
    data = tmp_path / "pq"
    _as_parquet(TINY, data, typed=True)
    s = pd.read_parquet(data / "schools.parquet")
    s["notes"] = [[1, 2]] * len(s)
    s.to_parquet(data / "schools.parquet", index=False)
    res = run("validate", data)
    assert res.exit_code == 2 and "notes" in res.output and "Traceback" not in res.output
