"""A read-only QAbstractTableModel over a pandas DataFrame (numeric sort on raw values)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QStyle, QTableView

RAW_ROLE = Qt.ItemDataRole.UserRole
_Index = QModelIndex | QPersistentModelIndex


class FrameModel(QAbstractTableModel):
    """Shows a DataFrame as text (plain, never rich text); ``RAW_ROLE`` gives the value."""

    def __init__(
        self, frame: pd.DataFrame | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__()
        self._frame = frame if frame is not None else pd.DataFrame()
        self._headers = headers or {}
        self._values: np.ndarray = self._frame.to_numpy(object)
        self._columns = self._frame.shape[1]

    def set_frame(self, frame: pd.DataFrame) -> None:
        self.beginResetModel()
        self._frame = frame
        self._values = frame.to_numpy(object)
        self._columns = frame.shape[1]  # asked for by every cell the view paints
        self.endResetModel()

    @property
    def frame(self) -> pd.DataFrame:
        return self._frame

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._values)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._columns

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        value = self._values[index.row(), index.column()]
        if role == RAW_ROLE:
            if isinstance(value, (int, float, np.integer, np.floating, bool, np.bool_)):
                return float(value)
            return "" if value is None else str(value).casefold()
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, (int, float, np.number)):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            name = str(self._frame.columns[section])
            return self._headers.get(name, name.replace("_", " ").capitalize())
        return section + 1


def fit_columns(view: QTableView, model: FrameModel, *, rows: int = 2000, most: int = 480) -> None:
    """Column widths from the texts (up to ``rows`` of them), measured with the font, each at
    most ``most`` pixels. ``resizeColumnsToContents`` asks every cell's delegate for its size:
    0.35 s per refresh of a few hundred alerts, after every edit."""
    fm, header = view.fontMetrics(), view.horizontalHeader().fontMetrics()
    pad = 2 * view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 12
    values = model._values[:rows]
    for col in range(model.columnCount()):
        title = str(model.headerData(col, Qt.Orientation.Horizontal))
        widths = [header.horizontalAdvance(title) + 24]  # room for the sort arrow
        widths += [fm.horizontalAdvance(_display(v)) for v in values[:, col]]
        view.setColumnWidth(col, min(max(widths) + pad, most))


def _display(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else ""
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return (
            f"{float(value):,.0f}"
            if abs(value) >= 100
            else f"{float(value):,.3f}".rstrip("0").rstrip(".")
        )
    return str(value)
