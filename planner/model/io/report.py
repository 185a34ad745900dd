"""The report every importer ends with: rows read, imported, rejected (file/row/field/reason).

Policy (README "Importing"): an import is one transaction. By default any rejected row refuses
the whole import (:class:`~planner.model.errors.ImportRefused` carrying the report) so nothing is
half-imported; with ``skip_invalid=True`` the valid rows are imported and the rejected ones
listed. *Warnings* are rows imported with a stated adjustment (swapped lat/lon corrected, an
out-of-range coordinate dropped and the account placed by ZIP, a polygon repaired).

Row numbers are those a spreadsheet shows: the header is row 1, the first data row is row 2.
For geometry files the row is the 1-based feature number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from planner.model.errors import ImportRefused
from planner.model.io._json import dumps
from planner.model.io._output import write_atomic


@dataclass(frozen=True)
class RowIssue:
    row: int | None
    field: str
    reason: str


@dataclass
class ImportReport:
    kind: str  # units | accounts | contacts | opportunities | activities | territories | plan
    file: str
    read: int = 0
    imported: int = 0
    updated: int = 0
    rejected: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)
    unlocated: int = 0
    repaired: int = 0
    outside_units: int = 0
    refused: bool = False
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def reject(self, row: int | None, field_name: str, reason: str) -> None:
        self.rejected.append(RowIssue(row, field_name, reason))

    def warn(self, row: int | None, field_name: str, reason: str) -> None:
        self.warnings.append(RowIssue(row, field_name, reason))

    def refuse(self, message: str) -> ImportRefused:
        """Mark the import refused and return the exception to raise (it carries this report).
        The message is made one line whatever it quotes (a user-facing rule of every importer)."""
        self.refused = True
        message = " ".join(str(message).split())
        self.message = message
        err = ImportRefused(message)
        err.report = self  # type: ignore[attr-defined]
        return err

    def check_rejections(self, skip_invalid: bool) -> None:
        """Raise ImportRefused when rows were rejected and the caller did not opt to skip them."""
        if self.rejected and not skip_invalid:
            first = self.rejected[0]
            where = f"row {first.row}" if first.row is not None else "file"
            more = f" (and {len(self.rejected) - 1} more)" if len(self.rejected) > 1 else ""
            raise self.refuse(
                f"{self.file}: {where}, field '{first.field}': {first.reason}{more}; "
                "nothing imported (fix the file, or use --skip-invalid to import the valid rows)"
            )

    def reject_missing_and_repeated(
        self,
        keys: list[str],
        rows: Any,
        field_name: str,
        missing: str,
        repeated: Callable[[str, int], str],
    ) -> np.ndarray:
        """Reject rows whose key is empty (reason ``missing``) or already seen (reason
        ``repeated(key, first_row)``); returns the mask of rows kept."""
        keep = np.ones(len(keys), dtype=bool)
        first_row: dict[str, int] = {}
        for i, key in enumerate(keys):
            row = int(rows[i])
            if not key:
                self.reject(row, field_name, missing)
                keep[i] = False
            elif key in first_row:
                self.reject(row, field_name, repeated(key, first_row[key]))
                keep[i] = False
            else:
                first_row[key] = row
        return keep

    # -- output --------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """The stable --json form (README "JSON output")."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "file": self.file,
            "read": self.read,
            "imported": self.imported,
            "updated": self.updated,
            "rejected": [asdict(r) for r in self.rejected],
            "warnings": [asdict(r) for r in self.warnings],
            "unlocated": self.unlocated,
            "repaired": self.repaired,
            "outside_units": self.outside_units,
            "refused": self.refused,
        }
        if self.message:
            out["message"] = self.message
        out.update(self.extra)
        return out

    def to_text(self) -> str:
        lines = [
            f"Import of {self.kind} from {self.file}",
            f"  read {self.read}, imported {self.imported}, updated {self.updated}, "
            f"rejected {len(self.rejected)}, warnings {len(self.warnings)}",
        ]
        if self.kind in ("accounts",):
            lines.append(f"  unlocated {self.unlocated}, outside every unit {self.outside_units}")
        if self.kind in ("units", "territories"):
            lines.append(f"  repaired geometries {self.repaired}")
        if self.extra.get("attributes"):
            kept = ", ".join(self.extra["attributes"])
            lines.append(f"  numeric columns kept as metrics: {kept}")
        if self.refused:
            lines.append(f"  REFUSED: {self.message}")
        for title, issues in (("rejected", self.rejected), ("warning", self.warnings)):
            for r in issues[:200]:
                where = f"row {r.row}" if r.row is not None else "file"
                lines.append(f"  {title}: {self.file}, {where}, field '{r.field}': {r.reason}")
            if len(issues) > 200:
                lines.append(f"  ... {len(issues) - 200} more {title} rows in the saved report")
        return "\n".join(lines)

    def save_next_to(self, project_path: Path | None) -> Path | None:
        """Write the full report as JSON beside the project file; returns its path.

        Raises :class:`~planner.model.io._output.OutputError` (one line) if it cannot be
        written, e.g. in a read-only folder: the caller decides whether that fails the import
        (a refused import: no) or is a warning (a committed import: the data is in).
        """
        if project_path is None:
            return None
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        out = project_path.with_name(f"{project_path.stem}.import-{self.kind}-{stamp}.json")
        text = dumps(self.to_json(), indent=1)
        return write_atomic(out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
