"""``planner results | alerts | plan``: results, alerts and the written territory plan from the
command line (issue 17). Options of these and ``import-actuals`` are in :func:`add_parsers`
(called by planner.cli_parser); ``import-actuals`` is handled in planner.cli with the other
imports (it shares their report handling).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from planner.cli_common import check_outputs, command, emit, int_in, iso_date, open_project
from planner.model.errors import PlannerError

LEVEL_CHOICES = ("territory", "rep", "district", "region", "plan")


def add_parsers(cmd: Any) -> None:
    """Add the commands to ``planner``'s parser (``cmd`` is build_parser's helper)."""

    def common(c: argparse.ArgumentParser) -> None:
        c.add_argument("--scenario")
        c.add_argument(
            "--as-of",
            type=iso_date,
            metavar="YYYY-MM-DD",
            help="measure results as of this day (default: today)",
        )
        c.add_argument(
            "--fiscal-year",
            type=int_in(1900, 2199),
            metavar="YEAR",
            help="the fiscal year (default: the one the as-of day falls in)",
        )

    c = cmd(
        "results",
        "results per territory, rep or hierarchy level: bookings, attainment, "
        "pace, growth, win rate, pipeline coverage, funnel, penetration, coverage",
    )
    common(c)
    c.add_argument("--level", default="territory", choices=LEVEL_CHOICES)
    c = cmd(
        "alerts",
        "alerts of a scenario (behind pace, over capacity, unvisited top "
        "accounts, low pipeline, unowned accounts, reps losing book)",
    )
    common(c)
    c.add_argument("--csv", type=Path, metavar="OUT", help="write the alerts as CSV")
    c = cmd("plan", "the written territory plan: print it (PDF/XLSX) or save a new revision")
    common(c)
    c.add_argument(
        "--territory",
        required=True,
        metavar="NAME",
        help="a territory, or a district/region for all its territories",
    )
    c.add_argument("--pdf", type=Path, metavar="OUT")
    c.add_argument("--xlsx", type=Path, metavar="OUT")
    c.add_argument(
        "--save",
        type=Path,
        metavar="PLAN.json",
        help="save this JSON as the territory's plan (a new revision)",
    )
    c.add_argument("--no-map", action="store_true", help="leave the map picture out")
    c.add_argument("--page-size", default="A4", choices=["A4", "Letter"])
    c = cmd(
        "import-actuals",
        "import bookings per account and date (all-or-nothing; "
        "importing the same rows twice does not double count)",
    )
    c.add_argument("file", type=Path)
    c.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN")
    c.add_argument("--encoding")
    c.add_argument("--skip-invalid", action="store_true")


def _context(args: argparse.Namespace, p: Any, *, with_alerts: bool = False) -> Any:
    from planner.model.alert_rules import load_rules
    from planner.model.alerts import AlertEngine
    from planner.model.plan import Plan
    from planner.model.results import Results

    plan = Plan.load(p, args.scenario)
    res = Results.of_plan(plan, as_of=args.as_of, fiscal_year=args.fiscal_year)
    alerts = AlertEngine(res, plan, load_rules(p)).evaluate(res, plan) if with_alerts else None
    return plan, res, alerts


def _pct(v: Any) -> str:
    return "-" if v is None else f"{v:+.0%}" if v < 0 else f"{v:.0%}"


@command("results")
def _results(args: argparse.Namespace) -> int:
    with open_project(args, reading=True) as p:
        plan, res, _ = _context(args, p)
        rows = res.rows(args.level)
    data = {
        "scenario": plan.name,
        "level": args.level,
        "fiscal_year": res.fiscal_year,
        "as_of": res.as_of.isoformat(),
        "bookings_source": "opportunities (closed won)"
        if res.facts.bookings_from_crm
        else "actuals",
        "rows": rows,
    }
    lines = [
        f"Results of {plan.name}, fiscal year {res.fiscal_year}, as of {res.as_of} "
        f"(bookings from {data['bookings_source']})",
        f"{'name':<28} {'bookings':>14} {'quota':>14} {'attain':>7} {'pace':>7} "
        f"{'yoy':>7} {'win':>5} {'cover':>6}",
    ]
    for r in rows:
        quota = "-" if r["quota"] is None else f"{r['quota']:,.0f}"
        lines.append(
            f"{r['name'][:28]:<28} {r['bookings']:>14,.0f} {quota:>14} "
            f"{_pct(r['attainment']):>7} {_pct(r['pace_pct']):>7} "
            f"{_pct(r['yoy_growth']):>7} {_pct(r['win_rate']):>5} "
            f"{_pct(r['coverage']):>6}"
        )
    emit(args, data, "\n".join(lines))
    return 0


@command("alerts")
def _alerts(args: argparse.Namespace) -> int:
    guard = check_outputs(args, [args.csv])
    with open_project(args, reading=True) as p:
        plan, res, alerts = _context(args, p, with_alerts=True)
    data = {"scenario": plan.name, "as_of": res.as_of.isoformat(), **alerts.to_json()}
    lines = [f"Alerts of {plan.name} as of {res.as_of}: {alerts.total}"]
    for rule in data["rules"]:
        lines.append(f"{rule['title']}: {rule['count']}")
        lines += [f"  {a['name']} ({a['territory']}): {a['message']}" for a in rule["items"][:10]]
    if args.csv:
        from planner.model.io.alerts_export import write_alerts_csv

        lines.append(f"wrote {write_alerts_csv(alerts, args.csv, protect=guard)}")
    emit(args, data, "\n".join(lines))
    return 0


@command("plan")
def _plan(args: argparse.Namespace) -> int:
    from planner.model import territory_plan as tp
    from planner.model.plan_report import build_reports

    guard = check_outputs(args, [args.pdf, args.xlsx], [args.save])
    content = _read_plan_json(args.save) if args.save else None
    with open_project(args, reading=content is None) as p:
        plan, res, alerts = _context(args, p, with_alerts=True)
        tids = _territories(plan, res, args.territory)
        written = []
        if content is not None:
            if len(tids) != 1:
                raise PlannerError("--save needs one territory, not a district or region")
            rev = tp.save(
                p,
                tids[0],
                content,
                expected=tp.current(p, tids[0]).revision,
                label=f"saved from {args.save.name}",
            )
            written.append(f"saved plan revision {rev}")
        reports = build_reports(res, plan, alerts, tids)
        if args.xlsx:
            from planner.model.io.plan_export import write_plan_xlsx

            written.append(f"wrote {write_plan_xlsx(reports, args.xlsx, protect=guard)}")
        if args.pdf:
            from planner.ui.plan_print import plan_to_pdf

            pdf = plan_to_pdf(
                reports,
                plan,
                args.pdf,
                page_size=args.page_size,
                with_map=not args.no_map,
                protect=guard,
            )
            written.append(f"wrote {pdf}")
    data = {
        "scenario": plan.name,
        "territories": [
            {
                "id": r.territory_id,
                "name": r.territory,
                "revision": r.plan.revision,
                "plan": r.plan.content,
                "goals": [{**g.goal, "actual": g.actual, "progress": g.progress} for g in r.goals],
            }
            for r in reports
        ],
        "written": written,
    }
    text = "\n".join(
        [
            f"{r.territory}: plan revision {r.plan.revision}, {len(r.goals)} goals, "
            f"{len(r.alerts)} alerts"
            for r in reports
        ]
        + written
    )
    emit(args, data, text)
    return 0


def _read_plan_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlannerError(f"{path}: no such file") from None
    except (OSError, ValueError) as err:
        raise PlannerError(f"{path}: not a JSON plan ({err})") from None
    if not isinstance(data, dict):
        raise PlannerError(f"{path}: a plan is a JSON object with swot, goals, strategy, review")
    return data


def _territories(plan: Any, res: Any, name: str) -> list[int]:
    """A territory by name or id, or every territory under a hierarchy node of that name."""
    a = plan.atoms
    for t, n in zip(a.territory_ids, a.territory_names, strict=True):
        if str(n) == name or str(t) == name:
            return [int(t)]
    for level in {n.level for n in res.nodes.values()}:
        for node in res.node_groups(level, [int(t) for t in a.territory_ids]):
            if node[1] == name or str(node[0]) == name:
                if not node[2]:
                    raise PlannerError(f"{level} {name} has no territories")
                return [int(t) for t in node[2]]
    raise PlannerError(f"no territory, district or region named '{name}' in {plan.name}")
