"""The indicator system: one entry, :func:`evaluate`, dispatched from the registry.

Layout (one module per family; each rule is a pure function of the tables):

=================  ===========================================================================
``resources``      per-unit resources B1–B7 (and ``unit_ratio`` extensions): values, the school
                   rule (≥ 6 of 7, all ≥ 85 %), the student-weighted CVs
``school``         per-school items B10 B11 B13, the generic ``school_ratio`` (B14 B19 B26),
                   and their aggregation to the county
``class_size``     class sizes per school and level, B12 and the 大班额 bands
``county``         county ratios and multi-part items: the generic ``county_ratio`` (B15 B16 B18
                   B22–B24) and B20 / B21, which refine it from schools.csv
``judgement``      judged items (B8 B9 B17 B25 B27–B30) and the vetoes V1–V8
``quality``        B31 (national quality monitoring)
``survey``         B32 社会认可度 (and V4 through it)
``verdict``        meets / does_not_meet / incomplete
``explain``        the sentences: the rules' numbers and reason codes in Chinese or English
``base``           statuses, three-valued logic, the exact comparison, the rule tables
=================  ===========================================================================

``indicators.yaml`` names every indicator's ``kind``: generic kinds run the same code for any
indicator that declares them (a province adds one with a YAML entry, no code); rules that need
code are registered by id (:func:`~balance_lib.indicators.base.rule`). Nothing else in the
project assembles an evaluation: the CLI, the reports and the ledger call :func:`evaluate` and
read its :class:`Evaluation`; the scenarios call :func:`evaluate_schools`, its school side
alone (the same code and frames, without the county items and the verdict they do not show).

>>> from balance_lib.io import load_county
>>> from balance_lib.registry import load_registry
>>> from balance_lib.settings import Settings
>>> ev = evaluate(load_county("tests/fixtures/tiny").tables, Settings(), load_registry())
>>> ev.years
(2024, 2025)
>>> ev.verdict.status.tolist()
['does_not_meet', 'does_not_meet']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import pandas as pd

from ..frames import KEY_CODE, SCHOOL_CODE, with_key_codes
from ..registry import Registry, load_registry
from ..settings import Settings
from . import class_size, county, judgement, quality, resources, school, survey  # noqa: F401
from .base import KEY, KINDS, RULES, keys_of, order_by_registry, with_county
from .class_size import class_size_table, empty_class_sizes, in_scope
from .county import CountyTable
from .judgement import Judgements, vetoes
from .resources import ResourceResult, evaluate_resources, long_values, unit_items
from .school import aggregate, empty_school_rows, run_school_rules
from .verdict import verdict

__all__ = ["Evaluation", "ResourceResult", "SchoolEvaluation", "class_size_table", "evaluate",
           "evaluate_resources", "evaluate_schools", "long_values"]


@dataclass(frozen=True)
class Evaluation:
    """Everything :func:`evaluate` computes, as tidy frames (numbers and codes, no prose).

    ``units`` / ``variation``: the unit engine's tables (:class:`ResourceResult`);
    ``items``: one row per (county_id, year, id) of every indicator of the registry, with
    ``status`` (met | not_met | not_assessed), ``value``, ``threshold`` and the facts of its
    family (``n_schools`` …, ``n_missing`` …, reason codes); ``parts``: the parts of county
    ratio items; ``school_items``: one row per school in the scope of each school-scope item;
    ``class_sizes`` (per school and level, special schools left out); ``vetoes``; ``verdict``;
    ``findings`` (B25's schools without a charter or information management) and ``b31_groups`` (B31 per subject and level). The sentences come
    from :mod:`balance_lib.indicators.explain`.
    """

    settings: Settings
    registry: Registry
    years: tuple[int, ...]
    units: pd.DataFrame
    variation: pd.DataFrame
    items: pd.DataFrame
    parts: pd.DataFrame
    school_items: pd.DataFrame
    class_sizes: pd.DataFrame
    vetoes: pd.DataFrame
    verdict: pd.DataFrame
    findings: pd.DataFrame | None = None
    b31_groups: pd.DataFrame | None = None

    @property
    def resources(self) -> ResourceResult:
        """The unit engine's result (B1–B7 per unit and the CVs)."""
        reg = self.registry
        return ResourceResult(units=self.units, variation=self.variation,
                              indicator_ids=tuple(i.id for i in reg.resource_indicators),
                              unit_ids=tuple(i.id for i in reg.unit_indicators))

    def for_year(self, year: int) -> Evaluation:
        """The same evaluation restricted to one school year."""
        def pick(frame: pd.DataFrame | None) -> pd.DataFrame | None:
            if frame is None:
                return None
            return frame[frame["year"].astype(int) == int(year)].reset_index(drop=True)

        return replace(self, years=(int(year),), **{
            name: pick(getattr(self, name))
            for name in ("units", "variation", "items", "parts", "school_items", "class_sizes",
                         "vetoes", "verdict", "findings", "b31_groups")})

    def for_counties(self, county_ids: Iterable[str]) -> Evaluation:
        """The same evaluation restricted to some counties."""
        ids = set(map(str, county_ids))

        def pick(frame: pd.DataFrame | None) -> pd.DataFrame | None:
            if frame is None:
                return None
            return frame[frame["county_id"].astype(str).isin(ids)].reset_index(drop=True)

        return replace(self, **{
            name: pick(getattr(self, name))
            for name in ("units", "variation", "items", "parts", "school_items", "class_sizes",
                         "vetoes", "verdict", "findings", "b31_groups")})

    def item(self, indicator_id: str, county_id: str = "", year: int | None = None
             ) -> pd.Series:
        """The item row of one indicator (the first year when ``year`` is not given)."""
        f = self.items[(self.items["id"] == indicator_id)
                       & (self.items["county_id"] == county_id)]
        if year is not None:
            f = f[f["year"] == int(year)]
        return f.iloc[0]


def _tables(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    out = {}
    tables = getattr(tables, "tables", tables)  # a CountyData from balance_lib.io, or a mapping
    for name, frame in tables.items():
        if frame is None:
            continue
        frame = with_county(frame)
        if "school_id" in frame:
            frame = frame.assign(school_id=frame["school_id"].astype(str))
        out[name] = frame
    return out


@dataclass(frozen=True)
class _SchoolSide:
    schools: pd.DataFrame  # the schools rows of the years evaluated
    resources: ResourceResult
    sizes: pd.DataFrame | None  # class sizes (None without classes)
    checks: list[school.SchoolCheck]


def _school_side(t: Mapping[str, pd.DataFrame], settings: Settings, registry: Registry,
                 years: Iterable[int] | None, wanted_ids: set[str] | None) -> _SchoolSide:
    """The unit engine, the class sizes and the school-scope rules of :func:`evaluate`."""
    schools = t["schools"]
    wanted: set[int] = set()
    if years is not None:
        wanted = {int(y) for y in years}
        schools = schools[schools["year"].astype(int).isin(wanted)].reset_index(drop=True)
    schools = with_key_codes(schools)
    res = evaluate_resources(schools, settings, registry)
    classes = t.get("classes")
    sizes = (in_scope(class_size_table(classes, registry), t["schools"])
             if classes is not None else None)
    if sizes is not None and years is not None:
        sizes = sizes[sizes["year"].astype(int).isin(wanted)].reset_index(drop=True)
    checks = run_school_rules(registry, schools, sizes, t.get("county"), settings, wanted_ids)
    return _SchoolSide(schools, res, sizes, checks)


def _school_items(school_rows: pd.DataFrame, registry: Registry) -> pd.DataFrame:
    """:attr:`Evaluation.school_items` from the ranked school rows."""
    codes = [KEY_CODE, SCHOOL_CODE]
    coded = all(c in school_rows for c in codes) and all(
        school_rows[c].notna().all() for c in codes)
    if len(school_rows) and coded:  # every row carries the schools' codes: sort by them
        school_rows = order_by_registry(school_rows, [KEY_CODE, "id", SCHOOL_CODE],
                                        registry.order)
    elif len(school_rows):
        school_rows = order_by_registry(school_rows, [*KEY, "id", "school_id"], registry.order)
    else:
        school_rows = empty_school_rows()
    school_rows = school_rows.drop(columns=[c for c in codes if c in school_rows])
    school_rows["met"] = pd.array(school_rows["met"], dtype="boolean")
    for col in ("value", "threshold", "gap"):
        school_rows[col] = school_rows[col].astype(float)
    return school_rows


@dataclass(frozen=True)
class SchoolEvaluation:
    """What :func:`evaluate_schools` computes: :class:`Evaluation`'s ``units``,
    ``variation``, ``school_items`` and ``class_sizes``, the same frames."""

    units: pd.DataFrame
    variation: pd.DataFrame
    school_items: pd.DataFrame
    class_sizes: pd.DataFrame


def evaluate_schools(tables: Mapping[str, pd.DataFrame], settings: Settings | None = None,
                     registry: Registry | None = None, *,
                     only: Iterable[str] | None = None) -> SchoolEvaluation:
    """The school side of :func:`evaluate` alone: B1–B7 per unit and the CVs, the class
    sizes, and the school rows of the school-scope items in ``only`` (default: all), without
    the county items, the vetoes and the verdict. The frames equal ``evaluate``'s (same
    code); a scenario reads only these, and the explorer evaluates one after every edit."""
    settings = settings or Settings()
    registry = registry or load_registry()
    t = _tables(tables)
    side = _school_side(t, settings, registry, None, None if only is None else set(only))
    rows = school.school_table(school.ranked_rows(side.checks)) if side.checks \
        else empty_school_rows()
    return SchoolEvaluation(
        units=side.resources.units, variation=side.resources.variation,
        school_items=_school_items(rows, registry),
        class_sizes=side.sizes if side.sizes is not None else empty_class_sizes(registry))


def evaluate(tables: Mapping[str, pd.DataFrame], settings: Settings | None = None,
             registry: Registry | None = None, *, years: Iterable[int] | None = None,
             only: Iterable[str] | None = None) -> Evaluation:
    """Evaluate every indicator of the registry, the vetoes and the verdict.

    Parameters
    ----------
    tables
        Canonical frames by table name (or a :class:`balance_lib.io.CountyData`, whose
        ``tables`` are used): ``schools`` (required) and any of ``classes``,
        ``county``, ``judgements``, ``survey``, ``quality``, ``monitoring``. A missing
        optional table makes the items that need it ``not_assessed``. A table without
        ``county_id`` is one county (``county_id = ""``).
    settings, registry
        Defaults: ``Settings()`` and the national registry.
    years
        The school years to evaluate (default: every year of ``schools``). Earlier years of
        the monitoring tables are still read (B31 falls back on the latest earlier monitoring).
    only
        Indicator ids to evaluate besides the unit indicators (which are always evaluated):
        a scenario needs only B11 and B12 of the others, and re-evaluates after every edit in
        the explorer. The vetoes are then skipped, and the verdict covers only what was
        evaluated. Default: everything.

    Returns
    -------
    Evaluation
        Every county and year in one vectorised pass.
    """
    settings = settings or Settings()
    registry = registry or load_registry()
    t = _tables(tables)
    wanted_ids = None if only is None else set(only)
    side = _school_side(t, settings, registry, years, wanted_ids)
    all_schools, schools, res, sizes = t["schools"], side.schools, side.resources, side.sizes
    keys = keys_of(schools)
    county_table = t.get("county")
    school_county, school_rows = aggregate(keys, side.checks)

    cdata = CountyTable(keys, county_table)
    judged = Judgements(keys, t.get("judgements"))
    frames = [unit_items(res, registry), school_county]
    parts, findings, groups = [], [], None
    b32_rows = None
    for ind in registry.of_scope("county", "judgement"):
        if wanted_ids is not None and ind.id not in wanted_ids:
            continue
        fn = RULES.get(ind.id) or KINDS.get(ind.kind)
        if fn is None:
            raise ValueError(f"{ind.id}: no rule registered for kind {ind.kind!r}")
        out = fn(ind, keys=keys, county=cdata, judgements=judged, schools=all_schools,
                 tables=t, settings=settings, registry=registry)
        frames.append(out["rows"])
        if "parts" in out:
            parts.append(out["parts"])
        if "findings" in out:
            findings.append(out["findings"])
        if "b31_groups" in out:
            groups = out["b31_groups"]
        if ind.id == "B32":
            b32_rows = out["rows"]
    frames = [f for f in frames if len(f)]
    items = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["county_id", "year", "id", "status", "value", "threshold"])
    items = order_by_registry(items, [*KEY, "id"], registry.order)
    for col in ("value", "threshold"):
        items[col] = items[col].astype(float) if col in items else float("nan")
    for col in ("n_schools", "n_failing", "n_unknown"):
        if col in items:
            items[col] = items[col].astype("Int64")
    for col in ("blocked", "blocked_arg", "note", "reason", "reason_arg", "reason_arg2",
                "evidence", "judged"):
        if col in items:
            items[col] = items[col].astype(object).where(items[col].notna(), "")

    school_rows = _school_items(school_rows, registry)
    computed = {"B32": b32_rows} if b32_rows is not None else {}
    if wanted_ids is None:
        v = vetoes(keys, judged, computed, settings, registry)
    else:
        v = pd.DataFrame({c: pd.Series(dtype=object) for c in judgement.VETO_COLUMNS})
        v["triggered"] = v["triggered"].astype("boolean")
    return Evaluation(
        settings=settings,
        registry=registry,
        years=tuple(int(y) for y in sorted(keys["year"].unique())),
        units=res.units,
        variation=res.variation,
        items=items,
        parts=(pd.concat(parts, ignore_index=True) if parts else
               pd.DataFrame(columns=county.PART_COLUMNS)),
        school_items=school_rows,
        class_sizes=sizes if sizes is not None else empty_class_sizes(registry),
        vetoes=v,
        verdict=verdict(res.units, res.variation, items, v, registry),
        findings=pd.concat(findings, ignore_index=True) if findings else None,
        b31_groups=groups,
    )


def describe(ev: Evaluation, lang: str = "zh") -> Evaluation:
    """``ev`` with the sentences attached: ``detail`` on items and school items, ``evidence``
    on vetoes and ``reasons`` on the verdict (for people and tests; the JSON builder asks
    :mod:`.explain` for the rows it prints)."""
    from . import explain

    items = ev.items.assign(detail=explain.item_details(ev, lang))
    school_items = ev.school_items.assign(
        detail=explain.school_details(ev.school_items, ev.registry, lang),
        gap_unit=explain.school_gap_units(ev.school_items, ev.registry, lang))
    v = ev.vetoes.assign(evidence_text=explain.veto_evidence(ev, lang))
    verdict_rows = ev.verdict.assign(reasons=explain.verdict_reasons(ev, lang))
    return replace(ev, items=items, school_items=school_items, vetoes=v, verdict=verdict_rows)
