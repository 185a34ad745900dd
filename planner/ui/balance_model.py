"""The balance table's model: the sales hierarchy as a tree, every metric rolled up.

Rows come from :func:`planner.model.hierarchy.tree_rows` (regions > districts > territories,
any depth; a plan without a hierarchy is a flat list of territories, in the plan's order).
Deviation is among siblings (a district against the other districts of its region), as a
manager compares the people who report to them; the tooltip also gives a territory's
plan-wide deviation, which is what the map, the preview and the summary line use.

When the scenario has a quota plan, the quota columns of its fiscal year follow: quota,
difficulty (coloured when flagged hard or easy), commitment, quota ÷ potential, growth asked
and the suggested multiplier. Nodes show their own quota cell and its ratios; difficulty and
the multiplier are judged per territory only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from planner.model.balance import METRICS
from planner.model.events import PlanChange
from planner.model.hierarchy import Tree, tree_rows
from planner.model.plan import Plan
from planner.ui.balance_bars import RAW_ROLE
from planner.ui.numbers import compact, full
from planner.ui.tree_model import TOP, RowTreeModel

_Index = QModelIndex | QPersistentModelIndex

METRIC_LABELS = {
    "accounts": "Accounts",
    "potential": "Potential",
    "workload_hours": "Workload h",
    "revenue": "Revenue",
    "pipeline": "Pipeline",
}
HARD, EASY = QColor("#ffcdd2"), QColor("#c8e6c9")


@functools.cache
def font(*, bold: bool = False, italic: bool = False) -> QFont:
    """A font made once (on first use: the application's default font must exist by then):
    ``data()`` runs for every cell on every paint, and in PySide6 6.12 each call of a void
    method (``setBold``) drops a reference to None, a fatal abort on Python 3.11 after a few
    thousand paints."""
    f = QFont()
    f.setBold(bold)
    f.setItalic(italic)
    return f


def _num(decimals: int) -> Callable[[float], str]:
    return lambda v: compact(v, decimals)


def _pct(signed: bool) -> Callable[[float], str]:
    return lambda v: f"{v * 100:+.1f} %" if signed else f"{v * 100:.1f} %"


def _difficulty(v: float) -> str:
    return f"{v:.2f}"


def _times(v: float) -> str:
    return f"× {v:.2f}"


#: (key, header, formatter or None for text). "deviation" reads the selected metric. The
#: deviation comes right after the name, then potential, quota and difficulty: at 1366x768 the
#: dock shows four or five columns, and those must say how far off a row is and what it is
#: asked (the rest scroll). Quota columns are hidden while the scenario has no quota plan.
COLUMNS: tuple[tuple[str, str, Callable[[float], str] | None], ...] = (
    ("name", "Territory", None),
    ("deviation", "Deviation %", _pct(True)),
    ("potential", "Potential", _num(0)),
    ("quota", "Quota", _num(0)),
    ("difficulty", "Difficulty", _difficulty),
    ("workload_hours", "Workload h", _num(0)),
    ("accounts", "Accounts", _num(0)),
    ("revenue", "Revenue", _num(0)),
    ("pipeline", "Pipeline", _num(0)),
    ("rep", "Rep", None),
    ("disruption", "Disruption %", _pct(False)),
    ("commitment", "Commitment", _num(0)),
    ("share_of_potential", "Quota ÷ potential", _pct(False)),
    ("growth", "Growth asked", _pct(True)),
    ("multiplier", "Multiplier", _times),
)
COLUMN = {key: i for i, (key, _, _) in enumerate(COLUMNS)}
PERCENT = frozenset({"deviation", "disruption", "share_of_potential", "growth"})
QUOTA_KEYS = ("quota", "difficulty", "commitment", "share_of_potential", "growth", "multiplier")
_FROM_FLAT = ("index", "disruption", "locked", "quota_adjusted", *QUOTA_KEYS, "flag")


def shown_year(plan: Plan) -> int | None:
    """The fiscal year the quota columns show (the plan's choice, else the latest plan)."""
    if plan.quota_year in plan.quotas.years:
        return plan.quota_year
    return plan.quotas.active_year()


def balance_rows(plan: Plan) -> list[dict[str, Any]]:
    """Tree rows (root left out) with the territory columns of ``plan.rows()`` and, for nodes,
    their own quota cell; children ordered nodes by name, then territories in plan order."""
    tree = Tree.of_plan(plan)
    flat = {r["id"]: r for r in plan.rows()}
    year = shown_year(plan)
    yp = plan.quotas.year(year) if year is not None else None
    out = []
    for r in tree_rows(plan, tree)[1:]:
        item = r["id"]
        row: dict[str, Any] = {**r, **dict.fromkeys(_FROM_FLAT), "parent": r["parent"] or TOP}
        row["parent_name"] = tree.name(tree.parent(item))
        f = flat.get(item)
        if f is not None:
            row.update({k: f.get(k) for k in _FROM_FLAT})
            row["plan_deviation"] = f["deviation"]
        elif yp is not None and item in yp.cells:
            cell = yp.cells[item]
            quota = cell.amount / 100
            row["quota"], row["quota_adjusted"] = quota, cell.adjusted
            row["commitment"] = None if cell.committed is None else cell.committed / 100
            row["share_of_potential"] = quota / r["potential"] if r["potential"] > 0 else None
            row["growth"] = quota / r["revenue"] - 1 if r["revenue"] > 0 and quota > 0 else None
        out.append(row)
    # Within each parent: nodes by name, then territories in the plan's order (a flat plan
    # lists its territories by index, as the table always did).
    out.sort(key=lambda r: (r["index"] is not None, r["index"] or 0, r["name"].casefold()))
    return out


class BalanceTableModel(RowTreeModel):
    """Balance rows of a :class:`Plan` as a tree; subscribes to ``plan.changed``."""

    keys = tuple(k for k, _, _ in COLUMNS)

    def __init__(self, plan: Plan | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._plan: Plan | None = None
        self._metric = "potential"
        self._year_shown: int | None = None
        self.set_plan(plan)

    # -- plan wiring ---------------------------------------------------------------------------
    @property
    def plan(self) -> Plan | None:
        return self._plan

    @property
    def quota_year(self) -> int | None:
        return shown_year(self._plan) if self._plan is not None else None

    def set_plan(self, plan: Plan | None) -> None:
        """Switch scenario (or project): the model is reset."""
        if self._plan is not None:
            self._plan.changed.disconnect(self._on_change)
        self._plan = plan
        self._year_shown = self.quota_year
        self.set_rows(balance_rows(plan) if plan is not None else [], reset=True)
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
        if plan is not None:
            plan.changed.connect(self._on_change)

    def _on_change(self, _change: PlanChange) -> None:
        if shiboken6.isValid(self):
            self.refresh()

    def refresh(self, _touched: tuple[int, ...] = ()) -> None:
        """Re-read the plan; cells that changed emit ``dataChanged``, a new shape resets."""
        if self._plan is not None:
            year = self.quota_year
            self.set_rows(balance_rows(self._plan))
            if year != self._year_shown:
                self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
            self._year_shown = year

    # -- deviation metric ----------------------------------------------------------------------
    @property
    def deviation_metric(self) -> str:
        return self._metric

    def set_deviation_metric(self, metric: str) -> None:
        """Choose which metric the Deviation % column shows (one of ``METRICS``)."""
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}")
        if metric == self._metric:
            return
        self._metric = metric
        col = COLUMN["deviation"]
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, col, col)
        for item in self.items():
            index = self.item_index(item, col)
            self.dataChanged.emit(index, index)

    # -- Qt model API --------------------------------------------------------------------------
    def cell(self, row: dict[str, Any], column: int) -> Any:
        key = COLUMNS[column][0]
        if key == "deviation":
            return row["deviation"][self._metric]
        return row.get(key)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_of(index)
        if row is None:
            return None
        col = index.column()
        key, title, fmt = COLUMNS[col]
        value = self.cell(row, col)
        if role == Qt.ItemDataRole.DisplayRole:
            if value is None:
                return ""
            text = str(value) if fmt is None else fmt(value)
            if key == "difficulty" and row.get("flag"):
                text += f" {row['flag']}"
            return text
        if role == RAW_ROLE:
            if fmt is None:
                return str(value).casefold()
            return float("-inf") if value is None else float(value)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, key, title, value) if fmt or key == "name" else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if fmt is None:
                return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.DecorationRole and key == "name":
            colour = QColor(row["colour"])
            return colour if colour.isValid() else None
        if role == Qt.ItemDataRole.BackgroundRole and key == "difficulty":
            return {"hard": HARD, "easy": EASY}.get(row.get("flag") or "")
        if role == Qt.ItemDataRole.FontRole:
            # Node names bold; a quota adjusted by hand in italics.
            return font(bold=row["index"] is None and key == "name",
                        italic=key == "quota" and bool(row.get("quota_adjusted")))  # fmt: skip
        return None

    def _tooltip(self, row: dict[str, Any], key: str, title: str, value: Any) -> str | None:
        name = row["name"]
        if key == "name":
            if row["index"] is not None:
                return None
            return f"{name} ({row['level']}): {row['territories']} territories"
        if value is None:
            return None
        if key == "deviation":
            text: str = f"{name} · {self._dev_title()}: {value * 100:+.1f} % against the "
            text += f"rows under {row['parent_name']}"
            plan_dev = row.get("plan_deviation")
            if plan_dev is not None and row["parent"] != TOP:
                text += f" (plan-wide {plan_dev[self._metric] * 100:+.1f} %)"
            return text
        if key in PERCENT or key in ("difficulty", "multiplier"):
            exact = str(COLUMNS[COLUMN[key]][2](value))  # type: ignore[misc]
        else:
            exact = full(value, 1 if key == "workload_hours" else 0)
        text = f"{name} · {self.header_text(COLUMN[key])}: {exact}"
        if key == "quota" and row.get("quota_adjusted"):
            text += " (adjusted by hand: kept when allocating again)"
        if key == "difficulty" and row.get("flag"):
            text += f" ({row['flag']}: quota ÷ potential and growth asked against the median)"
        return text

    def _dev_title(self) -> str:
        return f"Deviation % ({METRIC_LABELS[self._metric]})"

    def header_text(self, section: int) -> str:
        key = COLUMNS[section][0]
        if key == "deviation":
            return self._dev_title()
        year = self.quota_year
        if key in ("quota", "commitment") and year is not None:
            return f"{COLUMNS[section][1]} FY{year}"
        return COLUMNS[section][1]

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not (0 <= section < len(COLUMNS)):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.header_text(section)
        if role == Qt.ItemDataRole.TextAlignmentRole and COLUMNS[section][2] is not None:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    # -- territories -------------------------------------------------------------------------
    def territory_index(self, index: _Index | int) -> int:
        """The Plan's territory index of a row (a top-level row number, or an index of this
        model); -1 for a hierarchy node."""
        if isinstance(index, int):
            index = self.index(index, 0)
        row = self.row_of(index)
        return -1 if row is None or row["index"] is None else int(row["index"])

    def index_of_territory(self, territory: int, column: int = 0) -> QModelIndex:
        """This model's index of the row of a Plan territory index (invalid if none)."""
        plan = self._plan
        if plan is None or not 0 <= territory < plan.atoms.n_territories:
            return QModelIndex()
        return self.item_index(int(plan.atoms.territory_ids[territory]), column)

    def node_id(self, index: _Index) -> int | None:
        """The hierarchy node of a row (None for a territory)."""
        row = self.row_of(index)
        return None if row is None or row["index"] is not None else int(row["id"])
