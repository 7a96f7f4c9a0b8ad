"""The synthetic sample county of ``data/sample`` (contract §4), made by a seeded generator.

The county is invented. Its scale follows 昌吉市 (a prefecture seat in 新疆, about 600,000
residents): 28 小学 (城区, 镇区, 乡村), 8 初中, 5 九年一贯制 (one of them 民办), one 完全中学,
one 十二年一贯制, 5 教学点 (two below 50 students) and one 特殊教育学校, for the school years
2022–2025. School names combine real township names with invented schools; every number is
drawn by this module.

Enrolment is a cohort model: births (:data:`BIRTHS`, peaking in 2017 and falling after, as in
新疆) give the county's grade 1 six years later, each school takes a share of it that drifts
towards the city, and cohorts move up a grade a year. The tables agree with each other (classes
sum to the schools' pupils, the county's junior cohort is grade 7 three years earlier, the
360-hour training is due for most teachers, nothing shrinks from one year to the next), so
``balance validate --strict`` passes. Teachers and facilities are spread like a real county's:
village schools have many teachers per pupil and large grounds, the crowded urban schools few
and little, so the teacher CVs start at 0.2–0.6, B5 has the largest CV and B6 one of the
smallest. The county starts below the 优质均衡 standard in 2022 and improves (teachers recruited,
backbone teachers trained and PE/art teachers shared with the town and village schools, sports
halls and classrooms built, equipment bought) without getting there by 2025: the crowded urban
schools still have classes above 45/50, a few 大班额, too little space (B4, B5) and a school
above 2,000 pupils (B10–B12 not met), and the 小学 B5 CV is above its limit.

:func:`generate` returns the eight input tables of contract §2 in the canonical vocabulary of
:mod:`balance_lib.columns` (without ``county_id``: one county). :func:`write_sample` writes them as
CSV files and as one workbook, byte for byte the same on every run with the same seed::

    python -m balance_lib.sample [OUT_DIR]      # default: data/sample of the project

>>> tables = generate()
>>> sorted(tables)
['births', 'classes', 'county', 'judgements', 'monitoring', 'quality', 'schools', 'survey']
>>> sorted(tables["schools"].year.unique().tolist())
[2022, 2023, 2024, 2025]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .columns import TABLES, table_columns
from .paths import SAMPLE_DIR

#: Shown by every report made from the sample (contract §4).
SYNTHETIC_NOTE = (
    "模拟数据：本样例县由程序（balance_lib.sample）按固定随机种子生成，学校名称与全部数字均为虚构，"
    "非昌吉市真实数据。"
    " SYNTHETIC data: the sample county is made by a seeded generator (balance_lib.sample); "
    "schools and numbers are invented, not real statistics of 昌吉市 (Changji)."
)

DEFAULT_SEED = 2029
YEARS = (2022, 2023, 2024, 2025)
COUNTY_CODE = "652301"
GENERATOR = "balance_lib.sample"
SHEET_NOTES = "说明"
CSV_FILES = tuple(f"{t}.csv" for t in TABLES)
WORKBOOK_FILE = "sample_county.xlsx"
README_FILE = "README.md"
#: the county's own settings kept with its data (balance_lib.settings.DATA_SETTINGS_FILE)
SETTINGS_FILE = "settings.yaml"
#: every file :func:`write_sample` writes, in order
SAMPLE_FILES = (*CSV_FILES, WORKBOOK_FILE, README_FILE, SETTINGS_FILE)
#: The sample's settings.yaml: the county's name and code, and the dates of 昌吉市's plan
#: (昌市政办发〔2022〕21号 §五: 启动准备 by 2022.12, 自治州指导 by 2027.9, the self-evaluation to
#: the 自治区 by 2028.12, 国家督导评估认定 by 2029.9), so that the trend shows them.
SETTINGS_TEXT = """\
# The sample county's own settings (made by balance_lib.sample; read after
# params/standards.yaml, before --params). The data are SYNTHETIC: the name says so.
county:
  name: 昌吉市（模拟）
  name_en: Changji (synthetic)
  code: "652301"
  # the dates of 昌吉市's plan (昌市政办发〔2022〕21号, 五、实施步骤); a month means its last day
  milestones:
    - {date: 2022-12, zh: 启动, en: start}
    - {date: 2027-08, zh: 自治州指导, en: prefecture guidance}
    - {date: 2028-12, zh: 自治区评估, en: region evaluation}
    - {date: 2029-09, zh: 国家认定, en: national recognition}
