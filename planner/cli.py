"""The ``planner`` command: the GUI by default, plus headless subcommands.

``planner [PROJECT] [--snapshot OUT.png]`` opens the window. Subcommands work without a display
and print tables, or JSON with ``--json`` (schema in README "JSON output", kept stable). A user
error prints one line ``planner: error: ...`` and exits 1; never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from planner.model.errors import PlannerError

Handler = Callable[[argparse.Namespace], int]
_HANDLERS: dict[str, Handler] = {}


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    out = json.dumps(data, ensure_ascii=False, indent=1) if getattr(args, "json", False) else text
    sys.stdout.write(out + "\n")


def _command(name: str) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        _HANDLERS[name] = fn
        return fn

    return deco


# -- parser ------------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """Usage errors are user errors too: one line and exit 1 (README), not argparse's exit 2."""

    def error(self, message: str) -> NoReturn:
        raise PlannerError(f"{self.prog}: {message} (see {self.prog} --help)")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="planner", description="Sales territory planning.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def cmd(name: str, help_: str, project: bool = True) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help_, description=help_)
        if project:
            c.add_argument("project", type=Path, help="project file (.tplan) or database URL")
        c.add_argument("--json", action="store_true", help="machine-readable output")
        return c

    c = cmd("new", "create an empty project")
    c.add_argument("--name", default="")
    c = cmd("demo", "create the demo project from bundled public data")
    c.add_argument("--accounts", type=int, default=100_000)
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--region", default="southeast", choices=["southeast", "lower48"])
    c.add_argument("--overwrite", action="store_true")
    for name, what in (("import-units", "units"), ("import-accounts", "accounts")):
        c = cmd(name, f"import {what} (all-or-nothing; a report is saved beside the project)")
        c.add_argument("file", type=Path)
        c.add_argument("--skip-invalid", action="store_true", help="import the valid rows")
        if what == "units":
            c.add_argument("--crs", help="CRS of a file that has none, e.g. EPSG:3857")
            c.add_argument("--code-field")
            c.add_argument("--name-field")
        else:
            c.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN")
            c.add_argument("--encoding")
    c = cmd("import-territories", "import territory polygons or a plan CSV into a scenario")
    c.add_argument("file", type=Path)
    c.add_argument("--scenario")
    c.add_argument("--skip-invalid", action="store_true")
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
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help="publish/restore: effective date of the new alignment",
    )
    c.add_argument("--user", default="", help="publish/restore: who approves (default: login)")
    c = cmd("impact", "impact of a scenario against the baseline or another scenario")
    c.add_argument("--scenario", required=True)
    c.add_argument("--against", help="scenario to compare with (default: the baseline)")
    c.add_argument(
        "--threshold",
        type=float,
        default=0.10,
        help="flag reps whose book changes by more than this share (default 0.10)",
    )
    c.add_argument("--xlsx", type=Path, metavar="OUT", help="write the XLSX report")
    c.add_argument("--pdf", type=Path, metavar="OUT", help="write the PDF report")
    c.add_argument("--page-size", default="A4", choices=["A4", "Letter"])  # fmt: skip
    c = cmd("handover", "handover packets and checklists for the accounts a scenario moves")
    c.add_argument("--scenario", required=True)
    c.add_argument("--against", help="scenario to compare with (default: the baseline; for a "
                   "published scenario, the baseline it replaced)")  # fmt: skip
    c.add_argument("--effective", type=_iso_date, metavar="YYYY-MM-DD",
                   help="effective date (default: today); due dates follow it")  # fmt: skip
    c.add_argument("--transition-days", type=int, default=30)
    c.add_argument("--support-days", type=int, default=60)
    c.add_argument("--joint-visit-top", type=float, default=0.2,
                   help="share of a packet's accounts needing a joint visit")  # fmt: skip
    c.add_argument("--no-save", action="store_true", help="do not store the checklists")
    c.add_argument("--pdf", type=Path, metavar="OUT", help="write the printable packets")
    c.add_argument("--csv", type=Path, metavar="OUT", help="write checklist items as CRM tasks")
    c.add_argument("--xlsx", type=Path, metavar="OUT", help="write checklist items as CRM tasks")
    c.add_argument("--html", type=Path, metavar="OUT", help="write the packets as HTML")
    c.add_argument("--page-size", default="A4", choices=["A4", "Letter"])
    c = cmd("optimize", "auto-balance a scenario into a new scenario")
    c.add_argument("--scenario", help="start from this scenario (default: the baseline)")
    c.add_argument("--out-scenario", required=True, help="name of the scenario to create")
    mode = c.add_mutually_exclusive_group()
    mode.add_argument("--k", type=int, help="improve the existing K territories")
    mode.add_argument("--from-scratch", type=int, metavar="K", help="build K territories anew")
    c.add_argument(
        "--metrics",
        default="potential,workload",
        help="comma-separated: potential, workload, accounts, revenue, pipeline",
    )
    c.add_argument("--tolerance", type=float, default=0.05)
    c.add_argument(
        "--max-disruption", type=float, help="max share of accounts allowed to change territory"
    )
    c.add_argument("--time-limit", type=float, default=30.0, metavar="SEC")
    c.add_argument("--seed", type=int, default=0)  # fmt: skip
    c = cmd("export", "export a scenario")
    c.add_argument("--format", required=True, choices=["xlsx", "csv", "geojson"])
    c.add_argument("out", type=Path)
    c.add_argument("--scenario")
    return p


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2027-01-31") from None


