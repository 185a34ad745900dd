"""``planner hierarchy`` and ``planner quota``: the sales hierarchy and quota plans headless.

Every quota change (allocate, adjust, commit, import) is one Edit of the scenario, so
``planner undo`` reverts it and the window shows it in its history.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from planner.cli_common import check_outputs, command, emit, open_project
from planner.model.errors import PlannerError


@command("hierarchy")
def _hierarchy(args: argparse.Namespace) -> int:
    from planner.model.hierarchy import Tree, tree_rows
    from planner.model.plan import Plan

    with open_project(args, reading=True) as p:
        plan = Plan.load(p, args.scenario)
        tree = Tree.of_plan(plan)
        rows = tree_rows(plan, tree)
        quota = {r["id"]: r.get("quota") for r in plan.rows()}
        year = plan.quotas.active_year()
        yp = plan.quotas.year(year) if year else None
    for r in rows:
        r["quota"] = (yp.amount(r["id"]) / 100) if yp is not None else quota.get(r["id"])
    lines = [f"Scenario: {plan.name} · levels: {' > '.join(tree.levels())}"
             + (f" · quotas FY{year}" if yp else ""),
             f"{'':<44}{'terr.':>6}{'accounts':>10}{'potential':>15}{'revenue':>15}"
             f"{'dev pot.':>9}" + (f"{'quota':>15}" if yp else "")]  # fmt: skip
    for r in rows:
        name = ("  " * r["depth"] + r["name"])[:43]
        lines.append(
            f"{name:<44}{r['territories']:>6}{r['accounts']:>10,.0f}{r['potential']:>15,.0f}"
            f"{r['revenue']:>15,.0f}{r['deviation']['potential']:>+9.1%}"
            + (f"{r['quota']:>15,.0f}" if yp else "")
        )
    emit(args, {"scenario": plan.name, "levels": tree.levels(), "quota_year": year, "rows": rows},
         "\n".join(lines))  # fmt: skip
    return 0


@command("quota")
def _quota(args: argparse.Namespace) -> int:
    action = args.action
    if action in ("export", "import") and args.file is None:
        raise PlannerError(f"quota {action} needs a FILE")
    if action == "export":
        guard = check_outputs(args, [args.file])
    from planner.model.plan import Plan

    with open_project(args, reading=action in ("show", "export")) as p:
        plan = Plan.load(p, args.scenario)
        if action == "allocate":
            return _allocate(args, plan)
        year = args.year or plan.quotas.active_year()
        if action == "import":
            return _import(args, p, plan, year)
        if year is None:
            raise PlannerError(f"scenario '{plan.name}' has no quota plan; run quota allocate")
        if action == "show":
            return _show(args, plan, year)
        if action == "export":
            from planner.model.io.quotas import export_quotas

            fmt = args.format or ("xlsx" if args.file.suffix.lower() == ".xlsx" else "csv")
            out = export_quotas(plan, year, fmt, args.file, protect=guard)
            emit(args, {"file": str(out), "year": year}, f"wrote {out}")
            return 0
        return _adjust(args, plan, year)


def _node(plan: Any, name: str | None, *, required: bool = True) -> int:
    from planner.model.hierarchy import ROOT, Tree

    if not name:
        if required:
            raise PlannerError("--node: give the territory or node (by name)")
        return ROOT
    tree = Tree.of_plan(plan)
    for item in [ROOT, *tree.walk()]:
        if tree.name(item).casefold() == name.strip().casefold():
            return item
    raise PlannerError(f"--node: no territory or node named '{name}' in scenario '{plan.name}'")


def _allocate(args: argparse.Namespace, plan: Any) -> int:
    from planner.model.hierarchy import Tree
    from planner.model.quota.ops import allocate_edit, cents

    if args.total is None:
        raise PlannerError("--total: give the amount to allocate")
    year = args.year or plan.quotas.active_year() or dt.date.today().year + 1
    settings: dict[str, Any] = {}
    if args.start_month:
        settings["start_month"] = args.start_month
    if args.seasonality:
        settings["seasonality"] = args.seasonality
    if args.no_follow:
        settings["follow"] = False
    edit, outcome = allocate_edit(
        plan, year, cents(args.total, "--total"), node=_node(plan, args.node, required=False),
        basis=args.basis, min_growth=args.min_growth, max_growth=args.max_growth,
        preserve=not args.no_preserve, settings=settings,
    )  # fmt: skip
    log_id = plan.apply(edit)
    report = outcome.report(Tree.of_plan(plan))
    emit(args, {"scenario": plan.name, "year": year, "log_id": log_id, "report": report,
                "rows": _rows(plan, year)},
         "\n".join([f"{edit.label} (scenario {plan.name})", *report]))  # fmt: skip
    return 0


def _adjust(args: argparse.Namespace, plan: Any, year: int) -> int:
    from planner.model.quota.ops import adjust_edit, cents, commit_edit

    if args.amount is None:
        raise PlannerError("--amount: give the amount")
    node = _node(plan, args.node)
    if args.action == "commit":
        amount = None if args.amount.strip().lower() == "none" else cents(args.amount, "--amount")
        edit = commit_edit(plan, year, node, amount)
    else:
        edit = adjust_edit(plan, year, node, cents(args.amount, "--amount"), note=args.note)
    log_id = plan.apply(edit)
    emit(args, {"scenario": plan.name, "year": year, "log_id": log_id, "label": edit.label},
         f"{edit.label} (scenario {plan.name})")  # fmt: skip
    return 0


def _import(args: argparse.Namespace, project: Any, plan: Any, year: int | None) -> int:
    from planner.cli import _report
    from planner.model.io.quotas import import_quotas

    if year is None:
        raise PlannerError("--year: give the fiscal year the file is for")

    def run() -> Any:
        report, edit = import_quotas(plan, args.file, year, skip_invalid=args.skip_invalid,
                                     start_month=args.start_month)  # fmt: skip
        plan.apply(edit)
        return report

    return _report(args, project, run)


def _rows(plan: Any, year: int) -> list[dict[str, Any]]:
    from planner.model.quota.ops import table

    return table(plan, year)


def _show(args: argparse.Namespace, plan: Any, year: int) -> int:
    rows = _rows(plan, year)
    lines = [f"Scenario: {plan.name} · quota plan FY{year} (gap: node minus the sum under it)",
             f"{'':<40}{'quota':>15}{'Q1':>13}{'Q2':>13}{'Q3':>13}{'Q4':>13}{'commit':>14}"
             f"{'gap':>12}{'difficulty':>11}"]  # fmt: skip
    for r in rows:
        name = ("  " * r["depth"] + r["name"] + (" *" if r["adjusted"] else ""))[:39]
        q = "".join(f"{v:>13,.0f}" for v in r["quarters"])
        c = f"{r['commitment']:>14,.0f}" if r["commitment"] is not None else f"{'':>14}"
        g = f"{r['gap']:>12,.0f}" if r["gap"] else f"{'':>12}"
        d = r.get("difficulty")
        flag = f" {r['flag']}" if r.get("flag") else ""
        diff = f"{d:>6.2f}{flag:<5}" if d is not None else f"{'':>11}"
        lines.append(f"{name:<40}{r['quota']:>15,.0f}{q}{c}{g}{diff}")
    lines.append("* adjusted by hand (kept when allocating again)")
    emit(args, {"scenario": plan.name, "year": year, "rows": rows}, "\n".join(lines))
    return 0
