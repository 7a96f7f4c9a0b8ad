"""The report templates agree with the project, and the nbval references are up to date.

* every template parameter is either a report parameter (data, year, school, …) or a settings
  key that exists in ``params/standards.yaml`` and :class:`~balance_lib.settings.Settings`, with
  the same default (a typo or a renamed setting would otherwise be silently ignored: papermill
  only warns about unknown parameters);
* the defaults point at data and settings that exist, and at a year and school in that data;
* ``tests/notebooks/*.ipynb`` were executed from the current templates (same cells after the
  injected-parameters cell) with parameters the templates declare, and keep checked text tables
  but no images.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
from pathlib import Path

import nbformat
import papermill as pm
import pytest
import yaml

from balance_lib import report
from balance_lib.paths import PROJECT_ROOT, STANDARDS_FILE
from balance_lib.render import INTERACTIVE, TEMPLATES
from balance_lib.settings import Settings, load_settings

REFERENCES = PROJECT_ROOT / "tests" / "notebooks"
REGENERATE = ".venv/bin/python tests/notebooks/regenerate.py"

#: parameters that choose what a report shows (not settings)
REPORT_PARAMS = {"data", "params", "year", "year_from", "year_to", "school_id", "scenario",
                 "to", "lang", "indicators", "mapping", "county", "linked", "by", "costs",
                 "budget"}
SETTINGS_KEYS = {f.name for f in dataclasses.fields(Settings)} - {"source"}

_spec = importlib.util.spec_from_file_location("nb_regenerate", REFERENCES / "regenerate.py")
regenerate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regenerate)

NOTEBOOK_PATHS = sorted((PROJECT_ROOT / "notebooks").glob("[0-9]*.ipynb"))
#: the report templates: every numbered notebook except the interactive ones (31-explore)
TEMPLATE_PATHS = [p for p in NOTEBOOK_PATHS if p not in INTERACTIVE]


def defaults(template: Path) -> dict[str, object]:
    """Parameter name -> default value (the parameters cell holds literals only)."""
    return {name: ast.literal_eval(p["default"])
            for name, p in pm.inspect_notebook(str(template)).items()}


def test_every_template_is_rendered_and_has_a_reference():
    assert set(TEMPLATE_PATHS) == set(TEMPLATES.values())
    assert set(INTERACTIVE) <= set(NOTEBOOK_PATHS)
    assert not set(INTERACTIVE) & set(TEMPLATES.values())
    assert {t for t, _ in regenerate.CASES.values()} == set(TEMPLATES.values())


@pytest.mark.parametrize("template", TEMPLATE_PATHS, ids=lambda p: p.stem)
def test_template_parameters_agree_with_the_settings(template):
    standards = yaml.safe_load(STANDARDS_FILE.read_text(encoding="utf-8")) or {}
    settings = load_settings()
    params = defaults(template)
    assert "data" in params and "params" in params
    for name, default in params.items():
        if name in REPORT_PARAMS:
            continue
        assert name in SETTINGS_KEYS and name in standards, (
            f"{template.name}: parameter {name!r} is neither a report parameter "
            f"({', '.join(sorted(REPORT_PARAMS))}) nor a key of {STANDARDS_FILE.name} / Settings")
        assert default == getattr(settings, name), (
            f"{template.name}: default {name} = {default!r} differs from "
            f"{STANDARDS_FILE.name} ({getattr(settings, name)!r})")


@pytest.mark.parametrize("kind", ["county-year", "school", "trend"])
def test_report_templates_take_a_language(kind):
    """``balance report --lang en``: the template declares ``lang`` (default zh), and the batch
    passes it (:func:`balance_lib.render.declares_parameter`)."""
    from balance_lib.words import LANGS
    from balance_lib.render import declares_parameter

    assert defaults(TEMPLATES[kind]).get("lang") == "zh" and LANGS == ("zh", "en")
    assert declares_parameter(TEMPLATES[kind], "lang")
    with pytest.raises(report.ReportParamError, match="unknown language 'fr'"):
        report.check_params(report.load("tests/fixtures/tiny"), lang="fr")


@pytest.mark.parametrize("template", TEMPLATE_PATHS, ids=lambda p: p.stem)
def test_template_defaults_point_at_existing_data(template):
    params = defaults(template)
    data = report.resolve_path(params["data"])
    assert data.is_dir(), (
        f"{template.name}: default data {params['data']!r} is not a folder ({data})")
    if params["params"]:
        load_settings(report.resolve_path(params["params"]))  # exists and is valid
    d = report.load(params["data"], params["params"], county=params.get("county", "")) \
        if "county" in params else report.load_all(params["data"], params["params"])
    report.check_params(d, year=params.get("year") or None, school_id=params.get("school_id"))
    report.check_params(d, year=params.get("year_from"))
    report.check_params(d, year=params.get("year_to") or None)
    for key in ("scenario", "costs"):  # empty: none (scenario) / params/costs.yaml (costs)
        if params.get(key):
            assert report.resolve_path(params[key]).is_file(), (
                f"{template.name}: default {key} {params[key]!r} does not exist")


@pytest.mark.parametrize("name", sorted(regenerate.CASES))
def test_reference_was_generated_from_the_current_template(name):
    template, parameters = regenerate.CASES[name]
    ref_path = REFERENCES / f"{name}.ipynb"
    hint = f"run `{REGENERATE}` after editing {template.relative_to(PROJECT_ROOT)}"
    assert ref_path.exists(), f"{ref_path.name} missing: {hint}"
    unknown = set(parameters) - set(defaults(template))
    assert not unknown, f"regenerate.py passes {unknown} that {template.name} does not declare"

    ref = nbformat.read(ref_path, as_version=4)
    tpl = nbformat.read(template, as_version=4)
    injected = [c for c in ref.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1, f"{ref_path.name} has no injected-parameters cell: {hint}"
    assert ref.metadata.get("papermill", {}).get("parameters") == parameters, hint
    cells = [(c.cell_type, c.source) for c in ref.cells if c is not injected[0]]
    assert cells == [(c.cell_type, c.source) for c in tpl.cells], (
        f"{ref_path.relative_to(PROJECT_ROOT)} is out of date with its template: {hint}")

    checked = [c for c in ref.cells if c.cell_type == "code" and "NBVAL_CHECK_OUTPUT" in c.source]
    assert checked and all(c.outputs for c in checked), f"{name}: no checked outputs: {hint}"
    for c in ref.cells:
        for out in c.get("outputs", []):
            assert not any(k.startswith("image/") for k in out.get("data", {})), (
                f"{name}: image output in the reference: {hint}")
            assert not (out.output_type == "stream" and out.name == "stderr"), out.text
            assert out.output_type != "error", f"{name}: the reference failed: {out.evalue}"
