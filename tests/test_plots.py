"""Charts: Chinese labels render with a real CJK font (no tofu, no findfont noise)."""

from __future__ import annotations

import logging
import warnings
from io import BytesIO

import matplotlib
import pandas as pd
import pytest
from matplotlib.figure import Figure

from balance_lib import plots
from balance_lib.indicators import evaluate_resources, long_values
from balance_lib.io import load_county
from balance_lib.paths import SAMPLE_DIR
from balance_lib.registry import load_registry
from balance_lib.settings import load_settings

FONT_NOISE = ("missing from", "findfont", "not found")


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.fixture(scope="module")
def result(registry):
    county = load_county(SAMPLE_DIR)
    return evaluate_resources(county.schools, load_settings(), registry)


def render_strict(fig: Figure, caplog: pytest.LogCaptureFixture) -> bytes:
    """Draw ``fig`` to PNG; any glyph warning or findfont log message fails the test."""
    buf = BytesIO()
    caplog.set_level(logging.DEBUG, logger="matplotlib.font_manager")
    caplog.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph NNNN missing from font(s) …" → exception
        fig.savefig(buf, format="png")
    # DEBUG "findfont: score(...)" lines are normal; a fallback is logged at WARNING/INFO
    noisy = [r.getMessage() for r in caplog.records
             if r.levelno >= logging.INFO and any(n in r.getMessage() for n in FONT_NOISE)]
    assert not noisy, noisy
    data = buf.getvalue()
    assert data.startswith(b"\x89PNG")
    return data


def test_a_cjk_font_is_registered():
    families = plots.setup_fonts()
    assert plots.shipped_font() is not None, "pylopdf-fonts-zh-cn is a dependency"
    assert families[0] == "Noto Sans SC"
    assert matplotlib.rcParams["font.family"][0] == "Noto Sans SC"
    assert matplotlib.rcParams["axes.unicode_minus"] is False


def test_seaborn_theme_does_not_undo_the_font():
    import seaborn as sns

    plots.apply_style()
    assert matplotlib.rcParams["font.family"][0] == "Noto Sans SC"
    sns.set_theme()  # a later theme call resets the family: setup_fonts restores it
    plots.setup_fonts()
    assert matplotlib.rcParams["font.family"][0] == "Noto Sans SC"


def test_chinese_labels_render_without_missing_glyphs(tmp_path, caplog):
    plots.apply_style()
    fig = Figure(figsize=(5, 3), layout="constrained")
    ax = fig.add_subplot()
    ax.bar(["差异系数", "大班额", "超大班额"], [0.48, -3, 12], color=plots.PALETTE[:3])
    ax.set_title("差异系数与大班额（−3 用 ASCII 负号）")
    ax.set_ylabel("班级数（个）")
    data = render_strict(fig, caplog)
    (tmp_path / "cjk.png").write_bytes(data)


@pytest.mark.parametrize("level", ["primary", "junior"])
def test_school_values_chart(result, registry, caplog, level):
    values = long_values(result)
    fig = plots.school_values(values, "B4", level, registry, year=2025)
    ax = fig.axes[0]
    assert "B4" in ax.get_title() and "各校" in ax.get_title()
    assert "平方米/生" in ax.get_xlabel()
    threshold = registry.indicator("B4").threshold(level)
    xs = sorted(line.get_xdata()[0] for line in ax.lines)
    assert xs == pytest.approx([0.85 * threshold, threshold])
    render_strict(fig, caplog)


def test_cv_chart_marks_each_level_limit(result, registry, caplog):
    fig = plots.cv_by_indicator(result.variation, registry, year=2025)
    ax = fig.axes[0]
    assert "差异系数" in ax.get_title() and "差异系数" in ax.get_ylabel()
    limits = sorted(line.get_ydata()[0] for line in ax.lines)
    assert limits == pytest.approx([0.45, 0.50])
    render_strict(fig, caplog)


def test_trend_chart_has_limits_and_the_timeline(result, registry, caplog):
    from balance_lib.settings import load_settings
    from balance_lib.paths import SAMPLE_DIR

    ms = load_settings(data=SAMPLE_DIR).county.milestones  # the sample's settings.yaml
    fig = plots.cv_trend(result.variation, registry, milestones=ms)
    assert len(fig.axes) == 2
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any("自治州指导 2027.8" in t for t in texts) and any("国家认定 2029.9" in t for t in texts)
    # no milestones in the settings: none drawn (no dates in code)
    assert not [t for ax in plots.cv_trend(result.variation, registry).axes for t in ax.texts]
    assert all("趋势" in ax.get_title() for ax in fig.axes)
    render_strict(fig, caplog)


def test_school_trend_chart(result, registry, caplog):
    values = long_values(result)
    school = str(values["school_id"].iloc[0])
    fig = plots.school_trend(values, school, registry)
    assert "%" in fig.axes[0].get_ylabel()
    render_strict(fig, caplog)


def test_charts_take_tidy_frames_only(registry, caplog):
    variation = pd.DataFrame({"year": [2024, 2025], "level": "primary", "indicator": "B1",
                              "cv": [0.3, 0.52]})
    render_strict(plots.cv_trend(variation, registry), caplog)


def _texts(fig: Figure) -> list[str]:
    out = []
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        out += [t.get_text() for t in ax.texts + ax.get_xticklabels()]
        legend = ax.get_legend()
        out += [t.get_text() for t in legend.get_texts()] if legend else []
    return [t for t in out if t]


def test_english_charts_have_english_titles_axes_and_legends(result, registry, caplog):
    """lang="en": every word drawn is English (school names from the data stay as they are)."""
    values = long_values(result)
    school = str(values["school_id"].iloc[0])
    figs = {
        "school_values": plots.school_values(values, "B4", "junior", registry, year=2025,
                                             lang="en"),
        "cv_by_indicator": plots.cv_by_indicator(result.variation, registry, year=2025,
                                                 lang="en"),
        "cv_trend": plots.cv_trend(result.variation, registry, lang="en", milestones=__import__(
            "balance_lib.settings", fromlist=["x"]).load_settings(
                data=__import__("balance_lib.paths", fromlist=["x"]).SAMPLE_DIR).county.milestones),
        "school_trend": plots.school_trend(values, school, registry, lang="en"),
    }
    ax = figs["school_values"].axes[0]
    assert ax.get_title() == ("2025: Junior B4 Teaching and auxiliary floor area per student: "
                              "schools")
    assert ax.get_xlabel() == "Teaching and auxiliary floor area per student (m² per student)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "threshold 5.8", "85% floor 4.93"]
    assert figs["cv_by_indicator"].axes[0].get_ylabel() == "CV (dimensionless)"
    assert [ax.get_title() for ax in figs["cv_trend"].axes] == [
        "Primary: inter-school CV trend and milestones",
        "Junior: inter-school CV trend and milestones"]
    assert "national recognition 2029.9" in _texts(figs["cv_trend"])
    name = str(values.loc[values["school_id"] == school, "school_name"].iloc[0])
    for key, fig in figs.items():
        words = [t.replace(name, "") for t in _texts(fig)] if key == "school_trend" else (
            [t for t in _texts(fig) if t not in set(values["school_name"])])
        assert words and not [t for t in words if plots_cjk(t)], (key, words)
        render_strict(fig, caplog)


def plots_cjk(text: str) -> bool:
    return any("\u2e80" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in text)
