"""The argument parsers of ``planner``: every command, option and its allowed range.

Ranges are checked while parsing, so an out-of-range option is one usage line before any work
(README: a user error prints ``planner: error: …`` and exits 1). Where a bound depends on the
project (``--from-scratch K`` at most its units) the command checks it after opening.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, NoReturn

from planner.cli_common import int_in, iso_date, number_in, project_arg
from planner.model.errors import PlannerError

#: Bounds of numeric options (documented in --help through the error message).
MAX_DEMO_ACCOUNTS = 2_000_000
MAX_SEED = 2**32 - 1
MAX_DAYS = 3650
MAX_K = 100_000
MAX_SECONDS = 86_400.0


class _Parser(argparse.ArgumentParser):
    """Usage errors are user errors too: one line and exit 1 (README), not argparse's exit 2."""

    def error(self, message: str) -> NoReturn:
        raise PlannerError(f"{self.prog}: {message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    """The headless commands (planner COMMAND PROJECT …)."""
    p = _Parser(prog="planner", description="Sales territory planning.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def cmd(name: str, help_: str, project: bool = True) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help_, description=help_)
        if project:
            c.add_argument("project", type=project_arg,
                           help="project file (.tplan) or database URL")  # fmt: skip
        c.add_argument("--json", action="store_true", help="machine-readable output")
        return c

    c = cmd("new", "create an empty project")
    c.add_argument("--name", default="")
    c = cmd("demo", "create the demo project from bundled public data")
    c.add_argument("--accounts", type=int_in(1, MAX_DEMO_ACCOUNTS), default=100_000)
    c.add_argument("--seed", type=int_in(0, MAX_SEED), default=0)
    c.add_argument("--region", default="southeast", choices=["southeast", "lower48"])
    c.add_argument("--overwrite", action="store_true")
    for name, what in (("import-units", "units"), ("import-accounts", "accounts")):
        c = cmd(name, f"import {what} (all-or-nothing; a report is saved beside the project)")
        c.add_argument("file", type=Path, nargs="?" if what == "units" else None)
        c.add_argument("--skip-invalid", action="store_true", help="import the valid rows")
        if what == "units":
            c.add_argument("--crs", help="CRS of a file that has none, e.g. EPSG:3857")
            c.add_argument("--code-field")
            c.add_argument("--name-field")
            c.add_argument("--x", metavar="COL", help="point units: the x (or lon) column")
            c.add_argument("--y", metavar="COL", help="point units: the y (or lat) column")
            c.add_argument(
                "--boundary", type=Path, metavar="FILE",
                help="point units: clip their display cells to this polygon file",
            )  # fmt: skip
            c.add_argument(
                "--us-zips", metavar="ZIPS|FILE",
                help="US ZIP codes as point units at their centroids: 30301,30302,... or a "
                "CSV/XLSX with a ZIP column (no file argument then)",
            )  # fmt: skip
            c.add_argument(
                "--max-edge", type=number_in(1, 1000), default=None, metavar="FACTOR",
                help="point units: their graph (unless given) drops Delaunay edges longer than "
                "FACTOR x the median edge length (default 3)",
            )  # fmt: skip
        else:
            c.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN")
            c.add_argument("--encoding")
    c = cmd("import-adjacency", "replace the unit graph by given edges (CSV/XLSX of code pairs)")
    c.add_argument("file", type=Path)
    cmd("adjacency", "the project's unit graph: nodes, edges, components")
    cmd("metrics", "the metrics auto-balance can balance (built-in and imported columns)")
    c = cmd(
        "import-territories",
        "import territory polygons or a plan CSV into a scenario "
        "(one undoable step; refused if it would leave assigned units without a territory)",
    )
    c.add_argument("file", type=Path)
    c.add_argument("--scenario")
    c.add_argument("--create-scenario", action="store_true",
                   help="create --scenario NAME (a copy of the baseline, or of --from) and "
                   "import into it; a refused import leaves no scenario behind")  # fmt: skip
    c.add_argument(
        "--from",
        dest="based_on",
        metavar="SCENARIO",
        help="with --create-scenario: copy this scenario instead of the baseline",
    )
    c.add_argument("--skip-invalid", action="store_true")
    what = c.add_mutually_exclusive_group()
    what.add_argument(
        "--replace",
        dest="mode",
        action="store_const",
        const="replace",
        help="the file is the whole plan: what it does not place is unassigned",
    )
    what.add_argument(
        "--update",
        dest="mode",
        action="store_const",
        const="update",
        help="change only what the file places; the rest keeps its territory",
    )
    c.set_defaults(mode="check")  # fmt: skip
    c = cmd("import-related", "import contacts, opportunities and/or activities")
    for kind in ("contacts", "opportunities", "activities"):
        c.add_argument(f"--{kind}", type=Path)
    c.add_argument("--encoding")
    c.add_argument("--skip-invalid", action="store_true")
    c = cmd("territories", "list territories")
    c.add_argument("--scenario")
    c = cmd("assign", "move units to a territory in a scenario")
    c.add_argument("--units", nargs="+", required=True, metavar="CODE")
    c.add_argument("--to", required=True, metavar="TERRITORY")
    c.add_argument("--scenario")
    c = cmd("balance", "balance of a scenario per territory")
    c.add_argument("--scenario")
    c = cmd("scenario", "list, create, rename, delete, publish or restore scenarios")
    c.add_argument("action", choices=["list", "create", "rename", "delete", "publish", "restore"])
    c.add_argument("name", nargs="?", metavar="SCENARIO", help="the scenario (not for list)")
    c.add_argument(
        "--from",
        dest="based_on",
        metavar="SCENARIO",
        help="create: copy this scenario instead of the baseline",
    )
    c.add_argument("--to", dest="new_name", metavar="NAME", help="rename: the new name")
    c.add_argument("--description", default="", help="create: a description")
    c.add_argument(
        "--effective",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="publish/restore: effective date of the new alignment",
    )
    c.add_argument("--user", default="", help="publish/restore: who approves (default: login)")
    c = cmd("impact", "impact of a scenario against the baseline or another scenario")
    c.add_argument("--scenario", required=True)
    c.add_argument("--against", help="scenario to compare with (default: the baseline)")
    c.add_argument(
        "--threshold",
        type=number_in(0, 1),
        default=0.10,
        help="flag reps whose book changes by more than this share (default 0.10)",
    )
    c.add_argument("--xlsx", type=Path, metavar="OUT", help="write the XLSX report")
    c.add_argument("--pdf", type=Path, metavar="OUT", help="write the PDF report")
    c.add_argument("--page-size", default="A4", choices=["A4", "Letter"])  # fmt: skip
    c.add_argument("--no-map", action="store_true",
                   help="reports without the impact map (no web engine started)")  # fmt: skip
    c = cmd("handover", "handover packets and checklists for the accounts a scenario moves")
    c.add_argument("--scenario", required=True)
    c.add_argument("--against", help="scenario to compare with (default: the baseline; for a "
                   "published scenario, the baseline it replaced)")  # fmt: skip
    c.add_argument("--effective", type=iso_date, metavar="YYYY-MM-DD",
                   help="effective date (default: today); due dates follow it")  # fmt: skip
    c.add_argument("--transition-days", type=int_in(0, MAX_DAYS), default=30)
    c.add_argument("--support-days", type=int_in(0, MAX_DAYS), default=60)
    c.add_argument("--joint-visit-top", type=number_in(0, 1), default=0.2,
                   help="share of a packet's accounts needing a joint visit")  # fmt: skip
    c.add_argument("--no-save", action="store_true", help="do not store the checklists")
    c.add_argument("--pdf", type=Path, metavar="OUT", help="write the printable packets")
    c.add_argument("--csv", type=Path, metavar="OUT", help="write checklist items as CRM tasks")
    c.add_argument("--xlsx", type=Path, metavar="OUT", help="write checklist items as CRM tasks")
    c.add_argument("--html", type=Path, metavar="OUT", help="write the packets as HTML")
    c.add_argument("--page-size", default="A4", choices=["A4", "Letter"])
    c.add_argument("--no-map", action="store_true",
                   help="PDF covers without the map (no web engine started)")  # fmt: skip
    c = cmd("optimize", "auto-balance a scenario into a new scenario")
    c.add_argument("--scenario", help="start from this scenario (default: the baseline)")
    c.add_argument("--out-scenario", required=True, help="name of the scenario to create")
    mode = c.add_mutually_exclusive_group()
    mode.add_argument("--k", type=int_in(1, MAX_K), help="improve the existing K territories")
    mode.add_argument("--from-scratch", type=int_in(2, MAX_K), metavar="K",
                      help="build K territories anew")  # fmt: skip
    c.add_argument(
        "--metrics",
        default="potential,workload",
        help="comma-separated NAME[:TOLERANCE]: potential, workload, accounts, revenue, "
        "pipeline or an imported numeric column (planner metrics lists them)",
    )
    c.add_argument("--compactness", choices=["cut-edges", "dispersion"], default="cut-edges",
                   help="after balance: fewest cut edges, or least sum of distances to the "
                   "territory centres (keeps improving until --time-limit)")  # fmt: skip
    c.add_argument("--centre", default="median", metavar="median|weighted:METRIC",
                   help="dispersion: each territory's centre is its median unit, or weighted "
                   "by a metric (far demand costs more; measures use the same centre)")  # fmt: skip
    c.add_argument("--tolerance", type=number_in(0, 1, above_low=True), default=0.05)
    c.add_argument(
        "--max-disruption",
        type=number_in(0, 1),
        help="max share of accounts allowed to change territory",
    )
    c.add_argument("--time-limit", type=number_in(0, MAX_SECONDS, above_low=True), default=30.0,
                   metavar="SEC")  # fmt: skip
    c.add_argument("--seed", type=int_in(0, MAX_SEED), default=0)
    c = cmd("history", "the edit history of a scenario (who, when, what, its effect)")
    c.add_argument("--scenario")
    c.add_argument("--metric", default="potential",
                   choices=["potential", "workload_hours", "accounts", "revenue", "pipeline"],
                   help="the metric whose max |deviation| each step shows")  # fmt: skip
    for name, what in (("undo", "undo the latest step"), ("redo", "redo the last undone step")):
        c = cmd(name, f"{what} of a scenario (the same history as the window's)")
        c.add_argument("--scenario")
    _org_commands(cmd)
    c = cmd("export", "export a scenario (GIS formats: territories and units layers)")
    c.add_argument("--format", required=True,
                   choices=["xlsx", "csv", "gpkg", "shp", "geojson", "kml"],
                   help="shp is a zipped Shapefile")  # fmt: skip
    c.add_argument("out", type=Path)
    c.add_argument("--scenario")
    c.add_argument("--layer", choices=["territories", "units"],
                   help="GIS formats: only this layer (geojson holds one: territories by "
                   "default)")  # fmt: skip
    c.add_argument("--level", choices=["accounts", "units"],
                   help="csv: one row per account (default) or per unit (unit_code, "
                   "territory, unit_name); GIS formats: as --layer")  # fmt: skip
    c = cmd("crm-update", "the owner changes of a scenario as files CRMs import (Salesforce "
            "Data Loader CSV, or a generic CSV/XLSX)")  # fmt: skip
    c.add_argument("--scenario", required=True)
    c.add_argument("--against", help="scenario to compare with (default: the baseline; for a "
                   "published scenario, the baseline it replaced)")  # fmt: skip
    c.add_argument("--format", required=True, choices=["salesforce", "salesforce-email", "generic"],
                   help="salesforce: Id,OwnerId (CRM user ids); salesforce-email: Id,Owner.Email; "
                   "generic: old/new territory and owner, effective date")  # fmt: skip
    c.add_argument("--out", required=True, type=Path, metavar="FILE",
                   help="CSV (generic: .xlsx for a workbook)")  # fmt: skip
    c.add_argument("--effective", type=iso_date, metavar="YYYY-MM-DD",
                   help="effective date (default: the publication's, else today)")  # fmt: skip
    from planner.cli_results import add_parsers  # results, alerts, plan, import-actuals

    add_parsers(cmd)
    return p


def _org_commands(cmd: Any) -> None:
    """``planner hierarchy`` and ``planner quota ACTION`` (issue 16)."""
    c = cmd("hierarchy", "the sales hierarchy of a scenario with totals per level")
    c.add_argument("--scenario")
    c = cmd("quota", "allocate, show, adjust, export or import a scenario's quota plan")
    c.add_argument("action", choices=["allocate", "show", "adjust", "commit", "export", "import"])
    c.add_argument("file", nargs="?", type=Path, help="file to export to or import from")
    c.add_argument("--scenario")
    c.add_argument("--year", type=int_in(1900, 2200), help="fiscal year (default: the plan's)")
    c.add_argument("--total", help="amount to allocate, in currency units")
    c.add_argument("--node", help="allocate from / adjust this territory or node (name)")
    c.add_argument("--amount", help="adjust/commit: the amount (commit: 'none' clears)")
    c.add_argument(
        "--basis", default=None, help="e.g. potential:0.5,revenue:0.5 (or even, pipeline)"
    )
    c.add_argument("--min-growth", type=number_in(-1, 100), help="e.g. 0.05 for +5 %%")
    c.add_argument("--max-growth", type=number_in(-1, 100), help="e.g. 0.4 for +40 %%")
    c.add_argument("--start-month", type=int_in(1, 12), help="fiscal year start month (1-12)")
    c.add_argument("--seasonality", choices=["flat", "opportunities"])
    c.add_argument("--no-preserve", action="store_true", help="re-allocate adjusted nodes too")
    c.add_argument("--no-follow", action="store_true", help="quota stays when accounts move")
    c.add_argument("--note", help="adjust: a note kept with the number")
    c.add_argument("--format", choices=["csv", "xlsx"], help="export format (default: by suffix)")
    c.add_argument("--skip-invalid", action="store_true")


def gui_parser() -> argparse.ArgumentParser:
    """``planner [PROJECT] [--snapshot OUT.png]``: the window."""
    p = _Parser(
        prog="planner",
        description="Open the Territory Planner window (COMMANDs: planner --help-commands).",
    )
    p.add_argument("project", nargs="?", type=project_arg, help="project file or database URL")
    p.add_argument("--snapshot", type=Path, metavar="OUT.png", help="save a window PNG and exit")
    p.add_argument("--size", default="1600x1000", help="window size for --snapshot, WxH")
    p.add_argument("--scenario", help="scenario to show")
    p.add_argument("--title", help="--snapshot: the map alone as a sheet with this title, a "
                   "scale bar, north arrow, scenario and date")  # fmt: skip
    p.add_argument("--legend", action="store_true",
                   help="--snapshot: the map sheet with a legend of the territories")  # fmt: skip
    p.add_argument("--help-commands", action="store_true", help="list the headless commands")
    return p
