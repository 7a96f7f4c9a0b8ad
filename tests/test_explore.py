"""The scenario explorer without a browser: its state and frames (balance_lib.explore), its
widgets (balance_lib.explore_ui) and notebooks/31-explore.ipynb run headless.

The real-browser test of the same notebook is tests/test_explore_browser.py.
"""

from __future__ import annotations

import html
import json
import re
import shutil

import nbformat
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from balance_lib import explore as ex
from balance_lib import explore_ui as xu
from balance_lib import render, words
from balance_lib import report as rp
from balance_lib import scenario_report as sr
from balance_lib import scenario_spec as spec
from balance_lib.cli import app
from balance_lib.columns import AREA_TYPES
from balance_lib.paths import PROJECT_ROOT
from balance_lib.scenario import run_scenario, to_json
from balance_lib.scenario_spec import load_scenario, parse_scenario

NOTEBOOK = PROJECT_ROOT / "notebooks" / "31-explore.ipynb"
NEW_SCHOOL = "params/scenarios/new-school-2026.yaml"
TINY, TINY_SCENARIO = "tests/fixtures/tiny", "tests/fixtures/tiny-scenario.yaml"
TINY_NEW, TINY_PRIMARY = "6523010099", "6523010002"  # the new school and the school it relieves


@pytest.fixture(scope="module")
def sample():
    return rp.load("data/sample")


@pytest.fixture(scope="module")
def tiny():
    return rp.load(TINY)


def fresh(data, explorer):
    """run_scenario from scratch on what the explorer would save."""
    return run_scenario(data.county.tables, parse_scenario(explorer.raw(), explorer.facts),
                        data.settings, data.registry)


def same_result(a, b):
    for name in ("schools", "school_size", "units", "variation", "classrooms", "backtest"):
        x, y = getattr(a, name), getattr(b, name)
        assert len(x) > 0 or name in ("classrooms", "backtest")  # tiny: 2 years, no back-test
        pd.testing.assert_frame_equal(x, y, check_exact=True, obj=name)
    assert a.summary == b.summary and a.years == b.years


def move_index(explorer) -> int:
    return next(k for k, c in enumerate(explorer.changes) if c["type"] == "move_students")


def ui_of(explorer, **options):
    """The widgets, without the embedded font unless asked (subsetting it takes a second or
    two per character set; test_the_page_embeds_the_font_for_its_chinese covers it)."""
    return xu.ExplorerUI(explorer, **{"embed_font": False, **options})


def html_values(widget) -> list[str]:
    """The values of every HTML widget under ``widget``."""
    out = []
    if isinstance(widget, xu.ipw.HTML):
        out.append(widget.value)
    for child in getattr(widget, "children", ()):
        out += html_values(child)
    return out


# ---------------------------------------------------------------------------------------------
# forms, derived from the scenario format


def test_every_change_kind_has_a_form_with_exactly_the_formats_fields(tiny):
    facts = ex.Explorer(tiny).facts
    for kind in spec.CHANGE_TYPES:
        fields = ex.form_fields(kind, facts)
        assert sorted(f.name for f in fields) == sorted(set(spec._FIELDS[kind]) - {"type"})
        assert fields[0].name == "year" and fields[0].required and fields[0].kind == "year"
    new = {f.name: f for f in ex.form_fields("new_school", facts)}
    assert {k for k, f in new.items() if f.required} == {
        "year", "school_id", "school_name", "school_type", "area_type"}
    assert new["school_id"].kind == "new_id"  # the change creates the school: a new id
    assert new["school_type"].choices == spec.NEW_SCHOOL_TYPES  # what the loader accepts
    assert new["area_type"].choices == AREA_TYPES
    area = new["teaching_aux_area_m2"]
    assert area.amount and area.kind == "number" and area.unit() == "m²"
    assert area.label() == "教学及辅助用房面积" and area.label("en").startswith("teaching")
    assert new["equipment_value_10k_yuan"].unit() == ""  # 万元 is in its label already
    assert new["is_private"].kind == "bool" and new["entry_classes"].kind == "levels"
    move = {f.name: f for f in ex.form_fields("move_students", facts)}
    assert {k for k, f in move.items() if f.required} == {"year", "from", "to", "share", "count"}
    assert move["from"].kind == move["to"].kind == "school" and move["grades"].kind == "grades"
    close = {f.name: f for f in ex.form_fields("close_school", facts)}
    assert close["into"].kind == "into" and close["into"].required
    hire = ex.form_fields("hire_teachers", facts)
    assert {f.name for f in hire if f.amount} == set(spec.TEACHER_FIELDS)


