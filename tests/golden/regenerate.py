"""Regenerate the golden JSON of ``balance evaluate`` with the code before the indicator package.

    python tests/golden/regenerate.py            # code of commit 22de2df (the reference)
    python tests/golden/regenerate.py --rev REV  # another reference commit

Run it when the sample data themselves change (a new county, not a code change), and say so in
the commit. It extracts the reference commit's ``balance_lib`` and settings with ``git archive``
into a temporary folder, copies each data set there without the judgement rows the old code
does not know (B15 and B21 gained judged parts with the package; ``tests/test_golden.py``
allows their differences), runs the old ``balance evaluate --format json`` for every year and
language of ``tests/test_golden.py`` and writes the gzipped JSON (fixed time stamp, so the same
inputs give the same bytes).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent
REFERENCE = "22de2df"
#: Data sets and years, as in tests/test_golden.py.
CASES = (("data/sample", "sample", (2022, 2023, 2024, 2025)),
         ("tests/fixtures/multi", "multi", (2024, 2025)))
#: Judgement items the reference code rejects as unknown.
NEW_JUDGED = {"B15", "B21"}


def _extract(rev: str, into: Path) -> None:
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev],
                         check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        archive.extractall(into, filter="data")


def _copy_data(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst)
    judgements = dst / "judgements.csv"
    if judgements.exists():
        with judgements.open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        col = rows[0].index("item_id")
        kept = [rows[0]] + [r for r in rows[1:] if r[col] not in NEW_JUDGED]
        with judgements.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(kept)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default=REFERENCE, help="reference commit (default %(default)s)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        code = Path(tmp) / "code"
        code.mkdir()
        _extract(args.rev, code)
        for src, stem, years in CASES:
            # the folder keeps its name: the JSON's dataset block names it
            data = Path(tmp) / "data" / stem / Path(src).name
            _copy_data(ROOT / src, data)
            for year in years:
                for lang in ("zh", "en"):
                    cmd = [sys.executable, "-c", "from balance_lib.cli import app; app()",
                           "evaluate", str(data), "--year", str(year), "--format", "json",
                           "--lang", lang]
                    out = subprocess.run(cmd, cwd=code, env={"PYTHONPATH": str(code),
                                                             "PATH": "/usr/bin:/bin"},
                                         capture_output=True, check=False)
                    if out.returncode != 0:
                        sys.stderr.write(out.stderr.decode("utf-8", "replace"))
                        return out.returncode
                    name = f"{stem}-{year}{'.en' if lang == 'en' else ''}.json.gz"
                    (GOLDEN / name).write_bytes(gzip.compress(out.stdout, mtime=0))
                    print(f"tests/golden/{name}  {len(out.stdout):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
