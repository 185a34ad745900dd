"""Plan-level commands of ``planner``: scenario, impact, handover, optimize (see cli.py)."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from planner.cli_common import check_outputs, command, emit, open_project
from planner.model.errors import PlannerError


@command("scenario")
def _scenario(args: argparse.Namespace) -> int:
    from planner.model import scenarios as sc

    act, name = args.action, args.name
    if act != "list" and not name:
        raise PlannerError(f"scenario {act} needs a SCENARIO name")
    with open_project(args) as p:
        if act == "create":
            sid = sc.create_scenario(p, name, based_on=args.based_on,
                                     description=args.description)  # fmt: skip
            data: Any = {"created": name, "id": sid, "based_on": args.based_on or "Baseline"}
            text = f"created scenario '{name}' from {args.based_on or 'the baseline'}"
        elif act == "rename":
            if not args.new_name:
                raise PlannerError("scenario rename needs --to NEW_NAME")
            sc.rename_scenario(p, name, args.new_name)
            data = {"renamed": name, "to": args.new_name}
            text = f"renamed '{name}' to '{args.new_name}'"
        elif act == "delete":
            sc.delete_scenario(p, name)
            data, text = {"deleted": name}, f"deleted scenario '{name}'"
        elif act in ("publish", "restore"):
            run = sc.publish if act == "publish" else sc.restore_snapshot
            pub = run(p, name, user=args.user, effective_date=args.effective)
            data = next(x for x in sc.publications(p) if x["id"] == pub.id)
            done = "published" if act == "publish" else "restored"
            text = (f"{done} '{name}' as the baseline; the previous baseline is kept as "
                    f"'{data['snapshot']}'")  # fmt: skip
        else:
            data = sc.list_scenarios(p)
            text = "\n".join(
                f"{'*' if r['is_baseline'] else ' '} {r['name']:<40} {r['edits']:>5} edits  "
                f"{r['created_at'] or ''}  {r['created_by']}"
                for r in data
            )
        emit(args, data, text)
    return 0


def _quota_impact(project: Any, args: argparse.Namespace, imp: Any) -> Any:
    """The quota changing hands (None when neither scenario has a quota plan)."""
    from planner.model.plan import Plan
    from planner.model.quota.impact import quota_impact

    after = Plan.load(project, args.scenario)
    before = Plan.load(project, args.against, atoms=after.atoms)
    return quota_impact(after, before, imp)


@command("impact")
def _impact(args: argparse.Namespace) -> int:
    from planner.model.impact import impact
    from planner.model.io.impact_report import impact_html, write_xlsx

    guard = check_outputs(args, [args.xlsx, args.pdf])
    with open_project(args, reading=True) as p:
        picture = None
        if (args.xlsx or args.pdf) and not args.no_map:
            from planner.ui.map_capture import while_report_map_loads
            from planner.ui.report_maps import REPORT_SIZE, impact_map

            imp = while_report_map_loads(  # the offscreen map page starts meanwhile
                lambda: impact(p, args.scenario, args.against, threshold=args.threshold),
                *REPORT_SIZE,
            )
            picture = impact_map(p, imp)  # before any file is written
        else:
            imp = impact(p, args.scenario, args.against, threshold=args.threshold)
        quota = _quota_impact(p, args, imp)
    written = []
    if args.xlsx:
        from planner.ui.report_maps import png_bytes

        png = png_bytes(picture) if picture is not None else None
        written.append(str(write_xlsx(imp, args.xlsx, protect=guard, map_png=png, quota=quota)))
    if args.pdf:
        from planner.ui.printing import html_to_pdf
        from planner.ui.report_maps import IMPACT_MAP

        images = {IMPACT_MAP: picture} if picture is not None else {}
        html = impact_html(imp, map_image=IMPACT_MAP if images else None, quota=quota)
        written.append(str(html_to_pdf(
            html, args.pdf,
            page_size=args.page_size, title="Impact report", landscape=True,
            header=f"{imp.scenario} vs {imp.against}", protect=guard, images=images)))  # fmt: skip
    s = imp.summary
    text = "\n".join(
        [f"Impact of {imp.scenario} against {imp.against}",
         f"accounts moved: {s.accounts_moved:,}  potential {s.potential_moved:,.0f}  "
         f"revenue {s.revenue_moved:,.0f}  open pipeline {s.pipeline_moved:,.0f}",
         "disruption: " + ", ".join(f"{k} {v:.1%}" for k, v in s.disruption.items()),
         f"reps flagged (book change > {s.threshold:.0%}): {s.reps_flagged}"]
        + ([f"quota changing hands (FY{quota.year}): {quota.total_moved:,.0f}"] if quota else [])
        + [f"wrote {w}" for w in written]
    )  # fmt: skip
    data = imp.to_json()
    if quota is not None:
        data["quota_moved"] = quota.to_json(imp)
    emit(args, data, text)
    return 0


@command("optimize")
def _optimize(args: argparse.Namespace) -> int:
    import time

    from planner.model.optimize import OptimizeOptions, optimize
    from planner.model.optimize.project import save_as_scenario
    from planner.model.optimize.report import result_report
    from planner.model.plan import Plan
    from planner.model.progress import run_to_end
    from planner.model.unit_metrics import available_metrics, parse_centre, parse_metrics

    with open_project(args) as p:
        known = [m["name"] for m in available_metrics(p)]
        tolerances = parse_metrics(args.metrics, known, args.tolerance)
        names = list(tolerances)
        plan = Plan.load(p, args.scenario)
        if args.k is not None and args.k != plan.atoms.n_territories:
            raise PlannerError(
                f"the scenario has {plan.atoms.n_territories} territories, not {args.k}; "
                "use --from-scratch K to build a different number"
            )
        if args.from_scratch is not None and args.from_scratch > max(plan.atoms.n_units, 2):
            raise PlannerError(
                f"--from-scratch {args.from_scratch}: the project has {plan.atoms.n_units} "
                "units, so at most that many territories"
            )
        objective = "dispersion" if args.compactness == "dispersion" else "cut_edges"
        centre = parse_centre(args.centre, known)
        opts = OptimizeOptions(metrics=dict.fromkeys(names, 1.0), tolerance=args.tolerance,
                               tolerances=tolerances, objective=objective, centre=centre,
                               max_disruption=args.max_disruption, from_scratch=args.from_scratch,
                               time_limit=args.time_limit, seed=args.seed)  # fmt: skip
        t0 = time.perf_counter()
        result = run_to_end(optimize(plan, opts))
        saved = save_as_scenario(p, result, args.out_scenario, based_on=plan.scenario_id)
        seconds = time.perf_counter() - t0
        measures = result_report(saved, tolerances, reference=plan.alignment, centre=centre)
        data = {
            "scenario": args.out_scenario,
            "seconds": round(seconds, 3),
            "moved_units": len(result.moved_units),
            "reachable_tolerance": result.reachable_tolerance,
            "balanced": measures.pop("balanced"),
            "measures": measures,
        }
    dev = ", ".join(f"{k} {v:.1%}" for k, v in measures["max_abs_deviation"].items())
    d = measures["disruption"]
    out = measures["out_of_tolerance"]
    verdict = "balanced" if data["balanced"] else (
        f"NOT balanced: {len(out)} territory/metric pair(s) out of tolerance"
        + (f", worst {out[0]['territory']} {out[0]['metric']} {out[0]['deviation']:+.1%}"
           if out else "")
        + (f", {measures['noncontiguous_territories']} territory(ies) not connected"
           if measures["noncontiguous_territories"] else ""))  # fmt: skip
    emit(args, data, (
        f"created scenario '{args.out_scenario}' in {seconds:.1f} s: {verdict}; "
        f"{data['moved_units']} unit(s) moved; max |deviation| {dev}; "
        f"dispersion {measures['dispersion']:,.1f} km; disruption "
        f"{d['accounts']:.1%} of accounts, {d['revenue']:.1%} of revenue"))  # fmt: skip
    return 0


@command("handover")
def _handover(args: argparse.Namespace) -> int:
    from planner.model.handover import generate_packets
    from planner.model.io.handover_export import write_csv, write_html, write_xlsx

    outputs = [args.csv, args.xlsx, args.html, args.pdf]
    guard = check_outputs(args, outputs)
    with open_project(args, reading=args.no_save) as p:
        packets = generate_packets(
            p, args.scenario, args.against, effective_date=args.effective or dt.date.today(),
            transition_days=args.transition_days, support_days=args.support_days,
            joint_visit_top=args.joint_visit_top, persist=not args.no_save,
        )  # fmt: skip
    written = []
    for path, write in ((args.csv, write_csv), (args.xlsx, write_xlsx), (args.html, write_html)):
        if path:
            written.append(str(write(packets, path, protect=guard)))
    if args.pdf:
        from planner.ui.handover_print import packets_to_pdf

        maps = {}
        if not args.no_map:
            from planner.ui.report_maps import packet_maps

            with open_project(args, reading=True) as p:
                maps = packet_maps(p, packets)
        written.append(str(packets_to_pdf(packets, args.pdf, page_size=args.page_size,
                                          protect=guard, maps=maps)))  # fmt: skip
    data = {
        "scenario": args.scenario,
        "packets": [
            {"from_rep": pk.from_rep, "to_rep": pk.to_rep,
             "from_manager": pk.from_manager, "to_manager": pk.to_manager,
             "effective_date": pk.effective_date.isoformat(),
             "transition_end": pk.transition_end.isoformat(),
             "support_until": pk.support_until.isoformat(),
             "revenue": pk.total("revenue"), "potential": pk.total("potential"),
             "pipeline": pk.total("pipeline"),
             "accounts": [a.external_id for a in pk.accounts]}
            for pk in packets
        ],
        "written": written,
        # Moved accounts nobody takes over (unassigned, or a territory without a rep): no packet.
        "without_rep": [{"account_id": ext, "name": name, "to_territory": to}
                        for ext, name, to in packets.without_rep],
        "same_rep": packets.same_rep,
    }  # fmt: skip
    n = sum(pk.n_accounts for pk in packets)
    text = "\n".join(
        [f"{len(packets)} handover packet(s), {n:,} account(s) changing hands"]
        + [f"  {pk.title}: {pk.n_accounts} account(s), potential {pk.total('potential'):,.0f}"
           for pk in packets]
        + ([f"note: {packets.notice()}"] if packets.notice() else [])
        + [f"wrote {w}" for w in written]
    )  # fmt: skip
    emit(args, data, text)
    return 0
