"""How numbers are shown: one function per kind of number, the same string everywhere.

The terminal (:mod:`balance_lib.textout`, :mod:`balance_lib.scenario_text`), the reports
(:mod:`balance_lib.report`, :mod:`balance_lib.scenario_report`), the sentences of
:mod:`balance_lib.indicators.explain` and the workbooks (:mod:`balance_lib.excel`: number
formats from :func:`excel_format`) all format numbers here, so one value prints the same in
each of them (a CV of 0.1865001 is ``0.187`` in every table and sentence, never ``0.186`` in
one and ``0.187`` in another).

Rounding
    A value is first taken at the precision the JSON result stores (:data:`STORED_DECIMALS`,
    ``numpy.round`` like :func:`balance_lib.results.json_list`), then rounded **half away from
    zero** (四舍五入) to the decimals shown, in exact integer arithmetic: ``0.1865`` → ``0.187``
    and ``2.675`` → ``2.68``, although both are a hair below in binary. Formatting the
    unrounded value or its JSON form gives the same text. Spreadsheet programs round the
    displayed value half away from zero too (:func:`excel_format`).
Decimals
    Per unit, from the indicator registry (``display.unit_decimals`` in
    ``balance_lib/indicators.yaml``; an indicator may set its own ``decimals``):
    :func:`decimals_of`. Counts (students, teachers, classes, rooms) are integers; money
    (元) has no decimals; every number has thousands separators (``42,324``); the CV limits
    have ``display.limit_decimals`` (``0.50``, ``0.45``); CVs have the setting
    ``cv_display_decimals`` (:func:`cv`); shares of a "%" indicator are shown as percentages.
Missing values
    ``None``, NaN and infinities are :data:`MISSING` ("—").

The API is small on purpose (other writers — forms workbooks, printable ledgers, documents —
build on it): :func:`number`/:func:`numbers` (the core), :func:`count`, :func:`money`,
:func:`percent`, :func:`cv`, :func:`limit`, :func:`value`/:func:`values` (an indicator's
value in its unit), :func:`decimals_of` and :func:`excel_format`.

>>> number(0.1865, 3), number(0.1865001, 3), number(2.675, 2), number(-2.5, 0)
('0.187', '0.187', '2.68', '-3')
>>> count(42323.7), money(3115.545), number(None, 2)
('42,324', '3,116', '—')
>>> limit(0.5), cv(0.51534), percent(0.955)
('0.50', '0.515', '95.5%')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

#: Decimals of the values kept in the JSON result (``balance_lib.results.DIGITS``).
STORED_DECIMALS = 6
#: What a missing value prints as.
MISSING = "—"
#: Decimals of a share shown as a percentage (``95.5%``) when the registry says nothing.
PERCENT_DECIMALS = 1
#: The largest magnitude formatted exactly (int64 micro-units); larger values use ``format``.
_EXACT_LIMIT = 9.0e12


def _as_array(values: Any) -> np.ndarray:
    if values is None or np.isscalar(values):
        values = [values]
    try:
        return np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        pass
    a = np.asarray(values, dtype=object).reshape(-1)
    out = np.full(a.shape, np.nan)
    for k, v in enumerate(a.tolist()):
        try:
            out[k] = np.nan if v is None else float(v)
        except (TypeError, ValueError):
            out[k] = np.nan
    return out


def _group(digits: str) -> str:
    """``"1234567"`` → ``"1,234,567"``."""
    head = len(digits) % 3 or 3
    return ",".join([digits[:head], *(digits[k:k + 3] for k in range(head, len(digits), 3))])


def numbers(values: Iterable[Any] | Any, decimals: int | Sequence[int], *, sign: bool = False,
            thousands: bool = True, suffix: str = "") -> list[str]:
    """Many numbers as text: stored precision, then half away from zero to ``decimals``.

    ``decimals``: one number, or one per value. ``sign``: a ``+`` in front of positive values
    (gaps: ``+3``). ``thousands``: separators in the integer part. ``suffix`` is appended to
    every number that is not missing. Vectorised (integer arithmetic on the whole column).

    >>> numbers([0.000499, 0.0005, 1234567.891, float("nan")], 3)
    ['0.000', '0.001', '1,234,567.891', '—']
    >>> numbers([3, -1, 0], 0, sign=True)
    ['+3', '-1', '0']
    """
    x = _as_array(values)
    d = np.broadcast_to(np.asarray(decimals, dtype=np.int64), x.shape)
    if np.any(d < 0) or np.any(d > STORED_DECIMALS):
        raise ValueError(f"decimals must be 0–{STORED_DECIMALS}, got {decimals!r}")
    finite = np.isfinite(x)
    exact = finite & (np.abs(x) < _EXACT_LIMIT)
    micro = np.rint(np.where(exact, x, 0.0) * 10.0 ** STORED_DECIMALS).astype(np.int64)
    # numpy.round(x, 6) is rint(x * 1e6) / 1e6: `micro` is the stored value in exact integers
    step = 10 ** (STORED_DECIMALS - d)
    mag = np.abs(micro)
    units = (mag + step // 2) // step  # half away from zero, in units of 10^-d
    scale = 10 ** d
    whole, frac = np.divmod(units, scale)
    negative = (micro < 0) & (units > 0)
    out = []
    for k in range(x.size):
        if not finite[k]:
            out.append(MISSING)
            continue
        dk = int(d[k])
        if not exact[k]:  # beyond 9e12: plain formatting is all a person can read anyway
            text = f"{x[k]:,.{dk}f}" if thousands else f"{x[k]:.{dk}f}"
            out.append(("+" if sign and x[k] > 0 else "") + text + suffix)
            continue
        int_part = str(int(whole[k]))
        if thousands:
            int_part = _group(int_part)
        text = int_part + (f".{int(frac[k]):0{dk}d}" if dk else "")
        if negative[k]:
            text = "-" + text
        elif sign and units[k] > 0:
            text = "+" + text
        out.append(text + suffix)
    return out


def number(value: Any, decimals: int = 2, *, sign: bool = False, thousands: bool = True,
           suffix: str = "") -> str:
    """One number as text (see :func:`numbers`).

    >>> number(2000, 0), number(4.5, 2), number(0.05, 1), number(-0.04, 1)
    ('2,000', '4.50', '0.1', '0.0')
    """
    return numbers([value], decimals, sign=sign, thousands=thousands, suffix=suffix)[0]


def count(value: Any, *, sign: bool = False) -> str:
    """A count (students, teachers, classes, rooms, schools): an integer with separators.

    >>> count(2145.5), count(7), count(3, sign=True)
    ('2,146', '7', '+3')
    """
    return number(value, 0, sign=sign)


def money(value: Any, *, sign: bool = False) -> str:
    """An amount in 元: no decimals, thousands separators (``3,116``)."""
    return number(value, 0, sign=sign)


def percent(share: Any, decimals: int = PERCENT_DECIMALS, *, sign: bool = False) -> str:
    """A share as a percentage: ``0.955`` → ``95.5%``.

    >>> percent(0.12), percent(1.0, 0), percent(-0.0123, 1, sign=True)
    ('12.0%', '100%', '-1.2%')
    """
    x = _as_array([share])[0]
    return number(x * 100 if np.isfinite(x) else x, decimals, sign=sign, suffix="%")


def cv(value: Any, decimals: Any = 3) -> str:
    """A 差异系数: ``decimals`` is a number or the :class:`~balance_lib.settings.Settings`
    (its ``cv_display_decimals``).

    >>> cv(0.4999996), cv(0.1865001, 2)
    ('0.500', '0.19')
    """
    d = getattr(decimals, "cv_display_decimals", decimals)
    return number(value, int(d), thousands=False)


def cvs(values: Iterable[Any], decimals: Any = 3) -> list[str]:
    """:func:`cv` of a column."""
    d = getattr(decimals, "cv_display_decimals", decimals)
    return numbers(values, int(d), thousands=False)


def limit(value: Any, registry: Any = None) -> str:
    """A CV limit (``0.50``, ``0.45``): the registry's ``display.limit_decimals`` (2)."""
    d = getattr(registry, "limit_decimals", 2) if registry is not None else 2
    return number(value, d, thousands=False)


