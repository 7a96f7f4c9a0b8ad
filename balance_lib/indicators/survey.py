"""B32 社会认可度 (and through it the veto V4): satisfied ÷ valid respondents ≥ 85 %.

Σ satisfied ÷ Σ respondents over ``survey.csv`` rows of the year. A sample below
``survey_min_sample_per_mille`` ‰ of the resident population (county.csv), or with parents
below ``survey_parent_share_min`` of it, is ``not_assessed`` (never met), whatever the rate.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..frames import text_array
from ..registry import Indicator
from ..settings import Settings
from .base import KEY, compare, frame_of, num, rule, status_of, text, with_county
from .county import CountyTable

#: Facts of the B32 rows (beside county_id, year, id, status, value, threshold, reason).
FACTS = ["respondents", "satisfied", "parents", "parent_share", "population", "needed"]


@rule("B32", reads={"survey": ()})
def b32(ind: Indicator, keys: pd.DataFrame, county: CountyTable, tables: dict[str, Any],
        settings: Settings, **_: Any) -> dict[str, pd.DataFrame]:
    thr = float(ind.threshold())
    survey = tables.get("survey")
    pop, pop_reason, pop_arg = county.get("resident_population")
    n = len(keys)
    if survey is None:
        total = sat = parents = bad = np.full(n, np.nan)
        have = np.zeros(n, dtype=bool)
    else:
        v = with_county(survey)
        resp, satisfied = num(v, "respondents"), num(v, "satisfied")
        group = text(v, "respondent_group").to_numpy()
        v = v.assign(_r=np.nan_to_num(resp), _s=np.nan_to_num(satisfied),
                     _p=np.where(group == "parent", np.nan_to_num(resp), 0.0),
                     _bad=(np.isnan(resp) | np.isnan(satisfied)).astype(int))
        agg = v.groupby(KEY, as_index=False).agg(total=("_r", "sum"), sat=("_s", "sum"),
                                                 parents=("_p", "sum"), bad=("_bad", "sum"))
        t = keys.merge(agg, on=KEY, how="left")
        total, sat = t["total"].to_numpy(float), t["sat"].to_numpy(float)
        parents, bad = t["parents"].to_numpy(float), t["bad"].to_numpy(float)
        have = ~np.isnan(total)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(total > 0, sat / np.where(total > 0, total, 1.0), np.nan)
        parent_share = np.where(total > 0, parents / np.where(total > 0, total, 1.0), np.nan)
        needed = pop * settings.survey_min_sample_per_mille / 1000.0
        sample_ok = total * 1000.0 >= pop * settings.survey_min_sample_per_mille
    parents_ok = compare(parent_share, settings.survey_parent_share_min, "ge")
    rate_ok = compare(rate, thr, "ge")
    reason = np.select(
        [~have, have & (bad > 0), have & (total == 0), pop_reason != "", ~sample_ok,
         ~parents_ok.fillna(False).to_numpy(bool)],
        ["no_survey_table" if survey is None else "no_survey_year", "survey_incomplete",
         "survey_empty", "population_unknown", "sample_small", "parents_few"], "").astype(object)
    arg = np.where(reason == "population_unknown", pop_reason, "").astype(object)
    arg2 = np.where(reason == "population_unknown", pop_arg, "").astype(object)
    met = rate_ok.copy()
    met[reason != ""] = pd.NA
    out = frame_of(keys, {
        "id": ind.id, "status": text_array(status_of(met)), "value": rate, "threshold": thr,
        "reason": text_array(reason), "reason_arg": text_array(arg),
        "reason_arg2": text_array(arg2), "rate_met": rate_ok,
        **dict(zip(FACTS, (total, sat, parents, parent_share, pop, needed), strict=True))})
    return {"rows": out}
