"""The widgets of the scenario explorer (``notebooks/31-explore.ipynb``).

A thin layer over :class:`balance_lib.explore.Explorer`: every widget event edits the
explorer's state (a change's field, the projection, the list), then :meth:`ExplorerUI.refresh`
evaluates it and updates, in place, the problems beside the fields, the headline, the targets
and the visible tab's tables and charts (the other tabs are redrawn when they are opened).
Nothing here computes an indicator.

Charts are the 30-scenario report's (:mod:`balance_lib.scenario_report`), drawn as PNG with the
shipped Chinese font; tables are :func:`balance_lib.report.table_html` (escaped). The page
gets a subset of the same font as an embedded ``@font-face`` (:mod:`balance_lib.htmlfont`), so
the Chinese of the forms renders on a machine without Chinese fonts; it grows when new
characters (a school name typed in a form) appear. No JavaScript of our own, nothing from the
internet.
"""

from __future__ import annotations

import base64
import html
import io
import time
import traceback
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import ipywidgets as ipw
import numpy as np
import pandas as pd
import yaml
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

from . import explore as ex
from . import scenario_report as sr
from .atomic import OutputError
from .chartspec import Chart, draw
from .columns import value_label
from .explore import EXCLUSIVE, Evaluation, Explorer, FieldSpec, w
from .htmlfont import FAMILY, page_characters, subset_font
from .projection import ENTRY_METHODS
from .report import note, table_html
from .safetext import cell
from .safeyaml import YamlFileError, parse_yaml
from .scenario_spec import ScenarioError
from .words import WORDS_FILE, label

#: The tabs of results: key -> (tables, charts), each a function of the report's ScenarioRun.
TABS: dict[str, tuple[tuple[Callable[..., Any], ...], tuple[Callable[..., Any], ...]]] = {
    "classes": ((sr.class_table,), (sr.class_size_spec,)),
    "county": ((sr.county_table, lambda r, lang: ex.classrooms_table(r.result, lang)),
               (sr.county_classes_spec,)),
    "size": ((lambda r, lang: ex.school_size_table(r.result, lang),), ()),
    "cv": ((sr.cv_table,), (lambda r, lang: _cv_chart(r, "primary", lang),
                            lambda r, lang: _cv_chart(r, "junior", lang))),
    "units": ((lambda r, lang: ex.units_table(r.result, lang),
               lambda r, lang: ex.unit_values_table(r.result, r.data.registry, lang)), ()),
}
DPI = 100  # the charts' resolution on screen, as in the reports (shown at their own size)
HEADROOM = 0.15  # extra range of a live chart's value axis, on each side


def _cv_chart(run: Any, level: str, lang: str) -> Any:
    """The report's CV chart of ``level``, None when the county has no unit of that level."""
    return sr.cv_spec(run, level, lang) if level in set(run.result.variation["level"]) else None
_LABEL_WIDTH = {"zh": "9em", "en": "12em"}  # of the field names beside the forms
_CSS = """
.balance-explorer .bx-msg {color:#b42318; font-size:12px; line-height:1.3}
.balance-explorer .bx-hint {color:#57606a; font-size:12px; line-height:1.3}
.balance-explorer .bx-status {font-size:12px; color:#57606a}
.balance-explorer .bx-headline {font-weight:600; margin:.3em 0}
.balance-explorer .bx-label {font-weight:600}
"""


def _html(text: object, cls: str = "") -> str:
    """``text`` as inert HTML: controls and direction overrides made visible
    (:func:`balance_lib.safetext.cell`: names and values come from the data), then escaped."""
    shown = html.escape(cell(text))
    return f'<span class="{cls}">{shown}</span>' if cls else shown


def _table(frame: pd.DataFrame, lang: str) -> str:
    """:func:`balance_lib.report.table_html` (escaped) of ``frame`` whose text cells (school
    names from the data) are first made one inert line each."""
    text = [c for c, t in frame.dtypes.items() if not pd.api.types.is_numeric_dtype(t)]
    shown = frame.assign(**{c: frame[c].map(lambda v: cell(v) if isinstance(v, str) else v)
                            for c in text}) if text else frame
    return table_html(shown, lang=lang)


def _parse_number(text: str) -> Any:
    """A number typed in a form: int or float; an unreadable text is kept as typed (the
    loader then says what is wrong with it); empty is None."""
    t = text.strip().replace(",", "").replace("，", "")
    if not t:
        return None
    try:
        return int(t)
    except ValueError:
        pass
    try:
        v = float(t)
    except ValueError:
        return text.strip()
    return v