"""
#: first line of the README written next to the tables (how :func:`is_sample` recognises them)
README_TITLE = "# Sample county — SYNTHETIC (模拟数据，非真实学校)"

#: constant time stamp of the workbook (document properties and zip entries)
_STAMP = dt.datetime(2025, 9, 1, 0, 0, 0)

# B1–B7 thresholds (rules §1.2), used only to shape the generated numbers.
_T = {
    "primary": {"B4": 4.5, "B5": 7.5, "B6": 2000.0},
    "junior": {"B4": 5.8, "B5": 10.2, "B6": 2500.0},
}
_FUNDING_NORM = {"primary": 650.0, "junior": 850.0, "senior": 1200.0}


# ---------------------------------------------------------------------------------------------
# The roster: who the schools are (fixed), how many pupils they had in 2022 (approximately).
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _School:
    serial: int
    name: str
    school_type: str
    area_type: str
    primary: int  # students around 2022
    junior: int = 0
    senior: int = 0
    built: int = 1990
    #: ``crowded`` (big urban school, few m² per pupil, large classes), ``flagship`` (many backbone
    #: teachers), ``new`` (recently built, well equipped), ``lagging`` (old equipment, few
    #: specialist teachers); several tags separated by spaces
    tags: str = ""
    private: bool = False
    boarding: bool = False
    parent: int | None = None

    @property
    def school_id(self) -> str:
        return f"{COUNTY_CODE}{self.serial:04d}"

    def has(self, tag: str) -> bool:
        return tag in self.tags.split()


_P, _J, _N, _T12, _C, _TP, _SP = (
    "primary", "junior", "nine_year", "twelve_year", "complete_secondary", "teaching_point",
    "special",
)

ROSTER: tuple[_School, ...] = (
    # 城区小学
    _School(1, "昌吉市第一小学", _P, "urban", 2150, built=1952, tags="crowded flagship"),
    _School(2, "昌吉市第二小学", _P, "urban", 1680, built=1958, tags="flagship"),
    _School(3, "昌吉市第三小学", _P, "urban", 1420, built=1965),
    _School(4, "昌吉市第四小学", _P, "urban", 1720, built=1978, tags="crowded"),
    _School(5, "昌吉市第五小学", _P, "urban", 1210, built=1983),
    _School(6, "昌吉市第六小学", _P, "urban", 1560, built=1988, tags="crowded"),
    _School(7, "昌吉市第七小学", _P, "urban", 960, built=1992, tags="lagging"),
    _School(8, "昌吉市第八小学", _P, "urban", 1310, built=1999),
    _School(9, "昌吉市第九小学", _P, "urban", 1720, built=2018, tags="new"),
    _School(10, "昌吉市第十小学", _P, "urban", 1090, built=2012),
    # 镇区小学
    _School(11, "榆树沟镇中心小学", _P, "town", 820, built=1986),
    _School(12, "三工镇中心小学", _P, "town", 910, built=1990),
    _School(13, "六工镇中心小学", _P, "town", 760, built=1984, tags="lagging"),
    _School(14, "二六工镇中心小学", _P, "town", 980, built=2009),
    _School(15, "大西渠镇中心小学", _P, "town", 640, built=1981),
    _School(16, "佃坝镇中心小学", _P, "town", 560, built=1995),
    _School(17, "滨湖镇中心小学", _P, "town", 700, built=2004),
    _School(18, "硫磺沟镇中心小学", _P, "town", 380, built=1979, tags="lagging"),
    # 乡村小学
    _School(19, "榆树沟镇园林村小学", _P, "rural", 260, built=1976),
    _School(20, "三工镇头工村小学", _P, "rural", 420, built=1980),
    _School(21, "三工镇下营盘村小学", _P, "rural", 310, built=1983, tags="lagging"),
    _School(22, "六工镇十三户村小学", _P, "rural", 560, built=1987),
    _School(23, "二六工镇八户村小学", _P, "rural", 480, built=1991),
    _School(24, "大西渠镇龙河村小学", _P, "rural", 230, built=1974),
    _School(25, "佃坝镇二畦村小学", _P, "rural", 180, built=1978, tags="lagging"),
    _School(26, "滨湖镇新渠村小学", _P, "rural", 340, built=1993),
    _School(27, "庙尔沟乡中心小学", _P, "rural", 150, built=1972, boarding=True),
    _School(28, "硫磺沟镇联合村小学", _P, "rural", 125, built=1970, tags="lagging"),
    # 初中
    _School(29, "昌吉市第二中学", _J, "urban", 0, 1480, built=1956, tags="crowded flagship"),
    _School(30, "昌吉市第三中学", _J, "urban", 0, 1150, built=1969),
    _School(31, "昌吉市第四中学", _J, "urban", 0, 1290, built=1976),
    _School(32, "昌吉市第五中学", _J, "urban", 0, 930, built=1985, tags="lagging"),
    _School(33, "昌吉市第七中学", _J, "urban", 0, 1360, built=2015, tags="new"),
    _School(34, "榆树沟镇中学", _J, "town", 0, 610, built=1982, boarding=True),
    _School(35, "三工镇中学", _J, "town", 0, 540, built=1988, boarding=True),
    _School(36, "六工镇中学", _J, "town", 0, 470, built=1979, boarding=True, tags="lagging"),
    # 九年一贯制 (one 民办)
    _School(37, "昌吉市实验学校", _N, "urban", 1310, 660, built=2006, tags="flagship"),
    _School(38, "昌吉市育才学校", _N, "urban", 860, 420, built=2011, private=True,
            tags="lagging"),
    _School(39, "滨湖镇第二学校", _N, "town", 610, 380, built=1998),
    _School(40, "大西渠镇第二学校", _N, "town", 450, 300, built=1996, boarding=True),
    _School(41, "阿什里哈萨克民族乡学校", _N, "rural", 260, 150, built=1989, boarding=True,
            tags="lagging"),
    # 完全中学, 十二年一贯制
    _School(42, "昌吉市第一中学", _C, "urban", 0, 1450, 1900, built=1950, boarding=True,
            tags="crowded flagship"),
    _School(43, "昌吉市新城学校", _T12, "urban", 900, 520, 480, built=2016, tags="new"),
    # 教学点 (parent: a 乡村小学)
    _School(44, "庙尔沟乡东沟教学点", _TP, "rural", 28, built=1975, parent=27),
    _School(45, "硫磺沟镇南山教学点", _TP, "rural", 41, built=1977, parent=28),
    _School(46, "三工镇教学点", _TP, "rural", 86, built=1981, parent=20),
    _School(47, "榆树沟镇西湾教学点", _TP, "rural", 64, built=1979, parent=19),
    _School(48, "大西渠镇五畦教学点", _TP, "rural", 112, built=1984, parent=24),
    # 特殊教育学校
    _School(49, "昌吉市特殊教育学校", _SP, "urban", 38, 22, built=2010, boarding=True),
)

_BY_SERIAL = {s.serial: s for s in ROSTER}

# ---------------------------------------------------------------------------------------------
# Births and enrolment: cohorts move up a grade a year
# ---------------------------------------------------------------------------------------------

#: Births per calendar year (出生人口): a two-child peak in 2016–2017, then a steady fall (as in
#: 新疆 since 2017); the children of year *b* enter grade 1 in *b* + 6. Written to births.csv for
#: 2010–2023; the earlier years only seed the cohorts already at school in 2022.
BIRTHS = {
    2002: 4930, 2003: 5010, 2004: 4960, 2005: 5040, 2006: 5110, 2007: 5060, 2008: 5150, 2009: 5090,
    2010: 5180, 2011: 5120, 2012: 5240, 2013: 5190, 2014: 5310, 2015: 5260, 2016: 5720,
    2017: 5930, 2018: 5210, 2019: 4660, 2020: 4110, 2021: 3760, 2022: 3510, 2023: 3300,
}
BIRTH_YEARS = tuple(range(2010, 2024))
#: First simulated school year (cohorts are simulated from here; tables start in 2022).
_SIM_FROM = 2016
#: Share of a birth cohort that enters grade 1 in the county six years later (some families
#: leave, migrants arrive: the city draws a little more each year).
_ENTRY_RATIO, _ENTRY_DRIFT = 0.835, 0.003
#: County grade 7 from the county's grade 6 a year earlier (a few go to schools elsewhere).
_RATIO_6_7 = 0.975
#: How each school's share of the county's entrants changes a year (urbanisation), and the
#: survival of a cohort from one grade to the next (migrant children join urban schools).
_SHARE_DRIFT = {"urban": 0.022, "town": -0.004, "rural": -0.035}
_PROGRESSION = {"urban": 1.008, "town": 0.998, "rural": 0.985}

# Facility quantities per weighted pupil in 2022 by area, on the 小学 scale for schools with a
# 小学 part and on the 初中 scale for 初中 and 完全中学: B4 m² (teaching rooms without the hall),
# B5 m² (hall + ground), B6 元. Tags and noise modify them per school.
_FACILITY = {
    ("primary", "urban"): {"B4": 5.2, "B5": 8.6, "B6": 2350.0},
    ("primary", "town"): {"B4": 5.6, "B5": 11.5, "B6": 2300.0},
    ("primary", "rural"): {"B4": 6.9, "B5": 24.0, "B6": 2150.0},
    ("junior", "urban"): {"B4": 6.6, "B5": 11.8, "B6": 2950.0},
    ("junior", "town"): {"B4": 7.3, "B5": 18.5, "B6": 2850.0},
}
_TAG_FACILITY = {
    "crowded": {"B4": 0.78, "B5": 0.38, "B6": 0.96},
    "new": {"B4": 1.1, "B5": 1.15, "B6": 1.3},
    "lagging": {"B4": 0.96, "B5": 0.92, "B6": 0.8},
    "flagship": {"B4": 1.0, "B5": 1.0, "B6": 1.15},
}

# Teachers: pupils per 专任教师 in 2022 by level and area, and the shares of the teachers that
# are qualified above the statutory level, backbone, PE/music/art. Village schools have many
# teachers per pupil (small classes), the big urban schools few: this is what makes the teacher
# CVs of real counties 0.25–0.6.
_PUPILS_PER_TEACHER = {
    ("primary", "urban"): 21.0, ("primary", "town"): 13.5, ("primary", "rural"): 8.0,
    ("junior", "urban"): 14.5, ("junior", "town"): 9.6, ("junior", "rural"): 6.8,
}
_QUALIFIED = {("primary", "urban"): 0.97, ("primary", "town"): 0.92, ("primary", "rural"): 0.84,
              ("junior", "urban"): 0.91, ("junior", "town"): 0.82, ("junior", "rural"): 0.74}
_BACKBONE = {("primary", "urban"): 0.24, ("primary", "town"): 0.14, ("primary", "rural"): 0.09,
             ("junior", "urban"): 0.17, ("junior", "town"): 0.11, ("junior", "rural"): 0.08}
_PE_ART = {("primary", "urban"): 0.215, ("primary", "town"): 0.135, ("primary", "rural"): 0.095,
           ("junior", "urban"): 0.15, ("junior", "town"): 0.1, ("junior", "rural"): 0.075}


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def _split_exact(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers proportional to ``weights`` that sum exactly to ``total`` (largest remainder)."""
    weights = np.asarray(weights, dtype=float)
    raw = total * weights / weights.sum()
    out = np.floor(raw).astype(int)
    rest = total - out.sum()
    order = np.argsort(-(raw - out), kind="stable")
    out[order[:rest]] += 1
    return out