def test_years_offered_are_those_the_loader_accepts(tiny):
    facts = ex.Explorer(tiny).facts
    assert ex.allowed_years(facts, "move_students", 2027) == [2026, 2027]
    assert ex.allowed_years(facts, "new_school", 2029) == [2026, 2027, 2028, 2029]


def test_a_new_change_kind_gets_a_form_without_widget_code(tiny, monkeypatch):
    """A kind added to the format (issue 17 adds some) gets its form from the field list."""
    monkeypatch.setattr(spec, "CHANGE_TYPES", (*spec.CHANGE_TYPES, "buy_equipment"))
    monkeypatch.setitem(spec._FIELDS, "buy_equipment", (
        *spec._COMMON, "school_id", "equipment_value_10k_yuan", "multimedia_classrooms",
        "supplier"))
    e = ex.Explorer(tiny, {"name": "设备", "changes": [
        {"type": "buy_equipment", "year": 2026, "school_id": TINY_PRIMARY,
         "equipment_value_10k_yuan": 20, "supplier": "县教育局"}]})
    fields = {f.name: f for f in ex.form_fields("buy_equipment", e.facts)}
    assert fields["school_id"].kind == "school"
    assert fields["equipment_value_10k_yuan"].kind == "number"
    assert fields["equipment_value_10k_yuan"].label() == "教学仪器设备值（万元）"
    assert fields["supplier"].kind == "yaml"  # unknown to the vocabulary: a YAML value
    ui = ui_of(e)
    widgets = {f.name: f.widget for f in ui._fields}
    assert widgets["school_id"].value == TINY_PRIMARY
    assert widgets["equipment_value_10k_yuan"].value == "20"
    widgets["multimedia_classrooms"].value = "3"
    widgets["supplier"].value = "[县教育局, 学校]"
    assert e.changes[0]["multimedia_classrooms"] == 3
    assert e.changes[0]["supplier"] == ["县教育局", "学校"]
    assert "buy_equipment" in ui.kind.options[-1]


# ---------------------------------------------------------------------------------------------
# the state, its evaluation and the file it saves


def test_the_explorer_shows_the_numbers_balance_scenario_gives_for_the_saved_file(
        sample, tmp_path):
    """Edit a sample scenario, save it: `balance scenario` on the file, the 30-scenario report
    on it and run_scenario all give exactly what the explorer evaluated and shows."""
    e = ex.Explorer(sample, NEW_SCHOOL)
    k = move_index(e)
    e.set_field(k, "share", 0.45)
    e.add({"type": "expand_school", "year": 2027, "school_id": "6523010004",
           "sports_ground_area_m2": 2000, "equipment_value_10k_yuan": 30})
    ev = e.evaluate()
    assert ev.ok, ev.problems
    path, loaded = e.save(tmp_path / "explored.yaml")
    assert loaded.changes[k].fields["share"] == 0.45 and len(loaded.changes) == len(e.changes)
    facts = e.facts
    again = run_scenario(sample.county.tables, load_scenario(path, facts), sample.settings,
                         sample.registry)
    same_result(ev.result, again)
    # the tables shown are those of the report on the saved file
    report = sr.run(sample, path)
    for table in (sr.class_table, sr.county_table, sr.cv_table, sr.targets_table):
        pd.testing.assert_frame_equal(table(e.run(ev)), table(report))
    # and the command line reads the file and prints the same JSON
    out = CliRunner().invoke(app, ["scenario", "data/sample", "--scenario", str(path),
                                   "--format", "json"])
    assert out.exit_code == 0, out.output
    printed = json.loads(out.output)
    assert printed.pop("dataset")["name"] == "sample"  # the command line adds the data set
    assert printed == json.loads(json.dumps(to_json(ev.result)))
    # the edit did something: the relieved school's 2029 classes differ from the file's
    orig = run_scenario(sample.county.tables, load_scenario(PROJECT_ROOT / NEW_SCHOOL, facts))
    s1 = ev.result.schools.query("case == 'scenario' and year == 2029")
    s0 = orig.schools.query("case == 'scenario' and year == 2029")
    assert not s1["max_class_size"].equals(s0["max_class_size"])


