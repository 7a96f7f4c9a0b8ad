"""The column vocabulary of the input tables (contract §2), as data.

One snake_case name per column, used from the CSV header to the code to the parameters.
Chinese and English labels are for headers people type and for rendering only.
:mod:`balance_lib.schemas` builds the validation rules from this table and
:mod:`balance_lib.io` maps Chinese headers and values back to the canonical names.

Kinds
-----
``year``      integer school-year start (2000–2100)
``count``     non-negative integer (students, teachers, rooms)
``amount``    non-negative real number (m², 万元, 元)
``rate``      a share between 0 and 1 (a value above 1 is read as a percentage and divided by 100)
``bool``      true/false (also 是/否, 1/0, yes/no)
``text``      free text
``id``        identifier, kept as text exactly as written
``category``  one of ``values`` (Chinese aliases accepted, see ``VALUE_ALIASES``)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class ColumnSpec:
    table: str
    name: str
    kind: str
    zh: str
    en: str
    required: bool = False
    #: for level-specific columns: the level whose presence makes a value mandatory
    level: str | None = None
    values: tuple[str, ...] = ()


SCHOOL_TYPES = (
    "primary",
    "junior",
    "nine_year",
    "twelve_year",
    "complete_secondary",
    "teaching_point",
    "special",
)
AREA_TYPES = ("urban", "town", "rural")
LEVELS = ("primary", "junior")
RESPONDENT_GROUPS = ("parent", "teacher", "principal", "student", "deputy", "other")

#: Levels of compulsory education each school type teaches.
TYPE_LEVELS: MappingProxyType[str, tuple[str, ...]] = MappingProxyType(
    {
        "primary": ("primary",),
        "junior": ("junior",),
        "nine_year": ("primary", "junior"),
        "twelve_year": ("primary", "junior"),
        "complete_secondary": ("junior",),
        "teaching_point": ("primary",),
        "special": (),
    }
)

_S = "schools"
_C = "classes"
_K = "county"
_J = "judgements"
_V = "survey"
_Q = "quality"
_M = "monitoring"
#: 学业水平等级 of the national quality monitoring, Ⅰ (lowest) to Ⅳ.
ACHIEVEMENT_LEVELS = ("1", "2", "3", "4")
_B = "births"


def _c(table, name, kind, zh, en, required=False, level=None, values=()):
    return ColumnSpec(table, name, kind, zh, en, required, level, tuple(values))


COLUMNS: tuple[ColumnSpec, ...] = (
    # ---- schools.csv -------------------------------------------------------------------------
    _c(_S, "year", "year", "学年", "school year", True),
    _c(_S, "county_id", "id", "县区代码", "county id"),
    _c(_S, "school_id", "id", "学校代码", "school id", True),
    _c(_S, "school_name", "text", "学校名称", "school name", True),
    _c(_S, "school_type", "category", "学校类型", "school type", True, values=SCHOOL_TYPES),
    _c(_S, "parent_school_id", "id", "所属中心校代码", "parent school id"),
    _c(_S, "area_type", "category", "城乡类型", "area type", values=AREA_TYPES),
    _c(_S, "is_private", "bool", "是否民办", "private"),
    _c(_S, "is_boarding", "bool", "是否寄宿制", "boarding"),
    _c(_S, "year_built", "year", "建校年份", "year built"),
    _c(_S, "students_primary", "count", "小学在校生数", "primary students", True),
    _c(_S, "students_junior", "count", "初中在校生数", "junior students", True),
    _c(_S, "students_senior", "count", "高中在校生数", "senior students"),
    _c(_S, "classes_primary", "count", "小学班级数", "primary classes", level="primary"),
    _c(_S, "classes_junior", "count", "初中班级数", "junior classes", level="junior"),
    _c(_S, "teachers_primary", "count", "小学专任教师数", "primary teachers", True, "primary"),
    _c(_S, "teachers_junior", "count", "初中专任教师数", "junior teachers", True, "junior"),
    _c(_S, "qualified_teachers_primary", "count", "小学专科及以上学历专任教师数",
       "primary teachers above statutory qualification", True, "primary"),
    _c(_S, "qualified_teachers_junior", "count", "初中本科及以上学历专任教师数",
       "junior teachers above statutory qualification", True, "junior"),
    _c(_S, "backbone_teachers_primary", "count", "小学县级及以上骨干教师数",
       "primary backbone teachers", True, "primary"),
    _c(_S, "backbone_teachers_junior", "count", "初中县级及以上骨干教师数",
       "junior backbone teachers", True, "junior"),
    _c(_S, "pe_art_teachers_primary", "count", "小学体育艺术专任教师数",
       "primary PE and art teachers", True, "primary"),
    _c(_S, "pe_art_teachers_junior", "count", "初中体育艺术专任教师数",
       "junior PE and art teachers", True, "junior"),
    _c(_S, "certified_teachers", "count", "持教师资格证专任教师数", "certified teachers"),
    _c(_S, "teaching_aux_area_m2", "amount", "教学及辅助用房面积", "teaching and auxiliary area m²",
       True),
    _c(_S, "indoor_sports_area_m2", "amount", "室内体育用房面积", "indoor sports area m²", True),
    _c(_S, "sports_ground_area_m2", "amount", "室外运动场地面积", "sports ground area m²", True),
    _c(_S, "equipment_value_10k_yuan", "amount", "教学仪器设备值（万元）",
       "equipment value (10k yuan)", True),
    _c(_S, "multimedia_classrooms", "count", "网络多媒体教室数", "networked multimedia classrooms",
       True),
    _c(_S, "music_rooms", "count", "音乐专用教室数", "music rooms"),
    _c(_S, "music_room_min_area_m2", "amount", "最小音乐专用教室面积", "smallest music room m²"),
    _c(_S, "art_rooms", "count", "美术专用教室数", "art rooms"),
    _c(_S, "art_room_min_area_m2", "amount", "最小美术专用教室面积", "smallest art room m²"),
    _c(_S, "public_funding_yuan", "amount", "年度公用经费预算（元）", "public funding (yuan)"),
    _c(_S, "teacher_training_funding_yuan", "amount", "教师培训经费（元）",
       "teacher training funding (yuan)"),
    _c(_S, "has_charter", "bool", "是否制定章程", "has charter"),
    _c(_S, "has_info_management", "bool", "是否实现管理与教学信息化", "information management"),
    _c(_S, "migrant_students", "count", "随迁子女在校生数", "migrant children enrolled"),
    _c(_S, "nearby_enrolment_rate", "rate", "就近划片入学比例", "nearby enrolment rate"),
    # ---- classes.csv -------------------------------------------------------------------------
    _c(_C, "year", "year", "学年", "school year", True),
    _c(_C, "county_id", "id", "县区代码", "county id"),
    _c(_C, "school_id", "id", "学校代码", "school id", True),
    _c(_C, "level", "category", "学段", "level", True, values=LEVELS),
    _c(_C, "grade", "count", "年级", "grade", True),
    _c(_C, "class_id", "id", "班级代码", "class id", True),
    _c(_C, "students", "count", "班级学生数", "students", True),
    # ---- county.csv --------------------------------------------------------------------------
    _c(_K, "year", "year", "学年", "school year", True),
    _c(_K, "county_id", "id", "县区代码", "county id"),
    _c(_K, "resident_population", "count", "常住人口", "resident population"),
    _c(_K, "teacher_avg_salary_yuan", "amount", "教师年平均工资（元）", "teachers' average salary"),
    _c(_K, "civil_servant_avg_salary_yuan", "amount", "公务员年平均工资（元）",
       "civil servants' average salary"),
    _c(_K, "training_360h_completed", "count", "完成360学时培训教师数", "360-hour training done"),
    _c(_K, "training_360h_eligible", "count", "应完成360学时培训教师数",
       "360-hour training due"),
    _c(_K, "rotation_eligible_teachers", "count", "符合交流条件教师数", "teachers eligible to rotate"),
    _c(_K, "rotated_teachers", "count", "交流轮岗教师数", "teachers rotated"),
    _c(_K, "rotated_backbone_teachers", "count", "交流轮岗骨干教师数", "backbone teachers rotated"),
    _c(_K, "nearby_enrolment_rate_primary", "rate", "小学就近划片入学比例",
       "primary nearby enrolment rate"),
    _c(_K, "nearby_enrolment_rate_junior", "rate", "初中就近划片入学比例",
       "junior nearby enrolment rate"),
    _c(_K, "quota_allocation_rate", "rate", "优质高中招生名额分配比例", "quota allocation rate"),
    _c(_K, "quota_rural_junior_share", "rate", "分配名额中农村初中所占比例",
       "share of the allocated places going to rural junior schools"),
    _c(_K, "migrant_children_eligible", "count", "符合条件随迁子女数", "eligible migrant children"),
    _c(_K, "migrant_children_public_or_purchased", "count", "在公办及政府购买服务民办学校就读随迁子女数",
       "migrant children in public or purchased places"),
    _c(_K, "junior_cohort_start", "count", "初一时在校生数", "junior cohort at grade 7"),
    _c(_K, "junior_cohort_graduated", "count", "初中毕业生数", "junior graduates"),
    _c(_K, "junior_transfers_in", "count", "初中转入学生数", "junior transfers in"),
    _c(_K, "junior_transfers_out", "count", "初中转出学生数", "junior transfers out"),
    _c(_K, "junior_deaths", "count", "初中死亡学生数", "junior deaths"),
    _c(_K, "disabled_children", "count", "适龄残疾儿童少年数", "disabled children of school age"),
    _c(_K, "disabled_children_enrolled", "count", "入学残疾儿童少年数", "disabled children enrolled"),
    _c(_K, "public_funding_norm_primary_yuan", "amount", "小学生均公用经费基准定额（元）",
       "primary per-student funding norm"),
    _c(_K, "public_funding_norm_junior_yuan", "amount", "初中生均公用经费基准定额（元）",
       "junior per-student funding norm"),
    # ---- judgements.csv ----------------------------------------------------------------------
    _c(_J, "year", "year", "学年", "school year", True),
    _c(_J, "county_id", "id", "县区代码", "county id"),
    _c(_J, "item_id", "id", "指标编号", "item id", True),
    _c(_J, "met", "bool", "是否达标", "met", True),
    _c(_J, "evidence", "text", "佐证材料", "evidence"),
    _c(_J, "assessed_by", "text", "评定单位", "assessed by"),
    # ---- survey.csv --------------------------------------------------------------------------
    _c(_V, "year", "year", "学年", "school year", True),
    _c(_V, "county_id", "id", "县区代码", "county id"),
    _c(_V, "respondent_group", "category", "调查对象", "respondent group", True,
       values=RESPONDENT_GROUPS),
    _c(_V, "area_type", "category", "城乡类型", "area type", values=AREA_TYPES),
    _c(_V, "respondents", "count", "有效问卷数", "valid respondents", True),
    _c(_V, "satisfied", "count", "满意人数", "satisfied", True),
    # ---- quality.csv -------------------------------------------------------------------------
    _c(_Q, "year", "year", "学年", "school year", True),
    _c(_Q, "county_id", "id", "县区代码", "county id"),
    _c(_Q, "school_id", "id", "学校代码", "school id", True),
    _c(_Q, "subject", "text", "监测科目", "subject", True),
    _c(_Q, "level", "category", "学段", "level", True, values=LEVELS),
    _c(_Q, "mean_score", "amount", "平均分", "mean score", True),
    _c(_Q, "share_level3_or_above", "rate", "达到Ⅲ级及以上比例", "share at level III or above"),
    # ---- monitoring.csv (国家义务教育质量监测: the county's results as reported) ----------------
    _c(_M, "year", "year", "学年", "school year", True),
    _c(_M, "county_id", "id", "县区代码", "county id"),
    _c(_M, "subject", "text", "监测科目", "subject", True),
    _c(_M, "level", "category", "学段", "level", True, values=LEVELS),
    _c(_M, "achievement_level", "category", "学业水平等级", "achievement level", True,
       values=ACHIEVEMENT_LEVELS),
    _c(_M, "difference_rate", "rate", "校际差异率", "inter-school difference rate", True),
    # ---- births.csv: births per calendar year (grade-1 entrants six years later) --------------
    _c(_B, "year", "year", "出生年份", "birth year", True),
    _c(_B, "county_id", "id", "县区代码", "county id"),
    _c(_B, "births", "count", "出生人口数", "births", True),
)

#: Tables in load order; ``schools`` is the only required one.
TABLES: tuple[str, ...] = ("schools", "classes", "county", "judgements", "survey", "quality",
                           "monitoring", "births")
REQUIRED_TABLES: tuple[str, ...] = ("schools",)

#: Chinese table names accepted as file or sheet names.
TABLE_ALIASES: MappingProxyType[str, str] = MappingProxyType(
    {
        "学校": "schools",
        "学校基本情况": "schools",
        "班级": "classes",
        "县域": "county",
        "县级": "county",
        "评估认定": "judgements",
        "定性指标": "judgements",
        "满意度调查": "survey",
        "社会认可度": "survey",
        "质量监测": "quality",
        "质量监测结果": "monitoring",
        "国家质量监测": "monitoring",
        "出生人口": "births",
        "出生": "births",
    }
)

#: Chinese spellings accepted for category values.
VALUE_ALIASES: MappingProxyType[str, str] = MappingProxyType(
    {
        "小学": "primary",
        "初中": "junior",
        "初级中学": "junior",
        "九年一贯制": "nine_year",
        "九年一贯制学校": "nine_year",
        "十二年一贯制": "twelve_year",
        "十二年一贯制学校": "twelve_year",
        "完全中学": "complete_secondary",
        "教学点": "teaching_point",
        "小学教学点": "teaching_point",
        "特殊教育": "special",
        "特殊教育学校": "special",
        "城区": "urban",
        "镇区": "town",
        "乡村": "rural",
        "农村": "rural",
        "家长": "parent",
        "教师": "teacher",
        "校长": "principal",
        "学生": "student",
        "人大代表": "deputy",
        "政协委员": "deputy",
        "人大代表政协委员": "deputy",
        "其他": "other",
        "其他群众": "other",
        **{alias: str(k) for k, names in enumerate(
            (("Ⅰ", "I", "Ⅰ级", "一级", "水平Ⅰ"), ("Ⅱ", "II", "Ⅱ级", "二级", "水平Ⅱ"),
             ("Ⅲ", "III", "Ⅲ级", "三级", "水平Ⅲ"), ("Ⅳ", "IV", "Ⅳ级", "四级", "水平Ⅳ")), start=1)
           for alias in names},
    }
)

#: Chinese and English labels of category values, for rendering.
VALUE_LABELS: MappingProxyType[str, tuple[str, str]] = MappingProxyType(
    {
        "primary": ("小学", "primary"),
        "junior": ("初中", "junior"),
        "nine_year": ("九年一贯制", "nine-year"),
        "twelve_year": ("十二年一贯制", "twelve-year"),
        "complete_secondary": ("完全中学", "complete secondary"),
        "teaching_point": ("教学点", "teaching point"),
        "special": ("特殊教育学校", "special school"),
        "urban": ("城区", "urban"),
        "town": ("镇区", "town"),
        "rural": ("乡村", "rural"),
    }
)


def value_label(value: object, lang: str = "zh", default: object = None) -> object:
    """Human label of a category value (``"primary"`` → ``"小学"``); unknown values come back
    as ``default``, or unchanged when no default is given.

    >>> value_label("junior"), value_label("junior", "en"), value_label("x"), value_label("", default="")
    ('初中', 'junior', 'x', '')
    """
    labels = VALUE_LABELS.get(value) if isinstance(value, str) else None
    if labels is None:
        return value if default is None else default
    return labels[0] if lang == "zh" else labels[1]


#: Columns an extended registry adds for the reader (see :func:`vocabulary_for`).
_EXTRA: ContextVar[tuple[ColumnSpec, ...]] = ContextVar("balance_extra_columns", default=())
#: Item ids ``judgements.csv`` may hold under an extended registry (None: the national ones).
_JUDGED: ContextVar[tuple[str, ...] | None] = ContextVar("balance_judged_items", default=None)


@contextmanager
def vocabulary_for(registry: Any) -> Iterator[None]:
    """Read and check data for ``registry``: inside the block the reader accepts the columns
    its extension indicators read (each a non-negative number, checked as such; e.g. ``books``
    and ``books_primary``/``books_junior`` for a ``unit_ratio`` on ``books``) and the validator
    accepts their judged items. ``None``: the national vocabulary."""
    if registry is None:
        yield
        return
    from .registry import extension_columns

    extra = tuple(_c(table, name, "amount", name, name)
                  for table, names in extension_columns(registry).items() for name in names)
    t1, t2 = _EXTRA.set(extra), _JUDGED.set(tuple(registry.judged_items))
    try:
        yield
    finally:
        _EXTRA.reset(t1)
        _JUDGED.reset(t2)


def judged_items() -> tuple[str, ...]:
    """The item ids ``judgements.csv`` may hold (from the registry in force)."""
    items = _JUDGED.get()
    if items is None:
        from .registry import load_registry

        items = load_registry().judged_items
    return items


def table_columns(table: str) -> tuple[ColumnSpec, ...]:
    """Column specs of one table, in contract order (then any extension's)."""
    return tuple(c for c in (*COLUMNS, *_EXTRA.get()) if c.table == table)


def column_spec(table: str, name: str) -> ColumnSpec:
    """The spec of one column; ``KeyError`` if the table has no such column."""
    for c in (*COLUMNS, *_EXTRA.get()):
        if c.table == table and c.name == name:
            return c
    raise KeyError(f"{table}.{name}")


def header_aliases(table: str) -> dict[str, str]:
    """Map every accepted header spelling (canonical, Chinese, English) to the canonical name."""
    out: dict[str, str] = {}
    for c in table_columns(table):
        for spelling in (c.name, c.zh, c.en):
            out[_norm_header(spelling)] = c.name
    return out


def _norm_header(text: str) -> str:
    """Normalise a header for matching: trim, drop spaces, full-width brackets to ASCII, lower."""
    t = str(text).strip().lower().replace(" ", "").replace("\u3000", "")
    return t.replace("（", "(").replace("）", ")")


def label(table: str, name: str, lang: str = "zh") -> str:
    """Human label of a column."""
    spec = column_spec(table, name)
    return spec.zh if lang == "zh" else spec.en
