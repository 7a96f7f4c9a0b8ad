"""Bounded readers of one table file: the cells of a CSV file or of one worksheet, as text.

:mod:`balance_lib.io` decides what the cells mean; this module only gets them out of a file
without letting the file decide how much work that is (:mod:`balance_lib.limits`).

CSV
    Parsed by Apache Arrow (``pyarrow.csv``, streaming, 1 MiB blocks) into Arrow string columns:
    a million-row ``schools.csv`` takes about two seconds and a third of the memory of one
    Python string per cell (``benchmarks/README.md``). Arrow parses in a thread of its own, one
    block of batches ahead of the caller, so that on two cores parsing and typing overlap.
    Every cell stays text (no type inference: ``007`` stays ``007``); quoted values may hold new
    lines; a blank line is a row of empty cells (so row numbers stay those a spreadsheet shows).
    UTF-8 (with or without BOM), GBK (read as its superset GB18030) and UTF-16 with a BOM are
    read; a file that starts as UTF-8 and goes on in GBK (or has a UTF-8 BOM before a GBK body)
    is refused as *mixed*, with its line. Whether a file is UTF-8 is checked by Arrow's UTF-8
    validation; only a file that is not is decoded in Python to tell GBK from a mixed file. The
    delimiter is a comma, a tab or a semicolon, whichever the first line uses most. A row with
    fewer values than the header is padded with empty cells; one with more is a located
    problem unless the extra values are empty (trailing delimiters).
Parquet
    Read with Apache Arrow (``pyarrow.parquet``) in batches of rows, after checking the file's
    size, rows and columns in its footer. Every cell is turned into the text a CSV file of the
    same table would hold (numbers as Arrow writes them, whole numbers without a decimal point,
    ``true``/``false``, missing values and NaN as empty cells), so that a Parquet table is typed
    and validated exactly like a CSV one, with the same messages. Rows are numbered as in that
    CSV file: the column names are row 1, the first record is row 2. A column of a type that
    has no text form (lists, structs, binary) makes the file unreadable, naming the column.
Worksheets
    Read with openpyxl in read-only mode, values only (the cached result of a formula). The
    sheet's claimed dimension is ignored (a small file may claim 1,048,576 × 16,384 cells): rows
    are read as they are stored and every one is checked against the row, column and cell
    limits before it is kept. A streaming scan of the sheet's XML finds what openpyxl's values
    hide: merged ranges (only their first cell holds the value) and formulas without a cached
    value (written by a program that does not calculate); :mod:`balance_lib.io` reports those
    in the table's rows as problems with their cell. Sheet visibility comes from the workbook
    part. Each part of the zip is checked against its size limit before it is inflated.

A grid is a :class:`pandas.DataFrame` of text (``""`` for an empty cell) whose index is the
spreadsheet row number minus one; empty rows may be absent. What a reader noticed travels in
``grid.attrs``: ``"bad_rows"`` (CSV rows with too many values: (row, values, expected)),
``"merged"`` ((first row, first column, last row, last column) of each merged range) and
``"formulas"`` ((row, column) of each formula without a cached value), all 1-based.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import itertools
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .safetext import quote
from .limits import (
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_CSV_BYTES,
    MAX_PARQUET_BYTES,
    MAX_ROWS,
    MAX_SHEETS,
    MAX_WORKBOOK_BYTES,
    MAX_WORKBOOK_PART_BYTES,
    MiB,
)

__all__ = ["TableFileError", "SheetInfo", "csv_blocks", "parquet_blocks", "csv_encoding", "workbook_sheets", "sheet_grid",
           "sheet_head", "column_letter", "cell_ref", "STRING_DTYPE"]

#: Text columns backed by Arrow (NaN as the missing value, like pandas' default ``str``).
STRING_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)
#: Rows of a worksheet (the format's own limit) and columns (XFD).
SHEET_ROWS, SHEET_COLUMNS = 1_048_576, 16_384
_PREFIX_BYTES = 1 * MiB
_BLOCK_BYTES = 1 * MiB


class TableFileError(ValueError):
    """A table file that cannot be read, with a message for people in both languages."""

    def __init__(self, zh: str, en: str):
        self.zh, self.en = zh, en
        super().__init__(f"{zh} / {en}")


def column_letter(col: int) -> str:
    """``1`` → ``A``, ``28`` → ``AB`` (spreadsheet column letters).

    >>> column_letter(1), column_letter(28), column_letter(16384)
    ('A', 'AB', 'XFD')
    """
    out = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def cell_ref(row: int, col: int) -> str:
    """``cell_ref(5, 3)`` → ``C5``."""
    return f"{column_letter(col)}{row}"


def _size_error(what_zh: str, what_en: str, size: int, limit: int) -> TableFileError:
    return TableFileError(
        f"{what_zh}有 {size / MiB:,.0f} MiB，超过上限 {limit / MiB:,.0f} MiB（见 data/README.md 的“上限”）",
        f"{what_en} is {size / MiB:,.0f} MiB, above the limit of {limit / MiB:,.0f} MiB "
        f"(see Limits in data/README.md)")


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------


def _mixed(bom: bool, line: int) -> TableFileError:
    start = "带 BOM 的 UTF-8" if bom else "UTF-8"
    return TableFileError(
        f"编码混用：文件以{start}开头，但第 {line} 行起不是 UTF-8（可能是 GBK）；"
        "请把整个文件用同一种编码重新保存（Excel：另存为“CSV UTF-8”）",
        f"mixed encodings: the file starts as {'UTF-8 with a BOM' if bom else 'UTF-8'} but "
        f"line {line} is not UTF-8 (GBK?); save the whole file again in one encoding "
        "(Excel: Save as 'CSV UTF-8')")


_NEITHER = ("编码既不是 UTF-8 也不是 GBK", "the encoding is neither UTF-8 nor GBK")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def csv_encoding(p: Path) -> str:
    """The encoding to read ``p`` with: ``utf-16`` (BOM), ``utf8`` or ``gb18030``.

    Arrow checks that the file is UTF-8 (:func:`_valid_utf8`); only a file that is not is
    decoded, in one streaming pass. A file that is not UTF-8 is GBK, unless it is evidently
    UTF-8 before its first bad byte (a UTF-8 BOM, or Chinese characters in UTF-8): that is a
    mixed file, refused with the line where UTF-8 ends.
    """
    with open(p, "rb") as fh:
        start = fh.read(4)
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    elif _valid_utf8(p):  # the usual case, checked by Arrow without decoding
        return "utf8"
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)()
        line, cjk = 1, 0
        try:
            with open(p, "rb") as fh:
                while chunk := fh.read(4 * MiB):
                    text = decoder.decode(chunk)
                    if encoding == "utf-8" and cjk < 2:
                        cjk += len(_CJK.findall(text[:100_000]))
                    line += chunk.count(b"\n")
                decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            if encoding == "utf-8":
                done = chunk[:max(exc.start, 0)]
                cjk += len(_CJK.findall(done.decode("utf-8", errors="ignore")))
                if start.startswith(codecs.BOM_UTF8) or cjk >= 2:
                    raise _mixed(start.startswith(codecs.BOM_UTF8),
                                 line + done.count(b"\n")) from None
            continue
        return "utf8" if encoding == "utf-8" else encoding
    raise TableFileError(*_NEITHER)


#: Bytes of a file checked as UTF-8 at a time (:func:`_valid_utf8`).
_UTF8_CHUNK_BYTES = 16 * MiB


def _valid_utf8(p: Path) -> bool:
    """Whether the whole file is valid UTF-8 (what Python's strict decoder accepts), checked
    by Arrow's UTF-8 validation in chunks cut after a new line (a multi-byte character never
    holds the byte of a new line): 0.05 s for 180 MB, a tenth of decoding it in Python."""
    import pyarrow as pa

    tail = b""
    with open(p, "rb") as fh:
        while True:
            chunk = fh.read(_UTF8_CHUNK_BYTES)
            data = tail + chunk
            cut = len(data) if not chunk else data.rfind(b"\n") + 1
            whole, tail = data[:cut], data[cut:]
            if whole:
                offsets = pa.py_buffer(np.array([0, len(whole)], dtype=np.int64))
                text = pa.LargeStringArray.from_buffers(1, offsets, pa.py_buffer(whole))
                try:
                    text.validate(full=True)
                except pa.ArrowInvalid:
                    return False
            if not chunk:
                return True


#: Arrow batches (of about 1 MiB of text each) gathered into one block of rows for io.
_BATCHES_PER_BLOCK = 16


def csv_blocks(p: Path, header_row: Callable[[list[list[str]]], int]) -> Iterator[pd.DataFrame]:
    """The cells of a CSV file from its header row on, in blocks of rows (see the module notes).

    ``header_row`` picks the header among the first rows (a list of rows of stripped text) and
    returns its position; the rows above it (titles) are skipped. The file's size, encoding and
    header are checked here; the rows are parsed as the blocks are taken, so that a large file
    is never held as text all at once. The first block starts with the header row.
    """
    size = p.stat().st_size
    if size > MAX_CSV_BYTES:
        raise _size_error("文件", "the file", size, MAX_CSV_BYTES)
    encoding = csv_encoding(p)
    with open(p, "rb") as fh:
        raw = fh.read(_PREFIX_BYTES)
    prefix = "utf-8-sig" if encoding == "utf8" else encoding
    text = codecs.getincrementaldecoder(prefix)(errors="replace").decode(raw, final=len(raw) == size)
    if size <= _PREFIX_BYTES and not text.strip():
        raise TableFileError("文件为空", "the file is empty")
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    sep = max((",", "\t", ";"), key=first.count)
    top = list(itertools.islice(csv.reader(io.StringIO(text, newline=""), delimiter=sep), 10))
    top = [[c.strip() for c in r] for r in top]
    head = header_row(top) if top else 0
    width = max(len(top[head]) if top else 1, 1)
    if width > MAX_COLUMNS:
        raise TableFileError(f"表头有 {width:,} 列，超过上限 {MAX_COLUMNS:,} 列",
                             f"the header has {width:,} columns, above the limit of "
                             f"{MAX_COLUMNS:,}")
    return _arrow_blocks(p, encoding, sep, head, width)


def _arrow_blocks(p: Path, encoding: str, sep: str, head: int, width: int
                  ) -> Iterator[pd.DataFrame]:
    import pyarrow as pa

    odd: list[tuple[int, str]] = []

    def invalid(row) -> str:
        odd.append((int(row.number) if row.number is not None else -1, row.text))
        return "skip"

    return_freed_memory(tune=p.stat().st_size > _TUNE_ABOVE_BYTES)
    try:
        reader = _open_csv(p, encoding, sep, head, width, invalid)
    except pa.ArrowException as exc:
        raise TableFileError(f"无法解析 CSV（{quote(exc)}）", f"cannot parse the CSV ({quote(exc)})") from None
    yield from _read_blocks(reader, odd, sep, head, width)


def _open_csv(p: Path, encoding: str, sep: str, head: int, width: int, invalid: Callable):
    import pyarrow as pa
    import pyarrow.csv as pcsv

    return pcsv.open_csv(
        str(p), memory_pool=pa.system_memory_pool(),
        read_options=pcsv.ReadOptions(skip_rows=head, autogenerate_column_names=True,
                                      block_size=_BLOCK_BYTES, use_threads=False,
                                      encoding=encoding),
        parse_options=pcsv.ParseOptions(delimiter=sep, newlines_in_values=True,
                                        ignore_empty_lines=False, invalid_row_handler=invalid),
        convert_options=pcsv.ConvertOptions(
            column_types={f"f{i}": pa.string() for i in range(width + 1)},
            strings_can_be_null=False, quoted_strings_can_be_null=False))


def _read_blocks(reader, odd: list[tuple[int, str]], sep: str, head: int, width: int
                 ) -> Iterator[pd.DataFrame]:
    import pyarrow as pa

    next_row = head + 1  # the record number (spreadsheet row) of the next row read
    batches: list = []
    n_odd = 0  # rows of ``odd`` in the blocks already made

    def block(last: bool = False) -> pd.DataFrame:
        nonlocal next_row, n_odd
        n = sum(b.num_rows for b in batches)
        # the rows Arrow set aside that lie among this block's rows, by their number: Arrow
        # may already have parsed (and reported rows of) the batches after the block
        end = next_row + n - 1
        take = n_odd
        while take < len(odd) and (last or odd[take][0] <= end or odd[take][0] < 0):
            take += 1
            end += 1
        new_odd = odd[n_odd:take]
        n_odd = take
        numbers = np.arange(next_row, next_row + n + len(new_odd), dtype=np.int64)
        next_row += n + len(new_odd)
        if new_odd:
            numbers = numbers[~np.isin(numbers, [r for r, _ in new_odd])]
        k = batches[0].num_columns if batches else width
        # Arrow's own string columns, not copied (pandas' ``str`` would copy them to
        # large_string): io turns each one it keeps into ``str`` as it types it
        grid = pd.DataFrame(
            {j: pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array(
                [b.column(j) for b in batches], pa.string()))) for j in range(k)}, copy=False)
        grid.index = pd.Index(numbers - 1)
        batches.clear()
        return _fix_odd_rows(grid, new_odd, sep, k)

    rows = 0
    try:
        for batch in _parsed_ahead(reader):
            batches.append(batch)
            rows += batch.num_rows
            if rows + len(odd) > MAX_ROWS:
                raise TableFileError(f"行数超过上限 {MAX_ROWS:,} 行",
                                     f"more than the limit of {MAX_ROWS:,} rows")
            if len(batches) >= _BATCHES_PER_BLOCK:
                yield block()
                return_freed_memory()  # the previous block's text and its temporaries
    except pa.ArrowException as exc:
        raise TableFileError(f"无法解析 CSV（{quote(exc)}）", f"cannot parse the CSV ({quote(exc)})") from None
    if batches or odd[n_odd:] or rows == 0:
        yield block(last=True)


def _parsed_ahead(reader) -> Iterator[object]:
    """The reader's batches, parsed by Arrow in a thread of its own (Arrow parses without the
    interpreter's lock) while the caller types the block before: on two cores the parsing
    costs little wall time. At most one block of batches waits; the thread stops when the
    caller stops taking them."""
    import queue
    import threading

    waiting: queue.Queue = queue.Queue(maxsize=_BATCHES_PER_BLOCK)
    stop = threading.Event()
    done = object()

    def hand_over(item: object) -> bool:
        while not stop.is_set():  # (the caller may stop taking them: then give up)
            try:
                waiting.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def parse() -> None:
        item: object = done
        try:
            while not stop.is_set():
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    break
                if not hand_over(batch):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, raised there
            item = exc
        hand_over(item)

    worker = threading.Thread(target=parse, name="balance-csv-parse", daemon=True)
    worker.start()
    try:
        while True:
            item = waiting.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


# ---------------------------------------------------------------------------------------------
# Parquet
# ---------------------------------------------------------------------------------------------

#: Records of a Parquet file typed at a time (about as many as a CSV block holds).
_PARQUET_BATCH_ROWS = 250_000


def parquet_blocks(p: Path) -> Iterator[pd.DataFrame]:
    """The cells of a Parquet file as text, in blocks of rows; the first block starts with a
    row of the column names (see the module notes)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    size = p.stat().st_size
    if size > MAX_PARQUET_BYTES:
        raise _size_error("文件", "the file", size, MAX_PARQUET_BYTES)
    try:
        pf = pq.ParquetFile(str(p), memory_map=False)
        meta = pf.metadata
    except (pa.ArrowException, OSError) as exc:
        raise TableFileError(f"不是可读的 Parquet 文件（{quote(exc)}）",
                             f"not a readable Parquet file ({quote(exc)})") from None
    if meta.num_columns > MAX_COLUMNS:
        raise TableFileError(f"有 {meta.num_columns:,} 列，超过上限 {MAX_COLUMNS:,} 列",
                             f"{meta.num_columns:,} columns, above the limit of {MAX_COLUMNS:,}")
    if meta.num_rows > MAX_ROWS:
        raise TableFileError(f"行数超过上限 {MAX_ROWS:,} 行",
                             f"more than the limit of {MAX_ROWS:,} rows")
    schema = pf.schema_arrow
    for f in schema:
        if _parquet_text(pa.nulls(0, f.type)) is None:
            raise TableFileError(
                f"列 “{quote(f.name)}” 的类型 {quote(f.type)} 不能作为表格单元格读取",
                f"column '{quote(f.name)}' has the type {quote(f.type)}, which has no cell value")
    return _parquet_blocks(pf, [str(f.name) for f in schema])


