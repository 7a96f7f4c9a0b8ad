"""Explanations: the rules' numbers and reason codes as Chinese or English sentences.

The rules of this package return numbers, flags and reason codes; this module alone writes
the sentences people read (the ``detail`` of every indicator in the JSON, the evidence of the
vetoes, the verdict's reasons, the per-school details of the ledger), through the word table
(:mod:`balance_lib.words`, keys ``why_*`` for the reasons, ``x_*`` for the sentences). Texts
are built per column (vectorised), and only for the rows asked for: a nation's 240,000 passing
schools need no sentence unless someone reads them.

Numbers in sentences: up to two decimals with trailing zeros dropped (:func:`num_text`),
percentages for the "%" indicators, CVs with three decimals and limits with two.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .. import formats
from ..registry import Registry, id_ranges, terms_text
from ..words import check_lang, fill, label, level_label, status_label
from .base import KEY, true

# ---------------------------------------------------------------------------------------------
# numbers


def num1(x: Any, digits: int = 2, pct: bool = False) -> str:
    """One number: up to ``digits`` decimals, trailing zeros dropped; "—" when missing.

    >>> num1(0.9), num1(1.0, 2, pct=True), num1(float("nan"))
    ('0.9', '100%', '—')
    """
    if x is None or x is pd.NA:
        return "—"
    x = float(x)
    if math.isnan(x):
        return "—"
    if pct:
        x *= 100
    out = formats.number(x, digits, thousands=False)
    if "." in out:
        out = out.rstrip("0").rstrip(".")
    if out == "-0":
        out = "0"
    return out + ("%" if pct else "")


def num_text(values: Any, index: pd.Index | None = None, digits: int = 2,
             pct: bool = False) -> pd.Series:
    """:func:`num1` of a column of numbers, aligned with ``index``."""
    series = pd.Series(values).reset_index(drop=True)
    if series.dtype == object:
        series = pd.to_numeric(series, errors="coerce")
    arr = series.to_numpy(dtype=float, na_value=np.nan).reshape(-1)
    if pct:
        arr = arr * 100
    finite = np.isfinite(arr)
    out = np.array(formats.numbers(np.where(finite, arr, 0.0), digits, thousands=False))
    if digits > 0:
        out = np.char.rstrip(np.char.rstrip(out, "0"), ".")
    out = np.where(out == "-0", "0", out)
    if pct:
        out = np.char.add(out, "%")
    idx = index if index is not None else pd.RangeIndex(len(arr))
    return pd.Series(np.where(finite, out, "—").astype(object), index=idx, dtype=object)


def _obj(values: Any, index: pd.Index) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=object), index=index, dtype=object)


def _sep(key: str, lang: str) -> str:
    return label(key, lang)


def joined_by(counties: Any, years: Any, texts: Any, sep: str) -> dict[tuple[str, int], str]:
    """``texts`` joined by ``sep`` per (county_id, year), in the order given.

    One pass over plain Python lists: a nation's 3,000 counties in milliseconds, where a
    pandas ``groupby(...).agg(sep.join)`` builds a Series per group (seconds).

    >>> joined_by(["A", "A", "B"], [2024, 2024, 2024], ["x", "y", "z"], "；")
    {('A', 2024): 'x；y', ('B', 2024): 'z'}
    """
    groups: dict[tuple[str, int], list[str]] = {}
    for c, y, t in zip(_as_list(counties), _as_list(years), _as_list(texts), strict=True):
        groups.setdefault((c, int(y)), []).append(t)
    return {k: sep.join(v) for k, v in groups.items()}


def _as_list(values: Any) -> list:
    return values.tolist() if hasattr(values, "tolist") else list(values)


def by_key(rows: pd.DataFrame, found: dict[tuple[str, int], str]) -> pd.Series:
    """The texts of ``found`` for each (county_id, year) of ``rows`` ("" where none)."""
    return pd.Series([found.get((c, int(y)), "") for c, y in zip(
        rows["county_id"].tolist(), rows["year"].tolist(), strict=True)],
        index=rows.index, dtype=object)


# ---------------------------------------------------------------------------------------------
# reasons


def why(reason: Any, arg: Any, lang: str, *, year: Any = None, item: str = "",
        index: pd.Index | None = None) -> pd.Series:
    """The text of each reason code (``""`` where there is none).

    ``arg`` is the code's argument (a column, a table, an id…; ``table|columns`` for the
    ``lacks_*`` codes); ``year`` the rows' years; ``item`` the indicator id, for reasons that
    have a wording of their own for one indicator (``why_<code>_<item>``).
    """
    r = pd.Series(np.asarray(reason, dtype=object), dtype=object)
    idx = index if index is not None else pd.RangeIndex(len(r))
    r.index = idx
    a = _obj(np.broadcast_to(np.asarray(arg, dtype=object), len(r)), idx).fillna("").astype(str)
    y = (_obj(np.broadcast_to(np.asarray(year, dtype=object), len(r)), idx).astype(str)
         if year is not None else pd.Series([""] * len(r), index=idx, dtype=object))
    out = pd.Series([""] * len(r), index=idx, dtype=object)
    for code in r.unique():
        if not code:
            continue
        hit = (r == code).to_numpy()
        key = f"why_{code}_{item}" if item and f"why_{code}_{item}" in _table() else f"why_{code}"
        table_, cols = a[hit].str.partition("|")[0], a[hit].str.partition("|")[2]
        out[hit] = fill(key, lang, index=idx[hit], arg=a[hit], year=y[hit], table=table_,
                        columns=cols, item=item)
    return out


def _table() -> dict[str, Any]:
    from ..words import table

    return table()


# ---------------------------------------------------------------------------------------------
# per-school details


class _Rows:
    """The rows of one indicator among a frame's, read one column at a time (the detail of
    an indicator reads a few of the school items' forty columns; filtering the whole frame for
    every indicator and language cost most of the sentences' time on a small county)."""

    def __init__(self, columns: dict[str, np.ndarray], frame: pd.DataFrame, pos: np.ndarray):
        self._columns, self._frame, self._pos = columns, frame, pos
        self.index = frame.index[pos]

    def __len__(self) -> int:
        return len(self._pos)

    def __contains__(self, col: str) -> bool:
        return col in self._frame

    def __getitem__(self, col: str) -> pd.Series:
        values = self._columns.get(col)
        if values is None:
            values = self._columns[col] = self._frame[col].to_numpy()
        taken = values[self._pos]
        return pd.Series(taken, index=self.index, dtype=object if taken.dtype == object
                         else None, copy=False)


