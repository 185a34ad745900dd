"""The Results, Alerts and Plan docks in the real window: menu, status bar, map colours."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from planner.model.results_colours import measure_fills
from planner.ui.results_docks import install
from tests.model.results_project import build
from tests.ui.test_main_window import js

pytestmark = pytest.mark.webengine


@pytest.fixture
def window(qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    from PySide6.QtCore import QCoreApplication, QEvent, QSettings, QStandardPaths

    QStandardPaths.setTestModeEnabled(True)
    QSettings().clear()
    from planner.ui.main_window import MainWindow

    build(tmp_path / "r.tplan")[0].close()
    w = MainWindow(page_dir=tmp_path / "page")
    qtbot.addWidget(w, before_close_func=lambda win: win.map_view.dispose(delete_view=False))
    w.resize(1200, 800)
    w.show()
    install(w)
    with qtbot.waitSignal(w.map_rendered, timeout=30_000):
        assert w.open_project(tmp_path / "r.tplan")
    yield w
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def test_docks_menu_status_bar_and_map_colours(qtbot: Any, window: Any) -> None:
    w = window
    titles = [a.text() for a in w.menu_actions.docks_menu.actions()]
    assert {"Results", "Alerts", "Plan"} <= set(titles)
    results = w.docks["results"].widget()
    qtbot.waitUntil(lambda: results.alerts is not None, timeout=10_000)
    total = results.alerts.total
    assert total > 0
    from PySide6.QtWidgets import QLabel

    labels = [lb.text() for lb in w.statusBar().findChildren(QLabel)]
    assert f"{total:,} alerts" in labels
    results.colour.setCurrentIndex(results.colour.findData("coverage_potential"))
    fills, _ = measure_fills(results.results.rows("territory"), "coverage_potential")
    unit = int(w.plan.atoms.unit_ids[0])
    tid = int(w.plan.atoms.territory_ids[w.plan.alignment[0]])

    def fill() -> Any:
        return js(
            qtbot,
            w,
            "(function(){var c=null;TP.map().eachLayer(function(l){"
            "if(l.feature&&l.feature.properties.code&&l.feature.properties.id==="
            f"{unit})c=l.options.fillColor;}});return c;}})()",
        )

    qtbot.waitUntil(lambda: fill() == fills[tid], timeout=10_000)
    results.colour.setCurrentIndex(0)  # back to territory colours
    colour = str(w.plan.atoms.territory_colours[w.plan.alignment[0]])
    qtbot.waitUntil(lambda: fill() == colour, timeout=10_000)


def test_results_are_read_after_the_map_has_painted(qtbot: Any, window: Any) -> None:
    """A plan reaches the (hidden) Results dock once the map has painted it: reading the
    bookings and building the results must not take the CPU the first paint needs."""
    w = window
    results = w.docks["results"].widget()
    handed: list[bool] = []
    w.planChanged.connect(lambda p: handed.append(results.plan is p))
    path = w.plan.project.path
    with qtbot.waitSignal(w.map_rendered, timeout=30_000):
        assert w.open_project(path)
    assert handed == [False]
    qtbot.waitUntil(lambda: results.plan is w.plan, timeout=10_000)
    qtbot.waitUntil(
        lambda: results.results is not None and results.results.project is w.plan.project,
        timeout=10_000,
    )
    assert results.alerts is not None
