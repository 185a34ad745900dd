"""The main window: the map in the centre, docks around it, menus, toolbar, status bar."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox

from planner.model.errors import PlannerError


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("Territory Planner")
        self.project = None
        self.plan = None
        self._placeholder = QLabel("Open a project (File > Open) or run `make run` for the demo.")
        self.setCentralWidget(self._placeholder)
        self.statusBar().showMessage("Ready")

    def open_project(self, path: Path, scenario: str | None = None) -> bool:
        from planner.model.plan import Plan
        from planner.model.store import Project

        try:
            project = Project.open(path)
            plan = Plan.load(project, scenario)
        except PlannerError as err:
            QMessageBox.warning(self, "Cannot open project", str(err))
            return False
        self.project, self.plan = project, plan
        name = project.info().get("name", Path(str(path)).stem)
        self.setWindowTitle(f"{name} — {plan.name} — Territory Planner")
        self.statusBar().showMessage(
            f"{plan.atoms.n_territories} territories, {plan.atoms.n_units} units, "
            f"{plan.atoms.n_accounts} accounts"
        )
        return True
