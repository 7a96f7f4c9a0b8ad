"""Words for the entry-method back-test (which grade-1 projection fits the history), in Chinese
and English, for ``balance scenario`` and the ``30-scenario`` report.

Kept here rather than in :mod:`balance_lib.labels` so the words of this one table stay together
with the two functions that print them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

#: word -> (Chinese, English), as in :mod:`balance_lib.labels`
_WORDS: dict[str, tuple[str, str]] = {
    "trend": ("线性趋势", "linear trend"),
    "mean": ("历年平均", "mean"),
    "births": ("出生人口", "births"),
    "line": ("入学方法回测（全县一年级人数，每年用此前各年预测，{years} 学年平均绝对误差）："
             "{methods}；最接近历史的是{best}{used}",
             "Entry methods back-tested (county grade 1, each year projected from the years "
             "before; mean absolute error over {years}): {methods}; the best fit is {best}{used}"),
    "used": ("（本次预测即采用）", " (used here)"),
    "not_used": ("（本次预测采用{used}）", " (this projection uses {used})"),
    "none": ("入学方法回测：观测年份不足（每个检验年之前至少要有两年），未做",
             "Entry methods back-test: too few observed years (two before each tested year)"),
    "method": ("一年级预测方法", "grade-1 method"),
    "mape": ("平均绝对误差（%）", "mean abs. error (%)"),
    "years": ("检验学年", "years tested"),
    "best": ("最接近", "best"),
    "sep": ("、", ", "),
}


def _w(key: str, lang: str) -> str:
    zh, en = _WORDS[key]
    return zh if lang == "zh" else en


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
    methods = _w("sep", lang).join(f"{method_label(m, lang)} {e:.1%}"
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
    rows = [dict(zip(cols, (method_label(m, lang), round(100 * e, 1), span,
                            "✓" if m == comparison.get("best") else ""), strict=True))
            for m, e in comparison.get("methods", {}).items()]
    return pd.DataFrame(rows, columns=cols)