def _show_number(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(v)


class LiveChart:
    """One chart of the explorer, redrawn fast when only the scenario's data move.

    ``make(run, lang)`` gives what a chart of the 30-scenario report shows, as a
    :class:`balance_lib.chartspec.Chart` (a few tuples: cheap), or None. :meth:`render`
    compares it with the chart on screen: when only the dynamic series changed (the
    scenario's solid lines and its bars: the report draws the baseline dashed) and their new
    data fit the axes, the new data are copied into the figure on screen and only those
    artists are drawn again over the saved rest of the picture (matplotlib's blitting, about
    20× faster than a whole drawing; no new figure is made); otherwise the chart is drawn in
    full. Either way the picture shows exactly the new data; the value axis has some headroom
    (see :meth:`_draw`).
    """

    def __init__(self, make: Callable[..., Any], dpi: int = DPI) -> None:
        self.make, self.dpi = make, dpi
        self.fig: Any = None
        self.fast = 0  # renders that took the fast path (for the tests and the benchmark)

    def render(self, run: Any, lang: str) -> bytes | None:
        """The chart of ``run`` as PNG bytes (None when ``make`` has nothing to draw)."""
        chart = self.make(run, lang)
        if chart is None:
            return None
        key = chart.static_key()
        if self.fig is not None and key == self._key and self._swap(chart):
            self.fast += 1
            return self._blit()
        fig, dynamic = draw(chart)
        self._draw(fig, [a for artists in dynamic for a in artists])
        self._key = key
        return self._blit()

    def _swap(self, chart: Chart) -> bool:
        """Copy the new dynamic data of ``chart`` (whose static part is the one on screen)
        into the figure on screen, if they fit its value axis."""
        ys = np.asarray([v for s in chart.series if s.dynamic for v in s.y], dtype=float)
        ys = ys[np.isfinite(ys)]
        lo, hi = sorted(self.fig.axes[0].get_ylim())
        if len(ys) and (ys.min() < lo or ys.max() > hi):
            return False
        k = 0
        for s in chart.series:
            if not s.dynamic:
                continue
            if s.kind == "plot":
                self._dyn[k].set_ydata(s.y)
                k += 1
            else:
                for height in s.y:
                    self._dyn[k].set_height(height)
                    k += 1
        return True

    def _draw(self, fig: Any, dynamic: list[Any]) -> None:
        """Draw ``fig`` in full without its dynamic artists and keep that as the background.

        The value axis gets :data:`HEADROOM` more range on each side (never below 0 when the
        data are not), so that moving a slider moves the lines against steady axes instead
        of rescaling them at every step.
        """
        fig.set_dpi(self.dpi)
        self.canvas = FigureCanvasAgg(fig)
        for ax in fig.axes:
            lo, hi = ax.get_ylim()
            pad = HEADROOM * (hi - lo)
            ax.set_ylim(lo if lo == 0 else (max(lo - pad, 0.0) if lo > 0 else lo - pad),
                        hi + pad)
        self._dyn = dynamic
        for a in self._dyn:
            a.set_visible(False)
        self.canvas.draw()
        fig.set_layout_engine("none")  # keep the positions the layout found
        self.background = self.canvas.copy_from_bbox(fig.bbox)
        for a in self._dyn:
            a.set_visible(True)
        renderer = self.canvas.get_renderer()
        self._over = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None
                      and ax.get_legend().get_window_extent(renderer).overlaps(ax.bbox)]
        self.fig = fig

    def _blit(self) -> bytes:
        c = self.canvas
        c.restore_region(self.background)
        for a in self._dyn:
            a.axes.draw_artist(a)
        for leg in self._over:  # a legend inside the axes stays on top of the data
            leg.axes.draw_artist(leg)
        w_, h_ = c.get_width_height()
        img = Image.frombuffer("RGBA", (w_, h_), c.buffer_rgba(), "raw", "RGBA", 0, 1)
        buf = io.BytesIO()
        img.save(buf, format="png", compress_level=3)
        return buf.getvalue()


