"""The impact report: an XLSX workbook (one sheet per section) and a printable HTML page.

The workbook has the sheets ``Summary``, ``Moved accounts``, ``Territories`` and ``Reps``; the
last three end with a bold ``Total`` row where a sum means something (counts and money; not
deviations or shares). It is written by :func:`planner.model.io._output.write_atomic` (never over
a protected file such as the project; a temporary name renamed when complete) and every text
cell stays text, never a formula (:mod:`planner.model.io._cells`).

:func:`impact_html` renders the same content as HTML for printing (``planner.ui.printing``
turns it into a PDF). Every string that comes from the user's data (names of accounts,
territories, reps, scenarios) goes through :func:`html.escape`: a name like ``<script>`` prints
literally and can never become markup.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from planner.model.balance import METRICS
from planner.model.impact import Impact
from planner.model.io._cells import textify
from planner.model.io._output import Protected, write_atomic
from planner.model.io._xlsx_image import add_picture
from planner.model.quota.impact import QuotaImpact

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell

SHEETS = ("Summary", "Moved accounts", "Territories", "Reps")
LABELS = {
    "accounts": "Accounts",
    "potential": "Potential",
    "workload_hours": "Workload (h)",
    "revenue": "Revenue",
    "pipeline": "Open pipeline",
}
SHORT = {"accounts": "Accounts", "potential": "Potential", "workload_hours": "Workload h",
         "revenue": "Revenue", "pipeline": "Pipeline"}  # fmt: skip
#: Rows of the moved-accounts table printed in the HTML report (the XLSX has them all).
HTML_MOVED_LIMIT = 500


# -- tables shared by both formats -------------------------------------------------------------
def summary_rows(imp: Impact) -> list[tuple[str, Any]]:
    s = imp.summary
    return [
        ("Scenario", imp.scenario),
        ("Compared with", imp.against),
        ("Accounts moved", s.accounts_moved),
        ("Units moved", s.units_moved),
        ("Potential moved", s.potential_moved),
        ("Revenue moved", s.revenue_moved),
        ("Open pipeline moved", s.pipeline_moved),
        ("Open opportunities moved", s.open_opportunities_moved),
        ("Disruption: accounts", s.disruption["accounts"]),
        ("Disruption: revenue", s.disruption["revenue"]),
        ("Disruption: potential", s.disruption["potential"]),
        ("Reps flagged", s.reps_flagged),
        ("Flag threshold (book change)", s.threshold),
    ]


def balance_frame(imp: Impact) -> pd.DataFrame:
    """Max |deviation| and Gini per metric, before and after."""
    s = imp.summary
    return pd.DataFrame(
        {
            "Metric": [LABELS[m] for m in METRICS],
            "Max |deviation| before": [s.balance_before["max_abs_deviation"][m] for m in METRICS],
            "Max |deviation| after": [s.balance_after["max_abs_deviation"][m] for m in METRICS],
            "Gini before": [s.balance_before["gini"][m] for m in METRICS],
            "Gini after": [s.balance_after["gini"][m] for m in METRICS],
        }
    )


def _with_total(frame: pd.DataFrame, label_col: str, sum_cols: list[str]) -> pd.DataFrame:
    total: dict[str, Any] = {c: None for c in frame.columns}
    total[label_col] = "Total"
    for c in sum_cols:
        total[c] = frame[c].sum()
    return pd.concat([frame, pd.DataFrame([total], columns=frame.columns)], ignore_index=True)


def _headers(frame: pd.DataFrame) -> pd.DataFrame:
    def nice(col: str) -> str:
        for m, label in LABELS.items():
            if col.startswith(m + "_"):
                return f"{label} {col[len(m) + 1 :].replace('_', ' ')}"
        return col.replace("_", " ").capitalize()

    return frame.rename(columns={c: nice(c) for c in frame.columns})


# -- XLSX --------------------------------------------------------------------------------------
def quota_frame(imp: Impact, quota: QuotaImpact) -> pd.DataFrame:
    """Quota per territory before/after, and the moved accounts' share (the Quota sheet)."""
    rows = [{"territory": t, "quota_before": b, "quota_after": a, "quota_delta": a - b}
            for t, (b, a) in quota.territories.items()]  # fmt: skip
    return pd.DataFrame(rows, columns=["territory", "quota_before", "quota_after", "quota_delta"])