def _levels_of(s: _School) -> tuple[str, ...]:
    return tuple(lv for lv in ("primary", "junior") if getattr(s, lv) > 0)


def _weighted_pupils(s: _School, students: dict[str, int]) -> float:
    """Pupils weighted as in the facility split (rules §3)."""
    if s.school_type == _C:
        return students["junior"] + 1.2 * students["senior"]
    return students["primary"] + 1.1 * students["junior"] + 1.32 * students["senior"]


def _scale_level(s: _School) -> str:
    """The level whose thresholds shape a school's facilities."""
    return "junior" if s.school_type in (_J, _C) else "primary"


def _area(s: _School) -> str:
    return "rural" if s.school_type == _TP else s.area_type


def _top_grade(s: _School) -> int:
    """A teaching point teaches grades 1–3 (1–4 when it is larger); then its pupils go on to
    the 中心校."""
    return (4 if s.primary >= 60 else 3) if s.school_type == _TP else 6


# ---------------------------------------------------------------------------------------------
# Students per grade
# ---------------------------------------------------------------------------------------------


def _grade_counts(rng: np.random.Generator) -> dict[tuple[int, int], np.ndarray]:
    """Pupils per grade 1–9 for every (serial, year) from :data:`_SIM_FROM` to the last year.

    The county's grade 1 follows the births six years earlier; each school takes a share of it
    that drifts with urbanisation (:data:`_SHARE_DRIFT`), and its cohorts move up a grade a year
    with the school's progression (:data:`_PROGRESSION`), a teaching point's into its 中心校
    after its top grade. Grade 7 is the county's grade 6 a year earlier shared by the junior
    sections. The roster's pupils (around 2022) set the shares. Special schools are not
    modelled by cohort (see :func:`_special_grades`).
    """
    years = range(_SIM_FROM, YEARS[-1] + 1)
    prim = [s for s in ROSTER if s.primary and s.school_type != _SP]
    jun = [s for s in ROSTER if s.junior and s.school_type != _SP]
    # base shares: pupils per grade around 2022 (a teaching point's pupils sit in fewer grades)
    w_p = np.array([s.primary / _top_grade(s) for s in prim], dtype=float)
    w_j = np.array([s.junior for s in jun], dtype=float)
    drift_p = np.array([0.01 if s.private else _SHARE_DRIFT[_area(s)] for s in prim])
    drift_p[[k for k, s in enumerate(prim) if s.school_type == _TP]] = -0.05
    drift_j = np.array([0.01 if s.private else _SHARE_DRIFT[_area(s)] * 0.6 for s in jun])
    prog = np.array([1.0 if s.private else _PROGRESSION[_area(s)] for s in prim])
    prog_j = np.array([1.0 + (_PROGRESSION[_area(s)] - 1.0) * 0.5 for s in jun])
    school_noise_p = rng.normal(0.0, 0.006, len(prim))
    school_noise_j = rng.normal(0.0, 0.004, len(jun))
    parent = {k: next(i for i, p in enumerate(prim) if p.serial == s.parent)
              for k, s in enumerate(prim) if s.parent}
    top = np.array([_top_grade(s) for s in prim])
    out: dict[tuple[int, int], np.ndarray] = {}
    g_p = np.zeros((len(prim), 6))
    g_j = np.zeros((len(jun), 3))
    for y in years:
        t = y - YEARS[0]
        entrants = BIRTHS[y - 6] * (_ENTRY_RATIO + _ENTRY_DRIFT * (y - 2016))
        share = w_p * (1.0 + drift_p) ** t
        share = share / share.sum()
        new = np.zeros_like(g_p)
        if y == _SIM_FROM:  # the cohorts at school: each grade from its own birth year
            for g in range(6):
                e = BIRTHS[y - 6 - g] * (_ENTRY_RATIO + _ENTRY_DRIFT * (y - g - 2016))
                new[:, g] = e * share * (prog ** g)
        else:
            new[:, 0] = entrants * share
            new[:, 1:] = g_p[:, :-1] * (prog + school_noise_p)[:, None]
        noise = rng.normal(0.0, 0.012, new.shape)
        new = new * (1.0 + noise)
        # teaching points hand their top grade on to the 中心校
        for k, pk in parent.items():
            tg = top[k]
            if tg < 6:
                new[pk, tg] += new[k, tg]
                new[k, tg:] = 0.0
        county6 = g_p[:, 5].sum() if y > _SIM_FROM else new[:, 5].sum()
        sj = w_j * (1.0 + drift_j) ** t
        sj = sj / sj.sum()
        new_j = np.zeros_like(g_j)
        if y == _SIM_FROM:
            for g in range(3):
                e = BIRTHS[y - 12 - g] * (_ENTRY_RATIO + _ENTRY_DRIFT * (y - 6 - g - 2016))
                new_j[:, g] = e * _RATIO_6_7 * sj * (prog_j ** g)
        else:
            new_j[:, 0] = county6 * _RATIO_6_7 * sj
            new_j[:, 1:] = g_j[:, :-1] * (prog_j + school_noise_j)[:, None]
        new_j = new_j * (1.0 + rng.normal(0.0, 0.008, new_j.shape))
        g_p, g_j = new, new_j
        for k, s in enumerate(prim):
            out.setdefault((s.serial, y), np.zeros(9))[:6] = np.rint(g_p[k])
        for k, s in enumerate(jun):
            out.setdefault((s.serial, y), np.zeros(9))[6:] = np.rint(g_j[k])
    for s in ROSTER:
        if s.school_type == _SP:
            for y in years:
                out[(s.serial, y)] = _special_grades(s, y)
    return out


def _special_grades(s: _School, year: int) -> np.ndarray:
    """The special school: a few pupils in every grade, slowly more each year."""
    f = 1.0 + 0.03 * (year - YEARS[0])
    primary = _split_exact(int(round(s.primary * f)), np.ones(6))
    junior = _split_exact(int(round(s.junior * f)), np.ones(3))
    return np.concatenate([primary, junior]).astype(float)


