"""The indicator registry and the settings file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from balance_lib.paths import PROJECT_ROOT, STANDARDS_FILE
from balance_lib.registry import load_registry
from balance_lib.settings import Settings, SettingsError, load_settings

REG = load_registry()
SEED = PROJECT_ROOT.parent / "shared" / "seed" / "000_bc90dc8f1db8512a.txt"


def test_registry_lists_b1_to_b32_and_eight_vetoes():
    assert [i.id for i in REG.indicators] == [f"B{k}" for k in range(1, 33)]
    assert REG.id_range("unit") == "B1–B7" and REG.id_range("school", "county", "judgement") \
        == "B8–B32"
    assert [v.id for v in REG.vetoes] == [f"V{k}" for k in range(1, 9)]
    assert {i.group for i in REG.indicators} == {"A1", "A2", "A3", "A4"}


@pytest.mark.parametrize(
    ("ind", "primary", "junior"),
    [("B1", 4.2, 5.3), ("B2", 1.0, 1.0), ("B3", 0.9, 0.9), ("B4", 4.5, 5.8),
     ("B5", 7.5, 10.2), ("B6", 2000, 2500), ("B7", 2.3, 2.4)],
)
def test_resource_thresholds_and_floors(ind, primary, junior):
    """Rules §1.2: the national thresholds and their 85% floors."""
    t = REG.resource_table().set_index(["indicator", "level"])
    assert t.loc[(ind, "primary"), "threshold"] == primary
    assert t.loc[(ind, "junior"), "threshold"] == junior
    assert t.loc[(ind, "primary"), "floor"] == pytest.approx(primary * 0.85)
    assert t.loc[(ind, "junior"), "floor"] == pytest.approx(junior * 0.85)


def test_cv_limits_and_school_rule():
    assert REG.cv_limit("primary") == 0.50
    assert REG.cv_limit("junior") == 0.45
    assert REG.min_met == 6 and REG.floor_ratio == 0.85


def test_every_indicator_has_labels_source_and_responsible_units():
    for ind in REG.indicators:
        assert ind.zh and ind.en and ind.source, ind.id
        assert ind.responsible_units, ind.id
        assert all(u.startswith(("市", "各乡镇")) for u in ind.responsible_units), ind.id


@pytest.mark.skipif(not SEED.exists(), reason="seed plan not beside the repository")
def test_responsible_text_is_exactly_the_seed_annex_2():
    """附件2 lists 责任单位 per B-indicator; the registry keeps the cell text verbatim."""
    text = SEED.read_text(encoding="utf-8")
    annex = text[text.index("附件2"): text.index("附件3")]
    cells = re.split(r"\n\s*\n", annex)
    flat = re.sub(r"\s+", "", annex)
    for ind in REG.indicators[:31]:
        assert ind.responsible_text in flat, (ind.id, ind.responsible_text)
    assert cells  # the annex was found


CODE = [*sorted((PROJECT_ROOT / "balance_lib" / "indicators").glob("*.py")),
        *(PROJECT_ROOT / "balance_lib" / n for n in (
            "units.py", "results.py", "textout.py", "ledger.py", "excel.py", "report.py",
            "scenario.py", "scenario_text.py", "scenario_report.py", "plots.py", "render.py",
            "cli.py", "export.py", "frames.py", "province.py", "province_report.py",
            "explore.py", "explore_ui.py"))]


@pytest.mark.parametrize("path", CODE, ids=[p.name for p in CODE])
def test_no_threshold_literal_outside_the_registry(path):
    """Thresholds live in indicators.yaml: the code never spells them out (comments and
    docstrings may quote the rules)."""
    src = _code_only(path)
    for literal in ("4.2", "5.3", "7.5", "10.2", "2000", "2500", "0.45", "0.85", "6000"):
        assert not re.search(rf"(?<![\d.]){re.escape(literal)}(?![\d])", src), literal


@pytest.mark.parametrize("path", [p for p in CODE if p.name != "base.py"],
                         ids=[p.name for p in CODE if p.name != "base.py"])
def test_no_direction_or_id_range_literal_in_code(path):
    """Directions come from the registry (``ind.direction``) and id ranges and class limits in
    texts from it too (``registry.id_range``, :func:`balance_lib.words.registry_fields`): no
    ``"ge"``/``"le"`` comparison written out (but in ``indicators/base.py``, the one module that
    interprets directions), no "B8–B32" or "45/50" in a string."""
    src = _code_only(path)
    for pattern in (r"==\s*[\"'](ge|le|lt)[\"']", r"[\"'](ge|le|lt)[\"']\s*==",
                    r"B1\s*[–-]\s*B7", r"B8\s*[–-]\s*B32", r"45\s*/\s*50", r"B1\s*[–-]\s*B32"):
        assert not re.search(pattern, src), pattern


def _code_only(path: Path) -> str:
    """The code of a module without comments and docstrings."""
    import ast
    import io
    import tokenize

    src = path.read_text(encoding="utf-8")
    docstrings = set()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(body[0].value.lineno)
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.type == tokenize.COMMENT:
            continue
        if tok.type == tokenize.STRING and tok.start[0] in docstrings:
            continue
        out.append(tok.string)
    return " ".join(out)


def test_words_and_registry_texts_take_ranges_from_the_registry():
    """The word table writes the registry's ids and limits as placeholders."""
    from balance_lib.words import WORDS_FILE

    text = WORDS_FILE.read_text(encoding="utf-8")
    for pattern in (r"B1\s*[–-]\s*B7", r"B8\s*[–-]\s*B32", r"45\s*/\s*50"):
        assert not re.search(pattern, text), pattern


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_cv_explanation_quotes_the_cv_limits_not_the_class_limits(lang):
    """差异系数's limits are 0.50/0.45 (the registry's CV limits, as every table prints them);
    B12's class limits 45/50 have placeholders of their own and must not stand in for them."""
    from balance_lib.formats import limit
    from balance_lib.registry import load_registry
    from balance_lib.words import entries

    reg = load_registry()
    text = entries("cv_explain", lang)[-1]
    for level in ("primary", "junior"):
        assert f"≤ {limit(reg.cv_limit(level), reg)}" in text
    assert not re.search(r"≤ (45|50)\b", text)