class _Field:
    """One field of a change form: its widget, its message beside it, and its raw value."""

    def __init__(self, ui: ExplorerUI, i: int, f: FieldSpec, change_type: str) -> None:
        self.ui, self.i, self.spec = ui, i, f
        self.name = f.name
        lang = ui.lang
        self.msg = ipw.HTML("")
        self.msg.add_class("bx-msg")
        raw = ui.ex.changes[i].get(f.name)
        self.widget = self._make(f, raw, change_type)
        text = f.label(lang, change_type) + (f"（{f.unit(lang)}）" if f.unit(lang) and lang == "zh"
                                             else f" ({f.unit(lang)})" if f.unit(lang) else "")
        self.title = ipw.HTML(_html(text + (" *" if f.required else ""), "bx-label"),
                              layout=ipw.Layout(width=_LABEL_WIDTH[lang],
                                                min_width=_LABEL_WIDTH[lang]))
        hint = {"grades": "h_grades", "share": "h_share", "into": "h_into"}.get(f.kind)
        parts: list[ipw.Widget] = [self.widget]
        if hint:
            h = ipw.HTML(_html(w(hint, lang), "bx-hint"))
            parts.append(h)
        self.box = ipw.HBox([self.title, ipw.VBox(parts), self.msg],
                            layout=ipw.Layout(align_items="flex-start", margin="2px 0"))

    # --- widgets per kind ---------------------------------------------------------------------

    def _make(self, f: FieldSpec, raw: Any, change_type: str) -> ipw.Widget:
        ui, lang = self.ui, self.ui.lang
        kind = f.kind
        if kind == "year":
            years = ex.allowed_years(ui.ex.facts, change_type, ui.ex.target_year())
            opts = [(str(y), y) for y in years]
            if raw not in years:
                opts.append((str(raw), raw))
            return self._watch(ipw.Dropdown(options=opts, value=raw,
                                            layout=ipw.Layout(width="8em")))
        if kind == "school":
            return self._watch(self._school_picker(raw, f.required))
        if kind == "into":
            return self._into(raw)
        if kind == "share":
            return self._share_or_count(raw)
        if kind == "count":  # alone (with a share, the share row offers the count)
            return self._watch(ipw.BoundedIntText(
                value=raw if isinstance(raw, int) else 0, min=0, max=10**6,
                layout=ipw.Layout(width="8em")))
        if kind == "grades":
            chosen = set(raw) if isinstance(raw, list) else ({raw} if isinstance(raw, int)
                                                             else set())
            buttons = [ipw.ToggleButton(value=g in chosen, description=str(g),
                                        layout=ipw.Layout(width="2.6em")) for g in range(1, 10)]

            def grades(_: Any = None) -> None:
                picked = [g for g, b in zip(range(1, 10), buttons, strict=True) if b.value]
                ui.edit(self.i, self.name, picked or None)

            for b in buttons:
                b.observe(grades, "value")
            return ipw.HBox(buttons)
        if kind == "levels":
            raw = raw if isinstance(raw, dict) else {}
            boxes = {lv: ipw.Text(value=_show_number(raw.get(lv)), placeholder="—",
                                  continuous_update=False, layout=ipw.Layout(width="5em"))
                     for lv in ("primary", "junior")}

            def levels(_: Any = None) -> None:
                value = {lv: _parse_number(b.value) for lv, b in boxes.items()
                         if _parse_number(b.value) is not None}
                ui.edit(self.i, self.name, value or None)

            for b in boxes.values():
                b.observe(levels, "value")
            return ipw.HBox([ipw.HBox([ipw.HTML(_html(str(value_label(lv, lang)))), b])
                             for lv, b in boxes.items()])
        if kind == "choice":
            opts = [(f"{value_label(v, lang)}", v) for v in f.choices]
            if not f.required or raw is None:
                opts.insert(0, (w("none", lang), None))
            if raw not in [v for _, v in opts]:
                opts.append((str(raw), raw))
            return self._watch(ipw.Dropdown(options=opts, value=raw,
                                            layout=ipw.Layout(width="14em")))
        if kind == "bool":
            return self._watch(ipw.Checkbox(value=raw is True, indent=False),
                               lambda v: True if v else None)
        if kind in ("number",):
            return self._watch(ipw.Text(value=_show_number(raw), placeholder="—",
                                        continuous_update=False, layout=ipw.Layout(width="8em")),
                               _parse_number)
        if kind in ("text", "new_id"):
            return self._watch(ipw.Text(value="" if raw is None else str(raw),
                                        continuous_update=False, layout=ipw.Layout(width="16em")))
        # a field the form cannot know: a YAML value typed as text
        shown = "" if raw is None else yaml.safe_dump(raw, allow_unicode=True,
                                                      default_flow_style=True).strip()
        shown = shown.removesuffix("...").strip()
        return self._watch(ipw.Text(value=shown, continuous_update=False,
                                    layout=ipw.Layout(width="16em")),
                           lambda t: parse_yaml(t) if t.strip() else None)  # bounded

    def _watch(self, widget: ipw.ValueWidget, convert: Callable[[Any], Any] | None = None,
               ) -> ipw.ValueWidget:
        def changed(event: dict[str, Any]) -> None:
            value = event["new"]
            if convert is not None:
                try:
                    value = convert(value)
                except YamlFileError:
                    pass  # kept as typed: the loader says what is wrong with it
            self.ui.edit(self.i, self.name, value)

        widget.observe(changed, "value")
        return widget

    def _school_picker(self, raw: Any, required: bool) -> ipw.Dropdown:
        """The schools by name; what the state holds is what it shows (a school the data do
        not have, or none yet, included)."""
        opts = list(self.ui.ex.school_options())
        if not required or raw is None:
            opts.insert(0, (w("none", self.ui.lang), None))
        if raw is not None and str(raw) not in [v for _, v in opts]:
            opts.append((w("unknown_school", self.ui.lang, id=cell(raw)), str(raw)))
        value = None if raw is None else str(raw)
        return ipw.Dropdown(options=opts, value=value, layout=ipw.Layout(width="22em"))

    def _share_or_count(self, raw: Any) -> ipw.Widget:
        """A move's amount: a share (slider) or a count of students per cohort."""
        ui, lang = self.ui, self.ui.lang
        c = ui.ex.changes[self.i]
        mode = "count" if "count" in c and "share" not in c else "share"
        share = raw if isinstance(raw, (int, float)) and not isinstance(raw, bool) else 0.0
        slider = ipw.FloatSlider(value=min(max(float(share), 0.0), 1.0), min=0.0, max=1.0,
                                 step=0.01, readout_format=".0%", continuous_update=False,
                                 layout=ipw.Layout(width="22em"))
        slider.add_class("bx-share")
        count_raw = c.get("count")
        count = ipw.BoundedIntText(value=count_raw if isinstance(count_raw, int) else 30, min=0,
                                   max=10**6, layout=ipw.Layout(width="8em"))
        count.add_class("bx-count")
        toggle = ipw.ToggleButtons(options=[(w("mode_share", lang), "share"),
                                          (w("mode_count", lang), "count")], value=mode,
                                   style={"button_width": "auto"})
        box = ipw.VBox([toggle, slider if mode == "share" else count])

        def on_mode(event: dict[str, Any]) -> None:
            box.children = (toggle, slider if event["new"] == "share" else count)
            self.name = event["new"]
            ui.edit(self.i, event["new"],
                    round(slider.value, 4) if event["new"] == "share" else count.value)

        toggle.observe(on_mode, "value")
        slider.observe(lambda e: ui.edit(self.i, "share", round(e["new"], 4)), "value")
        count.observe(lambda e: ui.edit(self.i, "count", e["new"]), "value")
        self.name = mode
        return box

    def _into(self, raw: Any) -> ipw.Widget:
        """One school, or several with shares (written as ``{school: share}``)."""
        ui, lang = self.ui, self.ui.lang
        targets = dict(raw) if isinstance(raw, dict) else ({str(raw): 1.0} if raw else {})
        box = ipw.VBox()
        rows: list[tuple[ipw.Dropdown, ipw.Text]] = []

        def value() -> Any:
            picked = [(d.value, _parse_number(t.value)) for d, t in rows if d.value is not None]
            if not picked:
                return None
            if len(picked) == 1:
                return picked[0][0]
            return {sid: share for sid, share in picked}

        def changed(_: Any = None) -> None:
            ui.edit(self.i, "into", value())

        def add_row(sid: Any, share: Any) -> None:
            d = self._school_picker(sid, True)
            t = ipw.Text(value=_show_number(share), placeholder="1", continuous_update=False,
                         layout=ipw.Layout(width="5em"))
            d.observe(changed, "value")
            t.observe(changed, "value")
            rows.append((d, t))

        def redraw() -> None:
            many = len(rows) > 1
            box.children = [ipw.HBox([d, *([t] if many else [])]) for d, t in rows] + [
                ipw.HBox([plus, *([minus] if many else [])])]

        plus = ipw.Button(description="+ " + w("into_add", lang),
                          layout=ipw.Layout(width="auto"))
        minus = ipw.Button(description="− " + w("into_remove", lang),
                           layout=ipw.Layout(width="auto"))

        def more(_: Any) -> None:
            add_row(None, 0.5 if rows else 1)
            redraw()
            changed()

        def fewer(_: Any) -> None:
            rows.pop()
            redraw()
            changed()

        plus.on_click(more)
        minus.on_click(fewer)
        for sid, share in (targets.items() or [(None, 1)]):
            add_row(sid, share)
        redraw()
        return box


