"""The ``planner`` command: the GUI by default, plus headless subcommands.

``planner [PROJECT] [--snapshot OUT.png]`` opens the window. Subcommands work without a display
and print tables, or JSON with ``--json`` (schema in README "JSON output", kept stable; never
``NaN``). A user error prints one line ``planner: error: ...`` and exits 1; never a traceback.
A project is a ``.tplan`` file or a database URL everywhere.

This module is the entry point and the data commands (new, demo, imports, territories, assign,
balance, export); :mod:`planner.cli_plans` has the plan-level ones, :mod:`planner.cli_parser`
the options, :mod:`planner.cli_common` what they share.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from planner import (
    cli_graph,  # noqa: F401 - registers import-adjacency, adjacency, metrics
    cli_history,  # noqa: F401 - registers history, undo, redo
    cli_plans,  # noqa: F401 - registers the plan-level commands
    cli_quota,  # noqa: F401 - registers hierarchy and quota
    cli_results,  # noqa: F401 - registers results, alerts, plan
)
from planner.cli_common import (
    HANDLERS,
    check_outputs,
    command,
    emit,
    one_line,
    open_project,
    warn,
)
from planner.cli_parser import build_parser, gui_parser
from planner.model.errors import PlannerError


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in HANDLERS:
            args = build_parser().parse_args(argv)
            return HANDLERS[args.command](args)
        gargs = gui_parser().parse_args(argv)
        if gargs.help_commands:
            build_parser().print_help()
            return 0
        from planner.app import run_gui

        if (gargs.title is not None or gargs.legend) and gargs.snapshot is None:
            raise PlannerError("--title and --legend go with --snapshot OUT.png")
        return run_gui(gargs.project, snapshot=gargs.snapshot, size=gargs.size,
                       scenario=gargs.scenario, title=gargs.title,
                       legend=gargs.legend)  # fmt: skip
    except PlannerError as err:
        sys.stderr.write(f"planner: error: {one_line(str(err))}\n")
        return 1
    except KeyboardInterrupt:
        return 130


# -- handlers ----------------------------------------------------------------------------------
@command("new")
def _new(args: argparse.Namespace) -> int:
    from planner.model.store import Project

    with Project.create(args.project, name=args.name) as p:
        emit(args, {"project": str(p.location)}, f"created {p.location}")
    return 0


@command("demo")
def _demo(args: argparse.Namespace) -> int:
    from planner.model.demo import create_demo

    with create_demo(
        args.project, accounts=args.accounts, seed=args.seed, region=args.region,
        overwrite=args.overwrite,
    ) as p:  # fmt: skip
        emit(args, {"project": str(p.location)}, f"created demo project {p.location}")
    return 0


def _report(args: argparse.Namespace, project: Any, run: Callable[[], Any]) -> int:
    """Run an import and print and save its report.

    The import commits before its report exists, so a report that cannot be saved (a
    read-only folder, a full disk) is a warning: the command reports success, because the
    data is in. A refused import stays refused whatever happens to its report.
    """
    from planner.model.errors import ImportRefused

    try:
        report = run()
    except ImportRefused as err:
        report = getattr(err, "report", None)
        if report is None:
            raise
        _save_report(report, project, "nothing was imported")
        emit(args, report.to_json(), report.to_text())
        raise
    saved = _save_report(report, project, "the import itself succeeded")
    data = report.to_json()
    emit(args, data, report.to_text() + (f"\n  report saved to {saved}" if saved else ""))
    return 0


def _save_report(report: Any, project: Any, outcome: str) -> Any:
    try:
        return report.save_next_to(project.path)
    except OSError as err:  # OutputError included: one line naming the file
        warn(f"the import report was not saved ({err}); {outcome}")
        return None


@command("import-units")
def _import_units(args: argparse.Namespace) -> int:
    from planner.model.io.units import import_units

    if args.us_zips is not None:
        return _import_us_zips(args)
    if args.file is None:
        raise PlannerError("import-units needs a file (or --us-zips ZIPS)")
    if args.x or args.y:
        return _import_unit_points(args)
    if args.max_edge is not None:
        raise PlannerError("--max-edge applies to point units (--x/--y or --us-zips)")
    with open_project(args) as p:
        return _report(args, p, lambda: import_units(
            p, args.file, crs=args.crs, code_field=args.code_field,
            name_field=args.name_field, skip_invalid=args.skip_invalid))  # fmt: skip


def _import_unit_points(args: argparse.Namespace) -> int:
    from planner.model.io.unit_points import import_unit_points
    from planner.model.planar import DEFAULT_MAX_EDGE

    if not (args.x and args.y):
        raise PlannerError("point units need both --x and --y")
    with open_project(args) as p:
        return _report(args, p, lambda: import_unit_points(
            p, args.file, x=args.x, y=args.y, crs=args.crs, code_field=args.code_field,
            name_field=args.name_field, boundary=args.boundary,
            max_edge=args.max_edge or DEFAULT_MAX_EDGE,
            skip_invalid=args.skip_invalid))  # fmt: skip


def _import_us_zips(args: argparse.Namespace) -> int:
    from planner.model.io.us_zips import import_us_zips
    from planner.model.planar import DEFAULT_MAX_EDGE

    if args.file is not None or args.x or args.y:
        raise PlannerError("--us-zips places the ZIPs itself: give no file, --x or --y")
    with open_project(args) as p:
        return _report(args, p, lambda: import_us_zips(
            p, args.us_zips, code_field=args.code_field, name_field=args.name_field,
            boundary=args.boundary, max_edge=args.max_edge or DEFAULT_MAX_EDGE,
            skip_invalid=args.skip_invalid))  # fmt: skip


#: The import runner with its report handling, for importers registered in other modules.
def import_with_report(args: argparse.Namespace, project: Any, run: Callable[[], Any]) -> int:
    return _report(args, project, run)


def _mapping(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise PlannerError(f"--map expects FIELD=COLUMN, got '{pair}'")
        out[field.strip()] = column.strip()
    return out


@command("import-accounts")
def _import_accounts(args: argparse.Namespace) -> int:
    from planner.model.io.accounts import import_accounts

    mapping = _mapping(args.map)
    with open_project(args) as p:
        return _report(args, p, lambda: import_accounts(
            p, args.file, mapping=mapping or None, encoding=args.encoding,
            skip_invalid=args.skip_invalid))  # fmt: skip


@command("import-territories")
def _import_territories(args: argparse.Namespace) -> int:
    from planner.model.io.territories import import_territories

    if args.create_scenario and not args.scenario:
        raise PlannerError("--create-scenario needs --scenario NAME: the scenario to create")
    if args.based_on and not args.create_scenario:
        raise PlannerError("--from goes with --create-scenario (the scenario the new one copies)")
    with open_project(args) as p:
        if args.create_scenario:
            from planner.model.io.gis_import import import_as_scenario

            return _report(args, p, lambda: import_as_scenario(
                p, args.file, args.scenario, based_on=args.based_on,
                skip_invalid=args.skip_invalid, mode=args.mode))  # fmt: skip
        sid = _scenario_id(p, args.scenario)
        return _report(args, p, lambda: import_territories(
            p, args.file, scenario_id=sid, skip_invalid=args.skip_invalid,
            mode=args.mode))  # fmt: skip


@command("import-related")
def _import_related(args: argparse.Namespace) -> int:
    from planner.model.io.related import import_related

    kinds = [k for k in ("contacts", "opportunities", "activities") if getattr(args, k)]
    if not kinds:
        raise PlannerError("give at least one of --contacts, --opportunities, --activities FILE")
    with open_project(args) as p:
        for kind in kinds:
            _report(args, p, lambda kind=kind: import_related(
                p, getattr(args, kind), kind, encoding=args.encoding,
                skip_invalid=args.skip_invalid))  # fmt: skip
    return 0


@command("import-actuals")
def _import_actuals(args: argparse.Namespace) -> int:
    from planner.model.io.actuals import import_actuals

    mapping = _mapping(args.map)
    with open_project(args) as p:
        return _report(args, p, lambda: import_actuals(
            p, args.file, mapping=mapping or None, encoding=args.encoding,
            skip_invalid=args.skip_invalid))  # fmt: skip


def _scenario_id(project: Any, name: str | None) -> int | None:
    if name is None:
        return None
    from planner.model.plan import Plan

    return Plan.load(project, name).scenario_id


@command("territories")
def _territories(args: argparse.Namespace) -> int:
    from planner.model.plan import Plan

    with open_project(args, reading=True) as p:
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
        emit(args, {"scenario": plan.name, "territories": rows}, text)
    return 0


@command("assign")
def _assign(args: argparse.Namespace) -> int:
    import numpy as np

    from planner.model import moves
    from planner.model.plan import Plan

    with open_project(args) as p:
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
        emit(args, data, f"{ms.label}: {pv.accounts} accounts moved in scenario {plan.name}")
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


@command("balance")
def _balance(args: argparse.Namespace) -> int:
    from planner.model.plan import Plan

    with open_project(args, reading=True) as p:
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
    emit(args, data, "\n".join(lines))
    return 0


@command("export")
def _export(args: argparse.Namespace) -> int:
    from planner.model.io.export import export
    from planner.model.io.gis_export import GIS_FORMATS, export_gis
    from planner.model.plan import Plan

    gis = args.format in GIS_FORMATS
    if args.layer and not gis:
        raise PlannerError(f"--layer applies to the GIS formats ({', '.join(GIS_FORMATS)})")
    layer = args.layer
    if gis and args.level:  # the GIS formats' layers are the same two levels
        wanted = "units" if args.level == "units" else "territories"
        if layer and layer != wanted:
            raise PlannerError(f"--level {args.level} and --layer {layer} disagree")
        layer = wanted
    guard = check_outputs(args, [args.out])
    with open_project(args, reading=True) as p:
        plan = Plan.load(p, args.scenario)
        if gis:
            done = export_gis(plan, args.format, args.out, layer=layer, protect=guard)
            emit(args, done.to_json(), done.to_text())
            return 0
        out = export(plan, args.format, args.out, protect=guard, level=args.level or "accounts")
    emit(args, {"file": str(out), "format": args.format}, f"wrote {out}")
    return 0


@command("crm-update")
def _crm_update(args: argparse.Namespace) -> int:
    from planner.model.io.crm_update import check_target, crm_update, write_crm_update

    check_target(args.format, args.out)
    guard = check_outputs(args, [args.out])
    with open_project(args, reading=True) as p:
        update = crm_update(p, args.scenario, args.against, fmt=args.format,
                            effective=args.effective)  # fmt: skip
        out = write_crm_update(update, args.out, protect=guard)
    lines = [f"{len(update.rows):,} owner change(s) of {update.moved:,} moved account(s) "
             f"({update.scenario} against {update.against}, effective "
             f"{update.effective_date.isoformat()}) written to {out}"]  # fmt: skip
    lines += [f"  not changed: {m.account_id} {m.name}: {m.reason}" for m in update.missing[:50]]
    if len(update.missing) > 50:
        lines.append(f"  … {len(update.missing) - 50:,} more (--json lists them all)")
    if update.missing:
        kept = " (in the file with an empty new owner)" if update.format == "generic" else ""
        warn(f"{len(update.missing):,} moved account(s) have no new owner the file can "
             f"name{kept}; see the list")  # fmt: skip
    emit(args, update.to_json(out), "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
