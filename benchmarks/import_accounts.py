"""``planner import-accounts`` at scale (issue 14: 10M accounts in <= 120 s and <= 4 GB).

Imports the scale benchmark's accounts CSV (a Salesforce-style export, accounts placed by
population) into a copy of its 41k-unit base project, through the real command in a child
process, and prints wall time, CPU time and the child's peak RSS, with the load average
before and after (the machine is shared: wall time means little under load, CPU time less
so). The base project and the CSVs are built by :mod:`_scale_data` into ``build/`` when
missing (minutes, once); ``--data`` reads them from another directory instead.

Run: ``python benchmarks/import_accounts.py`` (1M), ``--sizes 1000000 10000000``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

import _scale_data as data


def _inputs(directory: Path | None, n: int) -> tuple[Path, Path]:
    """The base project and the CSV of ``n`` accounts (built into build/ when missing)."""
    if directory is not None:
        return directory / "scale-base.tplan", directory / f"scale-accounts-{n}.csv"
    return data.base_project(), data.accounts_csv(n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--data", type=Path, help="directory holding scale-base.tplan and "
                        "scale-accounts-N.csv (default: build/, built when missing)")  # fmt: skip
    parser.add_argument("--work", type=Path, help="directory for the project copies "
                        "(default: a temporary one, deleted after)")  # fmt: skip
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(dir=args.work, prefix="import-bench-"))
    try:
        print("accounts | wall s | CPU s | peak RSS GB | load before -> after")
        for n in args.sizes:
            base, csv = _inputs(args.data, n)
            project = work / f"import-{n}.tplan"
            shutil.copy(base, project)
            load = os.getloadavg()[0]
            got = data.timed_import(project, csv)
            print(
                f"{n:>10,} | {got['seconds']:6.1f} | {got['cpu_seconds']:5.1f} | "
                f"{got['peak_rss_gb']:5.2f} | {load:.1f} -> {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            for leftover in work.glob(f"import-{n}*"):
                leftover.unlink()  # a 10M project is 3 GB
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