def _parquet_blocks(pf, names: list[str]) -> Iterator[pd.DataFrame]:
    import pyarrow as pa

    start = 0  # the grid's index is the spreadsheet row − 1: the header is row 1
    first = True
    try:
        batches = pf.iter_batches(batch_size=_PARQUET_BATCH_ROWS, use_threads=False)
        for batch in batches:
            columns = [_parquet_text(batch.column(j)) for j in range(batch.num_columns)]
            if first:  # the column names as the header row
                columns = [pa.concat_arrays([pa.array([name], pa.string()), c])
                           for name, c in zip(names, columns, strict=True)]
            first = False
            grid = _text_grid(columns)
            grid.index = pd.Index(np.arange(start, start + len(grid), dtype=np.int64))
            start += len(grid)
            yield grid
            return_freed_memory()
    except pa.ArrowException as exc:
        raise TableFileError(f"无法读取 Parquet（{quote(exc)}）",
                             f"cannot read the Parquet file ({quote(exc)})") from None
    if first:  # no row group at all: the header alone
        yield _text_grid([pa.array([name], pa.string()) for name in names])


def _text_grid(columns: list) -> pd.DataFrame:
    import pyarrow as pa

    return pd.DataFrame({j: pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array([c])))
                         for j, c in enumerate(columns)}, copy=False)