def _students(grades: dict[tuple[int, int], np.ndarray]) -> dict[tuple[int, int], dict[str, int]]:
    """Students by level for every (serial, year) of the tables."""
    out = {}
    for s in ROSTER:
        for k, year in enumerate(YEARS):
            g = grades.get((s.serial, year), np.zeros(9))
            senior = int(round(s.senior * (1.0 + 0.01 * k))) if s.senior else 0
            out[(s.serial, year)] = {"primary": int(g[:6].sum()), "junior": int(g[6:].sum()),
                                     "senior": senior}
    return out


# ---------------------------------------------------------------------------------------------
# Classes
# ---------------------------------------------------------------------------------------------


def _class_size_target(s: _School, level: str, year: int) -> float:
    """Class size a school aims at when it opens an intake (the crowded urban ones overfill)."""
    t = year - YEARS[0]
    if s.school_type == _SP:
        return 8.0
    if s.school_type == _TP:
        return 40.0  # one class per grade
    if s.has("crowded"):
        return (47.5 if level == "primary" else 52.5) - 0.8 * t
    if s.area_type == "urban":
        return (43.0 if level == "primary" else 47.0) - 0.3 * t
    if s.area_type == "town":
        return 38.0 if level == "primary" else 44.0
    return 30.0 if level == "primary" else 40.0


def _big_classes(s: _School, year: int) -> list[int]:
    """Sizes of the few 大班额 (56–65) and 超大班额 (≥ 66) classes a crowded school still has."""
    plan = {
        1: {2022: [67, 61, 58], 2023: [60, 57], 2024: [58, 56], 2025: [57]},
        4: {2022: [59, 56], 2023: [58], 2024: [56], 2025: []},
        29: {2022: [63, 58], 2023: [59, 56], 2024: [57], 2025: [56]},
        42: {2022: [60], 2023: [57], 2024: [], 2025: []},
    }
    return plan.get(s.serial, {}).get(year, [])


def _class_counts(s: _School, grades: dict[tuple[int, int], np.ndarray]) -> dict[int, np.ndarray]:
    """Classes per grade and year: an intake (grade 1 or 7, or any grade in 2022) opens classes
    for its size; a cohort then keeps its classes as it moves up (one more only when it would
    exceed 56 a class, one fewer below 18)."""
    out: dict[int, np.ndarray] = {}
    prev = None
    for year in YEARS:
        n = grades[(s.serial, year)]
        cls = np.zeros(9, dtype=int)
        for g in range(9):
            if n[g] <= 0:
                continue
            level = "primary" if g < 6 else "junior"
            target = _class_size_target(s, level, year)
            fresh = max(1, int(round(n[g] / target)) if s.has("crowded")
                        else math.ceil(n[g] / target - 0.08))
            kept = prev[g - 1] if prev is not None and g not in (0, 6) and prev[g - 1] else 0
            c = kept or fresh
            while n[g] / c > 54 and c < 60:
                c += 1
            while c > 1 and n[g] / c < 18 and s.school_type not in (_TP, _SP):
                c -= 1
            cls[g] = c
        out[year] = cls
        prev = cls
    return out


