"""Quota plans in and out as CSV/XLSX: one row per node and period.

Columns: ``territory`` (a territory or hierarchy node of the scenario, by name; the whole plan
is "All territories"), ``level``, ``period``, ``quota``, ``commitment``, ``adjusted``, ``note``.

Export writes one row per node and fiscal month (``period`` = the calendar month,
``2027-01``), so a file read back gives the same cents. Import accepts per row, for the fiscal
year given:

- ``period``: ``FY2027`` or ``2027`` (the year: spread like the node's current months, else by
  the plan's seasonality), ``Q1``..``Q4`` or ``FY2027-Q1`` (a quarter: spread like the node's
  months in it, else evenly), ``2027-01`` (one calendar month of the fiscal year);
- ``quota`` blank: the quota is left as it is (a commitment-only row);
- ``commitment`` blank: left as it is.

A node's rows may not mix the year with quarters or months, nor repeat a period. Imported
quotas are manual numbers: marked *adjusted* (kept by a new allocation). Nodes the file does
not name keep their number, so the gap to the new sum under them shows. The import is one
undoable Edit: all-or-nothing, with the usual row-level report (file, row, field, reason).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from planner.model.edits import Edit, QuotaChange, QuotaPlanChange
from planner.model.errors import PlannerError
from planner.model.hierarchy import ROOT, Tree
from planner.model.io._cells import neutralise_frame, textify
from planner.model.io._columns import parse_money
from planner.model.io._output import Protected, protected, write_atomic
from planner.model.io._tabular import read_table
from planner.model.io.report import ImportReport
from planner.model.quota.allocation import by_largest_remainder
from planner.model.quota.book import QuotaCell
from planner.model.quota.ops import seasonality
from planner.model.quota.settings import fiscal_months, normalise

if TYPE_CHECKING:
    from planner.model.plan import Plan

COLUMNS = ("territory", "level", "period", "quota", "commitment", "adjusted", "note")
FORMATS = ("csv", "xlsx")


def quota_frame(plan: Plan, year: int) -> pd.DataFrame:
    yp = plan.quotas.year(year)
    if yp is None:
        raise PlannerError(f"year: this scenario has no FY{year} quota plan")
    start = int(normalise(yp.settings)["start_month"])
    periods = [f"{y}-{m:02d}" for y, m in fiscal_months(year, start)]
    tree = Tree.of_plan(plan)
    rows = []
    for item in [ROOT, *tree.walk()]:
        cell = yp.cells.get(item)
        if cell is None:
            continue
        for i, period in enumerate(periods):
            rows.append(
                {
                    "territory": tree.name(item),
                    "level": tree.level(item),
                    "period": period,
                    "quota": cell.months[i] / 100,
                    "commitment": None if cell.commitment is None else cell.commitment[i] / 100,
                    "adjusted": "yes" if cell.adjusted else "",
                    "note": cell.note if i == 0 else "",
                }
            )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def export_quotas(
    plan: Plan, year: int, fmt: str, out: Path, *, protect: Protected | None = None
) -> Path:
    if fmt not in FORMATS:
        raise PlannerError(f"unknown quota export format '{fmt}' ({', '.join(FORMATS)})")
    frame = neutralise_frame(quota_frame(plan, year))
    guard = {**protected(plan.project.path), **(protect or {})}

    def write(tmp: Path) -> None:
        if fmt == "csv":
            frame.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")
            return
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            frame.to_excel(xw, sheet_name=f"FY{year} quotas", index=False)
            textify(xw.book)

    return write_atomic(out, write, protect=guard)


_QUARTER = re.compile(r"(?:fy\s*(\d{4})\s*[-/ ]\s*)?q([1-4])", re.I)
_YEAR = re.compile(r"(?:fy\s*)?(\d{4})", re.I)
_MONTH = re.compile(r"(\d{4})[-/](\d{1,2})")


def _period(text: str, year: int, start: int) -> list[int] | str:
    """Fiscal month indices (0-11) a period covers, or the reason it is not one."""
    t = text.strip()
    months = fiscal_months(year, start)
    if m := _MONTH.fullmatch(t):
        key = (int(m.group(1)), int(m.group(2)))
        if key not in months:
            return f"'{t}' is not a month of fiscal year FY{year}"
        return [months.index(key)]
    if m := _QUARTER.fullmatch(t):
        if m.group(1) and int(m.group(1)) != year:
            return f"'{t}' is not in fiscal year FY{year}"
        q = int(m.group(2)) - 1
        return [3 * q, 3 * q + 1, 3 * q + 2]
    if m := _YEAR.fullmatch(t):
        if int(m.group(1)) != year:
            return f"'{t}' is not fiscal year FY{year}"
        return list(range(12))
    first = f"{months[0][0]}-{months[0][1]:02d}"
    return f"'{t}' is not a period (use FY{year}, Q1..Q4 or a month such as {first})"


def import_quotas(
    plan: Plan, path: Path, year: int, *, skip_invalid: bool = False, start_month: int | None = None
) -> tuple[ImportReport, Edit]:
    """Read a quota file into one Edit (not applied: the caller applies it, so a refusal or a
    failed write leaves the project as it was). Raises ImportRefused with the report."""
    report = ImportReport("quotas", str(path))
    table = read_table(Path(path), report)
    cols = {h.strip().casefold(): h for h in table.headers}
    for need in ("territory", "period"):
        if need not in cols:
            raise report.refuse(f"{path}: no '{need}' column (columns: {', '.join(table.headers)})")
    if "quota" not in cols and "commitment" not in cols:
        raise report.refuse(f"{path}: neither a 'quota' nor a 'commitment' column")
    f = table.frame
    yp = plan.quotas.year(year)
    settings = normalise(
        {**(yp.settings if yp else {}), **({"start_month": start_month} if start_month else {})}
    )
    start = int(settings["start_month"])
    tree = Tree.of_plan(plan)
    by_name: dict[str, int] = {}
    for x in [ROOT, *tree.walk()]:
        by_name.setdefault(tree.name(x).casefold(), x)

    def col(name: str) -> pd.Series:
        return f[cols[name]] if name in cols else pd.Series([""] * len(f), index=f.index)

    quota, bad_q = parse_money(col("quota"))
    commit, bad_c = parse_money(col("commitment"))
    given: dict[int, dict[str, Any]] = {}
    for i, (name, period, note) in enumerate(
        zip(col("territory"), col("period"), col("note"), strict=True)
    ):
        row = int(table.rows.iloc[i])
        item = by_name.get(str(name).strip().casefold())
        if item is None:
            report.reject(
                row,
                "territory",
                f"unknown territory or node '{str(name).strip()}' in this scenario",
            )
            continue
        span = _period(str(period), year, start)
        if isinstance(span, str):
            report.reject(row, "period", span)
            continue
        problem = False
        for field, values, bad in (("quota", quota, bad_q), ("commitment", commit, bad_c)):
            if bad[i]:
                report.reject(row, field, f"'{col(field).iloc[i]}' is not an amount")
                problem = True
            elif np.isfinite(values[i]) and values[i] < 0:
                report.reject(row, field, f"a {field} cannot be negative ({values[i]:,.2f})")
                problem = True
        if problem:
            continue
        g = given.setdefault(item, {"rows": {}, "q": {}, "c": {}, "note": None})
        key = tuple(span)
        if key in g["rows"] or any(set(span) & set(k) for k in g["rows"]):
            first = next(r for k, r in g["rows"].items() if set(span) & set(k))
            report.reject(
                row,
                "period",
                f"'{str(period).strip()}' overlaps row {first} for the same territory",
            )
            continue
        g["rows"][key] = row
        if np.isfinite(quota[i]):
            g["q"][key] = round(float(quota[i]) * 100)
        if np.isfinite(commit[i]):
            g["c"][key] = round(float(commit[i]) * 100)
        if str(note).strip():
            g["note"] = str(note).strip()
        report.imported += 1
    report.check_rejections(skip_invalid)
    season = seasonality(plan, settings, year)
    changes: list[QuotaChange] = []
    for item, g in sorted(given.items()):
        before = yp.cells.get(item) if yp else None
        base = before or QuotaCell()
        months = list(base.months)
        for span, cents in g["q"].items():
            like = (
                [base.months[m] for m in span]
                if sum(base.months[m] for m in span) > 0
                else [season[m] for m in span]
            )
            for m, v in zip(span, by_largest_remainder(cents, like), strict=True):
                months[m] = int(v)
        commitment = list(base.commitment) if base.commitment else [0] * 12
        for span, cents in g["c"].items():
            like = (
                [months[m] for m in span] if sum(months[m] for m in span) > 0 else [1.0] * len(span)
            )
            for m, v in zip(span, by_largest_remainder(cents, like), strict=True):
                commitment[m] = int(v)
        after = QuotaCell(
            tuple(months),
            tuple(commitment) if (g["c"] or base.commitment) else None,
            base.adjusted or bool(g["q"]),
            g["note"] if g["note"] is not None else base.note,
        )
        if after != before:
            changes.append(QuotaChange(year, item, before, after))
    plans = () if yp is not None else (QuotaPlanChange(year, None, settings),)
    report.updated = len(changes)
    edit = Edit("import-quotas", f"import FY{year} quotas from {Path(path).name}",
                quota_plans=plans, quotas=tuple(changes))  # fmt: skip
    return report, edit


def _spread(
    into: list[int], span: tuple[int, ...], cents: int, like: Any, fallback: list[float]
) -> None:
    """``cents`` over the months of ``span``, shaped like ``like`` there (else ``fallback``)."""
    shape = [float(like[m]) for m in span]
    if sum(shape) <= 0:
        shape = [fallback[m] for m in span]
    for m, v in zip(span, by_largest_remainder(cents, shape), strict=True):
        into[m] = int(v)
