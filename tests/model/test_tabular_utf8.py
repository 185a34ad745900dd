"""The fast UTF-8 check of a whole file agrees with Python's codec, whatever the block size."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.model.io import _tabular
from planner.model.io._tabular import _decode_problem

TEXT = "id,name\n1,Zoë Café\n2,北京贸易有限公司\n3,🙂 smiles\n4,plain\n"


@pytest.mark.parametrize("block", [1, 2, 3, 5, 7, 64, 1 << 24])
@pytest.mark.parametrize("newlines", [True, False])
def test_valid_text_split_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int, newlines: bool
) -> None:
    monkeypatch.setattr(_tabular, "_DECODE_BLOCK", block)
    path = tmp_path / "ok.csv"
    path.write_text(TEXT if newlines else TEXT.replace("\n", ";"), encoding="utf-8")
    assert _tabular._valid_utf8(path)
    assert _decode_problem(path, "utf-8") is None


@pytest.mark.parametrize(
    "bad", [b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80", b"\xe2\x82", b"\xff"]
)
@pytest.mark.parametrize("block", [2, 1 << 24])
def test_invalid_bytes_named_with_their_position(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: bytes, block: int
) -> None:
    monkeypatch.setattr(_tabular, "_DECODE_BLOCK", block)
    path = tmp_path / "bad.csv"
    head = "id,name\n1,Zoë\n".encode()
    path.write_bytes(head + b"2," + bad + b"x\n")
    assert not _tabular._valid_utf8(path)
    problem = _decode_problem(path, "utf-8")
    assert problem is not None
    assert f"position {len(head) + 2}" in problem


def test_an_encoding_python_does_not_know_is_named(tmp_path: Path) -> None:
    """``--encoding nope``: refused in one line naming it, as before the UTF-8 fast check."""
    path = tmp_path / "a.csv"
    path.write_bytes(b"id,name\nA1,x\n")
    assert _decode_problem(path, "nope") == "unknown encoding: nope"
