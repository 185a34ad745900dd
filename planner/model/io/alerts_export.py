"""Alerts as a CSV a CRM or a spreadsheet opens: one row per listed alert.

Text a spreadsheet would run as a formula is neutralised (planner.model.io._cells); the file
is written atomically and never over a protected file (planner.model.io._output).
"""

from __future__ import annotations

import csv
from pathlib import Path

from planner.model.alerts import RULES, AlertList
from planner.model.io._cells import neutralise
from planner.model.io._output import Protected, write_atomic

COLUMNS = ("Rule", "Concerns", "Kind", "Id", "Territory", "Value", "Detail")


def write_alerts_csv(alerts: AlertList, out: Path, *, protect: Protected | None = None) -> Path:
    def write(tmp: Path) -> None:
        with tmp.open("w", newline="", encoding="utf-8-sig") as fh:
            w = csv.writer(fh)
            w.writerow(COLUMNS)
            for rule, items in alerts.items.items():
                for a in items:
                    w.writerow(
                        [
                            neutralise(v)
                            for v in (
                                RULES[rule],
                                a.name,
                                a.subject,
                                a.id if a.id is not None else "",
                                a.territory,
                                "" if a.value is None else f"{a.value:.4g}",
                                a.message,
                            )
                        ]
                    )

    return write_atomic(out, write, protect=protect)
