"""Edit > Preferences…: online map tiles (off by default), with the host they come from.

The dialog says in plain words what switching tiles on does (the map then fetches from that
host), checks the URL before closing, saves the preferences and hands them back so the window
can apply them to the map at once (:meth:`planner.ui.map.view.MapView.set_tiles`).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from planner.model.errors import PlannerError
from planner.ui import preferences
from planner.ui._dialogs import ok_cancel
from planner.ui.preferences import Preferences


class PreferencesDialog(QDialog):
    """Shows ``prefs``; :meth:`result_preferences` is what the user accepted."""

    def __init__(self, prefs: Preferences, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.tiles = QCheckBox("Show online map tiles over the offline basemap")
        self.tiles.setChecked(prefs.online_tiles)
        self.url = QLineEdit(prefs.tiles_url)
        self.attribution = QLineEdit(prefs.tiles_attribution)
        note = QLabel(
            "Off: the map uses only the bundled basemap and makes no request outside the app.\n"
            "On: the map fetches tiles from the host of this URL, and from no other."
        )
        note.setTextFormat(Qt.TextFormat.PlainText)
        self.error = QLabel()
        self.error.setTextFormat(Qt.TextFormat.PlainText)  # it quotes the URL typed
        self.error.setStyleSheet("color: #b00020")
        form = QFormLayout()
        form.addRow("Tile URL", self.url)
        form.addRow("Attribution", self.attribution)
        buttons = ok_cancel(self, "OK")
        lay = QVBoxLayout(self)
        lay.addWidget(self.tiles)
        lay.addLayout(form)
        lay.addWidget(note)
        lay.addWidget(self.error)
        lay.addWidget(buttons)
        self.tiles.toggled.connect(self._enable)
        self._enable(prefs.online_tiles)
        self._result = prefs

    def _enable(self, on: bool) -> None:
        self.url.setEnabled(on)
        self.attribution.setEnabled(on)

    def accept(self) -> None:
        """Check and save; a bad URL keeps the dialog open with the reason under it."""
        prefs = Preferences(
            online_tiles=self.tiles.isChecked(),
            tiles_url=self.url.text().strip(),
            tiles_attribution=self.attribution.text().strip(),
        )
        try:
            preferences.save(prefs)
        except (PlannerError, OSError) as err:
            self.error.setText(str(err))
            return
        self._result = prefs
        super().accept()

    def result_preferences(self) -> Preferences:
        return self._result


def edit_preferences(window: QWidget, map_view: object) -> Preferences | None:
    """Run the dialog over ``window``; on OK apply the tiles to ``map_view`` at once."""
    dialog = PreferencesDialog(preferences.load(), window)
    if not dialog.exec():
        return None
    prefs = dialog.result_preferences()
    options = prefs.map_options()
    map_view.set_tiles(options["tiles_url"], options["tiles_attribution"])  # type: ignore[attr-defined]
    return prefs