def _gui_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="planner",
        description="Open the Territory Planner window (COMMANDs: planner --help-commands).",
    )
    p.add_argument("project", nargs="?", type=Path, help="project to open")
    p.add_argument("--snapshot", type=Path, metavar="OUT.png", help="save a window PNG and exit")
    p.add_argument("--size", default="1600x1000", help="window size for --snapshot, WxH")
    p.add_argument("--scenario", help="scenario to show")
    p.add_argument("--help-commands", action="store_true", help="list the headless commands")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    try:
        if argv and argv[0] in _HANDLERS:
            args = parser.parse_args(argv)
            return _HANDLERS[args.command](args)
        gargs = _gui_parser().parse_args(argv)
        if gargs.help_commands:
            parser.print_help()
            return 0
        from planner.app import run_gui

        return run_gui(gargs.project, snapshot=gargs.snapshot, size=gargs.size,
                       scenario=gargs.scenario)  # fmt: skip
    except PlannerError as err:
        sys.stderr.write(f"planner: error: {err}\n")
        return 1
    except KeyboardInterrupt:
        return 130


# -- handlers ----------------------------------------------------------------------------------
def _open(args: argparse.Namespace) -> Any:
    from planner.model.store import Project

    return Project.open(str(args.project) if "://" in str(args.project) else args.project)


@_command("new")
def _new(args: argparse.Namespace) -> int:
    from planner.model.store import Project

    with Project.create(args.project, name=args.name) as p:
        _emit(args, {"project": str(p.location)}, f"created {p.location}")
    return 0


@_command("demo")
def _demo(args: argparse.Namespace) -> int:
    from planner.model.demo import create_demo

    with create_demo(
        args.project, accounts=args.accounts, seed=args.seed, region=args.region,
        overwrite=args.overwrite,
    ) as p:  # fmt: skip
        _emit(args, {"project": str(p.location)}, f"created demo project {p.location}")
    return 0


def _report(args: argparse.Namespace, project: Any, run: Callable[[], Any]) -> int:
    from planner.model.errors import ImportRefused

    try:
        report = run()
    except ImportRefused as err:
        report = getattr(err, "report", None)
        if report is None:
            raise
        report.save_next_to(project.path)
        _emit(args, report.to_json(), report.to_text())
        raise
    saved = report.save_next_to(project.path)
    data = report.to_json()
    _emit(args, data, report.to_text() + (f"\n  report saved to {saved}" if saved else ""))
    return 0


@_command("import-units")
def _import_units(args: argparse.Namespace) -> int:
    from planner.model.io.units import import_units

    with _open(args) as p:
        return _report(args, p, lambda: import_units(
            p, args.file, crs=args.crs, code_field=args.code_field,
            name_field=args.name_field, skip_invalid=args.skip_invalid))  # fmt: skip


