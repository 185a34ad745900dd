"""The Layers dock: which map layers are shown and how units and accounts are coloured.

No attribute here may shadow a QWidget method: ``self.metric = QComboBox()`` hid
``QWidget.metric()``, which Qt calls for painting; every paint then printed a TypeError and
Ctrl+F with this dock showing crashed the app (tests/ui/test_widget_attributes.py checks all).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QRadioButton, QVBoxLayout, QWidget

from planner.model.balance import METRICS

LAYERS = (("units", "Units"), ("outlines", "Territory outlines"), ("accounts", "Accounts"),
          ("reps", "Rep home bases"))  # fmt: skip


class LayersPanel(QWidget):
    layerToggled = Signal(str, bool)
    colourModeChanged = Signal(str, str)  # mode ("territory" | "deviation"), metric

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
        self.by_territory.setChecked(True)
        self.metric_box = QComboBox()
        self.metric_box.addItems(list(METRICS))
        self.metric_box.setCurrentText("potential")
        form = QFormLayout()
        form.addRow("Deviation of", self.metric_box)
        lay.addWidget(self.by_territory)
        lay.addWidget(self.by_deviation)
        lay.addLayout(form)
        lay.addStretch(1)
        self.by_deviation.toggled.connect(lambda _on: self._emit_mode())
        self.metric_box.currentTextChanged.connect(lambda _m: self._emit_mode())

    def _emit_mode(self) -> None:
        mode = "deviation" if self.by_deviation.isChecked() else "territory"
        self.colourModeChanged.emit(mode, self.metric_box.currentText())

    def set_deviation_mode(self, on: bool) -> None:
        """Colour by deviation (True) or by territory (the Map menu's toggle)."""
        (self.by_deviation if on else self.by_territory).setChecked(True)
