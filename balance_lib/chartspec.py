"""Charts as data: what a chart shows (:class:`Chart`), drawn by one function (:func:`draw`).

The scenario report's charts are made in two steps, a :class:`Chart` built from the results
(cheap: a few tuples) and :func:`draw`, which makes the matplotlib figure. The report only
ever sees the figure. The interactive explorer keeps the figure on screen and, after an
edit, builds only the new :class:`Chart`: when nothing but the data of its dynamic series
changed (:meth:`Chart.static_key`; the scenario's lines and bars), it copies those data into
the figure on screen instead of making a new figure (which cost most of a redraw).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .plots import _new_figure


@dataclass(frozen=True)
class Series:
    """One line (``kind`` "plot": ``fmt`` is its format string) or one row of bars ("bar")."""

    kind: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    fmt: str = ""
    #: keyword arguments of ``Axes.plot`` / ``Axes.bar`` as sorted (name, value) pairs
    options: tuple[tuple[str, Any], ...] = ()
    #: the part that moves with the scenario (the explorer redraws only these)
    dynamic: bool = False


@dataclass(frozen=True)
class Chart:
    """Everything one single-axes chart shows, in the order :func:`draw` draws it."""

    size: tuple[float, float]
    series: tuple[Series, ...]
    hlines: tuple[tuple[float, tuple[tuple[str, Any], ...]], ...] = ()  # (y, axhline options)
    xticks: tuple[tuple[float, ...], tuple[str, ...]] | None = None  # positions, labels
    xlabel: str = ""
    ylabel: str = ""
    title: str = ""
    ylim: tuple[float, float] | None = None
    integer_y: bool = False  # whole numbers on the value axis
    legend: tuple[tuple[str, Any], ...] = ()  # Axes.legend options

    def static_key(self) -> tuple[Any, ...]:
        """All the chart shows except the dynamic series' values and the value range (NaN
        made comparable): two charts with equal keys differ only in what the explorer may
        copy into a figure on screen."""
        series = tuple(replace(s, y=()) if s.dynamic else replace(s, y=_comparable(s.y))
                       for s in self.series)
        return (self.size, series, self.hlines, self.xticks, self.xlabel, self.ylabel,
                self.title, self.integer_y, self.legend)


def _comparable(values: tuple[float, ...]) -> tuple[Any, ...]:
    return tuple(None if isinstance(v, float) and math.isnan(v) else v for v in values)


def options(**kw: Any) -> tuple[tuple[str, Any], ...]:
    """Keyword arguments as the sorted pairs a :class:`Series` or :class:`Chart` holds."""
    return tuple(sorted(kw.items()))


def draw(chart: Chart) -> tuple[Figure, list[list[Any]]]:
    """The figure of ``chart`` and, per dynamic series in order, its artists (the line, or the
    bars' patches)."""
    fig, ax = _new_figure(*chart.size)
    dynamic: list[list[Any]] = []
    for s in chart.series:
        kw = dict(s.options)
        if s.kind == "plot":
            artists: list[Any] = ax.plot(s.x, s.y, s.fmt, **kw)
        else:
            artists = list(ax.bar(s.x, s.y, **kw).patches)
        if s.dynamic:
            dynamic.append(artists)
    for y, kw in chart.hlines:
        ax.axhline(y, **dict(kw))
    if chart.ylim is not None:
        ax.set_ylim(*chart.ylim)
    if chart.integer_y:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if chart.xticks is not None:
        ax.set_xticks(list(chart.xticks[0]), list(chart.xticks[1]))
    ax.set_xlabel(chart.xlabel)
    ax.set_ylabel(chart.ylabel)
    ax.set_title(chart.title)
    ax.legend(**dict(chart.legend))
    return fig, dynamic


def figure(chart: Chart | None) -> Figure | None:
    """The figure of ``chart`` (None for None): what a report shows."""
    return None if chart is None else draw(chart)[0]