def _parquet_text(values):
    """One Parquet column as the text of CSV cells ("" where missing), or None when its type
    has no text form."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = values.type
    if pa.types.is_dictionary(t):
        values = values.cast(t.value_type)
        t = t.value_type
    if pa.types.is_floating(t):
        finite = pc.is_finite(values)
        whole = pc.and_(finite, pc.and_(pc.equal(pc.floor(values), values),
                                        pc.less_equal(pc.abs(values), 2.0**53)))
        as_int = pc.cast(pc.if_else(whole, values, pa.scalar(0.0, t)), pa.int64())
        text = pc.if_else(whole, pc.cast(as_int, pa.string()), pc.cast(values, pa.string()))
        # NaN is a missing value, as pandas writes it; ±inf stays "inf" (not a number)
        text = pc.if_else(pc.is_nan(values), pa.scalar(None, pa.string()), text)
    elif (pa.types.is_integer(t) or pa.types.is_boolean(t) or pa.types.is_string(t)
          or pa.types.is_large_string(t) or pa.types.is_decimal(t) or pa.types.is_temporal(t)
          or pa.types.is_null(t)):
        text = pc.cast(values, pa.string())
    else:
        return None
    return pc.fill_null(text, "")


_MALLOC_TUNED = False
#: Files above this size switch glibc to returning freed blocks at once (see below); smaller
#: ones are not worth the page faults it costs later computations.
_TUNE_ABOVE_BYTES = 64 * MiB


def return_freed_memory(tune: bool = False) -> None:
    """Give freed memory back to the system (Arrow's pool, glibc's heap); with ``tune``, also
    let glibc return freed blocks at once from now on (glibc only; elsewhere nothing is done).

    A large file is typed block by block: many arrays of a few hundred kilobytes are made and
    dropped while the typed columns grow. glibc's malloc raises its mmap threshold each time
    such an array is freed, after which they come from the heap and stay there as holes
    (about 200 MB for a million-row file). A fixed threshold keeps them in mmap, returned when
    freed; Arrow's CSV buffers come from the same allocator (``system_memory_pool``).
    """
    global _MALLOC_TUNED
    import sys

    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()
    libc = _libc()
    if libc is None:
        return
    if tune and not _MALLOC_TUNED:
        _MALLOC_TUNED = True
        libc.mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD: fixed, no dynamic adjustment
    libc.malloc_trim(0)


@functools.lru_cache(maxsize=1)
def _libc():
    """glibc, or None (another C library, another system)."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def _fix_odd_rows(grid: pd.DataFrame, odd: list[tuple[int, str]], sep: str, width: int
                  ) -> pd.DataFrame:
    """Pad short rows into the grid; a row with extra values that are not empty is a bad row."""
    bad: list[tuple[int, int, int]] = []
    extra: dict[int, list[str]] = {}
    for number, raw in odd:
        values = next(csv.reader([raw], delimiter=sep), [])
        if len(values) > width and any(v.strip() for v in values[width:]):
            bad.append((number, len(values), width))
        else:
            extra[number - 1] = (values + [""] * width)[:width]
    if extra:
        import pyarrow as pa

        added = pd.DataFrame.from_dict(extra, orient="index").astype(pd.ArrowDtype(pa.string()))
        added.columns = range(width)
        grid = pd.concat([grid, added]).sort_index(kind="stable")
    grid.attrs["bad_rows"] = bad
    return grid


