"""A column of text cells kept as pyarrow arrays until Python strings are asked for.

pyarrow's CSV reader (:mod:`._csvarrow`) gives every column as an Arrow array; an import turns
most of them into Python strings (what ``sqlite3`` binds), but not all: a plain-number column
(amounts, coordinates, visits) is cast from Arrow straight to numpy, and its text is read only
for the message about a row that is not a number. Making those strings anyway was a third of
the reading thread's conversions (about 10 s of a 10M-account import, with the GIL held).

:class:`ArrowText` behaves as the list of the column's strings; the list is made on first
use, except for what is answered from the arrays themselves: the length, ``"" in column`` /
``value in column`` and :meth:`extend` by another column that is not made yet.
"""

from __future__ import annotations

from collections import UserList
from collections.abc import Iterable, Iterator
from typing import Any


class ArrowText(UserList[str]):
    """The texts of pyarrow string ``arrays`` (in order) as one list, made when first used
    (``ArrowText(texts)`` is a list made already)."""

    def __init__(self, texts: Iterable[str] | None = None, *, arrays: Iterable[Any] = ()) -> None:
        # UserList's own methods (slices, copies, sums) call ArrowText(texts): a made list
        self._arrays: list[Any] = list(arrays)
        self._texts: list[str] | None = None if texts is None else list(texts)

    @property  # UserList's attribute, made when first read
    def data(self) -> list[str]:
        if self._texts is None:
            texts: list[str] = []
            for array in self._arrays:
                texts.extend(array.to_pylist())
            self._texts, self._arrays = texts, []
        return self._texts

    @data.setter
    def data(self, texts: list[str]) -> None:
        self._texts, self._arrays = texts, []

    @property
    def made(self) -> bool:
        """Have the Python strings been made?"""
        return self._texts is not None

    def __len__(self) -> int:
        if self._texts is None:
            return sum(len(a) for a in self._arrays)
        return len(self._texts)

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __contains__(self, value: object) -> bool:
        if self._texts is None and isinstance(value, str):
            import pyarrow.compute as pc

            return any(bool(pc.any(pc.equal(a, value)).as_py()) for a in self._arrays if len(a))
        return value in self.data

    def extend(self, other: Iterable[str]) -> None:
        if self._texts is None and isinstance(other, ArrowText) and other._texts is None:
            self._arrays.extend(other._arrays)
        else:
            self.data.extend(other)