def _by_id(frame: pd.DataFrame) -> list[tuple[str, _Rows]]:
    """(id, its rows) for every id of ``frame``, in order of first appearance."""
    ids = frame["id"].to_numpy(dtype=object)
    codes, uniques = pd.factorize(ids)
    columns: dict[str, np.ndarray] = {}
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return [(str(u), _Rows(columns, frame, order[bounds[k]:bounds[k + 1]]))
            for k, u in enumerate(uniques)]


def _f(rows: pd.DataFrame, name: str) -> np.ndarray:
    col = f"f_{name}"
    return rows[col].to_numpy() if col in rows else np.full(len(rows), np.nan)


def school_details(school_items: pd.DataFrame, registry: Registry, lang: str = "zh"
                   ) -> pd.Series:
    """The detail of every per-school row: the reason where the school cannot be judged, else
    the figures of its rule."""
    check_lang(lang)
    out = np.full(len(school_items), "", dtype=object)
    for ind_id, rows in _by_id(school_items):
        text = _school_detail(ind_id, rows, registry, lang)
        unknown = np.asarray(pd.isna(pd.array(rows["met"], dtype="boolean")))
        if not unknown.any():
            out[rows._pos] = np.asarray(text, dtype=object)
            continue
        if ind_id == "B12":
            reasons = _b12_reasons(rows, lang)
        else:
            reasons = why(rows["reason"], rows["reason_arg"], lang,
                          year=rows["year"].to_numpy(), item=ind_id, index=rows.index)
        out[rows._pos] = np.where(unknown, reasons, text)
    return pd.Series(out, index=school_items.index, dtype=object)


def _b12_reasons(rows: pd.DataFrame, lang: str) -> pd.Series:
    n = num_text(_f(rows, "classes_unknown"), rows.index, 0)
    has = _f(rows, "has_rows").astype(bool)
    return pd.Series(np.where(has, fill("why_classes_unknown", lang, index=rows.index, n=n),
                              label("why_no_class_rows", lang)), index=rows.index, dtype=object)


