"""Resource bombs (issue 13, item 8): small files that declare or imply huge tables are refused
early, in little memory, with a message of one short line.

Peak memory is measured in a child process (``VmHWM`` of /proc/self/status, reset just before
the import) under an address-space limit, so a regression fails the test instead of the machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from planner.model.io.accounts import import_accounts
from planner.model.store import Project
from tests.model import importing
from tests.model.importing import patched_xlsx, write, xlsx

#: What a refused bomb may add to the peak resident memory of the process.
MAX_EXTRA_MB = 100

_CHILD = """
import json, resource, sys, time
from pathlib import Path
from planner.model.errors import ImportRefused
from planner.model.io.accounts import import_accounts
from planner.model.store import Project

def hwm_kb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

project = Project.create(Path(sys.argv[2]))
limit = 2 * 1024**3  # address space: a regression ends in MemoryError, not a swapping machine
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
Path("/proc/self/clear_refs").write_text("5")  # VmHWM starts again from the current size
before, start = hwm_kb(), time.monotonic()
try:
    import_accounts(project, Path(sys.argv[1]))
    outcome = "imported"
except ImportRefused as exc:
    outcome = str(exc)
except MemoryError:
    outcome = "MemoryError"
print(json.dumps({"outcome": outcome, "extra_mb": (hwm_kb() - before) / 1024,
                  "seconds": time.monotonic() - start}))
"""


def import_in_child(path: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), str(path.with_suffix(".tplan"))],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def far_cell_workbook(tmp_path: Path) -> Path:
    """4.9 KB: a sheet declaring A1:XFD1048576 with one value in its last cell."""
    base = xlsx(tmp_path / "base.xlsx", [["id", "name", "potential"], ["A1", "Acme", 1]])
    return patched_xlsx(
        base,
        tmp_path / "bomb.xlsx",
        xl_worksheets_sheet1_xml=lambda x: x.replace('<dimension ref="A1:C2" />',
                                                     '<dimension ref="A1:XFD1048576" />')
        .replace("</sheetData>",
                 '<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row></sheetData>'),
    )  # fmt: skip


def entity_workbook(tmp_path: Path) -> Path:
    """5 KB: nested XML entities that expand one name to six billion characters."""
    entities = "".join(
        f'<!ENTITY e{i + 1} "{f"&e{i};" * 10}">' for i in range(9)
    )  # each expands ten times the one before
    dtd = f'<!DOCTYPE worksheet [<!ENTITY e0 "laughs">{entities}]>'
    base = xlsx(tmp_path / "base.xlsx", [["id", "name"], ["A1", "Acme"]])
    return patched_xlsx(
        base,
        tmp_path / "laughs.xlsx",
        xl_worksheets_sheet1_xml=lambda x: dtd + x.replace("<t>Acme</t>", "<t>&e9;</t>"),
    )


def wide_header_csv(tmp_path: Path) -> Path:
    """A million column names, as in the issue (its error message was a 10.9 MB line)."""
    header = ",".join(f"column{i}" for i in range(1_000_000))
    return write(tmp_path, "wide.csv", f"{header}\n" + "x," * 999_999 + "x\n")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (far_cell_workbook, "bomb.xlsx: cell XFD1048576 has a value beyond column ALL"),
        (wide_header_csv, "wide.csv: line 1 is longer than 1,000,000 characters"),
        (entity_workbook, "laughs.xlsx: part xl/worksheets/sheet1.xml declares a DTD"),
    ],
)
def test_bombs_refused_in_little_memory(tmp_path: Path, make, expected: str) -> None:
    path = make(tmp_path)
    result = import_in_child(path)
    outcome = str(result["outcome"])
    assert outcome.startswith(f"{path.parent}/{expected}")
    assert len(outcome) < 300
    assert result["extra_mb"] < MAX_EXTRA_MB


def test_missing_column_message_names_a_few_columns(project: Project, tmp_path: Path) -> None:
    header = ",".join(f"custom_field_{i}" for i in range(900))
    path = write(tmp_path, "w.csv", f"{header}\n" + ",".join("v" * 900) + "\n")
    msg = importing.refused(project, lambda: import_accounts(project, path))
    assert "required column(s) missing: external_id, name" in msg
    assert "'custom_field_7' and 892 more" in msg
    assert len(msg) < 500


def test_too_many_columns_refused_before_the_rows_are_read(
    project: Project, tmp_path: Path
) -> None:
    header = ",".join(f"c{i}" for i in range(100_000))
    path = write(tmp_path, "w.csv", f"{header}\n" + "x," * 99_999 + "x\n")
    msg = importing.refused(project, lambda: import_accounts(project, path))
    assert msg == (
        f"{path}: the header has 100,000 columns; at most 1,000 are read "
        "(first ones: 'c0', 'c1', 'c2')"
    )


def test_a_line_longer_than_the_limit_is_refused(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, "l.csv", "id,name,notes\nA1,Acme," + "x" * 1_000_001 + "\n")
    msg = importing.refused(project, lambda: import_accounts(project, path))
    assert msg.startswith(f"{path}: line 2 is longer than 1,000,000 characters")


def test_a_quoted_cell_running_to_the_end_of_a_big_file_is_refused(
    project: Project, tmp_path: Path
) -> None:
    body = "".join(f"A{i},Name {i},note {i}\n" for i in range(20_000))
    path = write(tmp_path, "q.csv", 'id,name,notes\nA,"Open quote,x\n' + body)
    msg = importing.refused(project, lambda: import_accounts(project, path))
    assert msg.startswith(f"{path}: row 2 (line 2): ")
