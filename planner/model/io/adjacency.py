"""Import a given unit adjacency (``planner import-adjacency``): a street graph, a network.

The file is a CSV/XLSX of edges, two unit-code columns (``a``/``b``, ``from``/``to``,
``source``/``target``, else the first two). It replaces the project's graph as a whole (the
previous given edges, or the derived contiguity) in one transaction, or nothing changes: an
unknown code, a self loop or a graph with more connected components than the plan's
territories (no contiguous plan could exist) refuses the file with a message naming the row.
Repeated edges (either direction) are counted once.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.sparse.csgraph import connected_components
from sqlalchemy import delete, func, insert, select

from planner.model._persist import log_data_change
from planner.model.io._geofiles import find_column
from planner.model.io._messages import quote
from planner.model.io._tabular import read_table
from planner.model.io.report import ImportReport
from planner.model.planar import edges_to_graph
from planner.model.schema import Territory, Unit, UnitEdge
from planner.model.store import Project
from planner.model.users import current_user

_PAIRS = (("a", "b"), ("from", "to"), ("source", "target"), ("unit_a", "unit_b"))


def import_adjacency(project: Project, path: Path) -> ImportReport:
    """Replace the project's unit graph by the edges in ``path``; all or nothing."""
    path = Path(path)
    report = ImportReport(kind="adjacency", file=path.name)
    table = read_table(path, report)
    if report.rejected:
        report.check_rejections(False)
    frame = table.frame
    cols = next(
        ((ca, cb) for a, b in _PAIRS
         if (ca := find_column(frame, (a,))) and (cb := find_column(frame, (b,)))),
        None,
    )  # fmt: skip
    if cols is None:
        if frame.shape[1] < 2:
            raise report.refuse(f"{path.name}: needs two unit-code columns (a, b)")
        cols = (str(frame.columns[0]), str(frame.columns[1]))
    with project.session() as s:
        ids = dict(s.execute(select(Unit.code, Unit.id)).all())
    if not ids:
        raise report.refuse(f"{path.name}: the project has no units; import units first")
    edges: set[tuple[int, int]] = set()
    for code_a, code_b, row in zip(frame[cols[0]], frame[cols[1]], table.rows, strict=True):
        a, b = str(code_a).strip(), str(code_b).strip()
        for col, code in ((cols[0], a), (cols[1], b)):
            if code not in ids:
                raise report.refuse(
                    f"{path.name}: row {int(row)}, field {quote(col)}: unknown unit code "
                    f"{quote(code)}; nothing imported"
                )
        if a == b:
            raise report.refuse(
                f"{path.name}: row {int(row)}: unit {quote(a)} is linked to itself; "
                "nothing imported"
            )
        ua, ub = ids[a], ids[b]
        edges.add((min(ua, ub), max(ua, ub)))
    report.read = len(frame)
    _check_components(project, ids, edges, report)
    with project.transaction() as s:
        s.execute(delete(UnitEdge))
        s.execute(insert(UnitEdge), [{"unit_a": a, "unit_b": b} for a, b in sorted(edges)])
        report.imported = len(edges)
        # The unit layer's graph changed under every scenario: a step undo does not cross.
        log_data_change(s, current_user(), "import-units", f"import adjacency from {path.name}")
    return report


def _check_components(
    project: Project, ids: dict[str, int], edges: set[tuple[int, int]], report: ImportReport
) -> None:
    order = sorted(ids.values())
    pos = {uid: i for i, uid in enumerate(order)}
    pairs = np.array([(pos[a], pos[b]) for a, b in edges], dtype=np.int64).reshape(-1, 2)
    ncomp, comp = connected_components(edges_to_graph(pairs, len(order)), directed=False)
    report.extra["components"] = int(ncomp)
    with project.session() as s:
        k = s.scalar(select(func.count(Territory.id)).where(Territory.level == "territory")) or 0
    if ncomp > 1 and k and ncomp > k:
        lone = [c for c, uid in ids.items() if np.bincount(comp)[comp[pos[uid]]] == 1][:3]
        hint = f" (units without an edge: {', '.join(map(quote, lone))}…)" if lone else ""
        raise report.refuse(
            f"{report.file}: the graph has {ncomp} separate parts but the plan has {k} "
            f"territories, so no plan could keep every territory connected{hint}; "
            "nothing imported"
        )
    if ncomp > 1:
        report.warn(None, "graph", f"the graph has {ncomp} separate parts: build at least "
                                   f"{ncomp} territories")  # fmt: skip