class ExplorerUI:
    """The explorer's widgets; ``display(ui)`` shows them (``ui.widget`` is the root box).

    ``embed_font=False`` leaves the Chinese to the browser's fonts (quicker to open; every
    desktop with Chinese fonts renders it anyway).

    ``updates`` counts the refreshes; ``timings`` holds, per refresh, the seconds spent
    evaluating and showing (tables and charts of the visible tab).
    """

    def __init__(self, explorer: Explorer, lang: str = "zh", save_as: str = "",
                 embed_font: bool = True) -> None:
        self.ex, self.lang, self.embed_font = explorer, lang, embed_font
        self.updates = 0
        self.timings: list[tuple[float, float]] = []
        self.selected: int | None = 0 if explorer.changes else None
        self._quiet = False
        self._fields: list[_Field] = []
        self._fonts: set[str] = set()
        self._stale = set(TABS)
        self.last: Evaluation | None = None

        self.font = ipw.VBox(layout=ipw.Layout(display="none"))  # the embedded font faces
        head = ipw.HTML(f"<h3>{_html(w('title', lang, county=explorer.data.path.name))}"
                        f"</h3>{note(explorer.data, lang)._repr_html_()}<style>{_CSS}</style>")
        self.settings = self._settings()
        self.changes = self._change_list()
        self.form = ipw.VBox(layout=ipw.Layout(flex="1 1 auto", padding="0 0 0 1em",
                                           border_left="1px solid #d0d7de"))
        self.status = ipw.HTML("")
        self.status.add_class("bx-status")
        self.headline = ipw.HTML("")
        self.headline.add_class("bx-headline")
        self.targets = ipw.HTML("")  # the first year each target holds
        self.failing = ipw.HTML("", layout=ipw.Layout(margin="0 0 0 2em"))  # what still fails
        self.tabs = ipw.Tab()
        self._tab_keys = list(TABS)
        self._tab_tables = {k: [ipw.HTML("") for _ in TABS[k][0]] for k in TABS}
        self._tab_charts = {k: [LiveChart(m, DPI) for m in TABS[k][1]] for k in TABS}
        self._tab_images = {k: [ipw.Image(format="png", layout=ipw.Layout(max_width="100%"))
                                for _ in TABS[k][1]] for k in TABS}
        for k in TABS:
            for n, b in enumerate(self._tab_tables[k]):
                b.add_class(f"bx-table-{k}-{n}")
            for n, b in enumerate(self._tab_images[k]):
                b.add_class(f"bx-chart-{k}-{n}")
        notes = {k: ipw.HTML(_html(w(f"note_{k}", lang), "bx-hint")) for k in TABS}  # how to read
        self.tabs.children = [ipw.VBox([notes[k], *self._tab_tables[k], *self._tab_images[k]])
                              for k in TABS]
        self.tabs.titles = tuple(w(f"tab_{k}", lang) for k in TABS)
        self.tabs.observe(self._on_tab, "selected_index")
        self.save_path = ipw.Text(value=save_as or self._default_save(), continuous_update=False,
                                  layout=ipw.Layout(width="30em"))
        self.save_button = ipw.Button(description=w("save", lang),
                                      button_style="primary", layout=ipw.Layout(width="auto"))
        self.save_button.on_click(self._on_save)
        self.open_button = ipw.Button(description=w("open", lang),
                                      layout=ipw.Layout(width="auto"))
        self.open_button.on_click(self._on_open)
        self.save_message = ipw.HTML("")
        for widget, name in ((self.save_path, "path"), (self.save_button, "button"),
                             (self.open_button, "open"), (self.save_message, "message")):
            widget.add_class(f"bx-save-{name}")
        save = ipw.HBox([ipw.HTML(_html(w("save_as", lang), "bx-label"),
                              layout=ipw.Layout(width=_LABEL_WIDTH[lang])),
                         self.save_path, self.save_button, self.open_button,
                         self.save_message], layout=ipw.Layout(align_items="center"))
        self.widget = ipw.VBox([
            self.font, head, self.settings,
            ipw.HBox([self.changes, self.form], layout=ipw.Layout(margin="0.5em 0")),
            self.status, ipw.HTML(f"<h4>{_html(w('results', lang))}</h4>"),
            self.headline, ipw.HBox([self.targets, self.failing]), self.tabs, save])
        self.widget.add_class("balance-explorer")
        # one face for the explorer's words and the data's names (each subset costs about a
        # second, however few its characters)
        self._ensure_font(_words_text() + " " + self._data_text())
        self._build_form()
        self.refresh()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # --- panels -----------------------------------------------------------------------------

    def _settings(self) -> ipw.Widget:
        lang = self.lang
        self.name = ipw.Text(continuous_update=False, layout=ipw.Layout(width="24em"))
        self.name.observe(lambda e: self._set("name", e["new"]), "value")
        self.description = ipw.Textarea(continuous_update=False,
                                        layout=ipw.Layout(width="48em", height="3.2em"))
        self.description.observe(lambda e: self._set("description", e["new"]), "value")
        self.target = ipw.Dropdown(layout=ipw.Layout(width="7em"))
        self.target.observe(lambda e: self._projection("target_year", e["new"]), "value")
        self.policy = ipw.ToggleButtons(style={"button_width": "auto"})
        self.policy.observe(lambda e: self._projection("class_policy", e["new"]), "value")
        self.entry = ipw.Dropdown(layout=ipw.Layout(width="9em"))
        self.entry.observe(lambda e: self._projection("entry", e["new"]), "value")
        self._show_settings()
        self.settings_msg = ipw.HTML("")
        self.settings_msg.add_class("bx-msg")

        def lab(key: str) -> ipw.HTML:
            return ipw.HTML(_html(w(key, lang), "bx-label"),
                            layout=ipw.Layout(width=_LABEL_WIDTH[lang]))

        return ipw.VBox([
            ipw.HBox([lab("name"), self.name], layout=ipw.Layout(align_items="center")),
            ipw.HBox([lab("description"), self.description]),
            ipw.HBox([lab("target_year"), self.target, ipw.HTML("&emsp;"),
                      ipw.HTML(_html(w("class_policy", lang), "bx-label")), self.policy,
                      ipw.HTML("&emsp;"), ipw.HTML(_html(w("entry", lang), "bx-label")),
                      self.entry], layout=ipw.Layout(align_items="center")),
            self.settings_msg])

    def _show_settings(self) -> None:
        """The name, description and projection widgets show the state (no edit is made)."""
        ex_, lang = self.ex, self.lang
        last = ex_.facts.last_year
        t = ex_.projection.get("target_year")
        years = list(range(last + 1, max(last + 11, 2036)))
        pol = ex_.projection.get("class_policy")
        popts = [(w("policy_keep", lang), "keep"), (w("policy_open", lang), "open")]
        entry = ex_.entry()
        # births only when there are some (births.csv, the file) or the state names it
        offer = ENTRY_METHODS if ex_.facts.births or "births" in ex_.projection or (
            entry == "births") else tuple(m for m in ENTRY_METHODS if m != "births")
        eopts = [(label(f"entry_{m}", lang), m) for m in offer]
        self._quiet = True
        try:
            self.name.value, self.description.value = ex_.name, ex_.description
            self.target.options = [(str(y), y) for y in years] + (
                [] if t in years else [(str(t), t)])  # a file's odd value shows as it is
            self.target.value = t
            self.policy.options = popts + ([] if pol in ("keep", "open") else [(str(pol), pol)])
            self.policy.value = pol
            self.entry.options = eopts + ([] if entry in [v for _, v in eopts]
                                          else [(str(entry), entry)])
            self.entry.value = entry
        finally:
            self._quiet = False

    def _change_list(self) -> ipw.Widget:
        lang = self.lang
        self.list = ipw.Select(options=[], rows=12, layout=ipw.Layout(width="30em"))
        self.list.add_class("bx-changes")
        self.list.observe(self._on_select, "value")
        self.kind = ipw.Dropdown(options=[(ex.kind_label(k, lang), k) for k in ex.change_kinds()],
                                 layout=ipw.Layout(width="10em"))
        self.buttons: dict[str, ipw.Button] = {}
        for key, fn in (("add", self._on_add), ("duplicate", self._on_duplicate),
                        ("delete", self._on_delete), ("up", lambda _: self._on_move(-1)),
                        ("down", lambda _: self._on_move(1))):
            b = ipw.Button(description=w(key, lang), layout=ipw.Layout(width="auto"))
            b.add_class(f"bx-{key}")
            b.on_click(fn)
            self.buttons[key] = b
        buttons = list(self.buttons.values())
        self.list_msg = ipw.HTML("")
        self.list_msg.add_class("bx-msg")
        return ipw.VBox([ipw.HTML(_html(w("changes", lang), "bx-label")), self.list,
                         ipw.HBox([self.kind, buttons[0]]), ipw.HBox(buttons[1:]), self.list_msg])

    def _default_save(self) -> str:
        stem = Path(self.ex.source).stem if self.ex.source else "explore"
        return f"outputs/scenarios/{stem}.yaml"

    # --- editing ------------------------------------------------------------------------------

    def edit(self, i: int, name: str, value: Any) -> None:
        """A form field changed: set it and refresh."""
        if self._quiet:
            return
        self.ex.set_field(i, name, value)
        if name in ("school_id", "school_name") and self.ex.changes[i].get("type") == (
                "new_school"):
            self._ensure_font(str(value))
        self.refresh()

    def _set(self, what: str, value: str) -> None:
        if self._quiet:
            return
        setattr(self.ex, what, value)
        self._ensure_font(value)
        self.refresh()

    def _projection(self, name: str, value: Any) -> None:
        if self._quiet:
            return
        self.ex.set_projection(name, value)
        self._show_settings()  # the default entry method follows the target year
        self._build_form()  # the years a change may take follow the target year
        self.refresh()

    def _on_select(self, event: dict[str, Any]) -> None:
        if self._quiet:
            return
        self.selected = event["new"]
        self._build_form()
        if self.last is not None:
            self._show_problems(self.last)

    def _on_add(self, _: Any) -> None:
        at = (self.selected + 1) if self.selected is not None else None
        self.selected = self.ex.add(self.kind.value, at)
        self._build_form()
        self.refresh()

    def _on_duplicate(self, _: Any) -> None:
        if self.selected is None:
            return
        self.selected = self.ex.duplicate(self.selected)
        self._build_form()
        self.refresh()

    def _on_delete(self, _: Any) -> None:
        if self.selected is None:
            return
        self.ex.remove(self.selected)
        n = len(self.ex.changes)
        self.selected = None if n == 0 else min(self.selected, n - 1)
        self._build_form()
        self.refresh()

    def _on_move(self, step: int) -> None:
        if self.selected is None:
            return
        self.selected = self.ex.move(self.selected, step)
        self._build_form()  # its fields edit the change at its new place
        self.refresh()

    def _build_form(self) -> None:
        lang = self.lang
        self._quiet = True
        try:
            i = self.selected
            if i is None or i >= len(self.ex.changes):
                self._fields = []
                self.form_msg = ipw.HTML("")
                self.form.children = [ipw.HTML(_html(w("form_empty", lang), "bx-hint"))]
                return
            c = self.ex.changes[i]
            ctype = str(c.get("type"))
            specs = ex.form_fields(ctype, self.ex.facts) if ctype in ex.change_kinds() else (
                FieldSpec("type", "yaml"),)
            self._fields = [_Field(self, i, f, ctype) for f in specs
                            if not (f.name in EXCLUSIVE and f.name != EXCLUSIVE[0]
                                    and EXCLUSIVE[0] in [s.name for s in specs])]
            title = ipw.HTML("<b>" + _html(w("form_title", lang, n=i + 1,
                                                   kind=ex.kind_label(ctype, lang))) + "</b>")
            self.form_msg = ipw.HTML("")
            self.form_msg.add_class("bx-msg")
            main = [f.box for f in self._fields if not f.spec.amount]
            amounts = [f.box for f in self._fields if f.spec.amount]
            parts: list[ipw.Widget] = [title, self.form_msg, *main]
            if amounts:
                hint = "h_amounts_new" if ctype == "new_school" else "h_amounts"
                parts.append(ipw.HTML(_html(w(hint, lang), "bx-hint")))
                parts.append(ipw.GridBox(amounts, layout=ipw.Layout(
                    grid_template_columns="repeat(2, minmax(22em, 1fr))")))
            self.form.children = parts
        finally:
            self._quiet = False

    # --- evaluation and display ---------------------------------------------------------------

    def refresh(self) -> Evaluation:
        """Evaluate the explorer's state and update everything shown."""
        t0 = time.perf_counter()
        self.updates += 1
        try:
            ev = self.ex.evaluate()
        except Exception as exc:  # a bug, not a bad value: say so where the analyst looks
            traceback.print_exc()
            self.status.value = _html(w("internal_error", self.lang,
                                        error=f"{type(exc).__name__}: {exc}"), "bx-msg")
            return Evaluation(None, None, (), time.perf_counter() - t0)
        t1 = time.perf_counter()
        self._update_list(ev)
        self._show_problems(ev)
        lang = self.lang
        if ev.ok:
            self.last = ev
            run = self.ex.run(ev)
            self.headline.value = _html(ex.headline_text(ev.result, lang))
            self.targets.value = (f"<b>{_html(w('targets', lang))}</b>"
                                  + _table(sr.targets_table(run, lang), lang))
            self.failing.value = _table(sr.failing_table(run, lang=lang), lang)
            self._stale = set(TABS)
            self._draw_tab(self._tab_keys[self.tabs.selected_index or 0])
            draw = time.perf_counter() - t1
            base = (w("status_base", lang, s=f"{ev.baseline_seconds:.2f}")
                    if ev.baseline_seconds else "")
            self.status.value = _html(w("status_ok", lang, n=self.updates,
                                        calc=f"{t1 - t0 - ev.baseline_seconds:.2f}",
                                        draw=f"{draw:.2f}", base=base))
            self.timings.append((t1 - t0 - ev.baseline_seconds, draw))
        else:
            self.status.value = _html(w("status_bad", lang, n=self.updates,
                                        k=len(ev.problems)), "bx-msg")
            self.timings.append((t1 - t0, 0.0))
        return ev

    def _update_list(self, ev: Evaluation) -> None:
        bad = {p.change for p in ev.problems if p.change is not None}
        opts = [(("⚠ " if k + 1 in bad else "") + ex.change_summary(self.ex, k, self.lang), k)
                for k in range(len(self.ex.changes))]
        self._quiet = True
        try:
            if list(self.list.options) != opts:
                self.list.options = opts
            self.list.value = self.selected
        finally:
            self._quiet = False
        self._ensure_font(" ".join(t for t, _ in opts))

    def _show_problems(self, ev: Evaluation) -> None:
        lang = self.lang
        mine = ex.problems_of(ev, self.selected) if self.selected is not None else []
        by_field: dict[str, list[str]] = {}
        rest: list[str] = []
        names = {f.name for f in self._fields} | {f.spec.name for f in self._fields}
        for p in mine:
            key = (p.field or "").split(".")[0]
            if key in names:
                by_field.setdefault(key, []).append(ex.problem_text(p, lang))
            else:
                rest.append((f"{p.field}: " if p.field else "") + ex.problem_text(p, lang))
        for f in self._fields:
            texts = by_field.get(f.name, []) + (by_field.get(f.spec.name, [])
                                                if f.spec.name != f.name else [])
            f.msg.value = "<br>".join(_html(t) for t in texts)
        if getattr(self, "form_msg", None) is not None:
            self.form_msg.value = "<br>".join(_html(t) for t in rest)
        top = [p for p in ev.problems if p.change is None]
        others = [p for p in ev.problems if p.change is not None
                  and (self.selected is None or p.change != self.selected + 1)]
        lines = [p.format(lang) for p in top]
        self.settings_msg.value = "<br>".join(_html(t) for t in lines)
        other = [w("other_problems", lang) + ("：" if lang == "zh" else ":")] if others else []
        other += [p.format(lang) for p in others]
        self.list_msg.value = "<br>".join(_html(t) for t in other) or (
            _html(w("no_changes", lang), "bx-hint") if not self.ex.changes else "")
        self._ensure_font(" ".join([*lines, *other, *rest,
                                    *(t for v in by_field.values() for t in v)]))

    def _on_tab(self, event: dict[str, Any]) -> None:
        key = self._tab_keys[event["new"] or 0]
        if key in self._stale and self.last is not None:
            self._draw_tab(key)

    def _draw_tab(self, key: str) -> None:
        """Tables and charts of one tab from the last good evaluation (the widgets stay; only
        their values change)."""
        ev = self.last
        if ev is None or not ev.ok:
            return
        run = self.ex.run(ev)
        tables, charts = TABS[key]
        shown: list[str] = []
        for make, box in zip(tables, self._tab_tables[key], strict=True):
            frame = make(run, self.lang)
            empty = frame is None or len(frame) == 0
            box.value = "" if empty else _table(frame, self.lang)
            box.layout.display = "none" if empty else None
            shown.append(box.value)
        for chart, img in zip(self._tab_charts[key], self._tab_images[key], strict=True):
            png = chart.render(run, self.lang)
            img.layout.display = "none" if png is None else None
            if png is not None:
                img.value = png
                img.width = str(chart.canvas.get_width_height()[0])  # not stretched
        self._stale.discard(key)
        self._ensure_font(" ".join(shown))

    def _on_open(self, _: Any) -> None:
        """Replace the state with the file named beside the button (its problems, if any,
        show as a start file's do)."""
        self.ex.open(self.save_path.value)
        self._ensure_font(self._data_text())
        self._show_settings()
        self.selected = 0 if self.ex.changes else None
        self._build_form()
        self.refresh()
        self.save_message.value = "" if self.ex.start_problems else _html(
            w("opened", self.lang, path=self.save_path.value, n=len(self.ex.changes)))

    def _on_save(self, _: Any) -> None:
        lang = self.lang
        try:
            path, sc = self.ex.save(self.save_path.value)
        except ScenarioError as exc:
            self.save_message.value = _html(w("not_saved", lang, k=len(exc.problems)), "bx-msg")
            self.refresh()
            return
        except OutputError as exc:  # a link, a folder, a full disk …: said in words
            self.save_message.value = _html(w("save_failed", lang, error=exc.format(lang)),
                                            "bx-msg")
            return
        except (OSError, ValueError) as exc:
            self.save_message.value = _html(w("save_failed", lang, error=exc), "bx-msg")
            return
        self.save_message.value = _html(w("saved", lang, path=path, n=len(sc.changes)))
        self._ensure_font(self.save_message.value)

    # --- the embedded font --------------------------------------------------------------------

    def _data_text(self) -> str:
        """The Chinese the data and the start scenario bring: names, the note, the file."""
        words = list(self.ex._names.values()) + [t for t, _ in self.ex.school_options()]
        words += [repr(note(self.ex.data, self.lang)), self.ex.to_yaml()]
        return " ".join(words)

    def _ensure_font(self, text: str) -> None:
        """Embed a subset of the shipped font for the Chinese characters of ``text`` not yet
        embedded: the first call embeds every character the explorer may show, later ones
        (a school name typed in a form) add a small face for just the new characters
        (``unicode-range``), so no update resends the first one."""
        new = set(page_characters(text)) - self._fonts
        if not new or not self.embed_font:
            return
        first = not self._fonts
        self._fonts |= new
        chars = "".join(sorted(new))
        woff = _subset(chars)
        if woff is None:
            return
        b64 = base64.b64encode(woff).decode("ascii")
        rng = "" if first else "unicode-range:" + ",".join(f"U+{ord(c):X}" for c in chars) + ";"
        face = ipw.HTML(f"<style>@font-face {{font-family:'{FAMILY}';"
                        f"src:url(data:font/woff;base64,{b64}) format('woff');{rng}}}"
                        f"{_FONT_CSS if first else ''}</style>")
        self.font.children = (*self.font.children, face)


