"""``jupyter nbconvert --to balance NOTEBOOK``: the runner's report page from plain Jupyter.

An nbconvert exporter (registered as the entry point ``nbconvert.exporters: balance``) that
turns an executed notebook — a template run with papermill, or a notebook of your own — into
the same page :mod:`balance_lib.render` writes: no code cells or prompts, no script or
stylesheet from the internet (require.js, MathJax), the Chinese font subset embedded
(:mod:`balance_lib.htmlfont`), the real ``<title>`` and the print styles
(:mod:`balance_lib.pages`). Only the links between reports are the runner's (it knows which
reports exist)::

    papermill notebooks/10-county-year.ipynb 2025.ipynb -p data data/sample -p year 2025
    jupyter nbconvert --to balance 2025.ipynb          # → 2025.html
"""

from __future__ import annotations

from typing import Any

from nbconvert.exporters import HTMLExporter
from traitlets import default


class BalanceExporter(HTMLExporter):
    """HTML without code, offline, with the embedded Chinese font and the page frame."""

    export_from_notebook = "balance report page"

    @default("template_name")
    def _template_name_default(self) -> str:
        return "lab"

    @default("exclude_input")
    def _exclude_input_default(self) -> bool:
        return True

    @default("exclude_input_prompt")
    def _exclude_input_prompt_default(self) -> bool:
        return True

    @default("exclude_output_prompt")
    def _exclude_output_prompt_default(self) -> bool:
        return True

    def from_notebook_node(self, nb: Any, resources: dict | None = None,
                           **kw: Any) -> tuple[str, dict]:
        from .htmlfont import embed_cjk_font
        from .pages import finish_page
        from .render import external_refs, make_offline

        page, resources = super().from_notebook_node(nb, resources, **kw)
        params = (nb.metadata.get("papermill", {}) or {}).get("parameters", {}) or {}
        lang = params.get("lang", "zh")
        page = embed_cjk_font(finish_page(make_offline(page), lang if lang in ("zh", "en")
                                          else "zh"))
        left = external_refs(page)
        if left:
            raise RuntimeError(f"HTML still references remote resources: {left[:3]}")
        return page, resources
