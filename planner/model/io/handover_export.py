"""Handover exports: checklist items as CRM tasks (CSV/XLSX) and packets as printable HTML.

The task columns follow what Salesforce's and HubSpot's task importers map without a custom
mapping: ``Subject``, ``Related To`` (the account's external id), ``Account Name``, ``Assigned
To`` (the responsible rep, see :mod:`planner.model.handover`), ``Due Date`` (ISO), ``Status``
(``Not Started``/``Completed``), ``Priority`` (``High`` for required items, else ``Normal``) and
``Description`` (packet, note, who ticked it). Files are written by
:func:`planner.model.io._output.write_atomic` (never over a protected file such as the project;
a temporary name renamed when complete). Text that a spreadsheet would run as a formula is
neutralised: an apostrophe before ``= + - @``/tab/CR in CSV, string cells in XLSX
(:mod:`planner.model.io._cells`).

:func:`packet_html` is one HTML document: per packet a cover page, then one page per account,
each starting with ``page-break-before: always``; tick boxes are ``☐``/``☑`` with a sign-off
line. Every string from the user's data goes through :func:`html.escape`, so a name like
``<script>`` prints literally.
"""

from __future__ import annotations

import csv
import datetime as dt
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, cast

from planner.model.handover import AccountSection, ChecklistItem, Packet
from planner.model.io._cells import neutralise, textify
from planner.model.io._output import Protected, write_atomic

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

TASK_COLUMNS = (
    "Subject", "Related To", "Account Name", "Assigned To", "Due Date", "Status", "Priority",
    "Description",
)  # fmt: skip


def task_rows(packets: list[Packet]) -> list[dict[str, str]]:
    """One CRM task per checklist item, in packet, account and checklist order."""
    rows = []
    for p in packets:
        for a in p.accounts:
            for it in a.items:
                desc = [p.title, f"Territory {a.from_territory or '-'} → {a.to_territory or '-'}"]
                if it.done:
                    when = it.done_at.date().isoformat() if it.done_at else ""
                    desc.append(f"Done by {it.done_by} {when}".strip())
                if it.note:
                    desc.append(f"Note: {it.note}")
                rows.append(
                    {
                        "Subject": f"Handover: {it.label}",
                        "Related To": a.external_id,
                        "Account Name": a.name,
                        "Assigned To": p.responsible(it.kind),
                        "Due Date": it.due.isoformat() if it.due else "",
                        "Status": "Completed" if it.done else "Not Started",
                        "Priority": "High" if it.required else "Normal",
                        "Description": "\n".join(desc),
                    }
                )
    return rows


def write_csv(packets: list[Packet], out: Path, *, protect: Protected | None = None) -> Path:
    """Tasks as UTF-8 CSV with a BOM (Excel then reads CJK names correctly)."""

    def write(tmp: Path) -> None:
        with tmp.open("w", newline="", encoding="utf-8-sig") as f:
            w = csv.DictWriter(f, fieldnames=TASK_COLUMNS)
            w.writeheader()
            w.writerows({k: neutralise(v) for k, v in row.items()} for row in task_rows(packets))

    return write_atomic(out, write, protect=protect)


