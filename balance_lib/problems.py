"""The one shape of an input error that lists every problem at once.

A file with problems (a scenario file, a cost file) raises one exception holding all of them,
each with its location; :meth:`ProblemsError.format` is the head line and one indented line
per problem, in Chinese or English. Subclasses give the head line (:meth:`head`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class ProblemsError(ValueError):
    """Every problem of one input; ``.problems`` holds them (each with ``format(lang)``)."""

    def __init__(self, problems: Iterable[Any]):
        self.problems = list(problems)
        super().__init__(self.format())

    def head(self, lang: str = "zh") -> str:
        """The first line: how many problems, and in what."""
        n = len(self.problems)
        return f"有 {n} 处问题：" if lang == "zh" else f"{n} problem(s):"

    def format(self, lang: str = "zh") -> str:
        return "\n".join([self.head(lang), *("  " + p.format(lang) for p in self.problems)])

    def __str__(self) -> str:
        return self.format()
