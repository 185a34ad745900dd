"""The long-lived child process that runs fuzz cases through ``planner.cli.main``.

Started by :mod:`tests.fuzz.runner`; reads one case per line on stdin (``{"case": n, "seed": s}``)
and answers one JSON line per case on its private result channel (the original stdout, kept
before fd 1 and 2 are pointed at per-case capture files, so whatever the CLI, GDAL or a warning
prints is captured, C-level writes included). Its address space is limited to what it uses
after start-up plus ``--memory-mb``: a case that needs more ends in MemoryError, never in a
machine that swaps.

For each case the template project is copied afresh, the mutated file is written, the CLI runs,
and the outcome is classified:

- ``imported`` (exit 0, nothing on stderr, project passes ``PRAGMA integrity_check`` and holds
  no infinite numbers), ``refused`` (exit 1, exactly one ``planner: error: …`` line on stderr,
  the project file byte-identical with no WAL left);
- failures: ``traceback`` (an exception escaped), ``memory`` (MemoryError), ``changed`` (refused
  but the project differs), ``noisy`` (anything else on stderr, or a multi-line error),
  ``poisoned`` (imported but non-finite numbers stored), ``corrupt`` (integrity check failed).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from planner.cli import main as planner_main
from planner.model.synthetic import grid_project
from tests.fuzz.mutate import mutate
from tests.fuzz.seeds import SEEDS, seed

#: Numeric columns that must stay finite after any import.
FINITE = {
    "account": ("potential", "revenue", "visits_per_year", "minutes_per_visit", "lon", "lat"),
    "unit": ("rep_lon", "rep_lat", "area_km2", "population"),
    "opportunity": ("amount",),
}


#: Options a user may add, right or wrong, per kind of import.
EXTRA_OPTIONS = {
    "accounts-csv": [["--encoding", "cp1252"], ["--encoding", "utf-16"], ["--encoding", "nope"],
                     ["--map", "name=Account Name"], ["--map", "potential=Type"],
                     ["--map", "name=Missing"], ["--map", "shoe_size=Type"]],
    "units-geojson": [["--crs", "EPSG:3857"], ["--crs", "EPSG:2154"], ["--crs", "garbage"],
                      ["--code-field", "NAME"], ["--code-field", "nope"], ["--name-field", "POP"]],
    "contacts-csv": [["--encoding", "gb18030"], ["--encoding", "latin-1"]],
}  # fmt: skip


def make_case(case: int, base_seed: int) -> tuple[str, str, bytes, list[str]]:
    """(kind, file name, content, options) of case ``case``: the same for the same seeds.
    A negative case is the unmutated seed of kind number ``-case - 1`` (the warm-up)."""
    kinds = sorted(SEEDS)
    if case < 0:
        kind = kinds[-case - 1]
        return kind, f"input{SEEDS[kind][0]}", seed(kind), []
    rng = random.Random(f"{base_seed}:{case}")
    kind = kinds[case % len(kinds)]
    data = mutate(kind, seed(kind), rng)
    options = ["--skip-invalid"] if rng.random() < 0.3 else []
    if rng.random() < 0.15 and kind in EXTRA_OPTIONS:
        options += rng.choice(EXTRA_OPTIONS[kind])
    return kind, f"input{SEEDS[kind][0]}", data, options


def argv_for(kind: str, project: Path, path: Path, options: list[str]) -> list[str]:
    command = SEEDS[kind][2]
    return [command[0], str(project), *command[1:], str(path), *options]


def _vm_kb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1])
    return 0


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _non_finite(project: Path) -> list[str]:
    con = sqlite3.connect(project)
    try:
        if con.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            return ["integrity"]
        bad = []
        for table, columns in FINITE.items():
            for col in columns:
                n = con.execute(
                    f"SELECT count(*) FROM {table} WHERE abs({col}) > 1e300 "
                    f"OR ({col} IS NOT NULL AND {col} != {col})"
                ).fetchone()[0]
                if n:
                    bad.append(f"{table}.{col}")
        return bad
    finally:
        con.close()


@contextlib.contextmanager
def _captured() -> Iterator[dict[str, str]]:
    """fd 1 and 2 (and sys.stdout/stderr above them) go to temporary files for the block."""
    texts: dict[str, str] = {}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        try:
            yield texts
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            for name, f in (("out", out), ("err", err)):
                f.seek(0)
                texts[name] = f.read().decode("utf-8", "replace")


def _user_warnings() -> None:
    """The warning filters a user's ``planner`` process has, re-armed so that a warning shown
    in an earlier case shows again (every filter call resets the once-per-place registry)."""
    warnings.simplefilter("default")
    for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
        warnings.simplefilter("ignore", category)


def run_case(case: int, base_seed: int, template: Path, work: Path) -> dict[str, Any]:
    kind, name, data, options = make_case(case, base_seed)
    for old in work.iterdir():
        old.unlink()
    project, path = work / "case.tplan", work / name
    shutil.copyfile(template, project)
    path.write_bytes(data)
    before = _digest(project)
    _user_warnings()
    Path("/proc/self/clear_refs").write_text("5")  # peak RSS of this case only
    start_rss, start = _vm_kb("VmHWM:"), time.monotonic()
    error = ""
    with _captured() as captured:
        try:
            code: int | None = planner_main(argv_for(kind, project, path, options))
        except MemoryError:
            code, error = None, "MemoryError"
        except BaseException:
            code, error = None, traceback.format_exc(limit=-3)
    err = captured["err"]
    outcome = _classify(code, error, err, project, before)
    return {
        "case": case, "kind": kind, "options": options, "outcome": outcome, "code": code,
        "stderr": err[-2000:], "error": error[-2000:], "bytes": len(data),
        "seconds": round(time.monotonic() - start, 3),
        "extra_mb": round((_vm_kb("VmHWM:") - start_rss) / 1024, 1),
    }  # fmt: skip


def _classify(code: int | None, error: str, err: str, project: Path, before: str) -> str:
    if error == "MemoryError":
        return "memory"
    if error:
        return "traceback"
    if code == 0:
        if err:
            return "noisy"
        bad = _non_finite(project)
        return "corrupt" if bad == ["integrity"] else "poisoned" if bad else "imported"
    one_line = err.count("\n") == 1 and err.startswith("planner: error: ")
    if code != 1 or not one_line:
        return "noisy"
    unchanged = _digest(project) == before and not Path(f"{project}-wal").exists()
    return "refused" if unchanged else "changed"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory-mb", type=int, default=1024)
    args = parser.parse_args()
    results = os.fdopen(os.dup(1), "w", buffering=1)
    with tempfile.TemporaryDirectory(prefix="planner-fuzz-") as tmp:
        template, work = Path(tmp) / "template.tplan", Path(tmp) / "case"
        work.mkdir()
        grid_project(template, pins=2).close()
        # Every seed once, unmutated: it must import, and it loads every library and table the
        # cases use before the address space is limited.
        warm = {kind: run_case(-i - 1, args.seed, template, work)["outcome"]
                for i, kind in enumerate(sorted(SEEDS))}  # fmt: skip
        limit = _vm_kb("VmSize:") * 1024 + args.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        results.write(json.dumps({"ready": True, "seeds": warm}) + "\n")
        for line in sys.stdin:
            case = json.loads(line)["case"]
            try:
                result = run_case(case, args.seed, template, work)
            except Exception:  # a bug of the harness itself: report it, keep going
                result = {"case": case, "outcome": "harness", "error": traceback.format_exc()}
            results.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
