"""Make the README pictures of issue 17: the Results dock and a page of the territory plan PDF.

    xvfb-run -a .venv/bin/python scripts/docs_results.py [OUT_DIR]

Builds a 20,000-account demo in a temporary folder, gives every territory a quota (last year's
bookings + 10 %, split by last year's months: the quota issue's allocation stands in for it
until it lands in the demo), opens the window with the Results, Alerts and Plan docks, colours
the map by pace, and saves ``results-dock.png``; prints the first territory's plan to PDF and
saves its first page as ``plan-pdf-page1.png`` (poppler's pdftoppm).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QDate, QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QApplication

from planner.model.demo import ANCHOR, create_demo
from planner.model.plan import Plan
from planner.model.results import Results
from planner.model.schema import Quota, QuotaPlan


def add_quotas(path: Path) -> None:
    from planner.model.store import Project

    with Project.open(path) as p:
        plan = Plan.load(p)
        res = Results.of_plan(plan, as_of=ANCHOR)
        with p.transaction() as s:
            s.add(
                QuotaPlan(
                    scenario_id=plan.scenario_id,
                    fiscal_year=ANCHOR.year,
                    settings={"start_month": 1},
                )
            )
            for row in res.rows():
                for m, v in enumerate(row["prior_months"], 1):
                    s.add(
                        Quota(
                            scenario_id=plan.scenario_id,
                            fiscal_year=ANCHOR.year,
                            node_id=row["id"],
                            month=m,
                            amount=round(v * 100),
                        )
                    )


def wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs")
    tmp = Path(tempfile.mkdtemp())
    path = tmp / "demo.tplan"
    create_demo(path, accounts=20_000).close()
    add_quotas(path)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from planner.ui.main_window import MainWindow
    from planner.ui.results_docks import install

    window = MainWindow(remember_layout=False)
    window.resize(1600, 1000)
    window.show()
    results, _alerts, plan_dock = install(window)
    window.open_project(path)
    while results.results is None:  # the facts are read on the worker pool
        wait(200)
    results.as_of.setDate(QDate(ANCHOR.year, ANCHOR.month, ANCHOR.day))
    window.docks["results"].show()
    window.docks["plan"].show()
    window.docks["results"].raise_()
    results.colour.setCurrentIndex(results.colour.findData("pace_pct"))
    results.table.selectRow(0)
    window.resizeDocks([window.docks["results"]], [430], Qt.Orientation.Vertical)
    wait(6000)
    window.resizeDocks([window.docks["results"]], [430], Qt.Orientation.Vertical)
    wait(2000)
    app.processEvents()
    out.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(out / "results-dock.png"))
    pdf = tmp / "plan.pdf"
    plan_dock.export(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "70",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(out / "plan-pdf-page1"),
        ],
        check=True,
    )
    window.close()
    print(f"wrote {out / 'results-dock.png'} and {out / 'plan-pdf-page1.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