# ---------------------------------------------------------------------------------------------
# Workbooks
# ---------------------------------------------------------------------------------------------

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


@dataclass(frozen=True)
class SheetInfo:
    """A worksheet: its name, visibility (``visible``, ``hidden``, ``veryHidden``) and part."""

    name: str
    state: str
    part: str


def _check_zip(p: Path) -> zipfile.ZipFile:
    size = p.stat().st_size
    if size > MAX_WORKBOOK_BYTES:
        raise _size_error("工作簿", "the workbook", size, MAX_WORKBOOK_BYTES)
    try:
        z = zipfile.ZipFile(p)
    except zipfile.BadZipFile:
        raise TableFileError("不是有效的 .xlsx 工作簿（无法作为 zip 打开）",
                             "not a valid .xlsx workbook (cannot be opened as a zip)") from None
    for info in z.infolist():
        if info.file_size > MAX_WORKBOOK_PART_BYTES:
            z.close()
            raise _size_error(f"工作簿中的 {info.filename} 解压后", f"{info.filename} unpacked",
                              info.file_size, MAX_WORKBOOK_PART_BYTES)
    return z


def _parse_xml(data: bytes):
    from defusedxml.ElementTree import fromstring

    return fromstring(data)


def workbook_sheets(p: Path) -> list[SheetInfo]:
    """The worksheets of a workbook in order, with their visibility (checked zip sizes)."""
    with _check_zip(p) as z:
        try:
            book = _parse_xml(z.read("xl/workbook.xml"))
            rels = _parse_xml(z.read("xl/_rels/workbook.xml.rels"))
        except KeyError as exc:
            raise TableFileError(f"工作簿缺少 {exc}", f"the workbook lacks {exc}") from None
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    sheets = []
    for s in book.iter(f"{_NS}sheet"):
        target = targets.get(s.get(f"{_REL}id"), "")
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        sheets.append(SheetInfo(str(s.get("name", "")), s.get("state") or "visible", part))
    if len(sheets) > MAX_SHEETS:
        raise TableFileError(f"工作簿有 {len(sheets)} 个工作表，超过上限 {MAX_SHEETS} 个",
                             f"the workbook has {len(sheets)} sheets, above the limit of "
                             f"{MAX_SHEETS}")
    return sheets