def limits(values: Iterable[Any], registry: Any = None) -> list[str]:
    """:func:`limit` of a column."""
    d = getattr(registry, "limit_decimals", 2) if registry is not None else 2
    return numbers(values, d, thousands=False)


def decimals_of(indicator: Any, registry: Any = None) -> int:
    """Decimals of an indicator's values: its own ``decimals``, else its unit's in the
    registry's ``display.unit_decimals``, else the registry's default (2).

    >>> from balance_lib.registry import load_registry
    >>> reg = load_registry()
    >>> [decimals_of(reg.indicator(i), reg) for i in ("B1", "B4", "B6", "B11", "B12", "B16")]
    [2, 2, 0, 0, 1, 1]
    """
    own = getattr(indicator, "decimals", None)
    if own is not None:
        return int(own)
    table = getattr(registry, "unit_decimals", None) or {}
    unit = getattr(indicator, "unit_zh", "")
    if unit in table:
        return int(table[unit])
    return int(getattr(registry, "default_decimals", 2))


def _is_percent(indicator: Any) -> bool:
    return getattr(indicator, "unit_zh", "") == "%"


def value(x: Any, indicator: Any, registry: Any = None, *, sign: bool = False) -> str:
    """An indicator's value (or threshold) in its unit's decimals; shares of a "%" indicator
    as percentages (``0.95`` → ``95.0%``).

    >>> from balance_lib.registry import load_registry
    >>> reg = load_registry()
    >>> value(3115.545, reg.indicator("B6"), reg), value(4.5, reg.indicator("B4"), reg)
    ('3,116', '4.50')
    >>> value(0.955, reg.indicator("B16"), reg), value(53.63, reg.indicator("B12"), reg)
    ('95.5%', '53.6')
    """
    d = decimals_of(indicator, registry)
    if _is_percent(indicator):
        return percent(x, d, sign=sign)
    return number(x, d, sign=sign)


