"""The balance chart's quota views: what each territory is asked for against what it did.

- *Quota vs commitment vs last year's revenue*: a bar per territory (its quota, in its
  colour), a dashed step at last year's revenue (the growth asked is the gap between them) and
  a diamond at the bottom-up commitment where one was given.
- *Difficulty*: the difficulty index per territory (1.0 is the plan's typical territory, the
  dashed step), red when flagged hard, green when easy, the territory colour otherwise.

Pure data here (from ``plan.rows()``); the chart paints it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PySide6.QtGui import QColor

from planner.ui.numbers import full

FLAG_COLOURS = {"hard": QColor("#e53935"), "easy": QColor("#43a047")}


@dataclass
class ChartView:
    values: NDArray[np.float64]
    line: NDArray[np.float64]
    markers: NDArray[np.float64]
    colours: list[QColor]
    names: list[str]
    title: str
    key: str
    describe: Callable[[int], str]


def _col(rows: Sequence[dict[str, Any]], key: str) -> NDArray[np.float64]:
    return np.array([np.nan if r.get(key) is None else float(r[key]) for r in rows])


def quota_view(rows: Sequence[dict[str, Any]], year: int | None) -> ChartView:
    quota, revenue, commit = _col(rows, "quota"), _col(rows, "revenue"), _col(rows, "commitment")
    names = [str(r["name"]) for r in rows]

    def describe(i: int) -> str:
        lines = [names[i], f"quota FY{year}: " + ("none" if np.isnan(quota[i]) else full(quota[i]))]
        lines.append(f"last year's revenue: {full(revenue[i])}")
        if not np.isnan(commit[i]):
            lines.append(f"commitment: {full(commit[i])}")
        growth = rows[i].get("growth")
        if growth is not None:
            lines.append(f"growth asked: {growth:+.1%}")
        return "\n".join(lines)

    return ChartView(
        np.nan_to_num(quota), revenue, commit, [QColor(str(r["colour"])) for r in rows], names,
        f"Quota FY{year}",
        "Bars: quota · dashed: last year's revenue · ◆: commitment (bottom-up)",
        describe,
    )  # fmt: skip


def difficulty_view(rows: Sequence[dict[str, Any]], year: int | None) -> ChartView:
    diff = _col(rows, "difficulty")
    names = [str(r["name"]) for r in rows]
    colours = [FLAG_COLOURS.get(str(r.get("flag") or ""), QColor(str(r["colour"]))) for r in rows]

    def describe(i: int) -> str:
        r = rows[i]
        if np.isnan(diff[i]):
            return f"{names[i]}\nno quota or nothing to judge it by"
        flag = f" ({r['flag']})" if r.get("flag") else ""
        mult = r.get("multiplier")
        text = f"{names[i]}\ndifficulty {diff[i]:.2f}{flag}"
        if r.get("share_of_potential") is not None:
            text += f"\nquota ÷ potential {r['share_of_potential']:.1%}"
        if r.get("growth") is not None:
            text += f"\ngrowth asked {r['growth']:+.1%}"
        return text + (f"\nsuggested multiplier × {mult:.2f}" if mult is not None else "")

    return ChartView(
        np.nan_to_num(diff), np.ones(len(rows)), np.zeros(0), colours, names,
        f"Difficulty FY{year}",
        "Bars: difficulty (1.0 = the plan's typical territory, dashed) · red: hard · green: easy",
        describe,
    )  # fmt: skip
