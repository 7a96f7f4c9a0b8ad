"""Words for the entry-method back-test (which grade-1 projection fits the history), in Chinese
and English, for ``balance scenario`` and the ``30-scenario`` report.

The words are ``entry_*`` of the word table (:mod:`balance_lib.words`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from . import formats
from .words import template


def _w(key: str, lang: str) -> str:
    return template(f"entry_{key}", lang)


def method_label(method: str, lang: str = "zh") -> str:
    return _w(method, lang) if method in ("trend", "mean", "births") else method


def entry_backtest_line(comparison: dict[str, Any], used: str, lang: str = "zh") -> str:
    """One line: each method's error and which fits best (``comparison`` as returned by
    :func:`balance_lib.projection.best_entry_method`; ``used`` is the method in force).

    >>> line = entry_backtest_line({"methods": {"trend": 0.041, "births": 0.006},
    ...                             "years": [2024, 2025], "best": "births"}, "births")
    >>> line.split("：")[1]
    '线性趋势 4.1%、出生人口 0.6%；最接近历史的是出生人口（本次预测即采用）'
    """
    if not comparison.get("best"):
        return _w("none", lang)
    years = comparison["years"]
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    methods = _w("sep", lang).join(f"{method_label(m, lang)} {formats.percent(e)}"
                                   for m, e in comparison["methods"].items())
    best = comparison["best"]
    note = (_w("used", lang) if best == used
            else _w("not_used", lang).format(used=method_label(used, lang)))
    return _w("line", lang).format(years=span, methods=methods, best=method_label(best, lang),
                                   used=note)


def entry_backtest_table(comparison: dict[str, Any], lang: str = "zh") -> pd.DataFrame:
    """The methods with their mean absolute error (%), the best one marked."""
    cols = [_w(k, lang) for k in ("method", "mape", "years", "best")]
    years = comparison.get("years") or []
    span = (f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])) if years else "—"
    rows = [dict(zip(cols, (method_label(m, lang), formats.number(100 * e, 1), span,
                            "✓" if m == comparison.get("best") else ""), strict=True))
            for m, e in comparison.get("methods", {}).items()]
    return pd.DataFrame(rows, columns=cols)
