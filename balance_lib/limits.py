"""Every limit on the work an input can cause, in one place (documented in ``data/README.md``,
section "Limits").

Data are hostile until shown otherwise: a small file may claim a million rows, a YAML file may
expand into billions of nodes, a setting may ask for 10⁸ decimals. Each limit below is checked
at the boundary, before the work it bounds, and going beyond it is a located problem (file,
row or cell, column or key) with exit status 2, found in bounded time and memory.

The numbers are far above anything a county, prefecture or province needs: a province has
about 30,000 schools, four years of them are 120,000 rows.
"""

from __future__ import annotations

MiB = 1 << 20

# --- input tables --------------------------------------------------------------------------

#: Largest CSV file read (bytes). About 5.8 million rows of ``schools.csv``; reading needs about
#: three times the file size in memory (``benchmarks/README.md``).
MAX_CSV_BYTES = 1024 * MiB
#: Largest Parquet file read (bytes, compressed): a few million rows of ``schools``.
MAX_PARQUET_BYTES = 512 * MiB
#: Largest ``.xlsx`` workbook read (bytes, compressed) and the largest uncompressed part in it
#: (a worksheet's XML, the shared strings): a zip bomb is refused before it is inflated.
MAX_WORKBOOK_BYTES = 256 * MiB
MAX_WORKBOOK_PART_BYTES = 1024 * MiB
#: Rows of one table (file or sheet), counted up to the last row that holds anything.
MAX_ROWS = 5_000_000
#: Columns of one table: statistics exports carry many unknown columns, but not thousands.
MAX_COLUMNS = 1_000
#: Cells of one worksheet read (rows × columns up to its last used cell).
MAX_CELLS = 10_000_000
#: Sheets of one workbook.
MAX_SHEETS = 200
#: Largest count (students, teachers, rooms, population) and amount (m², 元, 万元) in any cell
#: or setting: beyond them a value is a typing error, and the sums over a nation stay exact in
#: float64 (2⁵³ ≈ 9 × 10¹⁵).
MAX_COUNT = 10_000_000
MAX_AMOUNT = 1e12
#: Rows listed for one problem of one column (e.g. 1,000 cells that are not numbers); beyond
#: that one more line gives the count of the rest. The exit status is 2 all the same.
MAX_PROBLEMS_PER_RULE = 1_000

# --- YAML (settings, scenarios) ------------------------------------------------------------

#: Largest settings or scenario file (bytes).
MAX_YAML_BYTES = 1 * MiB
#: Nodes of a YAML document once every alias is expanded (an alias bomb of a few hundred
#: bytes expands into billions).
MAX_YAML_NODES = 100_000
#: Aliases (``*name``) in one YAML document.
MAX_YAML_ALIASES = 1_000
#: Nesting depth of a YAML document.
MAX_YAML_DEPTH = 50

# --- settings --------------------------------------------------------------------------------

#: Decimals shown for a CV (``cv_display_decimals``): the precision the results keep
#: (:data:`balance_lib.formats.STORED_DECIMALS`).
MAX_DISPLAY_DECIMALS = 6
#: Characters of a county's name or code in the settings (``county.name``, ``county.code``)
#: and of a milestone's label; milestones a settings file may list.
MAX_COUNTY_TEXT = 60
MAX_MILESTONES = 20
#: A split weight (``split_weights``) is a positive number up to this.
MAX_SPLIT_WEIGHT = 100.0

# --- command line ----------------------------------------------------------------------------

#: Years one ``--years`` range may span (they must also be years of the data).
MAX_YEAR_SPAN = 200
#: Characters of an output file name derived from an id (``render.safe_name``); the id itself
#: stays whole in the manifest and on the page.
MAX_NAME_CHARS = 80
#: Characters of one data value quoted in a message (the rest is cut with "…").
MAX_QUOTED_CHARS = 200
