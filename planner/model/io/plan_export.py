"""The territory plan laid out: printable HTML (for the PDF) and an XLSX workbook.

HTML is Qt's rich-text subset (planner.ui.printing): tables and cell backgrounds, so the
charts are drawn as table bars (attainment with the pace mark, the funnel, bookings against
quota by month) and print the same on any machine, CJK included. Every string from the
user's data or plan text goes through :func:`html.escape`: a SWOT line ``<script>`` prints as
those characters. The territory map is a picture the printer supplies (``map_src``: a resource
name per territory, or none). The workbook neutralises text a spreadsheet would run as a
formula (:mod:`planner.model.io._cells`) and is written atomically, never over a protected file.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from planner.model.io._cells import textify
from planner.model.io._output import Protected, write_atomic
from planner.model.plan_report import PlanReport
from planner.model.territory_plan import METRICS, SWOT

STYLE = """
body { font-size: 9pt; }
h1 { font-size: 18pt; margin: 0 0 6pt 0; }
h2 { font-size: 13pt; margin: 10pt 0 4pt 0; }
table.grid { border: 1px solid #bbbbbb; }
th { text-align: left; background: #e8e8e8; }
td.num { text-align: right; }
.muted { color: #555555; }
"""
BREAK = ' style="page-break-before: always"'


def _m(v: Any) -> str:
    return "–" if v is None else f"{v:,.0f}"


def _pct(v: Any) -> str:
    return "–" if v is None else f"{v:.0%}"


def _table(head: tuple[str, ...], rows: list[list[Any]], num: tuple[int, ...] = ()) -> str:
    """``rows`` are raw values: escaped here."""
    h = "".join(f"<th>{escape(c)}</th>" for c in head)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{escape(str(v))}</td>' if j in num else f"<td>{escape(str(v))}</td>"
            for j, v in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    grid = '<table class="grid" cellspacing="0" cellpadding="3" width="100%">'
    return f"{grid}<tr>{h}</tr>{body}</table>"


def bar(share: float, colour: str, *, mark: float | None = None, width: int = 100) -> str:
    """A horizontal bar filled to ``share`` (0..1.5 shown), with an optional pace mark."""
    fill = max(0, min(round(share / 1.5 * width), width))
    cells = [(fill, colour), (width - fill, "#eeeeee")]
    if mark is not None and 0 <= mark <= 1.5:
        at = round(mark / 1.5 * width)
        cells = [
            (min(fill, at), colour),
            (max(at - fill, 0), "#eeeeee"),
            (1, "#000000"),
            (max(fill - at - 1, 0), colour),
            (width - max(fill, at) - 1, "#eeeeee"),
        ]
    tds = "".join(f'<td width="{w}%" bgcolor="{c}" height="10"></td>' for w, c in cells if w > 0)
    return f'<table cellspacing="0" cellpadding="0" width="100%"><tr>{tds}</tr></table>'


def results_html(row: dict[str, Any]) -> str:
    """Key measures, the attainment bar with its pace mark, the funnel and the monthly trend."""
    if not row:
        return '<p class="muted">No results for this territory.</p>'
    att, exp, quota = row.get("attainment"), row.get("expected"), row.get("quota")
    pace_mark = exp / quota if exp is not None and quota else None
    behind = row.get("pace_pct") is not None and row["pace_pct"] < 0
    kv = [
        ["Bookings to date", _m(row["bookings"])],
        ["of which through partners", _m(row["partner_bookings"])],
        ["Quota (year)", _m(quota)],
        ["Attainment", _pct(att)],
        ["Expected to date", _m(exp)],
        ["Ahead (+) / behind (−)", _m(row.get("pace_delta"))],
        ["Pace", _pct(row.get("pace_pct"))],
        ["Growth on last year", _pct(row.get("yoy_growth"))],
        ["Win rate", _pct(row.get("win_rate"))],
        ["Average deal", _m(row.get("avg_deal"))],
        ["Open pipeline", _m(row["pipeline"])],
        [
            "Pipeline coverage",
            "–" if row.get("pipeline_coverage") is None else f"{row['pipeline_coverage']:.1f}x",
        ],
        [
            "Customers / accounts",
            f"{row['customers']:,} / {row['accounts']:,} ({_pct(row.get('penetration'))})",
        ],
        ["Potential already won", _pct(row.get("potential_won"))],
        [
            "Visited in 90 days",
            f"{_pct(row.get('coverage'))} of accounts, "
            f"{_pct(row.get('coverage_potential'))} of potential",
        ],
    ]
    out = [_table(("Measure", "Value"), kv, (1,))]
    if att is not None:
        out.append(f"<p><b>Attainment {escape(_pct(att))}</b> (mark: expected to date)</p>")
        out.append(bar(att, "#d62728" if behind else "#2ca02c", mark=pace_mark))
    funnel = row.get("funnel") or []
    if funnel:
        top = max(s["count"] for s in funnel) or 1
        rows = "".join(
            f"<tr><td>{escape(s['stage'])}</td><td class='num'>{s['count']:,}</td>"
            f"<td class='num'>{_m(s['value'])}</td><td class='num'>{_pct(s['conversion'])}</td>"
            f"<td width='40%'>{bar(s['count'] / top, '#1f77b4')}</td></tr>"
            for s in funnel
        )
        out.append(
            "<h2>Funnel</h2><table class='grid' cellspacing='0' cellpadding='3' "
            "width='100%'><tr><th>Stage</th><th>Count</th><th>Value</th>"
            f"<th>To next</th><th></th></tr>{rows}</table>"
        )
    months, quota_m = row.get("months") or [], row.get("quota_months")
    if months:
        top = max([*months, *(quota_m or [0]), 1.0])
        rows = "".join(
            f"<tr><td>M{i + 1}</td><td class='num'>{_m(b)}</td>"
            f"<td class='num'>{_m(quota_m[i] if quota_m else None)}</td>"
            f"<td width='50%'>{bar(b / top * 1.5, '#1f77b4')}</td></tr>"
            for i, b in enumerate(months)
        )
        out.append(
            "<h2>Bookings by fiscal month</h2><table class='grid' cellspacing='0' "
            "cellpadding='2' width='100%'><tr><th>Month</th><th>Bookings</th>"
            f"<th>Quota</th><th></th></tr>{rows}</table>"
        )
    return "".join(out)


def territory_html(
    r: PlanReport, map_src: str | None, first: bool, map_width: int = 560, map_height: int = 320
) -> str:
    c = r.plan.content
    parts = [
        f"<h1{'' if first else BREAK}>Territory plan: {escape(r.territory)}</h1>",
        f"<p class='muted'>Rep: {escape(r.rep or '(none)')} · scenario "
        f"{escape(r.scenario)} · fiscal year {r.fiscal_year} · as of {escape(r.as_of)} · "
        f"plan revision {r.plan.revision}"
        + (f" by {escape(r.plan.user)}" if r.plan.user else "")
        + "</p>",
    ]
    if map_src:
        size = f'width="{int(map_width)}" height="{int(map_height)}"'
        parts.append(f'<p><img src="{escape(map_src)}" {size}></p>')
    parts.append("<h2>1. Segmentation</h2>")
    parts.append(
        _table(
            ("Tier", "Segment", "Industry", "Accounts", "Customers", "Potential", "Revenue"),
            [
                [
                    s["tier"],
                    s["segment"],
                    s["industry"],
                    f"{s['accounts']:,}",
                    f"{s['customers']:,}",
                    _m(s["potential"]),
                    _m(s["revenue"]),
                ]
                for s in r.segmentation
            ],
            (3, 4, 5, 6),
        )
        if r.segmentation
        else "<p class='muted'>No accounts.</p>"
    )
    parts.append("<h2>2. SWOT</h2>")
    swot = [[k.capitalize(), "\n".join(f"• {x}" for x in c["swot"][k]) or "–"] for k in SWOT]
    parts.append(_table(("", "Notes"), swot).replace("\n", "<br>"))
    parts.append("<h2>3. Goals</h2>")
    parts.append(
        _table(
            ("Goal", "Metric", "Target", "Actual", "Progress", "Due", "Owner"),
            [
                [
                    g.goal["description"],
                    METRICS.get(g.goal["metric"], g.goal["metric"]),
                    _m(g.goal["target"])
                    if g.goal["metric"] not in ("attainment", "coverage", "win_rate")
                    else _pct(g.goal["target"]),
                    "–" if g.actual is None else f"{g.actual:,.2f}",
                    _pct(g.progress),
                    g.goal["due"],
                    g.goal["owner"],
                ]
                for g in r.goals
            ],
            (2, 3, 4),
        )
        if r.goals
        else "<p class='muted'>No goals set.</p>"
    )
    st = c["strategy"]
    parts.append("<h2>4. Strategy</h2>")
    parts.append(
        _table(("Focus account", "Reason"), [[f["name"], f["reason"]] for f in r.focus])
        if r.focus
        else "<p class='muted'>No focus accounts.</p>"
    )
    freq = ", ".join(f"{k}: {v:g} a year" for k, v in st["visit_frequency"].items() if v)
    parts.append(f"<p>Visit frequency per tier: {escape(freq or '–')}</p>")
    parts.append(f"<p>Channel partners: {escape(', '.join(r.partners) or '–')}</p>")
    if st["notes"]:
        parts.append("<p>" + escape(st["notes"]).replace("\n", "<br>") + "</p>")
    parts.append("<h2>5. Results</h2>" + results_html(r.results))
    parts.append("<h2>Alerts</h2>")
    parts.append(
        _table(
            ("Alert", "Concerns", "Detail"),
            [[a.rule.replace("_", " "), a.name, a.message] for a in r.alerts],
        )
        if r.alerts
        else "<p class='muted'>None.</p>"
    )
    parts.append("<h2>Review log</h2>")
    parts.append(
        _table(
            ("Date", "What happened", "What changes"),
            [[x["date"], x["happened"], x["changes"]] for x in c["review"]],
        )
        if c["review"]
        else "<p class='muted'>No reviews yet.</p>"
    )
    return "".join(parts)


def plan_html(
    reports: list[PlanReport],
    map_src: Callable[[int], str | None] | None = None,
    map_width: int = 560,
    map_height: int = 320,
) -> str:
    """One document: a section per territory, each starting on a new page; ``map_width`` and
    ``map_height``: the picture's size in the document's pixels (the printer's, when
    printing)."""
    body = "".join(
        territory_html(
            r, map_src(r.territory_id) if map_src else None, i == 0, map_width, map_height
        )
        for i, r in enumerate(reports)
    )
    return f"<html><head><style>{STYLE}</style></head><body>{body}</body></html>"


def write_plan_xlsx(
    reports: list[PlanReport], out: Path, *, protect: Protected | None = None
) -> Path:
    """Sheets: Results, Segmentation, SWOT, Goals, Strategy, Review, Alerts (a row per item,
    the territory in the first column)."""
    keys = (
        "bookings",
        "partner_bookings",
        "quota",
        "attainment",
        "expected",
        "pace_delta",
        "pace_pct",
        "yoy_growth",
        "win_rate",
        "avg_deal",
        "pipeline",
        "pipeline_coverage",
        "accounts",
        "customers",
        "penetration",
        "potential_won",
        "coverage",
        "coverage_potential",
    )
    sheets: dict[str, list[dict[str, Any]]] = {
        k: [] for k in ("Results", "Segmentation", "SWOT", "Goals", "Strategy", "Review", "Alerts")
    }
    for r in reports:
        t, c = {"territory": r.territory}, r.plan.content
        sheets["Results"].append({**t, "rep": r.rep, **{k: r.results.get(k) for k in keys}})
        sheets["Segmentation"] += [{**t, **s} for s in r.segmentation]
        sheets["SWOT"] += [{**t, "part": k, "text": x} for k in SWOT for x in c["swot"][k]]
        sheets["Goals"] += [
            {**t, **g.goal, "actual": g.actual, "progress": g.progress} for g in r.goals
        ]
        sheets["Strategy"] += [
            {**t, "focus account": f["name"], "reason": f["reason"]} for f in r.focus
        ]
        sheets["Review"] += [{**t, **x} for x in c["review"]]
        sheets["Alerts"] += [
            {**t, "rule": a.rule, "concerns": a.name, "detail": a.message} for a in r.alerts
        ]

    def write(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            for name, rows in sheets.items():
                frame = pd.DataFrame(rows) if rows else pd.DataFrame({"territory": []})
                frame.to_excel(xw, sheet_name=name, index=False, freeze_panes=(1, 0))
            textify(xw.book)

    return write_atomic(out, write, protect=protect)
