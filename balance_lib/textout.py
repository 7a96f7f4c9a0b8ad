"""Plain-text tables for the terminal (Chinese by default), rendered from the result object.

Column widths count East Asian wide characters as two cells so Chinese columns line up.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from . import formats
from .columns import value_label
from .registry import Registry, id_ranges
from .safetext import cell
from .words import entry, label, status_label


def _short(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` display cells, with an ellipsis."""
    if display_width(text) <= width:
        return text
    out = ""
    for ch in text:
        if display_width(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - display_width(text))
    return gap + text if right else text + gap


def text_table(headers: list[str], rows: list[list[Any]], right: set[int] | None = None) -> str:
    """A simple aligned table; columns in ``right`` are right-aligned (numbers)."""
    right = right or set()
    cells = [[cell(c) for c in r] for r in rows]  # one line each, no terminal controls
    headers = [cell(h) for h in headers]
    widths = [display_width(h) for h in headers]
    for r in cells:
        widths = [max(w, display_width(c)) for w, c in zip(widths, r)]
    last = len(headers) - 1

    def join(row: list[str]) -> str:
        # the last column is not padded (long free text would pad every line)
        return "  ".join(c if i == last and i not in right else _pad(c, w, i in right)
                         for i, (c, w) in enumerate(zip(row, widths)))

    rule = "  ".join("─" * (min(w, 40) if i == last else w) for i, w in enumerate(widths))
    return "\n".join([join(headers), rule, *(join(r) for r in cells)])


def fmt(value: float | None, decimals: int = 2) -> str:
    """A number with ``decimals`` (:func:`balance_lib.formats.number`)."""
    return formats.number(value, decimals)


def _lv(level: str, lang: str) -> str:
    return value_label(level, lang)


def render_evaluation(ev: dict[str, Any], registry: Registry, lang: str = "zh") -> str:
    """The readable form of ``balance evaluate``: header, units, CVs, indicators, verdict."""
    def w(key: str, **fields: Any) -> Any:
        return label(f"tx_{key}", lang, **fields) if fields else entry(f"tx_{key}", lang)

    ids = [i.id for i in registry.unit_indicators]
    n_rule = registry.school_rule_size()
    out: list[str] = []
    ds = ev.get("dataset") or {}
    out.append(w("title", year=ev["year"]))
    if ds.get("name"):
        out.append(w("data") + str(ds["name"]))
    if ds.get("synthetic"):
        out.append(w("synthetic"))
    out.append(w("settings") + str(ev["settings"].get("source", "defaults")))
    counties = sorted({u["county_id"] for u in ev["units"]}
                      | {v["county_id"] for v in ev["verdict"]})
    decimals = ev["settings"].get("cv_display_decimals", 3)
    for county in counties:
        if county:
            out.append("")
            out.append(w("county") + county)
        units = [u for u in ev["units"] if u["county_id"] == county]
        out.append("")
        out.append(w("units_heading", range=registry.id_range("unit")))
        heads = [*w("units_head"), *ids, *w("units_tail")]
        rows = []
        for u in units:
            vals = []
            for i in ids:
                v = u["values"][i]
                mark = "  " if u["met"][i] else ("✗ " if u["floor_met"][i] else "✗✗")
                vals.append(formats.value(v, registry.indicator(i), registry) + mark)
            rows.append([u["school_id"], u["school_name"], _lv(u["level"], lang),
                         formats.count(u["students"]), *vals, f"{u['met_count']}/{n_rule}",
                         w("pass") if u["passes"] else w("fail")])
        out.append(text_table(heads, rows, right=set(range(3, len(heads) - 1))))
        n_pass = sum(u["passes"] for u in units)
        out.append(w("units_note", n=len(units), passing=n_pass, floor=registry.floor_ratio))
        out.append("")
        out.append(w("cv_heading"))
        heads = w("cv_head")
        rows = []
        for v in ev["variation"]:
            if v["county_id"] != county:
                continue
            ind = registry.indicator(v["indicator"])
            rows.append([_lv(v["level"], lang), v["indicator"], ind.label(lang),
                         formats.count(v["n_units"]),
                         formats.value(v["county_value"], ind, registry),
                         formats.value(v["threshold"], ind, registry),
                         formats.cv(v["cv"], decimals), formats.limit(v["limit"], registry),
                         status_label("met" if v["met"] else "not_met", lang)])
        out.append(text_table(heads, rows, right={3, 4, 5, 6, 7}))
        out.append("")
        out.append(w("items_heading", range=id_ranges([i.id for i in registry.indicators])))
        heads = w("items_head")
        rows = [[i["id"], _short(registry.indicator(i["id"]).label(lang), 24),
                 status_label(i["status"], lang), i["detail"]]
                for i in ev["indicators"] if i["county_id"] == county]
        out.append(text_table(heads, rows))
        out.append("")
        out.append(w("vetoes_heading"))
        heads = w("vetoes_head")
        rows = [[v["id"], registry.veto(v["id"]).label(lang), w(f"veto_{v['status']}"),
                 v["evidence"]]
                for v in ev["vetoes"] if v["county_id"] == county]
        out.append(text_table(heads, rows))
        for verdict in ev["verdict"]:
            if verdict["county_id"] != county:
                continue
            out.append("")
            out.append(w("verdict") + w(f"verdict_{verdict['status']}"))
            for r in verdict["reasons"]:
                out.append(f"  - {r}")
    return "\n".join(out) + "\n"
