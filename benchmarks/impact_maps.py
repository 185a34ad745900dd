"""The impact PDF and XLSX with their map for a ~10,000-account move: target under 5 s.

Uses the cached demo (``build/bench-southeast-N.tplan``, ``_projects.py``; 100,000 accounts over
616 counties by default) copied to a temporary folder and a scenario that moves one county of
each territory to the next until ``--moved`` accounts change owner (``handover.move_until``).
Timed, as ``planner impact --pdf --xlsx`` runs them: the impact diff, the map (an offscreen map
page: start, load, push the plan, hatch the moved units, wait for the basemap at that zoom, grab,
frame as a sheet), the PDF with the map page, the XLSX with the picture.
Run: ``python benchmarks/impact_maps.py [--accounts N] [--moved M]``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._projects import demo_project
from benchmarks.handover import move_until
from planner.model.impact import impact
from planner.model.io.impact_report import impact_html, write_xlsx
from planner.model.plan import Plan
from planner.model.scenarios import create_scenario
from planner.model.store import Project


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--moved", type=int, default=10_000)
    args = ap.parse_args()
    from planner.app import configure_qt_environment

    configure_qt_environment()
    from planner.ui.printing import ensure_app, html_to_pdf
    from planner.ui.report_maps import IMPACT_MAP, impact_map, png_bytes

    ensure_app()
    src = demo_project(accounts=args.accounts)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        shutil.copy(src, out / "bench.tplan")
        with Project.open(out / "bench.tplan") as project:
            create_scenario(project, "Moved")
            move_until(Plan.load(project, "Moved"), args.moved)
            rows: list[tuple[str, float]] = []
            t_all = t0 = time.perf_counter()
            imp = impact(project, "Moved")
            rows.append(("impact diff", time.perf_counter() - t0))
            t0 = time.perf_counter()
            picture = impact_map(project, imp)
            rows.append(("map (offscreen page, push, hatch, grab, sheet)",
                         time.perf_counter() - t0))  # fmt: skip
            t0 = time.perf_counter()
            html_to_pdf(impact_html(imp, map_image=IMPACT_MAP), out / "impact.pdf",
                        landscape=True, images={IMPACT_MAP: picture})  # fmt: skip
            rows.append(("PDF with the map page", time.perf_counter() - t0))
            t0 = time.perf_counter()
            write_xlsx(imp, out / "impact.xlsx", map_png=png_bytes(picture))
            rows.append(("XLSX with the map picture", time.perf_counter() - t0))
            total = time.perf_counter() - t_all
    print(f"{imp.summary.accounts_moved:,} accounts moved, {imp.summary.units_moved:,} units")
    for label, sec in rows:
        print(f"{label:<50}{sec:>8.2f} s")
    print(f"{'total (target < 5 s)':<50}{total:>8.2f} s {'OK' if total < 5 else 'SLOW'}")


if __name__ == "__main__":
    main()