def _school_detail(ind_id: str, rows: pd.DataFrame, registry: Registry, lang: str
                   ) -> pd.Series:
    ind = registry.indicator(ind_id)
    idx = rows.index
    fn = _SCHOOL_DETAILS.get(ind_id)
    if fn is not None:
        return fn(rows, ind, lang)
    # a generic school_ratio (an extension)
    pct = ind.is_percent
    key = f"x_{ind_id}" if f"x_{ind_id}" in _table() else "x_school_ratio"
    return fill(key, lang, index=idx,
                num=num_text(_f(rows, "numerator"), idx, 2),
                den=num_text(_f(rows, "denominator"), idx, 2),
                value=num_text(rows["value"], idx, 2, pct),
                threshold=num1(ind.threshold(), 2, pct),
                sym=label(f"sym_{ind.direction}", lang),
                numerator=terms_text(ind.numerator), denominator=terms_text(ind.denominator))


def _b10(rows: pd.DataFrame, ind: Any, lang: str) -> pd.Series:
    idx = rows.index
    relax = ind.extra["relaxed"]
    req = num_text(rows["threshold"], idx, 0)

    def part(name: str) -> pd.Series:
        rooms = _f(rows, name).astype(float)
        has = np.nan_to_num(rooms) > 0
        base = fill(f"x_B10_{name}", lang, index=idx, rooms=num_text(rooms, idx, 0), required=req)
        area = fill("x_B10_area", lang, index=idx, area=num_text(_f(rows, f"{name}_area"), idx),
                    minimum=num_text(_f(rows, f"{name}_min"), idx))
        return base + np.where(has, area, "")

    out = fill("x_B10", lang, index=idx, classes=num_text(_f(rows, "classes"), idx, 0),
               music=part("music"), art=part("art"))
    out = out + np.where(_f(rows, "old").astype(bool),
                         label("x_B10_old", lang, year=relax["old_building_year_max"]), "")
    return out + np.where(_f(rows, "small").astype(bool), label("x_B10_small", lang), "")


def _b11(rows: pd.DataFrame, ind: Any, lang: str) -> pd.Series:
    idx = rows.index
    relax = ind.extra["relaxed"]
    what = np.where(_f(rows, "junior_only").astype(bool), label("x_B11_junior", lang),
                    label("x_B11_compulsory", lang))
    out = fill("x_B11", lang, index=idx, what=what, students=num_text(rows["value"], idx, 0),
               limit=num_text(rows["threshold"], idx, 0))
    relaxed = _f(rows, "relaxed").astype(bool)
    out = out + np.where(relaxed & _f(rows, "old").astype(bool),
                         label("x_B11_old", lang, year=relax["old_building_year_max"]), "")
    migrant = relaxed & _f(rows, "migrant").astype(bool)
    share = num_text(_f(rows, "migrant_share"), idx, 0, pct=True)
    return out + np.where(migrant, fill("x_B11_migrant", lang, index=idx, share=share), "")


def _b12(rows: pd.DataFrame, ind: Any, lang: str) -> pd.Series:
    idx = rows.index
    limits = {lv: num1(ind.threshold(lv), 0) for lv in ("primary", "junior")}
    texts = []
    for lv in ("primary", "junior"):
        n = _f(rows, f"classes_{lv}").astype(float)
        body = fill("x_B12_level", lang, index=idx, level=level_label(lv, lang),
                    n=num_text(n, idx, 0), max=num_text(_f(rows, f"max_{lv}"), idx, 0),
                    over=num_text(_f(rows, f"classes_over_limit_{lv}"), idx, 0),
                    limit=limits[lv], large=num_text(_f(rows, f"large_classes_{lv}"), idx, 0),
                    super=num_text(_f(rows, f"super_large_classes_{lv}"), idx, 0))
        texts.append(pd.Series(np.where(n > 0, body, ""), index=idx, dtype=object))
    both = (texts[0] != "") & (texts[1] != "")
    return texts[0] + np.where(both, label("clause_sep", lang), "") + texts[1]


def _b13(rows: pd.DataFrame, ind: Any, lang: str) -> pd.Series:
    idx = rows.index
    return fill("x_B13", lang, index=idx, students=num_text(_f(rows, "students"), idx, 0),
                funding=num_text(_f(rows, "funding"), idx, 0),
                value=num_text(rows["value"], idx), norm=num_text(_f(rows, "norm"), idx),
                base=num1(ind.threshold(), 0))


def _ratio(rows: pd.DataFrame, ind: Any, lang: str) -> pd.Series:
    """B14, B19, B26: their own wording of numerator ÷ denominator."""
    idx = rows.index
    pct = ind.is_percent
    return fill(f"x_{ind.id}", lang, index=idx, num=num_text(_f(rows, "numerator"), idx, 0),
                den=num_text(_f(rows, "denominator"), idx, 0),
                value=num_text(rows["value"], idx, 2, pct),
                threshold=num1(ind.threshold(), 0 if not pct else 2, pct))