def test_the_saved_file_is_the_same_bytes_for_the_same_changes(tiny, tmp_path):
    a = ex.Explorer(tiny)
    a.add("new_school")
    a.set_field(0, "teaching_aux_area_m2", 3000)
    a.set_field(0, "sports_ground_area_m2", 4000)
    a.add({"type": "move_students", "year": 2026, "from": TINY_PRIMARY, "to": a.changes[0][
        "school_id"], "share": 0.3})
    b = ex.Explorer(tiny)
    b.add({"type": "move_students", "year": 2026, "from": TINY_PRIMARY, "to": "x", "count": 9})
    b.add("new_school", at=0)
    b.set_field(1, "to", b.changes[0]["school_id"])
    b.set_field(1, "share", 0.3)  # replaces the count
    b.set_field(0, "sports_ground_area_m2", 4000)
    b.set_field(0, "teaching_aux_area_m2", 3000)
    assert a.to_yaml() == b.to_yaml()
    assert a.evaluate().ok
    p1, _ = a.save(tmp_path / "a.yaml")
    p2, _ = b.save(tmp_path / "b.yaml")
    assert p1.read_bytes() == p2.read_bytes()
    reopened = ex.Explorer(tiny, p1)
    assert reopened.to_yaml() == a.to_yaml()  # a saved file opens as it was
    assert "6523010" in p1.read_text(encoding="utf-8")
    assert yaml_ids_are_text(p1)


def test_the_entry_method_is_the_loaders_default_unless_chosen(tiny, tmp_path):
    """A file without ``entry`` keeps none (so the explorer and balance scenario take the same
    default); the form shows the default in force, and a choice is written."""
    e = ex.Explorer(tiny, TINY_SCENARIO)
    assert "entry" not in e.raw()["projection"] and "entry:" not in e.to_yaml()
    assert e.entry() == load_scenario(PROJECT_ROOT / TINY_SCENARIO, e.facts).settings.entry
    ui = ui_of(e)
    assert ui.entry.value == e.entry() and "entry" not in e.projection
    ui.entry.value = "mean"
    assert e.projection["entry"] == "mean" and ui.last.result.scenario.settings.entry == "mean"
    path, sc = e.save(tmp_path / "mean.yaml")
    assert sc.settings.entry == "mean" and "entry: mean" in path.read_text(encoding="utf-8")


def test_with_births_the_explorer_takes_the_loaders_default_as_balance_scenario_does(tmp_path):
    """births.csv covering the projection makes ``births`` the default entry method: the
    explorer opened on a file without ``entry`` shows and evaluates exactly what
    ``balance scenario`` gives for that file, and saves it still without ``entry``."""
    data = tmp_path / "county"
    shutil.copytree(PROJECT_ROOT / TINY, data)
    (data / "births.csv").write_text("year,births\n" + "".join(
        f"{y},{900 - 40 * (y - 2015)}\n" for y in range(2015, 2022)), encoding="utf-8")
    d = rp.load(data)
    e = ex.Explorer(d, PROJECT_ROOT / TINY_SCENARIO)
    ui = ui_of(e, save_as=str(tmp_path / "saved.yaml"))
    assert e.entry() == "births" and ui.entry.value == "births"
    assert [v for _, v in ui.entry.options] == ["trend", "mean", "births"]
    original = load_scenario(PROJECT_ROOT / TINY_SCENARIO, e.facts)
    assert ui.last.result.scenario.settings == original.settings
    same_result(ui.last.result, run_scenario(d.county.tables, original, d.settings, d.registry))
    ui.save_button.click()
    assert "entry:" not in (tmp_path / "saved.yaml").read_text(encoding="utf-8")
    ui.target.value = 2035  # beyond the births: the default becomes the trend, and says so
    assert e.entry() == "trend" and ui.entry.value == "trend" and "entry" not in e.projection


def yaml_ids_are_text(path) -> bool:
    import yaml

    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return all(isinstance(c[k], str) for c in raw["changes"] for k in ("school_id", "from", "to")
               if k in c)