def _class_table(grades, rng: np.random.Generator) -> pd.DataFrame:
    """One row per class; class ids are ``<school_id>-<grade><number>``."""
    rows = []
    for s in ROSTER:
        counts = _class_counts(s, grades)
        for year in YEARS:
            n, cls = grades[(s.serial, year)], counts[year]
            bigs = list(_big_classes(s, year))
            for g in range(9):
                if cls[g] == 0:
                    continue
                sizes = _split_exact(int(n[g]), rng.uniform(0.97, 1.03, cls[g]))
                if bigs and cls[g] >= 4 and g + 1 in (2, 3, 4, 5, 7, 8):
                    # one class made big, the students taken from its sister classes
                    need = bigs.pop(0) - sizes[0]
                    if need > 0:
                        sizes[1:] -= _split_exact(need, np.ones(cls[g] - 1))
                        sizes[0] += need
                level = "primary" if g < 6 else "junior"
                for k, size in enumerate(sizes, start=1):
                    rows.append((year, s.school_id, level, g + 1,
                                 f"{s.school_id}-{g + 1}{k:02d}", int(size)))
    frame = pd.DataFrame(rows, columns=["year", "school_id", "level", "grade", "class_id",
                                        "students"])
    return frame.sort_values(["year", "school_id", "grade", "class_id"],
                             kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# The schools table
# ---------------------------------------------------------------------------------------------


def _school_table(students, classes: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One row per school and year: students, classes, teachers, facilities, rooms, money."""
    n_classes = classes.groupby(["year", "school_id", "level"]).size()
    # static per-school draws: facility levels in 2022, teacher profile noise
    noise = {s.serial: rng.lognormal(0.0, 0.10, size=10) for s in ROSTER}
    project_year = {s.serial: int(rng.choice([2023, 2024, 2025])) for s in ROSTER}
    rows = []
    state: dict[int, dict[str, float]] = {}
    for year in YEARS:
        t = year - YEARS[0]
        for s in ROSTER:
            counts = students[(s.serial, year)]
            nz = noise[s.serial]
            row: dict[str, object] = {
                "year": year,
                "school_id": s.school_id,
                "school_name": s.name,
                "school_type": s.school_type,
                "parent_school_id": _BY_SERIAL[s.parent].school_id if s.parent else None,
                "area_type": s.area_type,
                "is_private": s.private,
                "is_boarding": s.boarding,
                "year_built": s.built,
                "students_primary": counts["primary"],
                "students_junior": counts["junior"],
                "students_senior": counts["senior"],
            }
            ncls = {lv: int(n_classes.get((year, s.school_id, lv), 0)) for lv in ("primary",
                                                                                   "junior")}
            row["classes_primary"] = ncls["primary"]
            row["classes_junior"] = ncls["junior"]
            _teachers(s, row, counts, t, nz)
            _facilities(s, row, counts, ncls, year, t, nz, project_year[s.serial], state)
            _rooms_and_money(s, row, counts, ncls, year, t, nz)
            row["books"] = _books(s, counts, t)
            rows.append(row)
    return pd.DataFrame(rows)


def _books(s: _School, counts: dict[str, int], t: int) -> int:
    """图书册数 of the whole school (read only by the example provincial indicator P1 of
    params/province-example.yaml): about 22–40 per pupil, more in town and with a junior part,
    one more per pupil each year. No random draw, so the other columns keep their values."""
    per_pupil = (27 if counts["junior"] == 0 else 37) + {"urban": 4, "town": 0, "rural": -5}[
        s.area_type] + (s.serial * 5) % 9 - 4 + t
    return int(round(per_pupil * (counts["primary"] + counts["junior"] + counts["senior"])))


def _converge(share: float, ratio: float, per_100: float, t: int, pace: float) -> float:
    """A teacher share that closes ``pace`` of its gap to ``per_100`` teachers per 100 pupils
    each year (``ratio`` pupils per teacher); a share already above stays."""
    goal = per_100 * ratio / 100.0
    if share >= goal:
        return share
    return share + (goal - share) * (1.0 - (1.0 - pace) ** t)


def _teachers(s: _School, row: dict, counts: dict[str, int], t: int, nz: np.ndarray) -> None:
    """Teachers per level (任教学段) and their qualified / backbone / PE-art subsets.

    Urban schools recruit (fewer pupils per teacher each year); village teachers follow their
    shrinking pupils (some move to town schools); the backbone-teacher programme and 走教 of
    PE and art teachers reach the town and village schools first, so the teacher CVs fall.
    """
    total = 0
    for level in ("primary", "junior"):
        p = counts[level]
        cols = [f"{c}_{level}" for c in ("teachers", "qualified_teachers", "backbone_teachers",
                                         "pe_art_teachers")]
        if p == 0:
            for c in cols:
                row[c] = 0
            continue
        area = _area(s)
        key = (level, area)
        if s.school_type == _SP:
            teachers = int(round(p / 3.2))
            qualified, backbone, pe_art = teachers - 1, 1, 1
        else:
            ratio = _PUPILS_PER_TEACHER[key] * nz[0] ** 1.2
            if s.has("crowded"):
                ratio *= 1.12
            if s.school_type == _TP:
                ratio = 10.5  # a few teachers for three or four classes
            ratio *= {"urban": 0.975, "town": 0.99, "rural": 1.0}[area] ** t
            teachers = max(2, int(round(p / ratio)))
            q = min(1.0, _QUALIFIED[key] * nz[1] ** 0.3 + 0.012 * t)
            b = _BACKBONE[key] * nz[2] ** 1.8
            if s.has("flagship"):
                b *= 1.9
            if s.private:
                b *= 0.4
            a = _PE_ART[key] * nz[3] ** (1.2 if level == "primary" else 1.8)
            if s.has("lagging"):
                a *= 0.6  # few specialist and backbone teachers at first
                b *= 0.6
            # the backbone-teacher programme (town and village schools first) and the
            # recruitment and 走教 of PE and art teachers close the gaps year by year
            pace = {"urban": 0.3, "town": 0.4, "rural": 0.4}[area]
            b = _converge(b, ratio, 1.15, t, pace)
            a = _converge(a, ratio, 1.02, t, 0.4)
            qualified = min(teachers, int(round(teachers * q)))
            backbone = min(teachers, int(round(teachers * b)))
            pe_art = min(teachers, int(round(teachers * a)))
            if s.school_type == _TP:
                # from 2024 a backbone and a PE/art teacher of the 中心校 teach there (走教)
                backbone = 1 if t >= 2 else 0
                pe_art = 1 if t >= 2 else 0
        row[cols[0]], row[cols[1]], row[cols[2]], row[cols[3]] = (
            teachers, qualified, backbone, pe_art)
        total += teachers
    # 持证上岗: a few uncertified teachers in the private and two village schools in 2022–2024
    uncertified = 0
    if s.private:
        uncertified = (6, 3, 1, 0)[t]
    elif s.serial in (21, 25):
        uncertified = (1, 1, 0, 0)[t]
    row["certified_teachers"] = max(0, total - uncertified)


def _facilities(s, row, counts, ncls, year, t, nz, project_year, state) -> None:
    """Whole-school areas, equipment and multimedia rooms; they only grow (projects, purchases)."""
    weighted = _weighted_pupils(s, counts)
    scale = _scale_level(s)
    thr = _T[scale]
    if s.school_type == _SP:
        row.update(teaching_aux_area_m2=2150.0, indoor_sports_area_m2=320.0,
                   sports_ground_area_m2=1800.0,
                   equipment_value_10k_yuan=round(186.0 + 12.0 * t, 2),
                   multimedia_classrooms=ncls["primary"] + ncls["junior"] + 2)
        return
    if s.serial not in state:
        base = dict(_FACILITY[(scale, "rural" if s.school_type == _TP else s.area_type)])
        if s.school_type in (_N, _T12):
            # 一贯制 schools are built for their 初中 part too
            base = {k: v * 1.1 for k, v in base.items()}
        for tag in s.tags.split():
            for k, f in _TAG_FACILITY.get(tag, {}).items():
                base[k] *= f
        if s.school_type == _TP:
            base = {"B4": 6.2, "B5": 12.5, "B6": 1650.0}
        aux = base["B4"] * nz[4] * weighted
        sports = base["B5"] * nz[5] ** 2.0 * weighted
        has_hall = s.area_type == "urban" or s.school_type in (_J, _N, _C, _T12)
        indoor = (0.09 + 0.04 * nz[6]) * sports if has_hall else 0.0
        state[s.serial] = {
            "b4": aux, "indoor": indoor, "ground": sports - indoor,
            "equip": base["B6"] * nz[7] ** 0.7 * weighted / 10000.0, "rooms": 0,
        }
    st = state[s.serial]
    # building projects: schools short of B4/B5 add a teaching block, a hall or a ground
    if year == project_year or (s.has("crowded") and year in (2023, 2024, 2025)):
        need_b5 = 0.97 * thr["B5"] * weighted - (st["indoor"] + st["ground"])
        if need_b5 > 0 and (s.area_type != "urban" or s.has("crowded") or s.has("lagging")):
            share = 0.35 if s.has("crowded") else 0.8
            hall = min(need_b5 * share, 1600.0)
            st["indoor"] += hall
            st["ground"] += need_b5 * share - hall
        need_b4 = 1.02 * thr["B4"] * weighted - st["b4"]
        if need_b4 > 0:
            st["b4"] += need_b4 * (0.45 if s.has("crowded") else 0.9)
    # equipment: schools below the threshold catch up by 2025, the others buy ~3 % a year
    if year > YEARS[0]:
        per = st["equip"] * 10000.0 / weighted
        goal = 1.06 * thr["B6"]
        if per < goal:
            # share of the remaining gap bought each year (the programme gathers pace)
            step = {2023: 0.25, 2024: 0.5, 2025: 0.9}[year]
            st["equip"] += (goal - per) * weighted / 10000.0 * step
        else:
            st["equip"] *= 1.03
    senior_classes = math.ceil(counts["senior"] / 50) if counts["senior"] else 0
    classrooms = ncls["primary"] + ncls["junior"] + senior_classes
    if s.school_type == _TP:
        rooms = classrooms  # 班班通 in every class, no special rooms
    else:
        # 班班通 coverage rises to every classroom; labs and computer rooms add a few more
        coverage = min(1.0, (0.86 if s.area_type != "urban" else 0.95) + 0.05 * t)
        if s.has("lagging"):
            coverage = min(coverage, 0.8 + 0.06 * t)
        extra = 3 + classrooms // 12 + (1 if t >= 2 else 0)
        rooms = int(math.floor(classrooms * coverage)) + extra
    st["rooms"] = max(st["rooms"], rooms)  # equipped rooms stay when a class closes
    row["teaching_aux_area_m2"] = round(st["b4"] + st["indoor"], 1)
    row["indoor_sports_area_m2"] = round(st["indoor"], 1)
    row["sports_ground_area_m2"] = round(st["ground"], 1)
    row["equipment_value_10k_yuan"] = round(st["equip"], 2)
    row["multimedia_classrooms"] = int(st["rooms"])


def _rooms_and_money(s, row, counts, ncls, year, t, nz) -> None:
    """Music/art rooms (B10), funding (B13, B14, B26), charter and information system (B25).

    The crowded urban schools have turned a music room into a classroom and still lack it in
    2025 (B10 not met); old schools' rooms are small until 2025.
    """
    classrooms = ncls["primary"] + ncls["junior"]
    if s.school_type == _TP:
        row.update(music_rooms=0, music_room_min_area_m2=None, art_rooms=0,
                   art_room_min_area_m2=None)
    else:
        need = max(1, math.ceil(classrooms / 12))
        short = 1 if (s.has("crowded") and need > 2) else 0
        old_small = s.built < 1985 and s.school_type != _SP and year < 2025
        row["music_rooms"] = need - short
        row["music_room_min_area_m2"] = 84.0 if old_small else 96.0 + float(s.serial % 4) * 6
        row["art_rooms"] = need
        row["art_room_min_area_m2"] = 80.0 if old_small else 90.0 + float(s.serial % 3) * 5
    if s.school_type == _SP:
        per_pupil = 5200.0 if year == 2022 else 6400.0
        funding = per_pupil * (counts["primary"] + counts["junior"])
    else:
        funding = 0.0
        for level in ("primary", "junior", "senior"):
            p = counts[level]
            if p == 0:
                continue
            # small schools funded as if they had 100 pupils (B13) from 2023 on
            if level == "primary" and s.area_type == "rural" and year > 2022:
                p = max(p, 100)
            funding += _FUNDING_NORM[level] * p
        funding *= 1.0 + 0.04 * nz[0] + 0.01 * t
    share = 0.055 + 0.01 * (nz[1] - 0.9)
    if year < 2024 and s.serial in (7, 13, 25, 36):
        share = 0.036 if year == 2022 else 0.046
    row["public_funding_yuan"] = round(funding, -2)
    row["teacher_training_funding_yuan"] = round(row["public_funding_yuan"] * share, -2)
    row["has_charter"] = True
    row["has_info_management"] = not (year == 2022 and s.serial in (27, 41, 44, 45))


def _county_table(grades, schools: pd.DataFrame) -> pd.DataFrame:
    """County-level quantities, consistent with the schools and the cohorts.

    The junior cohort of year *Y* entered grade 7 in *Y* − 3 and finished grade 9 in June *Y*
    (grade 9 of *Y* − 1; about 2 % did not graduate), both from the simulated grades; the 360-hour
    training is due for most 专任教师 of the year; several items miss their target in 2022 and
    meet it later.
    """
    def county_grade(year: int, grade: int) -> int:
        return int(sum(g[grade - 1] for (_, y), g in grades.items() if y == year))

    teachers = (schools.teachers_primary + schools.teachers_junior).groupby(schools.year).sum()
    rows = []
    for year in YEARS:
        t = year - YEARS[0]
        staff = int(teachers[year])
        eligible_rot = int(round(0.42 * staff))
        rotated = int(round(eligible_rot * (0.08, 0.095, 0.11, 0.12)[t]))
        eligible_360 = int(round(0.93 * staff))
        cohort = county_grade(year - 3, 7)
        graduated = int(round(county_grade(year - 1, 9) * 0.982))
        rows.append(
            {
                "year": year,
                "resident_population": 598400 + 2900 * t,
                "teacher_avg_salary_yuan": (98600.0, 104300.0, 107900.0, 111200.0)[t],
                "civil_servant_avg_salary_yuan": (101200.0, 103900.0, 106800.0, 109500.0)[t],
                "training_360h_completed": int(round(eligible_360 * (0.965, 0.982, 1.0, 1.0)[t])),
                "training_360h_eligible": eligible_360,
                "rotation_eligible_teachers": eligible_rot,
                "rotated_teachers": rotated,
                "rotated_backbone_teachers": int(round(rotated * (0.15, 0.18, 0.21, 0.22)[t])),
                "nearby_enrolment_rate_primary": (0.985, 0.993, 1.0, 1.0)[t],
                "nearby_enrolment_rate_junior": (0.934, 0.951, 0.962, 0.968)[t],
                "quota_allocation_rate": (0.45, 0.5, 0.52, 0.55)[t],
                "migrant_children_eligible": 6820 + 140 * t,
                "migrant_children_public_or_purchased": int(
                    round((6820 + 140 * t) * (0.83, 0.86, 0.88, 0.9)[t])),
                "junior_cohort_start": cohort,
                "junior_cohort_graduated": graduated,
                "junior_transfers_in": (42, 38, 40, 36)[t],
                "junior_transfers_out": (51, 47, 44, 40)[t],
                "junior_deaths": (2, 1, 2, 1)[t],
                "disabled_children": (412, 418, 425, 431)[t],
                "disabled_children_enrolled": (384, 398, 409, 418)[t],
                "public_funding_norm_primary_yuan": 650.0,
                "public_funding_norm_junior_yuan": 850.0,
                # read only by the example provincial indicator P2 (课后服务覆盖率)
                "after_school_schools": (38, 42, 44, 45)[t],
                "after_school_demand_schools": 45,
            }
        )
    return pd.DataFrame(rows)


def _births_table() -> pd.DataFrame:
    """Births per calendar year, 2010–2023 (falling after 2017)."""
    return pd.DataFrame({"year": list(BIRTH_YEARS), "births": [BIRTHS[b] for b in BIRTH_YEARS]})


_EVIDENCE: dict[str, tuple[str, str]] = {
    # item: (evidence when met, evidence when not met)
    "B8": ("《昌吉市义务教育学校布局专项规划（2021—2030年）》经市人民政府批准实施，"
           "学校布点与人口分布相适应。",
           "布局规划尚未完成修编。"),
    "B9": ("城乡学校建设标准、教师编制标准、生均公用经费基准定额、基本装备配置标准已全面统一。",
           "乡村学校基本装备配置标准尚未与城区统一，“四统一”未全部落实。"),
    "B15": ("教师绩效工资总量按规定足额核定，与当地公务员奖励性绩效工资水平联动。",
            "教师绩效工资总量未按规定足额核定。"),
    "B17": ("市教育局在核定编制总额和岗位总量内统筹分配各校编制和岗位，按年度动态调整。",
            "编制和岗位统筹分配机制尚未建立。"),
    "B21": ("优质高中招生名额分配向农村初中倾斜，农村初中所得名额占比高于其初中学生占比。",
            "名额分配未向农村初中倾斜。"),
    "B22": ("建立留守儿童关爱服务体系，建档立卡、结对帮扶全覆盖。",
            "留守儿童关爱体系不健全。"),
    "B25": ("所有学校制定章程，管理与教学信息化平台覆盖全部学校。",
            "所有学校已制定章程，但2所乡村学校及2个教学点尚未实现管理与教学信息化。"),
    "B27": ("教师能熟练运用信息化手段组织教学，设施设备使用记录完整、利用率较高。",
            "部分教师信息化教学能力不足。"),
    "B28": ("各校德育工作和校园文化建设经督导评估均达到良好以上。",
            "个别学校德育工作未达到良好。"),
    "B29": ("国家课程开齐开足，教学秩序规范，综合实践活动有效开展。",
            "部分学校综合实践活动课时不足。"),
    "B30": ("落实“双减”，作业总量和时长得到有效控制，无过重课业负担。",
            "存在过重课业负担。"),
    "V1": ("义务教育学校均免试就近入学，未发现以考试方式招生。", "发现以考试方式招生。"),
    "V2": ("严格执行招生入学政策，未发现违规择校行为。", "存在违规择校行为。"),
    "V3": ("未设置重点学校，各校均衡编班，未设重点班。", "存在重点学校或重点班。"),
    "V5": ("按规定及时补充教师，不存在有编不补或长期聘用编外教师情况。",
           "存在有编不补或长期聘用编外教师情况。"),
    "V6": ("教育系统未发生重大安全责任事故和严重违纪违规事件。",
           "发生重大安全责任事故或严重违纪违规事件。"),
    "V7": ("评估材料经核查真实，未发现弄虚作假行为。", "发现弄虚作假行为。"),
}


def _judgement_table() -> pd.DataFrame:
    """Qualitative items and vetoes: B9 unmet 2022–2023, B25 unmet 2022, no B27 row in 2022."""
    unmet = {("B9", 2022), ("B9", 2023), ("B25", 2022)}
    by = {"B17": "市委机构编制委员会办公室、市教育局", "B22": "市民政局、市教育局",
          "V6": "市教育局、市应急管理局"}
    rows = []
    for year in YEARS:
        for item, (yes, no) in _EVIDENCE.items():
            if item == "B27" and year == 2022:
                continue  # not assessed that year
            met = (item, year) not in unmet
            rows.append({"year": year, "item_id": item, "met": met,
                         "evidence": f"{year}年：{yes if met else no}",
                         "assessed_by": by.get(item, "市人民政府教育督导室")})
    return pd.DataFrame(rows)


def _survey_table(rng: np.random.Generator) -> pd.DataFrame:
    """Satisfaction survey: too small a sample in 2022 (not assessed), then ≥ 1.5‰."""
    groups = ("parent", "teacher", "principal", "student", "deputy", "other")
    area_share = np.array([0.6, 0.24, 0.16])
    totals = {2022: 760, 2023: 936, 2024: 968, 2025: 1012}
    rate = {2022: 0.82, 2023: 0.86, 2024: 0.88, 2025: 0.90}
    # parents 52 %; principals and deputies fewer; the rest about equal
    group_share = np.array([0.52, 0.12, 0.04, 0.18, 0.04, 0.10])
    group_shift = np.array([0.0, 0.02, 0.04, 0.03, 0.03, -0.03])
    area_shift = np.array([0.01, 0.0, -0.03])
    rows = []
    for year in YEARS:
        per_group = _split_exact(totals[year], group_share)
        for g, group in enumerate(groups):
            per_area = _split_exact(int(per_group[g]), area_share)
            for a, area in enumerate(("urban", "town", "rural")):
                n = int(per_area[a])
                p = min(0.99, rate[year] + group_shift[g] + area_shift[a] + rng.normal(0, 0.01))
                rows.append({"year": year, "respondent_group": group, "area_type": area,
                             "respondents": n, "satisfied": int(round(n * p))})
    return pd.DataFrame(rows)


def _quality_table(schools: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """质量监测 2023 and 2025: school means around 500, share at level Ⅲ or above.

    In 2023 many town and village schools have fewer than 80 % of their pupils at level Ⅲ (B31
    not met); by 2025 the 帮扶 programme has brought every school to 80 % or more (B31 met).
    """
    subjects = ("语文", "数学", "科学")
    area_effect = {"urban": 12.0, "town": -4.0, "rural": -16.0}
    effect = {s.serial: rng.normal(0.0, 14.0) + (10.0 if s.has("flagship") else 0.0)
              for s in ROSTER}
    rows = []
    for year in (2023, 2025):
        frame = schools[schools.year == year].set_index("school_id")
        for s in ROSTER:
            if s.school_type == _SP:
                continue
            for level in ("primary", "junior"):
                p = int(frame.at[s.school_id, f"students_{level}"])
                if p == 0 or (s.school_type == _TP and p < 50):
                    continue
                for subject in subjects:
                    gain = 6.0 if year == 2025 else 0.0
                    mean = 500.0 + area_effect[s.area_type] + effect[s.serial] + gain + rng.normal(
                        0.0, 6.0)
                    if year == 2025:
                        # the 帮扶 programme lifts the weakest pupils: every school reaches 80 %
                        lift = 0.13 / (1.0 + math.exp(-(mean - 500.0) / 20.0))
                        share = float(np.clip(0.815 + lift + rng.normal(0, 0.01), 0.8, 0.95))
                    else:
                        share = float(np.clip(0.82 + (mean - 500.0) / 250.0
                                              + rng.normal(0, 0.015), 0.7, 0.95))
                    rows.append({"year": year, "school_id": s.school_id, "subject": subject,
                                 "level": level, "mean_score": round(mean, 1),
                                 "share_level3_or_above": round(share, 3)})
    return pd.DataFrame(rows)


def _monitoring_table(rng: np.random.Generator) -> pd.DataFrame:
    """国家义务教育质量监测 results as reported to the county, 2023 and 2025 (B31).

    2023: 科学 (初中) at level Ⅱ and 数学 (初中) with a 校际差异率 of 0.16 (B31 not met); 2025:
    every subject at level Ⅲ or above with rates below 0.15 (met).
    """
    rows = []
    for year in (2023, 2025):
        for level in ("primary", "junior"):
            for subject in ("语文", "数学", "科学"):
                weak = year == 2023 and level == "junior"
                grade = 2 if weak and subject == "科学" else 3 + (year == 2025 and subject == "语文")
                rate = 0.16 if weak and subject == "数学" else round(
                    float(rng.uniform(0.08, 0.13)), 3)
                rows.append({"year": year, "subject": subject, "level": level,
                             "achievement_level": str(grade), "difference_rate": rate})
    return pd.DataFrame(rows)


#: Columns beyond the national vocabulary, for the example provincial indicators of
#: ``params/province-example.yaml`` (the national reader ignores them; ``--indicators`` reads).
EXTENSION_COLUMNS = {"schools": ("books",),
                     "county": ("after_school_schools", "after_school_demand_schools")}


def _canonical(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The canonical columns of ``table`` in contract order (no ``county_id``: one county); the
    optional columns the generator does not make are left out; then the extension columns."""
    cols = [c.name for c in table_columns(table)
            if c.name != "county_id" and (c.required or c.name in frame)]
    cols += [c for c in EXTENSION_COLUMNS.get(table, ()) if c in frame]
    return frame[cols].reset_index(drop=True)


def generate(seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """The seven input tables of the synthetic sample county, 2022–2025.

    Parameters
    ----------
    seed
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same tables.

    Returns
    -------
    dict
        ``schools``, ``classes``, ``county``, ``judgements``, ``survey``, ``quality``,
        ``monitoring``, ``births``: each a frame with the canonical columns of
        :mod:`balance_lib.columns` in contract order, without ``county_id`` (one county).
        Areas in m², equipment in 万元, money in 元, rates as 0–1.

    Notes
    -----
    The data are synthetic (:data:`SYNTHETIC_NOTE`). Each table draws from its own child stream
    of the seed, so changing one table's recipe leaves the others' numbers unchanged.
    """
    # one more child stream than the tables had before leaves the first five unchanged
    rng_students, rng_classes, rng_schools, rng_survey, rng_quality, rng_monitoring = (
        np.random.default_rng(seed).spawn(6))
    grades = _grade_counts(rng_students)
    classes = _class_table(grades, rng_classes)
    # the students are the sums of the classes (the big classes move pupils within a grade)
    students = _students(grades)
    schools = _school_table(students, classes, rng_schools)
    tables = {
        "schools": schools,
        "classes": classes,
        "county": _county_table(grades, schools),
        "judgements": _judgement_table(),
        "survey": _survey_table(rng_survey),
        "quality": _quality_table(schools, rng_quality),
        "monitoring": _monitoring_table(rng_monitoring),
        "births": _births_table(),
    }
    return {name: _canonical(name, tables[name]) for name in TABLES}


# ---------------------------------------------------------------------------------------------
# Writing: CSV files and one workbook, reproducible byte for byte
# ---------------------------------------------------------------------------------------------


def _cell_text(value: object) -> str:
    """CSV text of one value: true/false, integers as such, floats rounded to ≤ 4 decimals."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        text = f"{float(value):.4f}".rstrip("0").rstrip(".")
        return "0" if text == "-0" else text
    return str(value)


def _csv_text(frame: pd.DataFrame) -> str:
    """RFC-4180-style CSV with LF line ends (only fields with , " or newlines are quoted)."""

    def quote(text: str) -> str:
        if any(ch in text for ch in ',"\n\r'):
            return '"' + text.replace('"', '""') + '"'
        return text

    lines = [",".join(quote(c) for c in frame.columns)]
    for row in frame.itertuples(index=False, name=None):
        lines.append(",".join(quote(_cell_text(v)) for v in row))
    return "\n".join(lines) + "\n"


def _cell_value(value: object) -> object:
    """Workbook value: native bool/int/float, ``None`` for missing."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _notes_rows(seed: int) -> list[tuple[str, str]]:
    return [
        ("说明 / Notes", "SYNTHETIC — 模拟数据，非真实学校"),
        ("数据性质", "本数据为程序生成的模拟数据（synthetic），非昌吉市真实数据；"
                     "学校名称与数字均为虚构。"),
        ("Nature", "Synthetic data: invented schools and numbers, not real statistics of 昌吉市."),
        ("生成程序 / generator", f"{GENERATOR}（python -m {GENERATOR}）"),
        ("随机种子 / seed", str(seed)),
        ("学年 / years", f"{YEARS[0]}–{YEARS[-1]}"),
        ("工作表 / sheets", "、".join(TABLES)),
        ("列名 / headers", "canonical names of balance_lib/columns.py; see data/README.md"),
        ("提示 / note", SYNTHETIC_NOTE),
    ]


def _workbook_bytes(tables: dict[str, pd.DataFrame], seed: int) -> bytes:
    """The workbook: sheet 说明, then one sheet per table; constant time stamps everywhere."""
    from openpyxl import Workbook

    from .excel import stable_workbook_bytes

    wb = Workbook()
    notes = wb.active
    notes.title = SHEET_NOTES
    for row in _notes_rows(seed):
        notes.append(row)
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 100
    for name in TABLES:
        frame = tables[name]
        ws = wb.create_sheet(name)
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False, name=None):
            ws.append([_cell_value(v) for v in row])
        ws.freeze_panes = "A2"
    props = wb.properties
    props.creator = GENERATOR
    props.lastModifiedBy = GENERATOR
    props.title = "样例县（模拟数据）sample county (synthetic)"
    props.description = SYNTHETIC_NOTE
    return stable_workbook_bytes(wb, _STAMP, "Microsoft Excel Compatible / balance_lib.sample")


def _readme_text(seed: int, tables: dict[str, pd.DataFrame]) -> str:
    schools = tables["schools"]
    first = schools[schools.year == YEARS[0]]
    by_type = first.school_type.value_counts()
    order = ("primary", "junior", "nine_year", "complete_secondary", "twelve_year",
             "teaching_point", "special")
    counts = ", ".join(f"{t} {int(by_type.get(t, 0))}" for t in order)
    rows = "\n".join(f"| `{name}.csv` | {len(tables[name])} |" for name in TABLES)
    return f"""{README_TITLE}

本目录为程序生成的**模拟数据**（synthetic），非昌吉市真实数据。学校名称与全部数字均为虚构，
仅用于演示和测试 `balance`。

These files are made by `python -m {GENERATOR}` (seed {seed}), years {YEARS[0]}–{YEARS[-1]}.
Do not edit them by hand: change the generator and run `make sample`; the test
`tests/test_sample.py` checks that the generator reproduces every file here byte for byte.

* Schools ({len(first)}): {counts}.
* `{WORKBOOK_FILE}`: the same eight tables as sheets, after a first sheet `{SHEET_NOTES}` (notes).

| file | rows |
|---|---|
{rows}

See `../README.md` for how the sample is made and how to bring your own data.
"""


def write_sample(out_dir: str | Path = SAMPLE_DIR, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write the sample county into ``out_dir``: the CSV files, one workbook, a README and the
    county's ``settings.yaml`` (its name and the plan's milestones).

    CSV files are UTF-8 with canonical headers and LF line ends; the workbook
    (``sample_county.xlsx``) has a first sheet ``说明`` and then one sheet per table. Both are
    reproducible byte for byte for a given seed. Returns the paths written, in
    :data:`SAMPLE_FILES` order.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = generate(seed)
    written = []
    for name in TABLES:
        path = out / f"{name}.csv"
        path.write_bytes(_csv_text(tables[name]).encode("utf-8"))
        written.append(path)
    path = out / WORKBOOK_FILE
    path.write_bytes(_workbook_bytes(tables, seed))
    written.append(path)
    path = out / README_FILE
    path.write_bytes(_readme_text(seed, tables).encode("utf-8"))
    written.append(path)
    path = out / SETTINGS_FILE
    path.write_bytes(SETTINGS_TEXT.encode("utf-8"))
    written.append(path)
    return written


def is_sample(path: str | Path) -> bool:
    """Whether ``path`` (a data folder, one of its files, or a workbook) was written here.

    Reports use it to print :data:`SYNTHETIC_NOTE`: a folder is recognised by the README that
    :func:`write_sample` puts next to the tables, a workbook by its document properties
    (creator ``balance_lib.sample``), so copies of the sample are recognised too.

    >>> from balance_lib.paths import SAMPLE_DIR
    >>> is_sample(SAMPLE_DIR), is_sample(SAMPLE_DIR / "schools.csv"), is_sample("/nonexistent")
    (True, True, False)
    """
    path = Path(path)
    if path.suffix.lower() == ".xlsx" and path.is_file():
        from defusedxml import DefusedXmlException
        from defusedxml.ElementTree import ParseError, fromstring

        try:
            with zipfile.ZipFile(path) as z:
                info = z.getinfo("docProps/core.xml")
                if info.file_size > 1 << 16:  # a property sheet is a few hundred bytes
                    return False
                core = fromstring(z.read(info))
        except (OSError, KeyError, zipfile.BadZipFile, ParseError, DefusedXmlException):
            return False
        # parsed, not matched as text: where the namespace is declared depends on the XML
        # writer openpyxl finds (lxml, which python-docx brings, or the standard library)
        creator = core.find("{http://purl.org/dc/elements/1.1/}creator")
        return creator is not None and (creator.text or "").strip() == GENERATOR
    folder = path if path.is_dir() else path.parent
    readme = folder / README_FILE
    try:
        with readme.open(encoding="utf-8") as f:
            return f.readline().rstrip("\n") == README_TITLE
    except (OSError, UnicodeDecodeError):
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=f"python -m {GENERATOR}",
        description="Write the synthetic sample county (模拟数据) as CSV files and a workbook.",
    )
    parser.add_argument("out_dir", nargs="?", default=str(SAMPLE_DIR),
                        help=f"output folder (default: {SAMPLE_DIR})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    args = parser.parse_args(argv)
    for path in write_sample(args.out_dir, args.seed):
        print(f"{path}  {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
