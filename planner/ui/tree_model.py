"""A tree of row dicts (hierarchy nodes and territories) as a Qt item model, refreshed in place.

The balance table and the quota table both show the sales hierarchy: rows keyed by an id
(territory-table ids: nodes and territories never share one) under a parent id (0 = the top
level). After an edit the rows are read again and, when the tree's shape is unchanged (the
usual case: a lasso or a quota change), only the cells whose value changed emit
``dataChanged``; a new shape (a node created or moved, a territory created or deleted) resets
the model, and :class:`TreeMemory` puts back what the user had collapsed and selected, so a
rename does not fold the whole tree open or lose the row being worked on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QStyle, QTreeView

_Index = QModelIndex | QPersistentModelIndex
TOP = 0  # the parent id of top-level rows


def same(a: Any, b: Any) -> bool:
    """Equal, ignoring float noise from O(|S|) subtract/add (which would repaint every row).
    Most cells did not change: plain equality first (``abs`` of numpy scalars is slow)."""
    if a == b:
        return True
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    return bool(a == b)


class RowTreeModel(QAbstractItemModel):
    """Rows ``{"id", "parent", ...}`` (parents before children) as a tree.

    Subclasses give :attr:`keys` (one per column) and :meth:`cell` (a row's value in a column);
    ``data`` and ``headerData`` are theirs too.
    """

    keys: Sequence[str] = ()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: dict[int, dict[str, Any]] = {}
        self._kids: dict[int, list[int]] = {}
        self._row_of: dict[int, int] = {}

    # -- content -------------------------------------------------------------------------------
    def cell(self, row: dict[str, Any], column: int) -> Any:
        return row.get(self.keys[column])

    def set_rows(self, rows: list[dict[str, Any]], *, reset: bool = False) -> None:
        """Show ``rows``: cell updates when the tree keeps its shape, else a reset."""
        kids: dict[int, list[int]] = {}
        for r in rows:
            kids.setdefault(int(r["parent"] or TOP), []).append(int(r["id"]))
        if reset or kids != self._kids:
            self.beginResetModel()
            self._take(rows, kids)
            self.endResetModel()
            return
        old = self._rows
        self._take(rows, kids)
        last = len(self.keys) - 1
        for item, row in self._rows.items():
            before = old[item]
            cols = [c for c in range(last + 1) if not same(self.cell(before, c), self.cell(row, c))]
            if cols:
                self.dataChanged.emit(self.item_index(item, min(cols)),
                                      self.item_index(item, max(cols)))  # fmt: skip

    def _take(self, rows: list[dict[str, Any]], kids: dict[int, list[int]]) -> None:
        self._rows = {int(r["id"]): r for r in rows}
        self._kids = kids
        self._row_of = {c: i for ks in kids.values() for i, c in enumerate(ks)}

    def row_of(self, index: _Index) -> dict[str, Any] | None:
        """The row dict behind an index (None for an invalid one)."""
        return self._rows.get(int(index.internalId())) if index.isValid() else None

    def item_id(self, index: _Index) -> int | None:
        return int(index.internalId()) if index.isValid() else None

    def item_index(self, item: int, column: int = 0) -> QModelIndex:
        """The index of a row by id (invalid if it is not shown)."""
        if item not in self._row_of:
            return QModelIndex()
        return self.createIndex(self._row_of[item], column, item)

    def items(self) -> list[int]:
        """Every row id, parents before children."""
        out: list[int] = []
        stack = list(reversed(self._kids.get(TOP, [])))
        while stack:
            item = stack.pop()
            out.append(item)
            stack.extend(reversed(self._kids.get(item, [])))
        return out

    def has_children(self, item: int) -> bool:
        return bool(self._kids.get(item))

    # -- Qt model API ------------------------------------------------------------------------
    def index(self, row: int, column: int, parent: _Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        kids = self._kids.get(self.item_id(parent) or TOP, [])
        if not (0 <= row < len(kids) and 0 <= column < len(self.keys)):
            return QModelIndex()
        if parent.isValid() and parent.column() != 0:
            return QModelIndex()
        return self.createIndex(row, column, kids[row])

    def parent(self, index: _Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        row = self._rows.get(int(index.internalId()))
        up = int(row["parent"] or TOP) if row is not None else TOP
        return QModelIndex() if up == TOP else self.item_index(up)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._kids.get(self.item_id(parent) or TOP, []))

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return len(self.keys)

    def hasChildren(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return self.rowCount(parent) > 0


class TreeMemory:
    """Keeps a tree view's collapsed rows and current row (by id) across model resets.

    Rows are expanded unless the user collapsed them: a new district shows its territories.
    ``to_source``/``from_source`` map between the view's model (a sort proxy) and the tree.
    """

    def __init__(
        self,
        view: QTreeView,
        model: RowTreeModel,
        to_source: Callable[[QModelIndex], QModelIndex] = lambda i: i,
        from_source: Callable[[QModelIndex], QModelIndex] = lambda i: i,
    ) -> None:
        self.view, self.model = view, model
        self.to_source, self.from_source = to_source, from_source
        self.collapsed: set[int] = set()
        self._current: int | None = None
        view.collapsed.connect(lambda i: self._mark(i, True))
        view.expanded.connect(lambda i: self._mark(i, False))
        model.modelAboutToBeReset.connect(self._remember)
        model.modelReset.connect(self.restore)

    def _mark(self, index: QModelIndex, collapsed: bool) -> None:
        item = self.model.item_id(self.to_source(index))
        if item is not None:
            (self.collapsed.add if collapsed else self.collapsed.discard)(item)

    def _remember(self) -> None:
        current = self.view.currentIndex()
        self._current = self.model.item_id(self.to_source(current)) if current.isValid() else None

    def restore(self) -> None:
        """Expand every row the user did not collapse; make the remembered row current again
        (without signals: nothing was chosen anew)."""
        view, model = self.view, self.model
        for item in model.items():
            if model.has_children(item):
                index = self.from_source(model.item_index(item))
                view.setExpanded(index, item not in self.collapsed)
        if self._current is not None:
            index = self.from_source(model.item_index(self._current))
            if index.isValid():
                selection = view.selectionModel()
                selection.blockSignals(True)
                view.setCurrentIndex(index)
                selection.blockSignals(False)
                view.viewport().update()


def fit_columns(view: QTreeView, model: RowTreeModel, *, icon: int = 0) -> None:
    """Column widths from the texts, measured with the font (resizeColumnsToContents asks
    every cell's delegate for its size: 0.35 s at 40 territories, on every switch); the first
    column makes room for the indentation of the deepest row (and an ``icon``)."""
    fm, header = view.fontMetrics(), view.header().fontMetrics()
    pad = 2 * view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 12
    items = model.items()
    for col in range(model.columnCount()):
        title = str(model.headerData(col, Qt.Orientation.Horizontal))
        # Room for the sort arrow in the first column only (the one sorted by default): in
        # the others it would cost the column a planner needs at 1366 px.
        widths = [header.horizontalAdvance(title) + (24 if col == 0 else 8)]
        for item in items:
            index = model.item_index(item, col)
            text = str(model.data(index))
            font = model.data(index, Qt.ItemDataRole.FontRole)  # bold node names are wider
            metrics = QFontMetrics(font) if isinstance(font, QFont) else fm
            extra = 0
            if col == 0:
                depth = int((model.row_of(index) or {}).get("depth", 1))
                extra = view.indentation() * max(depth, 1) + icon + 6
            widths.append(metrics.horizontalAdvance(text) + extra)
        view.setColumnWidth(col, max(widths) + pad)