_SCHOOL_DETAILS = {"B10": _b10, "B11": _b11, "B12": _b12, "B13": _b13, "B14": _ratio,
                   "B19": _ratio, "B26": _ratio}


def school_gap_units(school_items: pd.DataFrame, registry: Registry, lang: str = "zh"
                     ) -> pd.Series:
    """The words after each school's gap ("3 间专用教室缺少或面积不足", "2 个班超 45 人")."""
    out = np.full(len(school_items), "", dtype=object)
    for ind_id, rows in _by_id(school_items):
        ind = registry.indicator(ind_id)
        if ind_id == "B12":
            out[rows._pos] = _b12_gap_units(rows, ind, lang)
        else:
            out[rows._pos] = ind.shortfall(lang)
    return pd.Series(out, index=school_items.index, dtype=object)


def _b12_gap_units(rows: pd.DataFrame, ind: Any, lang: str) -> np.ndarray:
    lp, lj = num1(ind.threshold("primary"), 0), num1(ind.threshold("junior"), 0)
    o_p, o_j = _f(rows, "classes_over_limit_primary"), _f(rows, "classes_over_limit_junior")
    n_p, n_j = _f(rows, "classes_primary"), _f(rows, "classes_junior")
    only_p = np.where((o_p + o_j) > 0, o_j == 0, n_j == 0)
    only_j = np.where((o_p + o_j) > 0, o_p == 0, n_p == 0)
    return np.select([only_p, only_j], [label("x_B12_gap_level", lang, limit=lp),
                                        label("x_B12_gap_level", lang, limit=lj)],
                     label("x_B12_gap_both", lang, primary=lp, junior=lj))


# ---------------------------------------------------------------------------------------------
# county items


def item_details(ev: Any, lang: str = "zh", items: pd.DataFrame | None = None) -> pd.Series:
    """The ``detail`` of every county item of ``ev.items`` (or of the rows ``items``)."""
    check_lang(lang)
    items = ev.items if items is None else items
    reg = ev.registry
    out = pd.Series([""] * len(items), index=items.index, dtype=object)
    for ind_id in items["id"].unique():
        rows = items[items["id"] == ind_id]
        ind = reg.indicator(ind_id)
        if ind.scope == "unit":
            text = _unit_item(ev, rows, ind, lang)
        elif ind.scope == "school":
            text = _school_item(ev, rows, ind, lang)
        elif ind_id == "B31":
            text = _b31(ev, rows, ind, lang)
        elif ind_id == "B32":
            text = _b32(ev, rows, lang)
        elif ind.kind == "judgement":
            text = _judged_item(ev, rows, lang)
        else:
            text = _parts_item(ev, rows, ind, lang)
        out[rows.index] = text.to_numpy(dtype=object)
    return out