def test_a_kept_baseline_serves_each_edit_and_a_new_projection_gets_a_new_one(tiny):
    e = ex.Explorer(tiny, TINY_SCENARIO)
    first = e.evaluate()
    assert first.ok and first.baseline_seconds > 0
    k = move_index(e)
    e.set_field(k, "share", 0.5)
    second = e.evaluate()
    assert second.ok and second.baseline_seconds == 0  # the kept baseline
    same_result(second.result, fresh(tiny, e))
    e.set_projection("class_policy", "open")
    third = e.evaluate()
    assert third.ok and third.baseline_seconds > 0
    assert third.result.scenario.settings.class_policy == "open"
    same_result(third.result, fresh(tiny, e))


def test_every_kind_can_be_added_and_what_the_loader_says_is_located(tiny):
    for kind in spec.CHANGE_TYPES:
        e = ex.Explorer(tiny)
        if kind == "move_students":
            e.add("new_school")
        i = e.add(kind)
        assert e.changes[i]["type"] == kind and e.changes[i]["year"] == 2026
        ev = e.evaluate()
        names = {f.name for f in ex.form_fields(kind, e.facts)}
        for p in ev.problems:
            assert p.change == i + 1 and (p.field is None or p.field.split(".")[0] in names), p
        if kind in ("new_school", "move_students", "expand_school"):
            assert ev.ok, ev.problems
    e = ex.Explorer(tiny)
    e.add("new_school")
    e.add("move_students")
    move = e.changes[1]
    assert move["to"] == e.changes[0]["school_id"] and move["share"] == 0.2
    assert "count" not in move  # one of share / count