def _mapping(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise PlannerError(f"--map expects FIELD=COLUMN, got '{pair}'")
        out[field.strip()] = column.strip()
    return out


@_command("import-accounts")
def _import_accounts(args: argparse.Namespace) -> int:
    from planner.model.io.accounts import import_accounts

    mapping = _mapping(args.map)
    with _open(args) as p:
        return _report(args, p, lambda: import_accounts(
            p, args.file, mapping=mapping or None, encoding=args.encoding,
            skip_invalid=args.skip_invalid))  # fmt: skip


@_command("import-territories")
def _import_territories(args: argparse.Namespace) -> int:
    from planner.model.io.territories import import_territories

    with _open(args) as p:
        sid = _scenario_id(p, args.scenario)
        return _report(args, p, lambda: import_territories(
            p, args.file, scenario_id=sid, skip_invalid=args.skip_invalid))  # fmt: skip


@_command("import-related")
def _import_related(args: argparse.Namespace) -> int:
    from planner.model.io.related import import_related

    kinds = [k for k in ("contacts", "opportunities", "activities") if getattr(args, k)]
    if not kinds:
        raise PlannerError("give at least one of --contacts, --opportunities, --activities FILE")
    with _open(args) as p:
        for kind in kinds:
            _report(args, p, lambda kind=kind: import_related(
                p, getattr(args, kind), kind, encoding=args.encoding,
                skip_invalid=args.skip_invalid))  # fmt: skip
    return 0


def _scenario_id(project: Any, name: str | None) -> int | None:
    if name is None:
        return None
    from planner.model.plan import Plan

    return Plan.load(project, name).scenario_id


@_command("territories")
def _territories(args: argparse.Namespace) -> int:
    from planner.model.plan import Plan

    with _open(args) as p:
        plan = Plan.load(p, args.scenario)
        units = plan.alignment[: plan.atoms.n_units]
        rows = [
            {"id": r["id"], "name": r["name"], "rep": r["rep"], "colour": r["colour"],
             "units": int((units == r["index"]).sum()), "accounts": int(r["accounts"])}
            for r in plan.rows()
        ]  # fmt: skip
        text = "\n".join(
            f"{r['name']:<28} {r['rep']:<24} {r['units']:>6} units {r['accounts']:>8} accounts"
            for r in rows
        )
        _emit(args, {"scenario": plan.name, "territories": rows}, text)
    return 0


@_command("assign")
def _assign(args: argparse.Namespace) -> int:
    import numpy as np

    from planner.model import moves
    from planner.model.plan import Plan

    with _open(args) as p:
        plan = Plan.load(p, args.scenario)
        a = plan.atoms
        names = {str(n): i for i, n in enumerate(a.territory_names)}
        if args.to not in names:
            raise PlannerError(f"no territory '{args.to}' (territories: {', '.join(names)})")
        index = {str(c): i for i, c in enumerate(a.unit_codes)}
        unknown = [c for c in args.units if c not in index]
        if unknown:
            raise PlannerError(f"unknown unit code(s): {', '.join(unknown[:10])}")
        ms = moves.for_units(plan, np.array([index[c] for c in args.units]), names[args.to],
                             kind="assign")  # fmt: skip
        pv = plan.preview(ms)
        plan.apply(ms)
        data = {"scenario": plan.name, "to": args.to, "moved_units": pv.units,
                "moved_accounts": pv.accounts, "moved": pv.moved}  # fmt: skip
        _emit(args, data, f"{ms.label}: {pv.accounts} accounts moved in scenario {plan.name}")
    return 0


def balance_json(plan: Any) -> dict[str, Any]:
    """The documented ``balance --json`` object."""
    keys = ("name", "rep", "accounts", "potential", "revenue", "workload_hours", "pipeline",
            "deviation", "disruption")  # fmt: skip
    s = plan.summary()
    return {
        "scenario": plan.name,
        "territories": [{k: r[k] for k in keys} for r in plan.rows()],
        "summary": {
            "max_abs_deviation": s["max_abs_deviation"],
            "gini": s["gini"],
            "mean_abs_deviation": s["mean_abs_deviation"],
            "disruption": plan.disruption(),
        },
        "unassigned_accounts": plan.unassigned_accounts(),
    }


@_command("balance")
def _balance(args: argparse.Namespace) -> int:
    from planner.model.plan import Plan

    with _open(args) as p:
        data = balance_json(Plan.load(p, args.scenario))
    lines = [f"Scenario: {data['scenario']}",
             f"{'territory':<26}{'rep':<22}{'accounts':>9}{'potential':>15}{'workload h':>11}"
             f"{'revenue':>15}{'pipeline':>14}{'dev pot':>9}{'dev wl':>8}"]  # fmt: skip
    for r in data["territories"]:
        lines.append(
            f"{r['name'][:25]:<26}{r['rep'][:21]:<22}{r['accounts']:>9.0f}{r['potential']:>15,.0f}"
            f"{r['workload_hours']:>11,.0f}{r['revenue']:>15,.0f}{r['pipeline']:>14,.0f}"
            f"{r['deviation']['potential']:>+9.1%}{r['deviation']['workload_hours']:>+8.1%}"
        )
    mx = data["summary"]["max_abs_deviation"]
    lines.append("max |deviation|: " + ", ".join(f"{k} {v:.1%}" for k, v in mx.items()))
    lines.append(f"unassigned accounts: {data['unassigned_accounts']}")
    _emit(args, data, "\n".join(lines))
    return 0


@_command("export")
def _export(args: argparse.Namespace) -> int:
    from planner.model.io.export import export
    from planner.model.plan import Plan

    with _open(args) as p:
        plan = Plan.load(p, args.scenario)
        out = export(plan, args.format, args.out)
    _emit(args, {"file": str(out), "format": args.format}, f"wrote {out}")
    return 0


# The plan-level commands (scenario, impact, handover, optimize) live in their own module.
from planner import cli_plans  # noqa: E402, F401 - registers its commands

if __name__ == "__main__":
    raise SystemExit(main())
