"""nbval references of the report templates (see regenerate.py and tests/test_notebook_params.py).

pyproject.toml runs ``--nbval-lax`` on the ``*.ipynb`` here; this folder's Python files are
helpers, not tests (``--doctest-modules`` would otherwise import the regeneration script).
"""

from __future__ import annotations

from pathlib import Path

collect_ignore = ["regenerate.py"]


def pytest_configure(config):
    """Resolve ``--nbval-sanitize-with`` from the project root when pytest runs from elsewhere."""
    opt = config.option
    path = getattr(opt, "nbval_sanitize_with", None)
    if path and not Path(path).is_absolute() and not Path(path).exists():
        candidate = Path(config.rootpath) / path
        if candidate.exists():
            opt.nbval_sanitize_with = str(candidate)
