"""The tables of ``balance evaluate --format parquet|csv --output DIR``: one evaluated year as
tidy tables for pandas, DuckDB or a spreadsheet.

:func:`evaluation_tables` (pure: an :class:`~balance_lib.indicators.Evaluation` in, frames out)
gives five tables, one row per record of the JSON result (contract §3), with snake_case
columns and ``county_id`` and ``year`` on every one:

``units``
    One row per evaluated school level (表Ⅱ's layout: the indicator values in columns):
    ``county_id year school_id school_name school_type level students``, then per unit
    indicator ``value_b1`` … (B1–B3 B7 per 100 students, B4 B5 m² per student, B6 元 per
    student), ``met_b1`` …, ``floor_met_b1`` … (≥ 85 % of the threshold), ``shortfall_b1`` …
    (natural units to the threshold, 0 when met), ``met_count`` and ``passes``.
``variation``
    One row per county, level and indicator: ``n_units students county_value threshold cv
    limit met cv_unweighted cv_sample``.
``indicators``
    One row per county and indicator of the registry: ``id name scope status value threshold
    reason reason_arg detail responsible_units``; ``value`` / ``threshold`` are empty for the
    per-unit indicators (their county value and threshold per level are in ``variation``).
    ``reason`` is the code of why an item could not be assessed (``no_table``,
    ``lacks_data`` …, with its argument in ``reason_arg``; ``schools_unknown`` with the number
    of schools that lack data, ``no_schools`` when no school falls under the rule; empty when
    assessed), ``detail`` the sentence of the items **not met** (empty for the others, whose
    status and reason say it all: a nation's 93,000 sentences cost seconds nobody reads);
    ``details=True`` (``evaluate --details``) writes the sentence of every item, as in the
    JSON.
``vetoes``
    ``id name status triggered evidence``.
``verdict``
    ``status n_units n_units_passing n_failing_units n_cv_over not_met vetoes_triggered
    not_assessed reasons`` (ids joined by ", ", reasons by "；" / "; ").

Numbers are rounded to six decimals as in the JSON; texts (names, details, evidence, reasons)
are in ``lang``; codes (``status``, ``level``) are the snake_case vocabulary. :func:`folder_files`
turns the tables into the files of the folder (``units.parquet`` …, or ``.csv``) and a
``meta.json`` with the year, the settings, the data set (the synthetic-data note) and each
table's rows and columns. Parquet files are written by Arrow without an index; CSV files are
UTF-8 with BOM (Excel opens the Chinese), and a text cell that begins with ``=`` ``+`` ``-``
``@`` gets an apostrophe in front, as in the ledger's CSV (``balance_lib.safetext.csv_cell``).
The same evaluation gives the same bytes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .frames import text_array
from .indicators import Evaluation, explain
from .safetext import FORMULA_START_PATTERN
from .words import label

#: Tables of the folder, in order.
TABLES = ("units", "variation", "indicators", "vetoes", "verdict")
#: Output formats of the folder.
FORMATS = ("parquet", "csv")
#: Every file name the folder may hold (what :func:`balance_lib.atomic.write_folder` may replace).
FILE_NAMES = frozenset({*(f"{t}.{fmt}" for t in TABLES for fmt in FORMATS), "meta.json"})
DIGITS = 6

UNIT_INFO = ["county_id", "year", "school_id", "school_name", "school_type", "level",
             "students"]
VARIATION_COLUMNS = ["county_id", "year", "level", "indicator", "n_units", "students",
                     "county_value", "threshold", "cv", "limit", "met", "cv_unweighted",
                     "cv_sample"]


def _rounded(values: Any) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    return np.round(a, DIGITS)


def _frame(columns: dict[str, Any]) -> pd.DataFrame:
    """A table from its columns; text (Python strings: object arrays, lists) as Python-storage
    ``str`` (:data:`~balance_lib.frames.SHARED_STR`): pandas' default Arrow-backed ``str``
    would check and convert every cell here, and Arrow converts them once more for Parquet."""
    out = {}
    for name, values in columns.items():
        if isinstance(values, list) or (isinstance(values, np.ndarray) and values.dtype == object):
            values = text_array(values)
        out[name] = values
    return pd.DataFrame(out, copy=False)


def units_table(ev: Evaluation) -> pd.DataFrame:
    """One row per unit (module notes)."""
    u = ev.units
    ids = [i.id for i in ev.registry.unit_indicators]
    out = {c: u[c].to_numpy() for c in UNIT_INFO}
    out["students"] = u["students"].to_numpy(dtype=np.int64)
    for prefix in ("value", "met", "floor_met", "shortfall"):
        for i in ids:
            col = u[f"{prefix}_{i}"]
            if prefix == "value":
                values = _rounded(col)
            elif prefix == "shortfall":
                values = np.nan_to_num(col.to_numpy(dtype=float)).astype(np.int64)
            else:
                values = col.to_numpy(dtype=bool)
            out[f"{prefix}_{i.lower()}"] = values
    out["met_count"] = u["met_count"].to_numpy(dtype=np.int64)
    out["passes"] = u["passes"].to_numpy(dtype=bool)
    return _frame(out)


def variation_table(ev: Evaluation) -> pd.DataFrame:
    v = ev.variation
    out = v[VARIATION_COLUMNS].reset_index(drop=True)
    for c in ("county_value", "threshold", "cv", "limit", "cv_unweighted", "cv_sample"):
        out[c] = _rounded(out[c])
    for c in ("n_units", "students"):
        out[c] = out[c].astype(np.int64)
    out["met"] = out["met"].astype(bool)
    return out


#: The key of a county item.
KEY_ID = ["county_id", "year", "id"]


def item_reasons(ev: Evaluation) -> tuple[np.ndarray, np.ndarray]:
    """The reason code and its argument of every county item of ``ev.items``: the item's own
    (a school item's ``blocked``, a judged item's ``reason``), else the first of its parts'
    (the multi-part indicators); empty when the item was assessed."""
    items = ev.items
    blocked = items["blocked"].fillna("").astype(str).to_numpy(dtype=object)
    code = np.where(blocked != "", blocked, items["reason"].fillna("").astype(str)
                    .to_numpy(dtype=object))
    arg = np.where(blocked != "", items["blocked_arg"].fillna("").astype(str)
                   .to_numpy(dtype=object),
                   items["reason_arg"].fillna("").astype(str).to_numpy(dtype=object))
    parts = ev.parts
    if parts is not None and len(parts):
        p = parts[parts["reason"].fillna("").astype(str) != ""]
        p = p.sort_values("position", kind="stable").drop_duplicates(KEY_ID)
        found = items[KEY_ID].merge(p[[*KEY_ID, "reason", "reason_arg"]], on=KEY_ID,
                                    how="left")
        empty = code == ""
        code = np.where(empty, found["reason"].fillna("").to_numpy(dtype=object), code)
        arg = np.where(empty, found["reason_arg"].fillna("").astype(str)
                       .to_numpy(dtype=object), arg)
    # a school item none of whose schools fail, some of them without the data to judge
    # (or with no school the rule applies to)
    unknown = pd.to_numeric(items["n_unknown"], errors="coerce").fillna(0).to_numpy()
    some = (code == "") & (unknown > 0)
    code = np.where(some, "schools_unknown", code)
    arg = np.where(some, unknown.astype(np.int64).astype(str).astype(object), arg)
    none = pd.to_numeric(items["n_schools"], errors="coerce").to_numpy(dtype=float) == 0
    code = np.where((code == "") & none, "no_schools", code)
    assessed = (items["status"] != "not_assessed").to_numpy()
    return np.where(assessed, "", code).astype(object), np.where(assessed, "", arg).astype(object)



def indicators_table(ev: Evaluation, lang: str = "zh", details: bool = False) -> pd.DataFrame:
    """One row per county item (module notes); ``details``: the sentence of every item, not
    only of those not met."""
    reg = ev.registry
    items = ev.items
    if details:
        detail = explain.item_details(ev, lang).fillna("").to_numpy(dtype=object)
    else:
        shown = items[(items["status"] == "not_met").to_numpy()]
        detail = np.full(len(items), "", dtype=object)
        if len(shown):
            detail[items.index.get_indexer(shown.index)] = explain.item_details(
                ev, lang, shown).fillna("").to_numpy(dtype=object)
    reason, reason_arg = item_reasons(ev)
    ids = items["id"].astype(str)
    known = {i.id: i for i in reg.indicators}
    name = ids.map({i: known[i].label(lang) for i in ids.unique()})
    scope = ids.map({i: known[i].scope for i in ids.unique()})
    units = ids.map({i: "、".join(known[i].responsible_units) for i in ids.unique()})
    per_unit = (scope == "unit").to_numpy()
    return _frame({
        "county_id": items["county_id"].to_numpy(),
        "year": items["year"].to_numpy(dtype=np.int64),
        "id": ids.to_numpy(),
        "name": name.to_numpy(),
        "scope": scope.to_numpy(),
        "status": items["status"].to_numpy(),
        "value": np.where(per_unit, np.nan, _rounded(items["value"])),
        "threshold": np.where(per_unit, np.nan, _rounded(items["threshold"])),
        "reason": reason,
        "reason_arg": reason_arg,
        "detail": detail,
        "responsible_units": units.to_numpy(),
    })


def vetoes_table(ev: Evaluation, lang: str = "zh") -> pd.DataFrame:
    v = ev.vetoes
    names = {x.id: x.label(lang) for x in ev.registry.vetoes}
    return _frame({
        "county_id": v["county_id"].to_numpy(),
        "year": v["year"].to_numpy(dtype=np.int64),
        "id": v["id"].to_numpy(),
        "name": v["id"].map(names).to_numpy(),
        "status": v["status"].to_numpy(),
        "triggered": pd.array(v["triggered"], dtype="boolean"),
        "evidence": explain.veto_evidence(ev, lang).fillna("").to_numpy(dtype=object),
    })


def verdict_table(ev: Evaluation, lang: str = "zh") -> pd.DataFrame:
    from .registry import id_ranges

    v = ev.verdict
    sep = label("clause_sep", lang)
    reasons = [sep.join(r) for r in explain.verdict_reasons(ev, lang)]
    n_units = v["n_units"].to_numpy(dtype=np.int64)
    failing = v["n_failing_units"].to_numpy(dtype=np.int64)
    return _frame({
        "county_id": v["county_id"].to_numpy(),
        "year": v["year"].to_numpy(dtype=np.int64),
        "status": v["status"].to_numpy(),
        "n_units": n_units,
        "n_units_passing": n_units - failing,
        "n_failing_units": failing,
        "n_cv_over": np.array([len(x) for x in v["cv_over"]], dtype=np.int64),
        "not_met": [", ".join(x) for x in v["not_met"]],
        "vetoes_triggered": [", ".join(x) for x in v["triggered"]],
        "not_assessed": [id_ranges(x) for x in v["pending"]],
        "reasons": reasons,
    })


def evaluation_tables(ev: Evaluation, year: int, lang: str = "zh", details: bool = False
                      ) -> dict[str, pd.DataFrame]:
    """The five tables of one year (module notes), in :data:`TABLES` order."""
    y = ev.for_year(year)
    return {"units": units_table(y), "variation": variation_table(y),
            "indicators": indicators_table(y, lang, details), "vetoes": vetoes_table(y, lang),
            "verdict": verdict_table(y, lang)}


def _arrow_table(frame: pd.DataFrame):
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=False)
    return table.replace_schema_metadata(None)  # no pandas metadata: the same bytes anywhere


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as a Parquet file (no index; deterministic)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(_arrow_table(frame), sink, compression="zstd", use_dictionary=True)
    return sink.getvalue().to_pybytes()


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as CSV: UTF-8 with BOM, a header of the column names, text cells made inert
    for spreadsheets (module notes)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    table = _arrow_table(frame)
    columns = []
    for col in table.columns:
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            risky = pc.fill_null(pc.match_substring_regex(col, FORMULA_START_PATTERN), False)
            quote = pa.scalar("'", col.type)
            col = pc.if_else(risky, pc.binary_join_element_wise(
                quote, col, pa.scalar("", col.type)), col)
        columns.append(col)
    table = pa.table(columns, names=table.column_names)
    sink = pa.BufferOutputStream()
    pcsv.write_csv(table, sink, pcsv.WriteOptions(include_header=True))
    return b"\xef\xbb\xbf" + sink.getvalue().to_pybytes()


def folder_files(tables: dict[str, pd.DataFrame], fmt: str, meta: dict[str, Any]
                 ) -> dict[str, bytes]:
    """The files of the output folder: each table in ``fmt`` and ``meta.json``."""
    import orjson

    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    write = parquet_bytes if fmt == "parquet" else csv_bytes
    files = {f"{name}.{fmt}": write(frame) for name, frame in tables.items()}
    described = {**meta, "format": fmt, "tables": {
        name: {"file": f"{name}.{fmt}", "rows": int(len(frame)), "columns": list(frame.columns)}
        for name, frame in tables.items()}}
    files["meta.json"] = orjson.dumps(described, option=orjson.OPT_INDENT_2
                                      | orjson.OPT_APPEND_NEWLINE)
    return files