@lru_cache(maxsize=1)
def _words_text() -> str:
    """Every Chinese character the explorer itself may show: the word table, the messages of
    the loader and the projection (from their source), the column and value labels, and the
    text of its notebook. The same in every explorer, so its font face (with the county's
    names) is made once per process and county."""
    from . import columns, explore, scenario, scenario_spec, scenario_text
    from .render import INTERACTIVE

    words = [WORDS_FILE.read_text(encoding="utf-8")]  # the word table, Chinese and all
    words += [Path(m.__file__).read_text(encoding="utf-8") for m in (
        scenario_spec, scenario, scenario_text, explore, columns)]
    words += [p.read_text(encoding="utf-8") for p in INTERACTIVE if p.is_file()]  # its notebook
    return " ".join(words)


@lru_cache(maxsize=16)
def _subset(chars: str) -> bytes | None:
    """:func:`balance_lib.htmlfont.subset_font` without layout tables nor new bounding boxes,
    kept per character set (a subset takes a second or two, however few the characters)."""
    return subset_font(chars, layout=False)  # bounds are never measured again


#: The embedded family first for Chinese glyphs (it has no others), JupyterLab's fonts after it;
#: also for the notebook's own headings, text and code, which the first face covers.
_FONT_CSS = (f".balance-explorer, .balance-explorer * {{font-family:'{FAMILY}',"
             f"var(--jp-ui-font-family), 'DejaVu Sans', sans-serif;}}"
             f".jp-RenderedMarkdown h1, .jp-RenderedMarkdown h2, .jp-RenderedMarkdown p,"
             f".jp-RenderedMarkdown li {{font-family:'{FAMILY}', var(--jp-content-font-family),"
             f" sans-serif;}} .jp-Notebook .cm-content {{font-family:'{FAMILY}',"
             f" var(--jp-code-font-family), monospace;}}")


def show(data: str = "data/sample", scenario: str = "", params: str = "", lang: str = "zh",
         save_as: str = "", indicators: str = "") -> ExplorerUI:
    """The explorer on the county at ``data`` (project-relative), optionally starting from a
    scenario or plan file, with the settings ``params`` and a provincial indicator file
    ``indicators``; ``display()`` the result (the notebook's last line does)."""
    from .report import check_params, load

    d = load(data, params or None, indicators or None)
    check_params(d, lang=lang)
    return ExplorerUI(Explorer(d, scenario or None), lang=lang, save_as=save_as)