def _cell_text(value: object) -> str:
    """Text of one Excel cell as a person would read it (integral floats without ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return str(value)


def _rows(p: Path, sheet: str, max_rows: int | None = None):
    """(spreadsheet row, values) of the non-empty stored rows, each checked against the limits."""
    from openpyxl import load_workbook

    _check_zip(p).close()
    wb = load_workbook(p, read_only=True, data_only=True)
    try:
        ws = wb[sheet]
        ws.reset_dimensions()  # the claimed dimension is not trusted
        cells = 0
        limit = min(MAX_ROWS, SHEET_ROWS)
        for i, values in enumerate(ws.iter_rows(values_only=True), start=1):
            if max_rows is not None and i > max_rows:
                return
            if i > limit:
                raise TableFileError(f"工作表 {sheet} 超过 {limit:,} 行",
                                     f"sheet {sheet} has more than {limit:,} rows")
            if not values:
                continue
            if len(values) > MAX_COLUMNS:
                last = max(k for k, v in enumerate(values, 1) if v is not None) if any(
                    v is not None for v in values[MAX_COLUMNS:]) else len(values)
                raise TableFileError(
                    f"工作表 {sheet} 的单元格 {cell_ref(i, last)} 超出 {MAX_COLUMNS:,} 列的上限",
                    f"cell {cell_ref(i, last)} of sheet {sheet} is beyond the limit of "
                    f"{MAX_COLUMNS:,} columns")
            cells += len(values)
            if cells > MAX_CELLS:
                raise TableFileError(f"工作表 {sheet} 超过 {MAX_CELLS:,} 个单元格的上限",
                                     f"sheet {sheet} has more than the limit of {MAX_CELLS:,} "
                                     "cells")
            texts = [_cell_text(v) for v in values]
            if any(texts):
                yield i, texts
    finally:
        wb.close()


def sheet_head(p: Path, sheet: str, rows: int = 10) -> list[list[str]]:
    """The first ``rows`` rows of a sheet (for telling whether an unknown sheet is a table)."""
    return [[c.strip() for c in values] for _, values in _rows(p, sheet, max_rows=rows)]


def sheet_grid(p: Path, sheet: str, part: str | None = None) -> pd.DataFrame:
    """The cells of one worksheet (see the module notes); ``part`` is its XML part, scanned
    for merged ranges and formulas without a cached value."""
    rows = dict(_rows(p, sheet))
    if not rows:
        raise TableFileError(f"工作表 {sheet} 为空", f"sheet {sheet} is empty")
    width = max(len(r) for r in rows.values())
    grid = pd.DataFrame([r + [""] * (width - len(r)) for r in rows.values()],
                        index=pd.Index(np.fromiter(rows, dtype=np.int64) - 1), dtype=str)
    merged, formulas = _scan_sheet(p, part) if part else ([], [])
    grid.attrs["merged"] = merged
    grid.attrs["formulas"] = formulas
    return grid


_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")


def _parse_ref(ref: str) -> tuple[int, int] | None:
    m = _REF.match(ref.strip().upper().replace("$", ""))
    if not m:
        return None
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


def _mentions(z: zipfile.ZipFile, part: str, needles: Sequence[bytes]) -> bool:
    """Whether the inflated part contains any of ``needles`` (a fast byte scan, in chunks)."""
    keep = max(len(n) for n in needles)
    tail = b""
    with z.open(part) as fh:
        while chunk := fh.read(4 * MiB):
            block = tail + chunk
            if any(n in block for n in needles):
                return True
            tail = block[-keep:]
    return False


def _scan_sheet(p: Path, part: str) -> tuple[list[tuple[int, int, int, int]],
                                            list[tuple[int, int]]]:
    """Merged ranges and formula cells without a cached value of one sheet part."""
    from defusedxml.ElementTree import iterparse

    merged: list[tuple[int, int, int, int]] = []
    formulas: list[tuple[int, int]] = []
    with _check_zip(p) as z:
        if part not in z.namelist() or not _mentions(z, part, (b"mergeCell", b"<f", b":f")):
            return merged, formulas
        with z.open(part) as fh:
            for _, el in iterparse(fh, events=("end",)):
                tag = el.tag
                if tag == f"{_NS}c":
                    f = el.find(f"{_NS}f")
                    if f is not None:
                        v = el.find(f"{_NS}v")
                        is_ = el.find(f"{_NS}is")
                        if (v is None or not (v.text or "")) and is_ is None:
                            ref = _parse_ref(el.get("r", ""))
                            if ref is not None:
                                formulas.append(ref)
                    el.clear()
                elif tag == f"{_NS}row":
                    el.clear()
                elif tag == f"{_NS}mergeCell":
                    a, _, b = el.get("ref", "").partition(":")
                    first, last = _parse_ref(a), _parse_ref(b or a)
                    if first and last:
                        merged.append((first[0], first[1], last[0], last[1]))
    return merged, formulas