def write_xlsx(packets: list[Packet], out: Path, *, protect: Protected | None = None) -> Path:
    """Tasks as one sheet ``Tasks`` with a bold, frozen header row; text stays text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    def write(tmp: Path) -> None:
        wb = Workbook(write_only=False)
        ws = cast("Worksheet", wb.active)  # a new workbook's one worksheet
        ws.title = "Tasks"
        ws.append(list(TASK_COLUMNS))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in task_rows(packets):
            ws.append([row[c] for c in TASK_COLUMNS])
        textify(wb)
        ws.freeze_panes = "A2"
        for col, width in zip("ABCDEFGH", (40, 14, 36, 22, 12, 12, 9, 60), strict=True):
            ws.column_dimensions[col].width = width
        wb.save(tmp)

    return write_atomic(out, write, protect=protect)


def write_html(packets: list[Packet], out: Path, *, protect: Protected | None = None) -> Path:
    """The packets as one HTML document (every user string escaped)."""
    html = packet_html(packets)
    return write_atomic(out, lambda tmp: tmp.write_text(html, encoding="utf-8"), protect=protect)


# -- HTML --------------------------------------------------------------------------------------
#: Qt's rich text draws collapsed per-cell borders ~3x slower than a plain table border (which
#: also outlines every cell): the 1,000-account benchmark depends on it.
STYLE = """
body { font-size: 9pt; }
h1 { font-size: 16pt; margin: 0 0 6pt 0; }
h2 { font-size: 13pt; margin: 0 0 4pt 0; }
h3 { font-size: 10pt; margin: 8pt 0 2pt 0; }
table { border: 1px solid #bbbbbb; }
th { text-align: left; background: #e8e8e8; }
td.num { text-align: right; }
.box { font-size: 12pt; }
.muted { color: #555555; }
"""
BREAK = ' style="page-break-before: always"'


def _money(v: float) -> str:
    return f"{v:,.0f}"


def _d(v: dt.date | None) -> str:
    return v.isoformat() if v else ""


def _table(
    head: tuple[str, ...], rows: list[list[str]], num: tuple[int, ...] = (), first: str = ""
) -> str:
    """Rows are already escaped; ``num`` = right-aligned column indices; ``first`` = the
    width of the first column (e.g. "35%")."""
    th = "".join(f"<th>{h}</th>" for h in head) if any(head) else ""
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{c}</td>'
            if i in num
            else (f'<td width="{first}">{c}</td>' if i == 0 and first else f"<td>{c}</td>")
            for i, c in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    head_row = f"<tr>{th}</tr>" if th else ""
    return f'<table width="100%" cellspacing="0" cellpadding="3">{head_row}{body}</table>'


def cover_html(p: Packet, first: bool, map_image: str | None = None) -> str:
    """The packet's cover page; ``map_image``: the name of its map picture (the printer
    supplies it, ``planner.ui.report_maps.packet_maps``), shown under the summary."""
    e = escape
    rows = [
        ["Outgoing rep", e(p.from_rep)],
        ["Outgoing rep's manager", e(p.from_manager) or "—"],
        ["Incoming rep", e(p.to_rep)],
        ["Incoming rep's manager", e(p.to_manager) or "—"],
        ["Scenario", e(p.scenario)],
        ["Accounts", str(p.n_accounts)],
        ["Revenue moving", _money(p.total("revenue"))],
        ["Potential moving", _money(p.total("potential"))],
        ["Open pipeline moving", _money(p.total("pipeline"))],
        *_quota_row(p),
        ["Effective date", _d(p.effective_date)],
        ["End of transition", _d(p.transition_end)],
        ["Outgoing rep supports until", _d(p.support_until)],
    ]
    accounts = [
        [e(a.external_id), e(a.name), _money(a.potential), str(len(a.opportunities))]
        for a in p.accounts
    ]
    return (
        f"<h1{'' if first else BREAK}>{e(p.title)}</h1>"
        + _table(("", ""), rows, first="35%")
        + (f'<p><img src="{e(map_image)}"></p>' if map_image else "")
        + "<h3>Accounts</h3>"
        + _table(("ID", "Account", "Potential", "Open opps"), accounts, num=(2, 3))
        + _signoff(("Outgoing rep", "Incoming rep", "Manager"))
    )


def _quota_row(p: Packet) -> list[list[str]]:
    """The quota that changes hands with the packet's accounts (when there is a quota plan)."""
    shares = [a.quota_moved for a in p.accounts if a.quota_moved is not None]
    return [["Quota moving", _money(float(sum(shares)))]] if shares else []


def _signoff(who: tuple[str, ...]) -> str:
    lines = "".join(
        f"<p>{w}: signature ______________________________ date ______________</p>" for w in who
    )
    return f"<h3>Sign-off</h3>{lines}"


def _item_row(it: ChecklistItem) -> list[str]:
    box = "☑" if it.done else "☐"
    done = ""
    if it.done:
        done = escape(it.done_by) + (f" {it.done_at.date().isoformat()}" if it.done_at else "")
    return [
        f'<span class="box">{box}</span>',
        escape(it.label) + ("" if it.required else " <i>(optional)</i>"),
        _d(it.due),
        done or "____________",
        escape(it.note),
    ]


def account_html(p: Packet, a: AccountSection) -> str:
    e = escape
    summary = (
        f"<p><b>Account ID:</b> {e(a.external_id)} &nbsp; <b>Status:</b> {e(a.status)} &nbsp; "
        f"<b>Industry:</b> {e(a.industry)} &nbsp; <b>Segment:</b> {e(a.segment)}<br/>"
        f"<b>Address:</b> {e(a.address)}<br/>"
        f"<b>Revenue:</b> {_money(a.revenue)} &nbsp; <b>Potential:</b> {_money(a.potential)}"
        f" &nbsp; <b>Territory:</b> {e(a.from_territory or '—')} → {e(a.to_territory or '—')}</p>"
    )
    contacts = [
        [e(c.name) + (" <b>(decision maker)</b>" if c.decision_maker else ""), e(c.role),
         e(c.phone), e(c.email)]
        for c in a.contacts
    ]  # fmt: skip
    opps = [
        [e(o.name), e(o.stage), _money(o.amount), _d(o.close_date), e(o.next_step)]
        for o in a.opportunities
    ]
    acts = [[_d(v.date), e(v.type), e(v.summary), e(v.by)] for v in a.activities]
    none = '<p class="muted">None.</p>'
    return (
        f'<h2{BREAK}>{e(a.name)}</h2><p class="muted">{e(p.title)}</p>'
        + summary
        + "<h3>Key contacts</h3>"
        + (_table(("Name", "Role", "Phone", "E-mail"), contacts) if contacts else none)
        + "<h3>Open opportunities</h3>"
        + (
            _table(("Opportunity", "Stage", "Amount", "Expected close", "Next step"), opps, (2,))
            if opps
            else none
        )
        + "<h3>Last activities</h3>"
        + (_table(("Date", "Type", "Summary", "By"), acts) if acts else none)
        + "<h3>Open issues and notes</h3>"
        + (f"<p>{e(a.notes)}</p>" if a.notes else none)
        + (
            "<h3>Channel partners</h3><p>" + ", ".join(e(n) for n in a.partners) + "</p>"
            if a.partners
            else ""
        )
        + "<h3>Checklist</h3>"
        + _table(("", "Item", "Due", "Done by / date", "Note"), [_item_row(it) for it in a.items])
        + _signoff(("Outgoing rep", "Incoming rep"))
    )


def packet_body(p: Packet, first: bool = True) -> str:
    """The body HTML of one packet: its cover and one section per account."""
    return cover_html(p, first) + "".join(account_html(p, a) for a in p.accounts)


def packet_html(packets: list[Packet]) -> str:
    """A complete HTML document of ``packets`` (cover + accounts each, page breaks between)."""
    body = "".join(packet_body(p, i == 0) for i, p in enumerate(packets))
    if not packets:
        body = "<p>No accounts change hands.</p>"
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Handover packets</title>'
        f"<style>{STYLE}</style></head><body>{body}</body></html>"
    )
