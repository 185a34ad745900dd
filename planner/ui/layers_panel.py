"""The Layers dock: which map layers are shown and how units and accounts are coloured.

No attribute here may shadow a QWidget method: ``self.metric = QComboBox()`` hid
``QWidget.metric()``, which Qt calls for painting; every paint then printed a TypeError and
Ctrl+F with this dock showing crashed the app (tests/ui/test_widget_attributes.py checks all).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QRadioButton, QVBoxLayout, QWidget

from planner.model.balance import METRICS
from planner.model.hierarchy import Tree
from planner.model.plan import Plan

LAYERS = (("units", "Units"), ("outlines", "Territory outlines"), ("accounts", "Accounts"),
          ("reps", "Rep home bases"))  # fmt: skip


class LayersPanel(QWidget):
    layerToggled = Signal(str, bool)
    #: mode ("territory" | "deviation" | "level"), metric (deviation) or level name (level)
    colourModeChanged = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        self.boxes: dict[str, QCheckBox] = {}
        for key, label in LAYERS:
            box = QCheckBox(label)
            box.setChecked(True)
            box.toggled.connect(lambda on, k=key: self.layerToggled.emit(k, on))
            lay.addWidget(box)
            self.boxes[key] = box
        self.by_territory = QRadioButton("Colour units by territory")
        self.by_deviation = QRadioButton("Colour units by deviation from target")
        self.by_level = QRadioButton("Colour units by hierarchy level")
        self.by_level.setToolTip("A region view: each region one colour, thin territory lines")
        self.by_territory.setChecked(True)
        self.level_box = QComboBox()
        self.level_box.addItem("territory")
        self.metric_box = QComboBox()
        self.metric_box.addItems(list(METRICS))
        self.metric_box.setCurrentText("potential")
        form = QFormLayout()
        form.addRow("Deviation of", self.metric_box)
        lay.addWidget(self.by_territory)
        lay.addWidget(self.by_deviation)
        lay.addLayout(form)
        lay.addWidget(self.by_level)
        level_form = QFormLayout()
        level_form.addRow("Level", self.level_box)
        lay.addLayout(level_form)
        lay.addStretch(1)
        self.by_deviation.toggled.connect(lambda _on: self._emit_mode())
        self.metric_box.currentTextChanged.connect(lambda _m: self._emit_mode())
        self.by_level.toggled.connect(lambda _on: self._emit_mode())
        self.level_box.currentTextChanged.connect(lambda _lv: self._on_level())

    def _emit_mode(self) -> None:
        if self.by_level.isChecked():
            self.colourModeChanged.emit("level", self.level_box.currentText())
            return
        mode = "deviation" if self.by_deviation.isChecked() else "territory"
        self.colourModeChanged.emit(mode, self.metric_box.currentText())

    def _on_level(self) -> None:
        if self.by_level.isChecked():
            self._emit_mode()
        elif self.level_box.currentText():
            self.by_level.setChecked(True)  # choosing a level means colouring by it

    def set_levels(self, plan: Plan | None) -> None:
        """The plan's hierarchy levels, top first (territory last); the choice is kept when
        the new plan has that level."""
        levels = Tree.of_plan(plan).levels() if plan is not None else ["territory"]
        current = self.level_box.currentText()
        self.level_box.blockSignals(True)
        self.level_box.clear()
        self.level_box.addItems(levels)
        self.level_box.setCurrentText(current if current in levels else levels[0])
        self.level_box.blockSignals(False)
        if self.by_level.isChecked() and self.level_box.currentText() != current:
            self._emit_mode()

    def set_deviation_mode(self, on: bool) -> None:
        """Colour by deviation (True) or by territory (the Map menu's toggle)."""
        (self.by_deviation if on else self.by_territory).setChecked(True)
