"""Numbers in imported cells: the fast (pyarrow) reading of plain numbers gives what float()
gives, and every other form still goes through the full parsers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.model.io._columns import parse_money, parse_number

_plain = st.from_regex(r"\A[+-]?(\d{1,30}\.?\d{0,30}|\.\d{1,30})([eE][+-]?\d{1,3})?\Z")


def _expected(text: str) -> float:
    value = float(text)
    return value if math.isfinite(value) else math.nan


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_plain, st.just("")), min_size=1, max_size=40))
def test_plain_numbers_read_as_float_reads_them(texts: list[str]) -> None:
    values, bad = parse_number(pd.Series(texts, dtype=object))
    expected = [math.nan if t == "" else _expected(t) for t in texts]
    assert np.array_equal(values, np.array(expected), equal_nan=True)
    assert bad.tolist() == [t != "" and not math.isfinite(float(t)) for t in texts]


def test_other_forms_still_parsed_with_the_plain_ones() -> None:
    texts = ["12", "", "$1,200", "1.2M", "12,5", "(1,000)", "１２", "1_000", "x", "inf"]
    money, bad_money = parse_money(pd.Series(texts, dtype=object))
    assert money[[0, 2, 3, 4, 5, 6, 7]].tolist() == [12, 1200, 1.2e6, 12.5, -1000, 12, 1000]
    assert bad_money.tolist() == [False] * 8 + [True, True]
    number, bad_number = parse_number(pd.Series(texts, dtype=object))
    assert number[[0, 4, 6, 7]].tolist() == [12, 12.5, 12, 1000]
    assert bad_number[[1, 2, 8, 9]].tolist() == [False, True, True, True]
