"""A column of strings kept as one UTF-8 buffer and offsets, decoded when asked for.

Ten million account names as Python ``str`` objects take ~700 MB and seconds to build; the map,
the balance and the optimiser never read them. :class:`StringColumn` holds them as two numpy
arrays (the bytes, and where each string starts) and decodes only what is indexed: one name for
a tooltip, the moved accounts' names for an impact report. It indexes like an object array
(an int gives a ``str``; a slice, a boolean mask or an index array give an object array), so code
written for ``NDArray[np.object_]`` keeps working.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: At most this many strings are read one by one from a column not loaded yet.
PICK_MAX = 5000


class StringColumn:
    """Immutable strings: ``data`` (uint8 UTF-8 bytes) and ``offsets`` (int64, len n + 1)."""

    __slots__ = ("_data", "_length", "_loader", "_offsets", "_pick")

    def __init__(self, data: NDArray[np.uint8], offsets: NDArray[np.int64]) -> None:
        self._data: NDArray[np.uint8] | None = data
        self._offsets: NDArray[np.int64] | None = offsets
        self._loader: Callable[[], StringColumn] | None = None
        self._pick: Callable[[NDArray[np.int64]], list[str] | None] | None = None
        self._length: int | None = None

    @classmethod
    def lazy(
        cls,
        loader: Callable[[], StringColumn],
        *,
        length: int | None = None,
        pick: Callable[[NDArray[np.int64]], list[str] | None] | None = None,
    ) -> StringColumn:
        """A column read by ``loader`` the first time it is used (ids and names of 10M accounts
        stay on disk until a tooltip, a report or a search needs them).

        With ``length`` and ``pick`` (the strings at some indices, or None when it cannot),
        a few strings (up to :data:`PICK_MAX`: the names of an alert list, a tooltip) are read
        without loading the column: 300 MB of names took seconds to serve one tooltip."""
        column = cls(np.zeros(0, np.uint8), np.zeros(1, np.int64))
        column._data = column._offsets = None
        column._loader, column._length, column._pick = loader, length, pick
        return column

    def _picked(self, index: NDArray[np.int64]) -> list[str] | None:
        """``index``'s strings read one by one if the column is not loaded yet (else None)."""
        if self._loader is None or self._pick is None or len(index) > PICK_MAX:
            return None
        return self._pick(index)

    def _load(self) -> None:
        if self._loader is not None:
            loaded, self._loader, self._pick = self._loader(), None, None
            self._data, self._offsets = loaded.data, loaded.offsets

    @property
    def data(self) -> NDArray[np.uint8]:
        self._load()
        assert self._data is not None
        return self._data

    @property
    def offsets(self) -> NDArray[np.int64]:
        self._load()
        assert self._offsets is not None
        return self._offsets

    @classmethod
    def from_strings(cls, values: Iterable[Any]) -> StringColumn:
        encoded = [str(v).encode("utf-8") for v in values]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
        data = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        return cls(data, offsets)

    @classmethod
    def from_bytes(cls, values: Iterable[bytes]) -> StringColumn:
        """Byte strings packed the same way (WKB geometries for the display cache)."""
        chunks = list(values)
        offsets = np.zeros(len(chunks) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in chunks], out=offsets[1:])
        return cls(np.frombuffer(b"".join(chunks), dtype=np.uint8), offsets)

    def raw(self, i: int) -> bytes:
        """The bytes of entry ``i`` (undecoded)."""
        return self.data[int(self.offsets[i]) : int(self.offsets[i + 1])].tobytes()

    def __len__(self) -> int:
        if self._loader is not None and self._length is not None:
            return self._length
        return len(self.offsets) - 1

    def _one(self, i: int) -> str:
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"index {i} out of range for {n} strings")
        picked = self._picked(np.array([i], dtype=np.int64))
        if picked is not None:
            return picked[0]
        start, end = int(self.offsets[i]), int(self.offsets[i + 1])
        return self.data[start:end].tobytes().decode("utf-8")

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, (int, np.integer)):
            return self._one(int(key))
        index = self._indices(key)
        picked = self._picked(index)
        if picked is not None:
            out = np.empty(len(index), dtype=object)
            out[:] = picked
            return out
        # Bounds looked up once for the whole selection (per item, the lookups cost 30 us:
        # 0.6 s for the 10k moved accounts' ids and names of an impact)
        data, offsets = self.data, self.offsets
        starts, ends = offsets[index].tolist(), offsets[index + 1].tolist()
        out = np.empty(len(index), dtype=object)
        out[:] = [data[a:b].tobytes().decode("utf-8") for a, b in zip(starts, ends, strict=True)]
        return out

    def _indices(self, key: Any) -> NDArray[np.int64]:
        """``key`` (slice, boolean mask or integer indices) as indices, without building an
        index of every entry (80 MB at 10M accounts for a tooltip's one name)."""
        n = len(self)
        if isinstance(key, slice):
            return np.arange(*key.indices(n), dtype=np.int64)
        k = np.asarray(key)
        if k.dtype == np.bool_:
            if k.shape != (n,):
                raise IndexError(f"boolean index of {k.shape} for {n} strings")
            return np.flatnonzero(k).astype(np.int64)
        k = k.astype(np.int64, copy=False).ravel()
        k = np.where(k < 0, k + n, k)
        if len(k) and (k.min() < 0 or k.max() >= n):
            raise IndexError(f"index out of range for {n} strings")
        return k

    def __iter__(self) -> Iterator[str]:
        raw = self.data.tobytes()
        offsets = self.offsets.tolist()
        for start, end in itertools.pairwise(offsets):
            yield raw[start:end].decode("utf-8")

    def __array__(self, dtype: Any = None, copy: Any = None) -> NDArray[Any]:
        """Every string as an object array (what ``np.asarray`` and pandas need); ASCII text
        is decoded once and sliced (byte and character offsets agree)."""
        out = np.empty(len(self), dtype=object)
        data = self.data
        if len(data) and int(data.max()) < 128:
            text = data.tobytes().decode("ascii")
            bounds = self.offsets.tolist()
            out[:] = [text[a:b] for a, b in itertools.pairwise(bounds)]
        else:
            out[:] = list(self)
        return out if dtype is None else out.astype(dtype)

    def tolist(self) -> list[str]:
        return list(self)

    def find(self, needle: str) -> NDArray[np.int64]:
        """Indices of the strings containing ``needle``, case-insensitively (Ctrl+F); decodes
        one string at a time, keeping none."""
        target = needle.casefold()
        hits = [i for i, s in enumerate(self) if target in s.casefold()]
        return np.asarray(hits, dtype=np.int64)