def _of_rows(frame: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``frame`` whose county and year are among ``rows``' (a superset of those
    a sentence of ``rows`` draws from): sentences of the items not met only (the tables of
    ``balance evaluate``) read the counties that have one, not the whole nation."""
    if len(frame) == 0:
        return frame
    keep = (frame["county_id"].isin(pd.unique(rows["county_id"].to_numpy(dtype=object)))
            & frame["year"].isin(pd.unique(rows["year"].to_numpy())))
    return frame if keep.all() else frame[keep.to_numpy(dtype=bool)]


def _unit_item(ev: Any, rows: pd.DataFrame, ind: Any, lang: str) -> pd.Series:
    var = _of_rows(ev.variation[ev.variation["indicator"] == ind.id], rows)
    var = var[np.isfinite(var["limit"].to_numpy(float))]
    vi = var.index
    levels = {lv: level_label(lv, lang) for lv in var["level"].unique()}
    cvs = fill("x_unit_cv", lang, index=vi, level=var["level"].map(levels),
               cv=formats.cvs(var["cv"].astype(float), getattr(ev, "settings", None) or 3),
               limit=formats.limits(var["limit"].astype(float), ev.registry),
               rel=np.where(var["met"].astype(bool).to_numpy(), label("sym_le", lang),
                            label("sym_gt", lang)))
    sep = label("clause_sep", lang)
    parts = joined_by(var["county_id"], var["year"], cvs, sep)
    key = "x_unit_units" if ind.in_school_rule else "x_unit_units_ext"
    units = fill(key, lang, index=rows.index, n=num_text(rows["n_missing"], rows.index, 0),
                 blocking=num_text(rows["n_blocking"], rows.index, 0))
    head = by_key(rows, parts)
    return head + np.where(head != "", sep, "") + units


def _school_item(ev: Any, rows: pd.DataFrame, ind: Any, lang: str) -> pd.Series:
    idx = rows.index
    s = _of_rows(ev.school_items[ev.school_items["id"] == ind.id], rows)
    fail = s[s["met"].fillna(True).eq(False).to_numpy(bool)]
    fail = fail[fail["rank"] < 3].sort_values([*KEY, "rank"], kind="stable") if len(fail) \
        else fail
    unknown = s[pd.isna(pd.array(s["met"], dtype="boolean"))]
    top: dict[tuple[str, int], str] = {}
    unk: dict[tuple[str, int], str] = {}
    if len(fail):
        units = school_gap_units(fail, ev.registry, lang)
        txt = fill("x_school_top", lang, index=fail.index, name=fail["school_name"].astype(str),
                   gap=num_text(fail["gap"], fail.index, 0), unit=units)
        top = joined_by(fail["county_id"], fail["year"], txt, label("list_sep", lang))
    if len(unknown):
        first = unknown.sort_values("rank", kind="stable").groupby(KEY, sort=False).head(3)
        det = school_details(first, ev.registry, lang)
        txt = fill("x_school_unknown", lang, index=first.index,
                   name=first["school_name"].astype(str), detail=det)
        unk = joined_by(first["county_id"], first["year"], txt, label("clause_sep", lang))
    top_s, unk_s = by_key(rows, top), by_key(rows, unk)
    n = rows["n_schools"].fillna(0).to_numpy()
    nf = rows["n_failing"].fillna(0).to_numpy()
    nu = rows["n_unknown"].fillna(0).to_numpy()
    blocked = (rows["blocked"] != "").to_numpy()
    empty = n == 0
    ns, nfs, nus = num_text(n, idx, 0), num_text(nf, idx, 0), num_text(nu, idx, 0)
    empty_met = ind.empty_met
    conds = [blocked, nf > 0, nu > 0, empty & empty_met, empty]
    reasons = why(rows["blocked"], rows["blocked_arg"], lang, item=ind.id, index=idx)
    text = np.select(conds, [
        reasons,
        fill("x_school_failing", lang, index=idx, n=ns, failing=nfs, top=top_s),
        fill("x_school_unknowns", lang, index=idx, unknown=nus, schools=unk_s),
        pd.Series(label("x_school_not_applicable", lang), index=idx),
        pd.Series(label("x_school_no_data", lang), index=idx),
    ], fill("x_school_all_met", lang, index=idx, n=ns)).astype(object)
    more = ~blocked & (nf > 0) & (nu > 0)
    text = pd.Series(text, index=idx, dtype=object) + np.where(
        more, fill("x_school_more_unknown", lang, index=idx, unknown=nus), "")
    note = rows["note"].fillna("").astype(str)
    notes = pd.Series([label("clause_sep", lang) + label(f"note_{k}", lang) if k else ""
                       for k in note], index=idx, dtype=object)
    return text + notes


def _part_texts(parts: pd.DataFrame, ind: Any, lang: str) -> pd.Series:
    idx = parts.index
    spec = {p.key: p for p in ind.parts}
    pct = ind.is_percent
    digits = 3 if pct else 2
    met = pd.array(parts["met"], dtype="boolean")
    ok = true(met)
    verdict = np.where(ok, label("status_met", lang), label("status_not_met", lang))
    keys = parts["part"].astype(object)
    labels = keys.map({k: spec[k].label(lang) if k in spec else k for k in keys.unique()})
    labels = pd.Series(labels.to_numpy(dtype=object), index=idx, dtype=object)
    syms = {"ge": ("sym_ge", "sym_lt"), "lt": ("sym_lt", "sym_ge"), "le": ("sym_le", "sym_gt")}
    direction = parts["direction"].to_numpy(dtype=object)
    sym = np.full(len(parts), "", dtype=object)
    for d, (yes, no) in syms.items():
        hit = direction == d
        sym[hit] = np.where(ok[hit], label(yes, lang), label(no, lang))
    thr = num_text(parts["threshold"], idx, digits, pct)
    ratio = fill("x_part", lang, index=idx, label=labels,
                 value=num_text(parts["value"], idx, digits, pct), sym=sym, threshold=thr,
                 verdict=verdict)
    ev = parts["evidence"].fillna("").astype(str)
    judged = fill("x_part_judged", lang, index=idx, label=labels, verdict=verdict) + np.where(
        ev != "", fill("x_evidence", lang, index=idx, evidence=ev), "")
    source = parts["source"].astype(str).to_numpy()
    text = np.where(parts["judged"].to_numpy(bool), judged, ratio)
    if (source == "computed").any():  # B21's tilt from the shares
        comp = fill(f"x_{ind.id}_computed", lang, index=idx,
                    share=num_text(parts["value"], idx, 1, True), sym=sym,
                    students=num_text(parts["threshold"], idx, 1, True), verdict=verdict)
        text = np.where(source == "computed", comp, text)
    reasons = why(parts["reason"], parts["reason_arg"], lang, year=parts["year"].to_numpy(),
                  item=ind.id, index=idx)
    unknown = fill("x_part_unknown", lang, index=idx, label=labels, reason=reasons)
    return pd.Series(np.where(reasons != "", unknown, text), index=idx, dtype=object)


def _parts_item(ev: Any, rows: pd.DataFrame, ind: Any, lang: str) -> pd.Series:
    parts = ev.parts[ev.parts["id"] == ind.id].sort_values([*KEY, "position"], kind="stable")
    texts = _part_texts(parts, ind, lang)
    sep = label("clause_sep", lang)
    out = by_key(rows, joined_by(parts["county_id"], parts["year"], texts, sep))
    if ind.extra.get("school_rate"):  # B20: say which figures were used
        ratio = parts[~parts["judged"].astype(bool)]
        src = pd.DataFrame({"county_id": ratio["county_id"].to_numpy(),
                            "year": ratio["year"].to_numpy(),
                            "schools": (ratio["source"] == "schools").to_numpy(),
                            "county": (ratio["source"] == "county").to_numpy()})
        both = src.groupby(KEY, sort=False)[["schools", "county"]].all()
        kind = np.select([both["schools"].to_numpy(), both["county"].to_numpy()],
                         ["schools", "county"], "mixed")
        found = {(c, int(y)): sep + label(f"x_{ind.id}_from_{k}", lang)
                 for (c, y), k in zip(both.index.tolist(), kind.tolist(), strict=True)}
        out = out + by_key(rows, found)
    return out


def _judged_text(rows: pd.DataFrame, lang: str, judged_status: Any) -> pd.Series:
    idx = rows.index
    reasons = why(rows["reason"], rows["reason_arg"], lang, index=idx)
    ev = rows["evidence"].fillna("").astype(str)
    ok = np.asarray(judged_status) == "met"
    fallback = np.where(ok, label("x_judged_met", lang), label("x_judged_not_met", lang))
    return pd.Series(np.where(reasons != "", reasons, np.where(ev != "", ev, fallback)),
                     index=idx, dtype=object)


def _judged_item(ev: Any, rows: pd.DataFrame, lang: str) -> pd.Series:
    out = _judged_text(rows, lang, rows["judged"])
    f = ev.findings
    if f is None or f.empty:
        return out
    f = f[f["id"].isin(rows["id"])]
    for word, g in f.groupby("finding", sort=False):
        add = {(c, y): label(f"x_{word}", lang, n=int(n), names="、".join(names))
               for c, y, n, names in zip(g["county_id"], g["year"], g["n"], g["names"],
                                         strict=True)}
        out = out + pd.Series([(label("clause_sep", lang) + add[(c, y)]) if (c, y) in add else ""
                               for c, y in zip(rows["county_id"], rows["year"], strict=True)],
                              index=rows.index, dtype=object)
    return out


def _b31(ev: Any, rows: pd.DataFrame, ind: Any, lang: str) -> pd.Series:
    idx = rows.index
    formula = ev.settings.b31_formula
    thr = float(ind.threshold("difference_rate"))
    share_min = ev.settings.b31_level3_share_min
    table = "monitoring" if formula == "monitoring" else "quality"
    note = (label("x_B31_monitoring", lang) if formula == "monitoring" else
            label("x_B31_weighted_cv", lang)
            + (label("x_B31_share_floor", lang, share=num1(share_min, 2, True))
               if share_min is not None else ""))
    g = ev.b31_groups
    texts: Any = []
    if g is not None and len(g):
        gi = g.index
        subj = fill("x_B31_subject", lang, index=gi, subject=g["subject"].astype(str),
                    level=[level_label(lv, lang) for lv in g["level"]])
        rate_ok = true(pd.array(g["rate_met"], dtype="boolean"))
        nb = num_text(g["n_bad"], gi, 0)
        rate_txt = pd.Series(["—" if np.isnan(x) else f"{x:.3f}" for x in g["rate"]],
                             index=gi, dtype=object)
        no_rate = (g["n_bad"].to_numpy() == 0) & np.isnan(g["rate"].to_numpy(float))
        part_rate = np.select(
            [g["n_bad"].to_numpy() > 0, no_rate],
            [fill(f"x_B31_rate_bad_{formula}", lang, index=gi, n=nb),
             pd.Series(label(f"x_B31_rate_none_{formula}", lang), index=gi)],
            fill("x_B31_rate", lang, index=gi, rate=rate_txt, threshold=f"{thr:.2f}",
                 sym=np.where(rate_ok, label("sym_lt", lang), label("sym_ge", lang))))
        if formula == "monitoring":
            ach = g["achievement_level"].to_numpy(float)
            level_ok = true(pd.array(g["level_met"], dtype="boolean"))
            roman = np.array([_ROMAN.get(int(a), "—") if np.isfinite(a) else "—" for a in ach])
            extra = np.where(level_ok, fill("x_B31_level", lang, index=gi, level=roman),
                             fill("x_B31_level_low", lang, index=gi, level=roman))
            text = subj + extra + label("comma", lang) + part_rate
        else:
            share_txt = num_text(g["min_share"], gi, 2, True)
            if share_min is None:
                text = subj + part_rate
            else:
                part_sh = np.where(
                    g["n_share_low"] > 0,
                    fill("x_B31_share_low", lang, index=gi, share=share_txt,
                         n=num_text(g["n_share_low"], gi, 0), floor=num1(share_min, 2, True)),
                    np.where(g["n_share_na"] > 0,
                             fill("x_B31_share_na", lang, index=gi,
                                  n=num_text(g["n_share_na"], gi, 0)),
                             fill("x_B31_share_ok", lang, index=gi, share=share_txt,
                                  floor=num1(share_min, 2, True))))
                text = subj + part_rate + label("comma", lang) + part_sh
        texts = text
    sep = label("clause_sep", lang)
    reason = rows["reason"].astype(str).to_numpy()
    years = rows["year"].to_numpy()
    qy = rows["qyear"].to_numpy(dtype=float)
    found = joined_by(g["county_id"], g["year"], texts, sep) if g is not None and len(g) else {}
    older = np.isfinite(qy) & (qy != years.astype(float))
    prefix = np.where(older, fill("x_B31_older", lang, index=idx,
                                  year=num_text(years, idx, 0), qyear=num_text(qy, idx, 0)), "")
    body = prefix + by_key(rows, found)
    why_text = why(np.where(reason == "no_monitoring_year", "", reason), rows["reason_arg"],
                   lang, item="B31", index=idx)
    no_year = fill("why_no_monitoring_year", lang, index=idx, table=table,
                   year=num_text(years, idx, 0))
    body = np.select([reason == "no_monitoring_year", reason != ""], [no_year, why_text], body)
    return pd.Series(body, index=idx, dtype=object) + sep + note


_ROMAN = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ"}


def _b32(ev: Any, rows: pd.DataFrame, lang: str) -> pd.Series:
    idx = rows.index
    s = ev.settings
    thr = num1(rows["threshold"].iloc[0], 2, True) if len(rows) else ""
    rate_ok = true(pd.array(rows["rate_met"], dtype="boolean"))
    summary = fill("x_B32", lang, index=idx, satisfied=num_text(rows["satisfied"], idx, 0),
                   respondents=num_text(rows["respondents"], idx, 0),
                   rate=num_text(rows["value"], idx, 2, True),
                   sym=np.where(rate_ok, label("sym_ge", lang), label("sym_lt", lang)),
                   threshold=thr, parents=num_text(rows["parent_share"], idx, 2, True))
    reason = rows["reason"].astype(str).to_numpy()
    texts = pd.Series([""] * len(rows), index=idx, dtype=object)
    years = rows["year"].to_numpy()
    for code in np.unique(reason[reason != ""]):
        hit = reason == code
        sub = rows[hit]
        sidx = sub.index
        if code == "population_unknown":
            inner = why(sub["reason_arg"], sub["reason_arg2"], lang, year=years[hit], index=sidx)
            t = fill("why_population_unknown", lang, index=sidx, why=inner)
        elif code == "sample_small":
            t = fill("why_sample_small", lang, index=sidx,
                     respondents=num_text(sub["respondents"], sidx, 0),
                     population=num_text(sub["population"], sidx, 0),
                     per_mille=num1(s.survey_min_sample_per_mille, 2),
                     needed=num_text(np.ceil(sub["needed"].to_numpy(float) - 1e-9), sidx, 0))
        elif code == "parents_few":
            t = fill("why_parents_few", lang, index=sidx,
                     share=num_text(sub["parent_share"], sidx, 2, True),
                     minimum=num1(s.survey_parent_share_min, 2, True))
        else:
            t = why(sub["reason"], "", lang, year=years[hit], index=sidx)
        texts[sidx] = t
    with_rate = np.isfinite(rows["value"].to_numpy(float))
    blocked = reason != ""
    sep = label("clause_sep", lang)
    out = np.where(blocked, fill("x_B32_blocked", lang, index=idx, reason=texts)
                   + np.where(with_rate, sep + summary, ""), summary)
    return pd.Series(out, index=idx, dtype=object)


# ---------------------------------------------------------------------------------------------
# vetoes and the verdict


def veto_evidence(ev: Any, lang: str = "zh", vetoes: pd.DataFrame | None = None) -> pd.Series:
    """The evidence text of every veto row: the judgement's evidence (from the data), the
    reason it is not assessed, or what it was computed from."""
    check_lang(lang)
    v = ev.vetoes if vetoes is None else vetoes
    idx = v.index
    out = pd.Series([""] * len(v), index=idx, dtype=object)
    reason = v["reason"].astype(str).to_numpy()
    computed = reason == "computed"
    if computed.any():
        src = ev.items[ev.items["id"].isin(v.loc[computed, "reason_arg"].unique())]
        det = item_details(ev, lang, src)
        by = dict(zip(zip(src["county_id"], src["year"], src["id"], strict=True), det,
                      strict=True))
        sub = v[computed]
        out[sub.index] = [label("x_veto_computed", lang, source=a)
                          + by.get((c, y, a), "")
                          for c, y, a in zip(sub["county_id"], sub["year"], sub["reason_arg"],
                                             strict=True)]
    disabled = reason == "disabled"
    if disabled.any():
        out[disabled] = fill("x_veto_disabled", lang, index=idx[disabled],
                             setting=v.loc[disabled, "reason_arg"].astype(str))
    judged = ~computed & ~disabled
    if judged.any():
        sub = v[judged]
        reasons = why(sub["reason"], sub["reason_arg"], lang, index=sub.index)
        evidence = sub["evidence"].fillna("").astype(str)
        trig = true(pd.array(sub["triggered"], dtype="boolean"))
        fallback = np.where(trig, label("x_veto_triggered", lang),
                            label("x_veto_not_triggered", lang))
        out[sub.index] = np.where(reasons != "", reasons,
                                  np.where(evidence != "", evidence, fallback))
    return out


def verdict_reasons(ev: Any, lang: str = "zh", verdict: pd.DataFrame | None = None
                    ) -> list[list[str]]:
    """The reasons of each verdict row, in ``lang``."""
    check_lang(lang)
    reg = ev.registry
    v = ev.verdict if verdict is None else verdict
    # every CV over its limit of every row formatted in one call (the rows hold lists)
    over = [t for row in v["cv_over"] for t in row] if len(v) else []
    cv_text = iter(formats.cvs([t[2] for t in over], getattr(ev, "settings", None) or 3))
    limit_text = iter(formats.limits([t[3] for t in over], reg))
    size = reg.school_rule_size()
    levels: dict[Any, str] = {}
    out = []
    for row in v.itertuples(index=False):
        reasons: list[str] = []
        if row.n_failing_units:
            reasons.append(label("x_verdict_units", lang, failing=int(row.n_failing_units),
                                 units=int(row.n_units), min_met=reg.min_met,
                                 size=size, floor=reg.floor_ratio))
        for ind_id, lv, _cv, _lim in row.cv_over:
            if lv not in levels:
                levels[lv] = level_label(lv, lang)
            reasons.append(label("x_verdict_cv", lang, indicator=ind_id, level=levels[lv],
                                 cv=next(cv_text), limit=next(limit_text)))
        if row.not_met:
            reasons.append(label("x_verdict_not_met", lang, ids=", ".join(row.not_met)))
        if row.triggered:
            reasons.append(label("x_verdict_vetoes", lang, ids=", ".join(row.triggered)))
        if row.status == "incomplete":
            reasons.append(label("x_verdict_pending", lang, ids=id_ranges(row.pending)))
        out.append(reasons)
    return out


def status_word(status: str, lang: str = "zh") -> str:
    return status_label(status, lang)
