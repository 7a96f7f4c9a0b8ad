"""Project locations derived from this file, never from the working directory."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
PARAMS_DIR = PROJECT_ROOT / "params"
DATA_DIR = PROJECT_ROOT / "data"
SAMPLE_DIR = DATA_DIR / "sample"
OUTPUTS_DIR = PROJECT_ROOT / "outputs"
STANDARDS_FILE = PARAMS_DIR / "standards.yaml"
#: the indicator registry and the word table (here, so hashing them imports neither module)
REGISTRY_FILE = PACKAGE_DIR / "indicators.yaml"
WORDS_FILE = PACKAGE_DIR / "words.yaml"
