"""The one word table: every word and sentence people read, in Chinese and English.

Calculations speak snake_case (``not_met``, ``county_value``) and return numbers and reason
codes; the render edges — the terminal tables (:mod:`balance_lib.textout`,
:mod:`balance_lib.scenario_text`), the explanations of the indicator package
(:mod:`balance_lib.indicators.explain`), the workbooks (:mod:`balance_lib.excel`), the reports
(:mod:`balance_lib.report`, :mod:`balance_lib.plots`) and the batch index
(:mod:`balance_lib.render`) — turn keys into words here. The table is
``balance_lib/words.yaml``: ``key: {zh: …, en: …}``, with ``{field}`` placeholders filled by
:func:`label` (one text) or :func:`fill` (a column of texts at once). Names that have a home
elsewhere are taken from there, not repeated: indicator and veto names, units and 责任单位 from
the registry (``indicators.yaml``), category values such as the levels from
:data:`balance_lib.columns.VALUE_LABELS` (:func:`level_label`).

>>> label("col_cv"), label("col_cv", "en"), label("school_year", "en", year=2025)
('差异系数', 'CV', '2025')
>>> list(fill("plot_threshold", "zh", value=["4.2", "5.3"]))
['标准 4.2', '标准 5.3']
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .columns import value_label
from .paths import WORDS_FILE  # re-exported

#: Report languages: Chinese (the default) and English.
LANGS: tuple[str, ...] = ("zh", "en")


@lru_cache(maxsize=1)
def table() -> dict[str, dict[str, Any]]:
    """The word table: key -> {"zh": …, "en": …} (read once)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raw = yaml.load(WORDS_FILE.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506
    return raw


def check_lang(lang: str) -> str:
    """``lang`` if it is a report language, else ValueError."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    return lang


def entry(key: str, lang: str = "zh") -> Any:
    """The raw entry of ``key`` in ``lang`` (a text, or a list of texts)."""
    return table()[key][check_lang(lang)]


def has(key: str) -> bool:
    return key in table()


#: Placeholders any text may use for what the registry decides (:func:`registry_fields`).
REGISTRY_FIELDS = ("rule", "rule_size", "units", "others", "limits", "limit_primary",
                   "limit_junior", "large_min", "large_max", "super_min", "cv_limit_primary",
                   "cv_limit_junior")
_REGISTRY: ContextVar[Any] = ContextVar("balance_words_registry", default=None)


def registry_fields(registry: Any = None) -> dict[str, str]:
    """The ids and limits texts take from the registry, so that no text spells them out:
    ``rule`` (the school rule's indicators, "B1–B7"), ``rule_size`` (7), ``units`` (every
    unit indicator), ``others`` (every other indicator, "B8–B32"), ``limits`` (B12's class
    limits, "45/50"), ``limit_primary``, ``limit_junior``, ``large_min`` (56), ``large_max``
    (65), ``super_min`` (66), and the CV limits ``cv_limit_primary`` (0.50) and
    ``cv_limit_junior`` (0.45). ``registry``: default the one in force (:func:`use_registry`).

    >>> f = registry_fields()
    >>> f["rule"], f["others"], f["limits"], f["large_min"]
    ('B1–B7', 'B8–B32', '45/50', '56')
    >>> f["limit_primary"], f["cv_limit_primary"], f["cv_limit_junior"]
    ('45', '0.50', '0.45')
    """
    reg = registry if registry is not None else _REGISTRY.get()
    if reg is None:
        from .registry import load_registry

        reg = load_registry()
    cached = reg.__dict__.get("_words_fields")
    if cached is None:
        cached = _fields(reg)
        object.__setattr__(reg, "_words_fields", cached)
    return cached


def _fields(reg: Any) -> dict[str, str]:
    from .formats import limit
    from .registry import id_ranges

    def n(x: float) -> str:
        return f"{float(x):g}"

    b12 = reg.indicator("B12")
    large, super_ = float(b12.extra["large_class_min"]), float(b12.extra["super_large_class_min"])
    return {
        "rule": id_ranges([i.id for i in reg.resource_indicators]),
        "rule_size": str(reg.school_rule_size()),
        "units": id_ranges([i.id for i in reg.unit_indicators]),
        "others": reg.id_range("school", "county", "judgement"),
        "limits": f"{n(b12.threshold('primary'))}/{n(b12.threshold('junior'))}",
        "limit_primary": n(b12.threshold("primary")),
        "limit_junior": n(b12.threshold("junior")),
        "large_min": n(large), "large_max": n(super_ - 1), "super_min": n(super_),
        "cv_limit_primary": limit(reg.cv_limit("primary"), reg),
        "cv_limit_junior": limit(reg.cv_limit("junior"), reg),
    }


@contextmanager
def use_registry(registry: Any) -> Iterator[None]:
    """Texts inside the block take ids and limits from ``registry`` (a province's)."""
    token = _REGISTRY.set(registry)
    try:
        yield
    finally:
        _REGISTRY.reset(token)


def set_registry(registry: Any) -> None:
    """Make ``registry`` the one texts take ids and limits from, for this process (a report
    kernel, a command); ``None``: the national one."""
    _REGISTRY.set(registry)


def _with_registry(text: str, fields: dict[str, object]) -> dict[str, object]:
    wanted = {name for _, name, _ in _parsed(text) if name in REGISTRY_FIELDS}
    missing = wanted - set(fields)
    if not missing:
        return fields
    reg = registry_fields()
    return {**{k: reg[k] for k in missing}, **fields}


_ONE = None


def singular(text: str) -> str:
    """English number agreement after the words are filled: "1 schools" → "1 school".

    >>> singular("1 schools lack data; 2 units fail; 11 classes")
    '1 school lacks data; 2 units fail; 11 classes'
    """
    global _ONE
    if _ONE is None:
        import re

        _ONE = re.compile(r"(?<![\d.,])1 (school|unit|class|classroom|room|teacher|student|"
                          r"report|problem|warning|item|veto)(e?s)\b( lack\b)?")
    return _ONE.sub(lambda m: f"1 {m.group(1)}" + (" lacks" if m.group(3) else ""), text)


def label(key: str, lang: str = "zh", **fields: object) -> str:
    """The words of ``key`` in ``lang``, with ``{field}`` placeholders filled (the registry's
    placeholders, :data:`REGISTRY_FIELDS`, from the registry in force unless given); English
    nouns after a count of 1 are singular (:func:`singular`)."""
    text = entry(key, lang)
    if not isinstance(text, str):
        return text
    fields = _with_registry(text, fields)
    out = text.format(**fields) if fields else text
    return singular(out) if lang == "en" and fields else out


class _Later:
    """A placeholder left for a later ``str.format`` (keeps its format spec)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __format__(self, spec: str) -> str:
        return "{" + self.name + (":" + spec if spec else "") + "}"


class _KeepMissing(dict):
    def __missing__(self, key: str) -> _Later:
        return _Later(key)


def template(key: str, lang: str = "zh") -> str:
    """The text of ``key`` with only the registry's placeholders filled: the others stay for
    the caller's ``str.format``."""
    text = entry(key, lang)
    if not any(name in REGISTRY_FIELDS for _, name, _ in _parsed(text)):
        return text
    return text.format_map(_KeepMissing(registry_fields()))


def entries(key: str, lang: str = "zh", **fields: object) -> list[str]:
    """A list entry (table headers) with each text's placeholders filled like :func:`label`."""
    out = []
    for text in entry(key, lang):
        out.append(text.format(**_with_registry(text, fields)))
    return out


def labels(prefix: str, lang: str = "zh") -> dict[str, str]:
    """Every entry whose key starts with ``prefix``, keyed by the rest of the key (the
    registry's placeholders filled, the others left for the caller).

    >>> labels("ledger_scope_", "en")["variation"]
    'inter-school CV'
    """
    n = len(prefix)
    check_lang(lang)
    return {k[n:]: template(k, lang) for k in table() if k.startswith(prefix)}


@lru_cache(maxsize=512)
def _parsed(template: str) -> tuple[tuple[str, str | None, str], ...]:
    return tuple((lit, name, spec or "")
                 for lit, name, spec, _ in string.Formatter().parse(template))


def fill(key: str, lang: str = "zh", *, index: pd.Index | None = None,
         **fields: Any) -> pd.Series:
    """:func:`label` for many rows at once: each field is a scalar or a column of texts.

    Columns must already be text (formatting numbers is the caller's: it knows the unit); a
    scalar field may carry a format spec in the template (``{limit:.2f}``). Returns a Series
    of ``object`` aligned with ``index`` (or 0…n−1).
    """
    text = entry(key, lang)
    return fill_text(text, index=index, **_with_registry(text, fields))


def fill_text(template: str, *, index: pd.Index | None = None, **fields: Any) -> pd.Series:
    """:func:`fill` of a template given as text (plain Python strings: a million rows in
    about a second, and no per-call pandas overhead for the few rows of one county)."""
    import numpy as np  # here, not at the top: the word table's other users (the rebuild of
    import pandas as pd  # ``balance report``, the terminal) do not need pandas

    n = None
    for v in fields.values():
        if isinstance(v, (pd.Series, np.ndarray, list)):
            n = len(v)
            break
    if n is None:
        n = len(index) if index is not None else 1
    idx = index if index is not None else pd.RangeIndex(n)
    pieces: list[Any] = []
    for lit, name, spec in _parsed(template):
        if lit:
            pieces.append(lit)
        if name is None:
            continue
        value = fields[name]
        if isinstance(value, (pd.Series, np.ndarray, list)):
            values = value.tolist() if not isinstance(value, list) else value
            # str() of a str is the str itself, in C: no per-cell Python test
            pieces.append([format(x, spec) for x in values] if spec else list(map(str, values)))
        else:
            pieces.append(format(value, spec))
    if not any(isinstance(p, list) for p in pieces):
        text = "".join(pieces)
        return pd.Series([text] * n, index=idx, dtype=object)
    cols = [p if isinstance(p, list) else [p] * n for p in pieces]
    return pd.Series(["".join(t) for t in zip(*cols)], index=idx, dtype=object)


def status_label(status: str, lang: str = "zh") -> str:
    """``"not_met"`` → 未达标 / not met; unknown statuses come back unchanged."""
    key = f"status_{status}"
    return label(key, lang) if key in table() else status


def level_label(level: str, lang: str = "zh") -> str:
    """``"primary"`` → 小学 / primary (from :data:`balance_lib.columns.VALUE_LABELS`)."""
    return str(value_label(level, check_lang(lang)))


def yes_no(flag: bool, lang: str = "zh") -> str:
    return label("yes" if flag else "no", lang)


def plural(n: int, one: str, many: str) -> str:
    """English number agreement: ``plural(1, "school", "schools")`` → ``"1 school"``."""
    return f"{n} {one if n == 1 else many}"