def values(xs: Iterable[Any], indicators: Iterable[str], registry: Any, *,
           sign: bool = False) -> list[str]:
    """:func:`value` of a column, each row with its own indicator id (vectorised per id).

    >>> from balance_lib.registry import load_registry
    >>> values([5.126, 3115.5, 0.9], ["B1", "B6", "B16"], load_registry())
    ['5.13', '3,116', '90.0%']
    """
    x = _as_array(list(xs))
    ids = list(indicators)
    if len(ids) != x.size:
        raise ValueError("values and indicators must have the same length")
    dec = np.zeros(x.size, dtype=np.int64)
    pct = np.zeros(x.size, dtype=bool)
    for ind_id in set(ids):
        ind = registry.indicator(ind_id)
        hit = np.array([i == ind_id for i in ids], dtype=bool)
        dec[hit] = decimals_of(ind, registry)
        pct[hit] = _is_percent(ind)
    scaled = np.where(pct, x * 100, x)
    texts = numbers(scaled, dec, sign=sign)
    return [t + "%" if p and t != MISSING else t for t, p in zip(texts, pct.tolist())]


def excel_format(decimals: int, *, percent: bool = False, thousands: bool = True) -> str:
    """The spreadsheet number format showing ``decimals`` (what :func:`number` shows).

    >>> excel_format(0), excel_format(2), excel_format(3, thousands=False), excel_format(1, percent=True)
    ('#,##0', '#,##0.00', '0.000', '0.0%')
    """
    base = "#,##0" if thousands else "0"
    if percent:
        base = "0"
    fmt = base + ("." + "0" * int(decimals) if decimals else "")
    return fmt + ("%" if percent else "")


def indicator_excel_format(indicator: Any, registry: Any = None) -> str:
    """:func:`excel_format` of an indicator's values (a "%" indicator as a percentage)."""
    return excel_format(decimals_of(indicator, registry), percent=_is_percent(indicator))