def test_params_file_equals_the_defaults():
    """params/standards.yaml writes out exactly the contract defaults of Settings()."""
    assert load_settings() == Settings()
    raw = yaml.safe_load(STANDARDS_FILE.read_text(encoding="utf-8"))
    assert set(raw) == set(Settings().to_dict()) - {"source"}


def test_partial_settings_file_overrides_only_its_keys(tmp_path: Path):
    f = tmp_path / "mine.yaml"
    f.write_text("teaching_points: merge\nsplit_weights:\n  nine_year: {primary: 1, junior: 1.2}\n",
                 encoding="utf-8")
    s = load_settings(f)
    assert s.teaching_points == "merge"
    assert s.private_schools == "include"
    assert s.split_weights["nine_year"]["junior"] == 1.2
    assert s.split_weights["twelve_year"]["senior"] == 1.32


def test_bad_settings_report_every_problem(tmp_path: Path):
    f = tmp_path / "bad.yaml"
    f.write_text("teaching_points: merged\nprivat_schools: include\ncv_rounding: 5\n", encoding="utf-8")
    with pytest.raises(SettingsError) as err:
        load_settings(f)
    msgs = err.value.problems
    assert len(msgs) == 3
    assert any("teaching_points = 'merged'" in m and "separate, merge, exclude" in m for m in msgs)
    assert any("unknown setting 'privat_schools'" in m for m in msgs)
    assert any("cv_rounding" in m for m in msgs)
    with pytest.raises(SettingsError, match="not found"):
        load_settings(tmp_path / "missing.yaml")