def test_a_bad_start_file_opens_with_its_problems(tiny, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nchanges: [\n", encoding="utf-8")
    e = ex.Explorer(tiny, bad)
    ev = e.evaluate()
    assert not ev.ok and "YAML 语法错误" in ev.problems[0].message_zh
    ui = ui_of(e)
    assert "YAML" in ui.settings_msg.value
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("name: x\nchanges:\n  - {type: move_students, year: 2026, from: '999', "
                       f"to: '{TINY_PRIMARY}', share: 0.2}}\n", encoding="utf-8")
    ui = ui_of(ex.Explorer(tiny, unknown))
    msg = {f.name: f.msg.value for f in ui._fields}
    assert "数据中没有学校 999" in msg["from"] and msg["to"] == ""
    assert "999" in ui._fields[1].widget.label  # the picker shows what the file says


def test_saving_refuses_a_scenario_the_loader_rejects(tiny, tmp_path):
    e = ex.Explorer(tiny, TINY_SCENARIO)
    e.set_field(move_index(e), "share", 1.5)
    with pytest.raises(spec.ScenarioError, match="比例应在"):
        e.save(tmp_path / "x.yaml")
    assert not (tmp_path / "x.yaml").exists()
    e.set_field(move_index(e), "share", 0.5)
    e.add({"type": "expand_school", "year": 2027, "school_id": TINY_PRIMARY,
           "teaching_aux_area_m2": -10**7})
    e.scenario()  # the loader alone accepts it, the projection does not:
    with pytest.raises(spec.ScenarioError, match="减少 1e\\+07 后为负数"):
        e.save(tmp_path / "x.yaml")  # balance scenario would reject the file: not written
    assert not (tmp_path / "x.yaml").exists()
    e.remove(len(e.changes) - 1)
    with pytest.raises(ValueError, match=".yaml"):
        e.save(tmp_path / "x.txt")
    assert e.save(tmp_path / "x.yaml")[0].is_file()


# ---------------------------------------------------------------------------------------------
# what the explorer shows


def test_the_tables_of_the_explorer(tiny):
    e = ex.Explorer(tiny, TINY_SCENARIO)
    r = e.evaluate().result
    h = ex.headline(r).set_index("key")
    assert h.loc["over", "baseline"] == r.summary["baseline"]["classes_over_limit"]["2027"]
    assert h.loc["over", "scenario"] == r.summary["scenario"]["classes_over_limit"]["2027"]
    s = r.schools.query(f"school_id == '{TINY_PRIMARY}' and year == 2027").set_index("case")
    assert s.loc["scenario", "students"] < s.loc["baseline", "students"]  # relieved
    text = ex.headline_text(r)
    assert text.startswith("2027 学年（基准 → 情景）：")
    for key, word in (("over", "超45/50人班"), ("units_failing", "B1–B7未达标单位")):
        b, s = h.loc[key, "baseline"], h.loc[key, "scenario"]
        assert f"{word} {b}" + ("" if b == s else f" → {s}") + " ·" in text + " ·"
    size = ex.school_size_table(r)
    row = size[size["学校"] == "昌吉市第二小学"].iloc[0]
    z = r.school_size.query(f"school_id == '{TINY_PRIMARY}' and year == 2027").set_index("case")
    b, s = z.loc["baseline", "students"], z.loc["scenario", "students"]
    assert b > s and row["2027"] == f"{b:.0f} → {s:.0f}"
    units = ex.units_table(r)
    u = r.units.query("year == 2027")
    for case, n in u.groupby("case")["passes"].sum().items():
        assert f"{int(n)}/{len(u[u.case == case])}" in units.iloc[0]["2027"]
    assert units.iloc[0]["学校"] == "达到学校标准的单位"


def test_the_b1_b7_values_of_the_schools_a_change_names(tiny):
    r = ex.Explorer(tiny, TINY_SCENARIO).evaluate().result
    t = ex.unit_values_table(r, tiny.registry)
    assert list(dict.fromkeys(t["学校"])) == ["测试新区小学", "昌吉市第二小学", "昌吉市第二中学"]
    b5 = t[(t["学校"] == "昌吉市第二中学") & t["指标"].str.startswith("B5")].iloc[0]
    u = r.units.query("school_id == '6523010029' and year == 2027").set_index("case")
    before, after = u.loc["baseline", "value_B5"], u.loc["scenario", "value_B5"]
    assert after > before  # the sports ground built in 2027
    assert b5["2027"] == f"{before:.2f} → {after:.2f}" and b5["标准"] == "10.2"
    assert "→" not in b5["2026"]  # nothing changes for it before 2027


def test_a_widget_edit_updates_the_tables_and_charts_in_place(tiny):
    e = ex.Explorer(tiny, TINY_SCENARIO)
    ui = ui_of(e)
    assert ui.updates == 1 and ui.last.ok
    ui.list.value = move_index(e)
    slider = next(f for f in ui._fields if f.spec.name == "share").widget.children[1]
    assert slider.value == pytest.approx(0.3)
    table = ui._tab_tables["classes"][0]
    before, png = table.value, ui._tab_images["classes"][0].value
    slider.value = 0.35
    assert ui.updates == 2 and e.changes[move_index(e)]["share"] == 0.35
    expected = fresh(tiny, e)
    run = sr.ScenarioRun(tiny, expected.scenario, expected, ex.Path("x"))
    assert table.value != before
    assert table.value == rp.table_html(sr.class_table(run), lang="zh")
    assert ui.headline.value == html.escape(ex.headline_text(expected))
    assert ui._tab_images["classes"][0].value != png
    assert ui._tab_charts["classes"][0].fast == 1  # only the scenario's lines were redrawn
    # other tabs are drawn when opened, from the same evaluation
    ui.tabs.selected_index = list(xu.TABS).index("cv")
    assert ui._tab_tables["cv"][0].value == rp.table_html(sr.cv_table(run), lang="zh")
    t_eval, t_draw = ui.timings[-1]
    assert t_eval > 0 and t_draw > 0


def test_a_bad_value_gets_the_loaders_message_next_to_its_field(tiny, tmp_path):
    e = ex.Explorer(tiny, TINY_SCENARIO)
    ui = ui_of(e)
    good, headline = ui.last, ui.headline.value
    ui.list.value = move_index(e)
    share = next(f for f in ui._fields if f.spec.name == "share")
    share.widget.children[1].value = 0.0
    assert share.msg.value == html.escape("比例应在 (0, 1] 内，实为 0.0")
    assert "1 处问题" in ui.status.value and ui.last is good and ui.headline.value == headline
    assert ui.list.options[move_index(e)][0].startswith("⚠")
    ui.save_path.value = str(tmp_path / "bad.yaml")
    ui.save_button.click()
    assert "未保存" in ui.save_message.value and not (tmp_path / "bad.yaml").exists()
    share.widget.children[1].value = 0.4
    assert share.msg.value == "" and ui.last is not good
    ui.list.value = 0  # the new school
    area = next(f for f in ui._fields if f.name == "teaching_aux_area_m2")
    area.widget.value = "三千"
    assert area.msg.value == html.escape("应为非负数，实为 '三千'")
    area.widget.value = "3,000"  # a thousands separator is a number
    assert area.msg.value == "" and e.changes[0]["teaching_aux_area_m2"] == 3000
    ui.name.value = ""
    assert "缺少情景名称" in ui.settings_msg.value


def test_the_list_buttons_and_the_form_edit_the_right_change(tiny):
    e = ex.Explorer(tiny, TINY_SCENARIO)  # new school, move, expand
    ui = ui_of(e)
    ui.list.value = 2
    ui.kind.value = "hire_teachers"
    ui.buttons["add"].click()
    assert [c["type"] for c in e.changes] == [
        "new_school", "move_students", "expand_school", "hire_teachers"]
    assert ui.selected == 3 and "第 4 项变更：补充教师" in ui.form.children[0].value
    assert "至少给出一个教师字段" in ui.form_msg.value  # the loader's word, atop the form
    ui.buttons["up"].click()
    assert ui.selected == 2 and e.changes[2]["type"] == "hire_teachers"
    field = next(f for f in ui._fields if f.name == "teachers_primary")
    field.widget.value = "2"
    assert e.changes[2]["teachers_primary"] == 2 and "teachers_primary" not in e.changes[3]
    assert ui.last.ok and ui.form_msg.value == ""
    ui.list.value = 0
    ui.buttons["duplicate"].click()  # a copy of a new school gets an id of its own
    assert e.changes[1]["type"] == "new_school"
    assert e.changes[1]["school_id"] not in (e.changes[0]["school_id"], TINY_PRIMARY)
    ui.buttons["delete"].click()
    assert [c["type"] for c in e.changes] == [
        "new_school", "move_students", "hire_teachers", "expand_school"]
    assert ui.last.ok and ui.updates == 6


def test_saving_from_the_widgets_writes_a_file_the_loader_accepts(tiny, tmp_path):
    e = ex.Explorer(tiny, TINY_SCENARIO)
    ui = ui_of(e, save_as=str(tmp_path / "saved.yaml"))
    ui.save_button.click()
    assert "已保存" in ui.save_message.value
    sc = load_scenario(tmp_path / "saved.yaml", e.facts)
    assert [c.type for c in sc.changes] == [c["type"] for c in e.changes]


def test_a_saved_file_opens_again_from_the_widgets(tiny, tmp_path):
    e = ex.Explorer(tiny, TINY_SCENARIO)
    ui = ui_of(e, save_as=str(tmp_path / "mine.yaml"))
    ui.list.value = move_index(e)
    next(f for f in ui._fields if f.spec.name == "share").widget.children[1].value = 0.55
    ui.policy.value = "open"
    ui.name.value = "我的情景"
    ui.save_button.click()
    saved = (tmp_path / "mine.yaml").read_text(encoding="utf-8")
    ui.save_path.value = str(PROJECT_ROOT / TINY_SCENARIO)
    ui.open_button.click()  # back to the file it started from
    assert e.changes[move_index(e)]["share"] == 0.3 and ui.policy.value == "keep"
    assert ui.name.value == "测试情景（新建小学与运动场扩建）" and ui.last.ok
    assert "已打开" in ui.save_message.value
    ui.save_path.value = str(tmp_path / "mine.yaml")
    ui.open_button.click()
    assert e.to_yaml() == saved and ui.policy.value == "open" and ui.name.value == "我的情景"
    assert ui.last.result.scenario.settings.class_policy == "open"
    assert ui.selected == 0 and ui.form.children[0].value.endswith("新建学校</b>")
    ui.list.value = move_index(e)
    assert next(f for f in ui._fields if f.spec.name == "share").widget.children[1].value == 0.55
    ui.save_path.value = str(tmp_path / "none.yaml")
    ui.open_button.click()
    assert "找不到情景文件" in ui.settings_msg.value and not e.changes


def test_live_charts_draw_exactly_the_new_data(tiny):
    e = ex.Explorer(tiny, TINY_SCENARIO)
    first = e.run(e.evaluate())
    chart = xu.LiveChart(sr.class_size_spec)
    png1 = chart.render(first, "zh")
    e.set_field(move_index(e), "share", 0.4)
    second = e.run(e.evaluate())
    png2 = chart.render(second, "zh")
    assert chart.fast == 1 and png2 != png1
    new = sr.class_size_chart(second, "zh")
    solid = [ln for ln in new.axes[0].get_lines() if ln.get_linestyle() == "-"]
    assert solid and len(solid) == len(chart._dyn)
    for shown, want in zip(chart._dyn, solid, strict=True):
        np.testing.assert_array_equal(shown.get_ydata(), want.get_ydata())
    # the fast picture is the whole drawing of the figure holding the new data
    fast = np.array(chart.canvas.buffer_rgba(), dtype=float)
    chart.canvas.draw()
    whole = np.array(chart.canvas.buffer_rgba(), dtype=float)
    assert fast.shape == whole.shape and np.abs(fast - whole).mean() < 0.5
    # data beyond the axes, or another school touched: drawn in full
    e.set_field(move_index(e), "share", 0.9)
    chart.render(e.run(e.evaluate()), "zh")
    assert chart.fast == 1
    e.add({"type": "move_students", "year": 2027, "from": "6523010029", "to": "6523010037",
           "share": 0.1, "grades": [7]})
    chart.render(e.run(e.evaluate()), "zh")
    assert chart.fast == 1


HOSTILE = "<b>第二</b>\u202e小学\x1b]0;x\x07"  # HTML, a direction override, a terminal title


def test_names_from_the_data_are_inert_text_in_every_widget(tmp_path):
    """A school name holding HTML, a direction override and a terminal escape shows as its
    characters (controls made visible) in every HTML widget, table, list and picker."""
    data = tmp_path / "county"
    shutil.copytree(PROJECT_ROOT / TINY, data)
    schools = (data / "schools.csv").read_text(encoding="utf-8")
    (data / "schools.csv").write_text(schools.replace("昌吉市第二小学", f'"{HOSTILE}"'),
                                      encoding="utf-8")
    d = rp.load(data)
    assert HOSTILE in set(d.county.schools["school_name"])
    e = ex.Explorer(d, PROJECT_ROOT / TINY_SCENARIO)
    ui = ui_of(e)
    ui.list.value = move_index(e)  # its form picks the school by name
    for tab in range(len(xu.TABS)):
        ui.tabs.selected_index = tab
    values = html_values(ui.widget)
    shown = "&lt;b&gt;第二&lt;/b&gt;\\u202e小学\\x1b]0;x\\x07"
    assert any(shown in v for v in values)
    assert not any("<b>第二" in v or "\u202e" in v or "\x1b" in v for v in values)
    pickers = [f.widget for f in ui._fields if f.spec.kind == "school"]
    labels = [t for p in pickers for t, _ in p.options] + [t for t, _ in ui.list.options]
    assert any("第二</b>\\u202e小学\\x1b]0;x\\x07" in t for t in labels)
    assert not any("\u202e" in t or "\x1b" in t for t in labels)
    assert e.school_name(TINY_PRIMARY) == "<b>第二</b>\\u202e小学\\x1b]0;x\\x07"


def test_yaml_typed_in_a_form_is_read_within_bounds(tiny):
    """A field the form cannot know is YAML typed as text: read by the bounded reader, so an
    alias bomb is kept as the text typed (the loader then rejects it) instead of expanding."""
    e = ex.Explorer(tiny, {"name": "x", "changes": [{"type": "closure"}]})
    ui = ui_of(e)
    [field] = ui._fields  # an unknown kind: its type as YAML
    field.widget.value = "{a: [1, 2]}"
    assert e.changes[0]["type"] == {"a": [1, 2]}
    bomb = "[" + ", ".join(["&a [x, x]"] + [f"&{c} [*{p}, *{p}, *{p}, *{p}]" for p, c in zip(
        "abcdefgh", "bcdefghi", strict=True)] + ["*i"]) + "]"
    field.widget.value = bomb
    assert e.changes[0]["type"] == bomb  # the text, not 4⁸ expanded items
    shown = field.msg.value + ui.form_msg.value
    assert "未知的变更类型" in shown and len(shown) < 1000  # the loader quotes it, bounded


def test_saving_onto_a_link_is_refused_in_words(tiny, tmp_path):
    """The scenario file is written by the project's safe writer: a symbolic link in its place
    is refused with a sentence, and nothing is written through it."""
    target = tmp_path / "elsewhere.yaml"
    target.write_text("keep", encoding="utf-8")
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    ui = ui_of(ex.Explorer(tiny, TINY_SCENARIO), save_as=str(link))
    ui.save_button.click()
    assert "未保存" in ui.save_message.value and "符号链接" in ui.save_message.value
    assert target.read_text(encoding="utf-8") == "keep" and link.is_symlink()
    assert not list(tmp_path.glob(".*.tmp"))


def test_opening_an_alias_bomb_is_refused_in_bounded_time(tiny, tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("a: &a [x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi",
                                                              strict=True)), encoding="utf-8")
    ui = ui_of(ex.Explorer(tiny, TINY_SCENARIO), save_as=str(bomb))
    ui.open_button.click()
    assert "100,000" in ui.settings_msg.value and not ui.ex.changes


def test_the_explorer_speaks_english(tiny):
    ui = ui_of(ex.Explorer(tiny, TINY_SCENARIO), lang="en")
    assert ui.headline.value.startswith("2027 (baseline → scenario): ")
    assert ui.tabs.titles[0] == "Class sizes" and ui.save_button.description == "Save scenario"
    assert [f.title.value for f in ui._fields][:1] == ['<span class="bx-label">from school '
                                                        'year *</span>']
    notes = {k: box.children[0].value for k, box in zip(xu.TABS, ui.tabs.children, strict=True)}
    assert "over: classes above 45/50; large: 56 or more." in notes["classes"]
    assert "* above the limit" in notes["cv"] and "* above the limit" in notes["size"]
    assert notes["units"].startswith('<span class="bx-hint">B1–B7 met, n/7: baseline → scenario;')


def test_each_tab_says_how_to_read_it_with_the_registrys_limits(tmp_path):
    """The note atop each tab explains "baseline → scenario" and the stars, with the limits of
    the registry in force (a province's 40/45 classes here)."""
    before = words._REGISTRY.get()
    try:
        d = rp.load(TINY, indicators=str(PROJECT_ROOT / "params" / "province-example.yaml"))
        ui = ui_of(ex.Explorer(d, TINY_SCENARIO))
    finally:
        words.set_registry(before)  # the other tests keep the national registry's words
    notes = [box.children[0].value for box in ui.tabs.children]
    assert "超标班：超过 40/45 人的班级" in notes[0]
    assert notes[-1].startswith('<span class="bx-hint">B1–B7 达标项数 n/7：基准 → 情景；')
    assert all(n.startswith('<span class="bx-hint">') and "基准 → 情景" in n for n in notes)


def test_the_page_embeds_the_font_for_its_chinese(tiny):
    ui = xu.ExplorerUI(ex.Explorer(tiny, TINY_SCENARIO))  # embed_font=True is the default
    faces = [c.value for c in ui.font.children]
    assert faces and all("@font-face {font-family:'balance-cjk'" in f for f in faces)
    assert "unicode-range" not in faces[0] and ".balance-explorer" in faces[0]
    shown = "".join(html_values(ui.widget)) + "".join(t for t, _ in ui.list.options)
    missing = set(xu.page_characters(shown)) - ui._fonts
    assert not missing
    ui.list.value = 0
    name = next(f for f in ui._fields if f.name == "school_name")
    name.widget.value = "鑫淼学校"  # characters no word of the explorer has
    assert len(ui.font.children) == len(faces) + 1
    assert "unicode-range:U+6DFC,U+946B;" in ui.font.children[-1].value  # 淼 鑫, only those


# ---------------------------------------------------------------------------------------------
# the notebook


def test_the_notebook_is_thin_and_not_a_report():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    assert re.findall(r"^(\w+): str = ", params[0].source, re.M) == [
        "data", "scenario", "params", "indicators", "lang", "save_as"]
    assert all(c.cell_type == "markdown" or "def " not in c.source for c in nb.cells)
    assert NOTEBOOK in render.INTERACTIVE and NOTEBOOK not in render.TEMPLATES.values()
    jobs = render.plan_jobs(PROJECT_ROOT / TINY, [2025], ["6523010002"], trend=True,
                            scenarios=[(PROJECT_ROOT / TINY_SCENARIO, "x")])
    assert jobs and all(j.template != NOTEBOOK for j in jobs)


@pytest.mark.slow
def test_the_notebook_runs_headless_and_shows_the_explorer(tmp_path, tiny):
    import papermill as pm

    out = tmp_path / "31-explore.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(out), kernel_name=render.KERNEL_NAME,
                        parameters={"data": TINY, "scenario": TINY_SCENARIO},
                        progress_bar=False, cwd=str(tmp_path))
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    shown = [m["state"].get("value", "") for m in state.values()
             if m["model_name"] == "HTMLModel"]
    expected = ex.Explorer(tiny, TINY_SCENARIO).evaluate().result
    assert html.escape(ex.headline_text(expected)) in shown