def write_xlsx(
    imp: Impact,
    out: Path,
    *,
    protect: Protected | None = None,
    map_png: bytes | None = None,
    quota: QuotaImpact | None = None,
) -> Path:
    """Write the workbook to ``out`` atomically; returns ``out``. ``protect``: files it must
    not replace (the command's project and inputs); ``map_png``: the impact map, placed on the
    Summary sheet beside the tables."""
    moved = _with_total(
        imp.moved, "account_id", ["potential", "revenue", "pipeline", "open_opportunities"]
    )
    moved.loc[len(moved) - 1, "name"] = f"{len(imp.moved)} accounts"
    terr_sums = ["accounts_gained", "accounts_lost"] + [
        f"{m}_{p}" for m in METRICS for p in ("before", "after", "delta")
    ]
    terr = _with_total(imp.territories, "territory", terr_sums)
    rep_sums = [f"{v}_{k}" for v in ("accounts", "potential", "revenue")
                for k in ("before", "after", "kept", "gained", "lost")]  # fmt: skip
    reps = _with_total(imp.reps, "rep", rep_sums)
    reps["flagged"] = reps["flagged"].map({True: "yes", False: ""})
    summary = pd.DataFrame(summary_rows(imp), columns=["Item", "Value"])
    sheets = [("Moved accounts", moved), ("Territories", terr), ("Reps", reps)]
    if quota is not None:  # the quota each moved account takes along, and per territory
        moved.insert(len(moved.columns), "quota_moved", [*quota.per_account, quota.total_moved])
        sheets.append((f"Quota FY{quota.year}", _with_total(quota_frame(imp, quota), "territory",
                       ["quota_before", "quota_after", "quota_delta"])))  # fmt: skip

    def write(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            summary.to_excel(xw, sheet_name="Summary", index=False)
            balance_frame(imp).to_excel(
                xw, sheet_name="Summary", index=False, startrow=len(summary) + 2
            )
            for name, frame in sheets:
                _headers(frame).to_excel(xw, sheet_name=name, index=False, freeze_panes=(1, 0))
            _style(xw, {name: len(frame) for name, frame in sheets})
            textify(xw.book)
            if map_png is not None:
                add_picture(xw.book["Summary"], map_png, "H2")

    return write_atomic(out, write, protect=protect)


def _style(xw: pd.ExcelWriter, total_rows: dict[str, int]) -> None:
    from openpyxl.styles import Font

    for ws in xw.book.worksheets:
        for col in ws.columns:
            width = max(len(str(c.value)) if c.value is not None else 0 for c in col[:200])
            top = cast("Cell", col[0])  # frames are written unmerged (index=False)
            ws.column_dimensions[top.column_letter].width = min(max(width + 2, 10), 40)
        if ws.title in total_rows:
            for cell in ws[total_rows[ws.title] + 1]:  # header row + data rows
                cell.font = Font(bold=True)


# -- HTML --------------------------------------------------------------------------------------
def _fmt(v: Any, kind: str = "num") -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if kind == "pct":
        return f"{float(v):+.1%}"
    if kind == "share":
        return f"{float(v):.1%}"
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return f"{v:,.0f}" if abs(v) >= 100 or float(v).is_integer() else f"{v:,.2f}"
    return escape(str(v))


def _table(head: list[str] | None, rows: list[list[str]], *, wide: bool = True) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head) if head else ""
    thead = f"<thead><tr>{th}</tr></thead>" if head else ""
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    width = ' width="100%"' if wide else ""
    return f'<table cellspacing="0"{width}>{thead}<tbody>{body}</tbody></table>'


def quota_html(imp: Impact, quota: QuotaImpact | None) -> str:
    """The quota section of the printed impact (empty without a quota plan)."""
    if quota is None:
        return ""
    rows = [[escape(t), _fmt(b), _fmt(a), _fmt(a - b)] for t, (b, a) in quota.territories.items()
            if abs(a - b) > 0.005]  # fmt: skip
    body = _table(["Territory", "Quota before", "Quota after", "Change"], rows, wide=False)
    return (f"<h2>Quota changing hands (FY{quota.year}): {_fmt(quota.total_moved)}</h2>"
            + (body if rows else "<p>No territory's quota changes.</p>"))  # fmt: skip


def _map_section(name: str | None) -> str:
    if not name:
        return ""
    return (
        '<h2 style="page-break-before: always">Map</h2>'
        "<p>The scenario's territories; units that change territory hatched; the compared "
        "alignment's outlines dashed.</p>"
        f'<p><img src="{escape(name)}"></p>'
    )


