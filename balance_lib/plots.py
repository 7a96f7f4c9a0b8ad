"""Charts for the reports: tidy frames in, :class:`matplotlib.figure.Figure` out.

Chinese labels must render on a fresh machine without system fonts, so :func:`setup_fonts`
registers the Noto Sans SC font shipped by the PyPI package ``pylopdf-fonts-zh-cn`` (a
single-face OTF: matplotlib sees the family "Noto Sans SC"; a ``.ttc`` would expose only its
first face) with ``fontManager.addfont``, and falls back on CJK families already installed
(WenQuanYi, Noto Sans CJK). Only families actually found are put in ``font.family``, so there is
no ``findfont`` noise, and the setup is applied *after* the seaborn theme, which would otherwise
reset ``font.family`` (seaborn #592). The palette is Okabe–Ito (colour-blind safe).

Every chart has a title and the unit on its value axis, in Chinese (``lang="zh"``, the default)
or English (``lang="en"``); the words are in :mod:`balance_lib.words`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.dates as mdates
import pandas as pd
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .frames import one_county
from .htmlfont import shipped_font
from .words import label
from .words import level_label as _level_label
from .registry import Registry
from .safetext import cell

#: Okabe & Ito (2008), safe for the common colour-vision deficiencies.
PALETTE: tuple[str, ...] = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
)
MET_COLOUR, FAIL_COLOUR, FLOOR_COLOUR = "#0072B2", "#D55E00", "#CC79A7"

#: CJK families to use when already installed (checked in this order after the shipped font).
SYSTEM_CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans SC", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei", "Noto Sans CJK JP", "Droid Sans Fallback", "SimHei", "Microsoft YaHei",
)


@lru_cache(maxsize=1)
def cjk_families() -> tuple[str, ...]:
    """Register the shipped font and return the CJK families matplotlib can actually use."""
    found: list[str] = []
    path = shipped_font()
    if path is not None:
        font_manager.fontManager.addfont(str(path))
        found.append(font_manager.FontProperties(fname=str(path)).get_name())
    installed = {f.name for f in font_manager.fontManager.ttflist}
    found += [f for f in SYSTEM_CJK_FAMILIES if f in installed and f not in found]
    return tuple(found)


def setup_fonts() -> tuple[str, ...]:
    """Put the detected CJK family first in ``font.family`` (DejaVu Sans as glyph fallback).

    Call it after any seaborn theme. Returns the families set. Raises RuntimeError when no CJK
    font is available (install the project's dependencies: ``pylopdf-fonts-zh-cn``).
    """
    families = cjk_families()
    if not families:
        raise RuntimeError(
            "no CJK font found for the charts: install pylopdf-fonts-zh-cn "
            "(pip install -e .) or apt-get install fonts-wqy-microhei"
        )
    chosen = [families[0], "DejaVu Sans"]
    matplotlib.rcParams["font.family"] = chosen
    matplotlib.rcParams["font.sans-serif"] = chosen
    matplotlib.rcParams["axes.unicode_minus"] = False
    return tuple(chosen)


def apply_style() -> tuple[str, ...]:
    """Seaborn whitegrid theme with the colour-blind palette, then the CJK fonts on top."""
    import seaborn as sns

    sns.set_theme(style="whitegrid", palette=list(PALETTE))
    families = setup_fonts()  # after the theme: set_theme resets font.family
    matplotlib.rcParams["figure.dpi"] = 100
    matplotlib.rcParams["savefig.dpi"] = 100
    # names from the data are text: `$\frac{1}{$` in a school name is shown, never parsed as
    # mathtext (which fails the chart) or handed to TeX
    matplotlib.rcParams["text.parse_math"] = False
    matplotlib.rcParams["text.usetex"] = False
    return families


def _level(level: str, lang: str = "zh") -> str:
    word = _level_label(level, lang)
    return word if lang == "zh" else word[:1].upper() + word[1:]


def _fit(title: str, lang: str, width: int = 72) -> str:
    """English titles wrapped to ``width`` characters (Chinese ones are short enough)."""
    import textwrap

    return title if lang == "zh" else textwrap.fill(title, width)


def _when(year: int | None, lang: str) -> str:
    return label("plot_when", lang, year=year) if year is not None else ""


def _new_figure(width: float, height: float) -> tuple[Figure, Axes]:
    apply_style()
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def school_values(
    values: pd.DataFrame, indicator: str, level: str, registry: Registry, *,
    year: int | None = None, lang: str = "zh",
) -> Figure:
    """Per-unit values of one of B1–B7, sorted, against the threshold and the 85 % floor.

    ``values`` is :func:`balance_lib.indicators.long_values` output (one row per unit and indicator).
    Bars below the threshold are vermilion; names come from ``school_name``.
    """
    ind = registry.indicator(indicator)
    values = one_county(values)
    f = values[(values["indicator"] == indicator) & (values["level"] == level)]
    if year is not None:
        f = f[f["year"] == year]
    f = f.sort_values("value")
    threshold = ind.threshold(level)
    floor = threshold * (ind.floor_ratio or registry.floor_ratio)
    fig, ax = _new_figure(8, max(3.0, 0.22 * len(f) + 1.5))
    colours = [MET_COLOUR if m else FAIL_COLOUR for m in f["met"].astype(bool)]
    ax.barh([cell(n) for n in f["school_name"].astype(str)], f["value"], color=colours)
    ax.axvline(threshold, color="#000000", linestyle="--", linewidth=1.2,
               label=label("plot_threshold", lang, value=f"{threshold:g}"))
    ax.axvline(floor, color=FLOOR_COLOUR, linestyle=":", linewidth=1.5,
               label=label("plot_floor", lang, value=f"{floor:g}"))
    ax.set_xlabel(label("plot_value_axis", lang, name=ind.label(lang), unit=ind.unit(lang)))
    ax.set_ylabel(label("plot_school_axis", lang))
    ax.set_title(_fit(label("plot_school_values", lang, when=_when(year, lang),
                            level=_level(level, lang), id=ind.id, name=ind.label(lang)), lang))
    ax.legend(loc="lower right", fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    return fig


def cv_by_indicator(variation: pd.DataFrame, registry: Registry, *, year: int | None = None,
                    lang: str = "zh") -> Figure:
    """差异系数 of B1–B7 per level against the level's limit (0.50 小学, 0.45 初中)."""
    f = one_county(variation if year is None else variation[variation["year"] == year])
    levels = [lv for lv in ("primary", "junior") if lv in set(f["level"])]
    fig, ax = _new_figure(8, 4)
    ids = sorted(f["indicator"].unique(), key=lambda s: int(s[1:]))
    width = 0.8 / max(len(levels), 1)
    for k, level in enumerate(levels):
        g = f[f["level"] == level].set_index("indicator").reindex(ids)
        xs = [i + (k - (len(levels) - 1) / 2) * width for i in range(len(ids))]
        ax.bar(xs, g["cv"], width=width, color=PALETTE[k], label=_level(level, lang))
        limit = registry.cv_limit(level)
        ax.axhline(limit, color=PALETTE[k], linestyle="--", linewidth=1.2,
                   label=label("plot_level_limit", lang, level=_level(level, lang),
                               value=f"{limit:.2f}"))
    ax.set_xticks(range(len(ids)), [f"{i}\n{_tick(registry.indicator(i).short(lang), lang)}"
                                    for i in ids], fontsize=7)
    ax.set_ylabel(label("plot_cv_axis", lang))
    ax.set_xlabel(label("plot_indicator_axis", lang))
    ax.set_title(label("plot_cv_title", lang, when=_when(year, lang)))
    ax.legend(fontsize=8, ncol=2)
    return fig


def province_indicators(failing: pd.DataFrame, registry: Registry, *, year: int | None = None,
                        top: int = 15, lang: str = "zh") -> Figure:
    """Counties not meeting each indicator (and not assessed), the ``top`` indicators not met
    in the most counties; ``failing`` is :func:`balance_lib.province.failing_indicators`."""
    f = failing[failing["n_not_met"] > 0].head(top).iloc[::-1]
    fig, ax = _new_figure(8, max(2.5, 0.32 * len(f) + 1.4))
    names = [f"{i} {_tick(registry.indicator(i).label(lang), lang)}" for i in f["id"]]
    ax.barh(names, f["n_not_met"], color=FAIL_COLOUR, label=label("pv_plot_not_met", lang))
    ax.barh(names, f["n_not_assessed"], left=f["n_not_met"], color="#bbbbbb",
            label=label("pv_plot_not_assessed", lang))
    ax.set_xlabel(label("pv_plot_axis", lang))
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title(_fit(label("pv_plot_title", lang, year=year if year is not None else "",
                            n=len(f)), lang))
    ax.legend(loc="lower right", fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    return fig


def _school_year_date(year: int) -> dt.date:
    return dt.date(int(year), 9, 1)


def _tick(name: str, lang: str) -> str:
    """An indicator's short name under a bar (the registry's ``short_zh``/``short_en``),
    wrapped, never cut: 6 characters of Chinese or about 14 of English per line."""
    import textwrap

    if lang == "zh":
        return "\n".join(name[k:k + 6] for k in range(0, len(name), 6))
    return textwrap.fill(name, 14)


def _timeline(ax: Axes, milestones: Sequence = (), lang: str = "zh") -> None:
    """The county's milestones (``settings.county.milestones``) as dated vertical lines."""
    for k, m in enumerate(milestones):
        when = m.date
        ax.axvline(when, color="#555555", linestyle="-.", linewidth=1)
        ax.annotate(label("milestone", lang, label=m.label(lang), date=m.short_date),
                    (mdates.date2num(when), 1 - 0.07 * (k % 4)),
                    xycoords=("data", "axes fraction"),
                    ha="right", va="top", fontsize=8, rotation=0,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8})


def cv_trend(
    variation: pd.DataFrame, registry: Registry, *, indicators: Sequence[str] | None = None,
    milestones: Sequence = (), lang: str = "zh",
) -> Figure:
    """差异系数 per indicator over school years, one panel per level, limits and the county's
    milestones (``settings.county.milestones``) marked.

    A school year ``y`` is drawn at 1 September ``y``; the milestones are calendar dates.
    """
    variation = one_county(variation)
    ids = list(indicators) if indicators else sorted(variation["indicator"].unique(),
                                                     key=lambda s: int(s[1:]))
    levels = [lv for lv in ("primary", "junior") if lv in set(variation["level"])]
    apply_style()
    fig = Figure(figsize=(9, 3.6 * max(len(levels), 1)), layout="constrained")
    axes = fig.subplots(max(len(levels), 1), 1, squeeze=False)[:, 0]
    for ax, level in zip(axes, levels):
        g = variation[variation["level"] == level]
        for k, ind in enumerate(ids):
            s = g[g["indicator"] == ind].sort_values("year")
            ax.plot([_school_year_date(y) for y in s["year"]], s["cv"], marker="o",
                    color=PALETTE[k % len(PALETTE)], label=ind)
        limit = registry.cv_limit(level)
        ax.axhline(limit, color="#000000", linestyle="--", linewidth=1.2,
                   label=label("plot_limit", lang, value=f"{limit:.2f}"))
        _timeline(ax, milestones, lang)
        first = int(variation["year"].min())
        last = max([int(variation["year"].max()) + 1, *(m.date.year for m in milestones)])
        ax.set_xlim(_school_year_date(first) - dt.timedelta(days=120), dt.date(last, 12, 31))
        ax.set_xticks([_school_year_date(y) for y in range(first, last + 1)],
                      [label("school_year", lang, year=y) for y in range(first, last + 1)],
                      fontsize=8)
        ax.set_ylabel(label("plot_cv_axis", lang))
        ax.set_xlabel(label("plot_trend_x", lang))
        ax.set_title(label("plot_trend_title", lang, level=_level(level, lang)))
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig


def school_trend(values: pd.DataFrame, school_id: str, registry: Registry, *,
                 lang: str = "zh") -> Figure | None:
    """One school's B1–B7 over the years as % of the threshold (100 % = standard, 85 % = floor);
    None for a school without units (a special school: no empty axes on its page)."""
    f = one_county(values)
    f = f[f["school_id"].astype(str) == str(school_id)].copy()
    f["pct"] = 100 * f["value"] / f["threshold"]
    levels = [lv for lv in ("primary", "junior") if lv in set(f["level"])]
    if not levels:
        return None
    apply_style()
    fig = Figure(figsize=(8, 3.4 * max(len(levels), 1)), layout="constrained")
    axes = fig.subplots(max(len(levels), 1), 1, squeeze=False)[:, 0]
    name = cell(f["school_name"].iloc[0] if len(f) else school_id)
    for ax, level in zip(axes, levels):
        g = f[f["level"] == level]
        for k, ind in enumerate(sorted(g["indicator"].unique(), key=lambda s: int(s[1:]))):
            s = g[g["indicator"] == ind].sort_values("year")
            ax.plot(s["year"].astype(int), s["pct"], marker="o", color=PALETTE[k % len(PALETTE)],
                    label=f"{ind} {registry.indicator(ind).short(lang)}")
        ax.axhline(100, color="#000000", linestyle="--", linewidth=1.2,
                   label=label("plot_standard_100", lang))
        ax.axhline(100 * registry.floor_ratio, color=FLOOR_COLOUR, linestyle=":", linewidth=1.5,
                   label=label("plot_floor_pct", lang, value=f"{100 * registry.floor_ratio:.0f}"))
        ax.set_xticks(sorted(g["year"].astype(int).unique()))
        ax.set_xlabel(label("plot_year_axis", lang))
        ax.set_ylabel(label("plot_pct_axis", lang))
        ax.set_title(_fit(label("plot_school_trend", lang, name=name,
                                level=_level_label(level, lang)), lang))
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig


def _bars(ax: Axes, heights: Any, colours: Sequence[str], width: float = 0.8) -> None:
    """Vertical bars at 0, 1, 2 … as ONE collection: what ``ax.bar`` draws (white edges of
    the theme, the value axis starting at 0), without an artist per bar (``bar`` spent most of
    a small-multiples figure's building on its rectangles)."""
    import numpy as np
    from matplotlib.collections import PolyCollection

    h = np.asarray(heights, dtype=float)
    x = np.arange(len(h), dtype=float)
    lo, hi = x - width / 2, x + width / 2
    verts = np.stack([np.column_stack(c) for c in ((lo, np.zeros_like(h)), (lo, h), (hi, h),
                                                   (hi, np.zeros_like(h)))], axis=1)
    coll = PolyCollection(verts, facecolors=list(colours),
                          edgecolors=matplotlib.rcParams["patch.edgecolor"],
                          linewidths=matplotlib.rcParams["patch.linewidth"])
    coll.sticky_edges.y.append(0)
    ax.add_collection(coll)
    ax.autoscale_view()


def _grid_in_inches(fig: Figure, nrows: int, ncols: int, *, left: float, right: float,
                    top: float, bottom: float, wspace: float, hspace: float) -> Any:
    """A grid of panels with margins and gaps in inches: a fixed layout, computed once, instead
    of constrained layout (which measured every text of the figure twice at each save)."""
    w, h = fig.get_size_inches()
    pw = (w - left - right - wspace * (ncols - 1)) / ncols
    ph = (h - top - bottom - hspace * (nrows - 1)) / nrows
    return fig.add_gridspec(nrows, ncols, left=left / w, right=1 - right / w, bottom=bottom / h,
                            top=1 - top / h, wspace=wspace / pw, hspace=hspace / ph)


def small_multiples(values: pd.DataFrame, level: str, registry: Registry, *,
                    year: int | None = None, lang: str = "zh") -> Figure:
    """One compact figure per level: a panel per unit indicator with every unit's value
    (sorted bars), the standard (dashed) and the 85% floor (dotted); bars below the standard
    are vermilion, below the floor purple; one legend for the figure. Replaces one tall chart
    per indicator; the failing units are named in the report's first table.

    Drawn on a fixed grid (margins in inches) with each panel's bars as one collection: a
    third of the time of the constrained layout and one rectangle per bar."""
    import numpy as np
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    f = values[values["level"] == level]
    if year is not None:
        f = f[f["year"] == year]
    ids = f["indicator"].astype(str).to_numpy()
    vals = f["value"].to_numpy(dtype=float)
    met = f["met"].astype(bool).to_numpy()
    floor_met = f["floor_met"].astype(bool).to_numpy()
    inds = [i for i in registry.unit_indicators if i.id in set(ids)]
    ncols = 4
    nrows = max(1, -(-(len(inds) + 1) // ncols))
    apply_style()
    fig = Figure(figsize=(11, 2.6 * nrows + 0.6))
    grid = _grid_in_inches(fig, nrows, ncols, left=0.46, right=0.12, top=0.62, bottom=0.12,
                           wspace=0.5, hspace=0.42)
    axes = grid.subplots(squeeze=False).ravel()
    for ax, ind in zip(axes, inds):
        rows = np.flatnonzero(ids == ind.id)
        rows = rows[np.argsort(vals[rows], kind="stable")]
        colours = [MET_COLOUR if m else (FAIL_COLOUR if fm else FLOOR_COLOUR)
                   for m, fm in zip(met[rows], floor_met[rows])]
        _bars(ax, vals[rows], colours)
        thr = ind.threshold(level)
        ax.axhline(thr, color="#000000", linestyle="--", linewidth=1.1)
        ax.axhline(thr * (ind.floor_ratio or registry.floor_ratio), color=FLOOR_COLOUR,
                   linestyle=":", linewidth=1.4)
        ax.set_xticks([])
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title(label("plot_sm_panel", lang, id=ind.id, name=ind.short(lang),
                           unit=ind.unit(lang)), fontsize=8.5)
    for ax in axes[len(inds):]:
        ax.axis("off")
    handles = [Patch(color=MET_COLOUR, label=label("plot_sm_met", lang)),
               Patch(color=FAIL_COLOUR, label=label("plot_sm_below", lang)),
               Patch(color=FLOOR_COLOUR, label=label("plot_sm_below_floor", lang)),
               Line2D([], [], color="#000000", linestyle="--", label=label("plot_threshold", lang,
                                                                          value="")),
               Line2D([], [], color=FLOOR_COLOUR, linestyle=":",
                      label=label("plot_floor", lang, value=""))]
    legend_ax = axes[len(inds)] if len(inds) < len(axes) else axes[-1]
    legend_ax.legend(handles=handles, loc="center", fontsize=8, frameon=False)
    fig.suptitle(_fit(label("plot_sm_title", lang, when=_when(year, lang),
                            level=_level(level, lang), units=registry.id_range("unit")), lang,
                      110), fontsize=10, y=1 - 0.08 / fig.get_size_inches()[1], va="top")
    return fig


def to_png(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes (embedded in reports; does not depend on a pyplot backend)."""
    from io import BytesIO

    buf = BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def show(fig: Figure | None) -> None:
    """Display ``fig`` in a notebook as an embedded PNG (works without ``%matplotlib inline``);
    ``None`` (a chart with nothing to draw) shows nothing."""
    from IPython.display import Image, display

    if fig is None:
        return
    display(Image(data=to_png(fig), format="png"))
