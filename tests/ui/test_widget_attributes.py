"""No widget of ours hides a Qt method or property behind an attribute of the same name.

``LayersPanel.metric = QComboBox()`` hid ``QWidget.metric()``, which Qt calls through the
Python override when it paints: every paint printed "TypeError: 'QComboBox' object is not
callable" and Ctrl+F with the Layers dock showing crashed the app (segfault in libshiboken6).
This audits every QObject of ours in a real window, so the class of bug cannot come back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, Signal, SignalInstance

from planner.model.synthetic import grid_project

pytestmark = pytest.mark.webengine


def _qt_base(cls: type) -> type | None:
    for base in cls.__mro__:
        if base.__module__.startswith("PySide6."):
            return base
    return None


def shadowing(obj: QObject) -> list[str]:
    """Attributes of ``obj`` that hide a name of its Qt base class: instance attributes, and
    class attributes that are not methods (a method of the same name is a deliberate
    override, such as ``showEvent``; a property named ``metric`` is a trap)."""
    base = _qt_base(type(obj))
    if base is None:
        return []
    ours = [c for c in type(obj).__mro__ if c.__module__.startswith("planner.")]
    in_class = {
        name
        for cls in ours
        for name, value in vars(cls).items()
        if not name.startswith("_")
        and name != "staticMetaObject"  # PySide6 gives every QObject subclass its own
        and hasattr(base, name)
        and not callable(value)
        and not isinstance(value, (Signal, staticmethod, classmethod))
    }
    return sorted(
        in_class
        | {
            name
            for name, value in vars(obj).items()
            # PySide6 caches bound signals in the instance dict: those are Qt's own, not ours.
            if not name.startswith("_")
            and hasattr(base, name)
            and not isinstance(value, SignalInstance)
        }
    )


def test_no_attribute_of_our_widgets_shadows_a_qt_name(qtbot: Any, tmp_path: Path) -> None:
    from PySide6.QtCore import QCoreApplication, QEvent, QSettings, QStandardPaths

    from planner.ui.main_window import MainWindow

    QStandardPaths.setTestModeEnabled(True)
    QSettings().clear()
    grid_project(tmp_path / "g.tplan").close()
    w = MainWindow(page_dir=tmp_path / "page")
    qtbot.addWidget(w, before_close_func=lambda win: win.map_view.dispose(delete_view=False))
    assert w.open_project(tmp_path / "g.tplan")
    ours = [o for o in [w, *w.findChildren(QObject)] if type(o).__module__.startswith("planner.")]
    assert len(ours) > 10  # the docks, panels, models, the map view and its bridge
    found = {f"{type(o).__name__}.{name}" for o in ours for name in shadowing(o)}
    assert not found, f"attributes hiding Qt names (rename them): {sorted(found)}"
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def test_the_audit_catches_the_layers_panel_bug(qtbot: Any) -> None:
    from PySide6.QtWidgets import QComboBox, QWidget

    class Shadowing(QWidget):
        def __init__(self) -> None:
            super().__init__()
            self.metric = QComboBox(self)

    widget = Shadowing()
    qtbot.addWidget(widget)
    assert shadowing(widget) == ["metric"]
