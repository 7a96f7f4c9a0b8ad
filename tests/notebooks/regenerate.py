"""Regenerate the nbval references in ``tests/notebooks/`` from the templates in ``notebooks/``.

Run after editing a template (``tests/test_notebook_params.py`` fails until you do)::

    .venv/bin/python tests/notebooks/regenerate.py          # rewrite the references
    .venv/bin/python tests/notebooks/regenerate.py --check  # exit 1 if they are out of date

Each template is papermill-executed on the tiny fixture county (``tests/fixtures/tiny``, a
project-relative path: ``balance_lib.report`` resolves it against the project root, so the
reference also runs under nbval, whose kernel starts in this folder, and from any clone), then
post-processed so that the committed files are small and the same on every run:

* no execution timings, papermill durations or paths in the metadata;
* images dropped (their ``text/plain`` repr is kept, so nbval still sees one output per figure;
  nbval never compares PNGs), streams coalesced, output metadata dropped;
* the injected-parameters cell gets a fixed id; the project root in printed text becomes
  ``<PROJECT_ROOT>`` (also what ``tests/nbval_sanitize.cfg`` turns it into).

Only the cells marked ``# NBVAL_CHECK_OUTPUT`` in the templates (rounded text tables) are
compared by ``pytest --nbval-lax``; the other cells are just executed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import nbformat

from balance_lib.paths import PROJECT_ROOT
from balance_lib.render import KERNEL_NAME, TEMPLATES

HERE = Path(__file__).resolve().parent
FIXTURE = "tests/fixtures/tiny"  # project-relative on purpose (see the module docstring)

#: reference file stem -> (template, parameters)
CASES: dict[str, tuple[Path, dict[str, Any]]] = {
    "10-county-year": (TEMPLATES["county-year"], {"data": FIXTURE, "year": 2025}),
    "20-school-profile": (TEMPLATES["school"], {"data": FIXTURE, "school_id": "6523010037"}),
    "40-county-trend": (TEMPLATES["trend"], {"data": FIXTURE, "year_from": 2024, "year_to": 2025}),
    # the English report (balance report --lang en): one reference checks its words
    "10-county-year-en": (TEMPLATES["county-year"], {"data": FIXTURE, "year": 2025, "lang": "en"}),
    # one county of data holding several, whose school ids repeat in another county
    "10-county-year-multi": (TEMPLATES["county-year"], {"data": "tests/fixtures/multi",
                                                        "county": "652302", "year": 2025}),
    # the province page: the four counties of tests/fixtures/multi (school ids repeat)
    "50-province": (TEMPLATES["province"], {"data": "tests/fixtures/multi", "year": 2025,
                                            "linked": "652301,652302"}),
    "30-scenario": (TEMPLATES["scenario"], {"data": FIXTURE,
                                            "scenario": "tests/fixtures/tiny-scenario.yaml",
                                            "to": 2027}),
    # balance plan (issue 17): the least-cost plan of the tiny county for 2027
    "50-plan": (TEMPLATES["plan"], {"data": FIXTURE, "by": 2027}),
}

INJECTED_TAG = "injected-parameters"
_KEEP_MIME_PREFIXES = ("text/",)  # text/plain, text/markdown, text/html; no image/*, no pdf


def _clean_outputs(outputs: list[Any]) -> list[Any]:
    root = str(PROJECT_ROOT)
    cleaned: list[Any] = []
    streams: dict[str, Any] = {}
    for out in outputs:
        if out.output_type == "stream":
            out.text = out.text.replace(root, "<PROJECT_ROOT>")
            if out.name in streams:  # coalesce: chunking depends on timing
                streams[out.name].text += out.text
                continue
            streams[out.name] = out
        elif out.output_type in ("display_data", "execute_result"):
            out.data = {k: (v.replace(root, "<PROJECT_ROOT>") if isinstance(v, str) else v)
                        for k, v in out.data.items() if k.startswith(_KEEP_MIME_PREFIXES)}
            out.metadata = {}
            if not out.data:
                continue
        cleaned.append(out)
    return cleaned


def clean(nb: Any) -> Any:
    """Strip everything run-dependent from an executed notebook (in place) and return it."""
    pm_meta = nb.metadata.get("papermill", {})
    lang = nb.metadata.get("language_info", {})
    nb.metadata = nbformat.from_dict({
        "kernelspec": nb.metadata.get("kernelspec", {}),
        "language_info": {k: v for k, v in lang.items() if k != "version"},
        "papermill": {"parameters": pm_meta.get("parameters", {})},
    })
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        cell.metadata = nbformat.from_dict({"tags": tags} if tags else {})
        if INJECTED_TAG in tags:
            cell.id = INJECTED_TAG  # papermill gives it a random id
        if cell.cell_type == "code":
            cell.outputs = _clean_outputs(cell.outputs)
            stderr = [o for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"]
            if stderr:
                raise RuntimeError(f"stderr in a reference cell (fix the warning first):\n"
                                   f"{cell.source}\n---\n{stderr[0].text}")
    return nb


def execute(template: Path, parameters: dict[str, Any], out_path: Path) -> None:
    import papermill as pm

    pm.execute_notebook(str(template), str(out_path), parameters=parameters,
                        kernel_name=KERNEL_NAME, progress_bar=False, log_output=False)
    nb = clean(nbformat.read(out_path, as_version=4))
    nbformat.validate(nb)
    out_path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


def build(out_dir: Path, names: list[str] | None = None) -> list[Path]:
    paths = []
    for name, (template, parameters) in CASES.items():
        if names and name not in names:
            continue
        path = out_dir / f"{name}.ipynb"
        print(f"{template.relative_to(PROJECT_ROOT)} {parameters} -> {path}", flush=True)
        execute(template, parameters, path)
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help=f"only these references ({', '.join(CASES)})")
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temporary folder and exit 1 if a reference differs")
    args = ap.parse_args(argv)
    if not args.check:
        build(HERE, args.names)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        stale = [p.name for p in build(Path(tmp), args.names)
                 if not (HERE / p.name).exists()
                 or (HERE / p.name).read_bytes() != p.read_bytes()]
    if stale:
        print(f"out of date: {', '.join(stale)}; "
              "run .venv/bin/python tests/notebooks/regenerate.py")
        return 1
    print("references up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
