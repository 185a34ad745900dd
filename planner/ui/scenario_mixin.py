"""Scenario handling of the main window: switch, create, publish (split out of main_window)."""

from __future__ import annotations

from typing import Any

from planner.model.errors import PlannerError
from planner.model.plan import Plan


def default_scenario_name(project: object, base: str) -> str:
    """ "<base> (copy)", or "(copy 2)"... whichever is free: the New scenario dialog's text."""
    from planner.model.scenarios import list_scenarios

    names = {r["name"] for r in list_scenarios(project)}  # type: ignore[arg-type]
    name, n = f"{base} (copy)", 2
    while name in names:
        name, n = f"{base} (copy {n})", n + 1
    return name


class ScenarioMixin:
    """Mixed into MainWindow; uses its plan, set_plan, scenario_combo and _show_error."""

    plan: Plan | None
    scenario_combo: Any
    set_plan: Any
    _show_error: Any
    statusBar: Any

    def _fill_scenarios(self) -> None:
        from planner.model.scenarios import list_scenarios

        self.scenario_combo.blockSignals(True)
        self.scenario_combo.clear()
        for row in list_scenarios(self.plan.project):
            label = row["name"] + (" (baseline)" if row["is_baseline"] else "")
            self.scenario_combo.addItem(label, row["id"])
        self.scenario_combo.setCurrentIndex(self.scenario_combo.findData(self.plan.scenario_id))
        self.scenario_combo.blockSignals(False)

    def _scenarios_changed(self) -> None:
        """Names or the list changed; a rename bumps the version the plan holds."""
        from planner.model.scenarios import list_scenarios

        if self.plan is None:
            return
        row = next(r for r in list_scenarios(self.plan.project) if r["id"] == self.plan.scenario_id)
        self.plan.version, self.plan.name = row["version"], row["name"]
        self._fill_scenarios()

    def switch_scenario(self, scenario_id: int) -> bool:
        """Show another scenario of the open project (its own undo history and edit log)."""
        if self.plan is None:
            return False
        if scenario_id == self.plan.scenario_id:
            return True
        try:
            plan = Plan.load(self.plan.project, scenario_id, atoms=self.plan.atoms)
        except PlannerError as err:
            self._show_error(str(err))
            return False
        self.set_plan(plan)
        return True

    def new_scenario(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        from planner.model.scenarios import create_scenario

        if self.plan is None:
            return
        name, ok = QInputDialog.getText(
            self, "New scenario", f"Copy of '{self.plan.name}' named:",
            text=default_scenario_name(self.plan.project, self.plan.name),
        )  # fmt: skip
        if not ok or not name.strip():
            return
        try:
            sid = create_scenario(self.plan.project, name.strip(), based_on=self.plan.scenario_id)
        except PlannerError as err:
            self._show_error(str(err))
            return
        self.switch_scenario(sid)

    def publish_scenario(self, scenario_id: int | None = None) -> bool:
        """Confirm with the impact summary and an effective date, then publish (audited)."""
        from planner.model.impact import held_by, impact
        from planner.model.scenarios import list_scenarios, publish
        from planner.ui.publish_dialog import PublishDialog

        plan = self.plan
        if plan is None:
            return False
        sid = scenario_id if scenario_id is not None else plan.scenario_id
        if sid == plan.project.baseline_id():
            self._show_error("the baseline is already in force; publish another scenario")
            return False
        imp = impact(plan.project, sid, atoms=plan.atoms, held=held_by(plan))
        version = next(r["version"] for r in list_scenarios(plan.project) if r["id"] == sid)
        dialog = PublishDialog(imp, self)
        if self._confirm(dialog) != PublishDialog.DialogCode.Accepted:
            return False
        try:
            publish(plan.project, sid, effective_date=dialog.effective_date,
                    summary=imp.to_json()["summary"], scenario_version=version)  # fmt: skip
        except PlannerError as err:
            self._show_error(str(err))
            return False
        # The model made the handover checklists of every account that changed hands.
        from planner.model.handover import load_packets

        packets = load_packets(plan.project, sid, atoms=plan.atoms)
        # The baseline changed under every open plan: reload the one shown.
        reloaded = Plan.load(plan.project, plan.scenario_id, atoms=plan.atoms)
        self.set_plan(reloaded)
        self.statusBar().showMessage(
            f"Published '{imp.scenario}' as the baseline; {len(packets)} handover packet(s) "
            "are in the Handovers dock", 10000)  # fmt: skip
        return True

    def handover_for(self, account_ids: list[str], against: int) -> None:
        """Handover packets for accounts of the impact (a selection, or all moved)."""
        import datetime as dt

        from planner.model.handover import generate_packets

        plan = self.plan
        if plan is None:
            return
        try:
            generate_packets(plan.project, plan.scenario_id, against,
                             effective_date=dt.date.today(), account_ids=account_ids)  # fmt: skip
        except PlannerError as err:
            self._show_error(str(err))
            return
        self.handover_dock.reload()
        self.show_dock("handovers")

    def _confirm(self, dialog: object) -> object:
        """dialog.exec(); tests replace this to answer without a person."""
        return dialog.exec()
