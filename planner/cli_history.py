"""``planner history``, ``planner undo``, ``planner redo``: the edit log from the command line.

The undo order lives in the project (DESIGN.md), so the CLI undoes and redoes exactly what the
window would, and a window opened afterwards shows the same history.
"""

from __future__ import annotations

import argparse

from planner.cli_common import command, emit, open_project
from planner.model.errors import PlannerError


@command("history")
def _history(args: argparse.Namespace) -> int:
    from planner.model.history import effect_text
    from planner.model.plan import Plan

    with open_project(args, reading=True) as p:
        plan = Plan.load(p, args.scenario)
        steps = plan.history()
    marks = {"applied": " ", "undone": "↶", "discarded": "✗"}
    text = "\n".join(
        [f"Scenario: {plan.name} ({len(steps)} step(s); ↶ undone, can be redone; ✗ discarded)"]
        + [f"{marks[h['state']]} {h['id']:>6} {h['at'] or '':<25} {h['user'][:16]:<16} "
           f"{effect_text(h, args.metric)}" for h in steps]
    )  # fmt: skip
    emit(args, {"scenario": plan.name, "steps": steps}, text)
    return 0


def _replay(args: argparse.Namespace, action: str) -> int:
    from planner.model.plan import Plan

    with open_project(args) as p:
        plan = Plan.load(p, args.scenario)
        label = plan.can_undo() if action == "undo" else plan.can_redo()
        if label is None:
            raise PlannerError(f"nothing to {action} in scenario '{plan.name}'")
        log_id = getattr(plan, action)()
        entry = plan.history(log_id)[0]
    done = "undid" if action == "undo" else "redid"
    emit(args, {"scenario": plan.name, action: entry},
         f"{done} '{label}' in scenario {plan.name}")  # fmt: skip
    return 0


@command("undo")
def _undo(args: argparse.Namespace) -> int:
    return _replay(args, "undo")


@command("redo")
def _redo(args: argparse.Namespace) -> int:
    return _replay(args, "redo")
