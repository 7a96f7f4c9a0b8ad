"""Reading a YAML file given by a user (settings, scenarios) in bounded time and memory.

``yaml.safe_load`` already refuses tags that build Python objects, but not the rest of what a
hostile file can do: an *alias bomb* (``a: &a [x, x]``, ``b: &b [*a, *a]`` … nine lines that
expand into a billion items as soon as anything walks or formats the value), nesting deep
enough to exhaust the interpreter's stack, a file of gigabytes, a FIFO that blocks forever,
bytes that are not UTF-8. :func:`load_yaml` refuses each of them with :class:`YamlFileError`
(a message in both languages, with the line where there is one), within the limits of
:mod:`balance_lib.limits`:

* at most :data:`~balance_lib.limits.MAX_YAML_BYTES` bytes, read from a regular file only;
* at most :data:`~balance_lib.limits.MAX_YAML_ALIASES` aliases, at most
  :data:`~balance_lib.limits.MAX_YAML_DEPTH` levels of nesting, and at most
  :data:`~balance_lib.limits.MAX_YAML_NODES` nodes once every alias is expanded (counted on
  the composed node graph, before any Python object is made).

>>> import tempfile, os
>>> bomb = "a: &a [x, x]\\n" + "".join(
...     f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}]\\n" for p, c in zip("abcdefgh", "bcdefghi"))
>>> with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
...     _ = f.write(bomb)
>>> try:
...     load_yaml(f.name)
... except YamlFileError as exc:
...     print(exc.en)
the YAML expands into more than 100,000 nodes through its aliases (&anchor / *alias): write the values out
>>> os.unlink(f.name)
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

from .limits import MAX_YAML_ALIASES, MAX_YAML_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES
from .safetext import quote

__all__ = ["YamlFileError", "load_yaml", "parse_yaml", "BoundedLoader"]


class YamlFileError(ValueError):
    """A YAML file that cannot be used: what is wrong, in Chinese and English."""

    def __init__(self, zh: str, en: str, line: int | None = None):
        self.zh, self.en, self.line = zh, en, line
        super().__init__(en)


class _Limit(yaml.YAMLError):
    def __init__(self, zh: str, en: str, mark: Any = None):
        super().__init__(en)
        self.zh, self.en, self.mark = zh, en, mark


class BoundedLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that counts aliases and nesting while it composes."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D102 - PyYAML hook
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise _Limit(f"别名（*alias）超过 {MAX_YAML_ALIASES:,} 个",
                             f"more than {MAX_YAML_ALIASES:,} aliases (*alias)",
                             self.peek_event().start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise _Limit(f"嵌套超过 {MAX_YAML_DEPTH} 层", f"nested deeper than {MAX_YAML_DEPTH} levels",
                             self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


#: Characters of a scalar that count as one more node: a 1 MB text repeated through aliases
#: is as much work to show as a million small values.
_CHARS_PER_NODE = 100


def _expanded_size(root: yaml.Node) -> int:
    """Nodes of ``root`` with every alias expanded (shared nodes counted each time; long texts
    count as several), capped just above the limit. Iterative and memoised: linear in the
    graph, whatever it expands into."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):  # a long text costs as much as many small nodes
            sizes[key] = 1 + len(node.value) // _CHARS_PER_NODE
            continue
        children = ([c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode)
                    else list(node.value))
        if done:
            total = 1 + sum(sizes.get(id(c), 0) for c in children)
            sizes[key] = min(total, MAX_YAML_NODES + 1)
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def load_yaml(path: str | Path, *, trusted: bool = False) -> Any:
    """The parsed YAML of ``path`` (None for an empty file), or :class:`YamlFileError`.

    ``trusted``: a file that ships with the project (the national registry, the default
    settings), parsed by libyaml's safe loader (C, several times faster) once the checks of
    size and encoding have passed; the node bounds are only needed for files from outside.
    """
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise YamlFileError("找不到该文件", "file not found") from None
    except OSError as exc:
        raise YamlFileError(f"无法读取（{exc.strerror}）", f"cannot be read ({exc.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise YamlFileError("这是一个文件夹，请给出 YAML 文件", "it is a folder: give a YAML file")
    if not stat.S_ISREG(st.st_mode):
        raise YamlFileError("不是普通文件（命名管道、设备等）", "not a regular file (a FIFO, a device …)")
    if st.st_size > MAX_YAML_BYTES:
        raise YamlFileError(f"文件有 {st.st_size:,} 字节，超过上限 {MAX_YAML_BYTES:,} 字节",
                            f"the file has {st.st_size:,} bytes, above the limit of "
                            f"{MAX_YAML_BYTES:,}")
    try:
        with open(p, "rb") as fh:
            raw = fh.read(MAX_YAML_BYTES + 1)
    except OSError as exc:
        raise YamlFileError(f"无法读取（{exc.strerror}）", f"cannot be read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise YamlFileError(f"第 {line} 行不是 UTF-8 编码（请以 UTF-8 保存）",
                            f"line {line} is not UTF-8 (save the file as UTF-8)", line) from None
    return parse_yaml(text, trusted=trusted)


def parse_yaml(text: str, *, trusted: bool = False) -> Any:
    """The parsed YAML of ``text`` (None when it holds nothing), with the limits of
    :func:`load_yaml` on aliases, nesting and expanded size, or :class:`YamlFileError`: for
    YAML typed in a form (the scenario explorer), which never went through a file.
    ``trusted``: text of a file that ships with the project (:func:`load_yaml`).

    >>> parse_yaml("[1, {a: b}]")
    [1, {'a': 'b'}]
    >>> try:
    ...     parse_yaml("a: &a [x, x]\\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\\n"
    ...                "c: [" + ", ".join(["*b"] * 1001) + "]")
    ... except YamlFileError as exc:
    ...     print(exc.en)
    line 3: more than 1,000 aliases (*alias)
    """
    if len(text) > MAX_YAML_BYTES:
        raise YamlFileError(f"文本有 {len(text):,} 个字符，超过上限 {MAX_YAML_BYTES:,}",
                            f"the text has {len(text):,} characters, above the limit of "
                            f"{MAX_YAML_BYTES:,}")
    loader = None
    if trusted and hasattr(yaml, "CSafeLoader"):
        try:
            return yaml.load(text, Loader=yaml.CSafeLoader)  # noqa: S506 - the safe loader
        except yaml.YAMLError as exc:
            raise YamlFileError("YAML 语法错误", f"YAML syntax error ({quote(exc)})") from None
    try:
        loader = BoundedLoader(text)  # its reader refuses control characters at once
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node) > MAX_YAML_NODES:
            raise _Limit(f"通过别名（&锚点 / *别名）展开后超过 {MAX_YAML_NODES:,} 个节点：请直接写出取值",
                         f"the YAML expands into more than {MAX_YAML_NODES:,} nodes through its "
                         "aliases (&anchor / *alias): write the values out")
        return loader.construct_document(node)
    except _Limit as exc:
        line = exc.mark.line + 1 if exc.mark is not None else None
        where_zh, where_en = (f"第 {line} 行: ", f"line {line}: ") if line else ("", "")
        raise YamlFileError(where_zh + exc.zh, where_en + exc.en, line) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = quote(getattr(exc, "problem", None) or str(exc))
        where_zh, where_en = (f"第 {line} 行: ", f"line {line}: ") if line else ("", "")
        raise YamlFileError(f"{where_zh}YAML 语法错误（{problem}）",
                            f"{where_en}YAML syntax error ({problem})", line) from None
    except RecursionError:  # a structure the constructor cannot walk (the depth limit is first)
        raise YamlFileError("结构嵌套过深", "the structure is nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()