def impact_html(
    imp: Impact,
    *,
    title: str = "",
    map_image: str | None = None,
    quota: QuotaImpact | None = None,
) -> str:
    """A printable report of ``imp`` (self-contained HTML, no scripts, no external resources).

    ``map_image``: the name of the impact map picture the printer supplies
    (``planner.ui.printing.html_to_pdf(images=...)``); it gets a page after the summary."""
    s = imp.summary
    title = title or f"Impact of {imp.scenario} against {imp.against}"
    shares = {"Disruption: accounts", "Disruption: revenue", "Disruption: potential",
              "Flag threshold (book change)"}  # fmt: skip
    summary = _table(
        None,
        [[escape(k), _fmt(v, "share" if k in shares else "num")] for k, v in summary_rows(imp)],
        wide=False,
    )
    bal = balance_frame(imp)
    balance = _table(
        list(bal.columns),
        wide=False,
        rows=[
            [escape(r[0])] + [_fmt(x, "share") for x in r[1:3]] + [f"{x:.3f}" for x in r[3:]]
            for r in bal.itertuples(index=False)
        ],
    )
    terr_rows = []
    for r in imp.territories.to_dict("records"):
        row = [_fmt(r["territory"]), _fmt(r["rep"]), _fmt(r["accounts_gained"]),
               _fmt(r["accounts_lost"])]  # fmt: skip
        for m in METRICS:
            delta = r[f"{m}_delta"]
            change = f"<br><small>{'+' if delta > 0 else ''}{_fmt(delta)}</small>" if delta else ""
            row.append(f"{_fmt(r[f'{m}_after'])}{change}")
            row.append(
                f"{_fmt(r[f'{m}_deviation_before'], 'pct')}<br>&rarr; "
                f"{_fmt(r[f'{m}_deviation_after'], 'pct')}"
            )
        terr_rows.append(row)
    terr_head = ["Territory", "Rep", "Gained", "Lost"]
    for m in METRICS:
        terr_head += [SHORT[m], "Deviation"]
    rep_rows = [
        [_fmt(r["rep"]), _fmt(r["territories"]),
         f"{_fmt(r['accounts_kept'])} / {_fmt(r['accounts_gained'])} / {_fmt(r['accounts_lost'])}",
         f"{_fmt(r['potential_kept'])} / {_fmt(r['potential_gained'])} / "
         f"{_fmt(r['potential_lost'])}",
         f"{_fmt(r['revenue_kept'])} / {_fmt(r['revenue_gained'])} / {_fmt(r['revenue_lost'])}",
         _fmt(r["change_potential"], "share"), _fmt(r["change_revenue"], "share"),
         "<b>flagged</b>" if r["flagged"] else ""]
        for r in imp.reps.to_dict("records")
    ]  # fmt: skip
    shown = imp.moved.head(HTML_MOVED_LIMIT)
    moved_rows = [
        [_fmt(r["account_id"]), _fmt(r["name"]), _fmt(r["from_territory"]) or "unassigned",
         _fmt(r["from_rep"]), _fmt(r["to_territory"]) or "unassigned", _fmt(r["to_rep"]),
         _fmt(r["potential"]), _fmt(r["revenue"]), _fmt(r["pipeline"]),
         _fmt(r["open_opportunities"])]
        for r in shown.to_dict("records")
    ]  # fmt: skip
    more = len(imp.moved) - len(shown)
    note = f"<p>{more:,} more moved accounts are listed in the XLSX report.</p>" if more else ""
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>
body {{ font-size: 9pt; }}
h1 {{ font-size: 15pt; }} h2 {{ font-size: 12pt; margin-top: 12pt; }}
table {{ border-collapse: collapse; margin-bottom: 8pt; }}
th, td {{ border: 1px solid #999; padding: 2px 4px; }}
th {{ background: #e8e8e8; }}
table {{ font-size: 8pt; }}
td {{ text-align: right; white-space: nowrap; }}
td:first-child, td:nth-child(2) {{ text-align: left; white-space: normal; }}
</style></head><body>
<h1>{escape(title)}</h1>
<h2>Summary</h2>{summary}
<h2>Balance before and after</h2>{balance}
{quota_html(imp, quota)}
{_map_section(map_image)}
<h2 style="page-break-before: always">Territories</h2>
<p>Value after the change, the change below it; deviation from target before &rarr; after.</p>
{_table(terr_head, terr_rows)}
<h2>Reps</h2>
<p>Kept / gained / lost. A rep is flagged when the book changes by more than
{s.threshold:.0%} of potential or revenue ((gained + lost) / larger book).</p>
{
        _table(
            [
                "Rep",
                "Territories",
                "Accounts",
                "Potential",
                "Revenue",
                "Change potential",
                "Change revenue",
                "",
            ],
            rep_rows,
        )
    }
<h2 style="page-break-before: always">Moved accounts ({len(imp.moved):,})</h2>
{
        _table(
            [
                "Account",
                "Name",
                "From",
                "From rep",
                "To",
                "To rep",
                "Potential",
                "Revenue",
                "Open pipeline",
                "Open opps",
            ],
            moved_rows,
        )
    }
{note}
</body></html>
"""
