"""Plumbing shared by the ``planner`` command modules: registry, output, projects, options.

cli.py (the entry point and data commands) and cli_plans.py (plan-level commands) both build on
this module, so neither imports the other's private helpers (issue 12: the import loop).

Rules kept here so every command follows them:

- a project argument is a path or a database URL (``postgresql+psycopg://…``): a URL is kept
  as text, because ``Path`` would collapse its ``//``;
- an out-of-range option is a usage error (one line, exit 1), checked before any work;
- output files are checked before any work (never the project, its ``-wal``/``-shm``, an input,
  a folder, or twice the same file) and written atomically by the writers;
- ``--json`` output is always valid JSON: a non-finite number is ``null``
  (:mod:`planner.model.io._json`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

Handler = Callable[[argparse.Namespace], int]
HANDLERS: dict[str, Handler] = {}
#: Dates a plan can take effect: anything outside is a typo (and 9999-12-31 + a transition
#: period does not exist).
FIRST_DATE, LAST_DATE = dt.date(1900, 1, 1), dt.date(2199, 12, 31)


def command(name: str) -> Callable[[Handler], Handler]:
    """Register ``fn`` as the handler of ``planner NAME``."""

    def deco(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return deco


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    """Print ``data`` as JSON with ``--json``, else ``text``."""
    from planner.model.io._json import dumps

    out = dumps(data, indent=1) if getattr(args, "json", False) else text
    sys.stdout.write(out + "\n")


def warn(message: str) -> None:
    """A one-line warning on stderr (the command still succeeds)."""
    sys.stderr.write(f"planner: warning: {one_line(message)}\n")


def one_line(message: str, limit: int = 2000) -> str:
    """Messages are one line and bounded, whatever user text they quote."""
    text = " ".join(str(message).split())
    return text if len(text) <= limit else f"{text[:limit]} … ({len(text) - limit:,} more)"


# -- projects ----------------------------------------------------------------------------------
def is_url(target: object) -> bool:
    return isinstance(target, str) and "://" in target


def project_arg(text: str) -> str | Path:
    """argparse type of a project: a URL stays text, a file becomes a Path."""
    if not text.strip():
        raise argparse.ArgumentTypeError("the project is empty: give a .tplan file or a URL")
    return text if "://" in text else Path(text)


def open_project(args: argparse.Namespace, *, reading: bool = False) -> Any:
    """Open ``args.project``. ``reading``: the command only reads, so a file this user may not
    write opens read-only instead of being refused."""
    from planner.model.store import Project

    return Project.open(args.project, read_only=None if reading else False)


def file_of(args: argparse.Namespace) -> Path | None:
    """The project file of ``args`` (None for a database URL)."""
    return None if is_url(args.project) else Path(args.project)


def check_outputs(args: argparse.Namespace, outputs: Iterable[Path | None],
                  inputs: Iterable[Path | None] = ()) -> Any:  # fmt: skip
    """Refuse bad output paths before any work; returns the protected files for the writers."""
    from planner.model.io._output import check_distinct, check_output, protected

    outs = list(outputs)
    guard = protected(file_of(args), inputs)
    for out in outs:
        if out is not None:
            check_output(out, guard)
    check_distinct(outs)
    return guard


# -- option types ------------------------------------------------------------------------------
def iso_date(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2027-01-31") from None
    if not FIRST_DATE <= day <= LAST_DATE:
        raise argparse.ArgumentTypeError(
            f"{text} is out of range ({FIRST_DATE.isoformat()} to {LAST_DATE.isoformat()})"
        )
    return day


def int_in(low: int, high: int) -> Callable[[str], int]:
    """argparse type: an integer between ``low`` and ``high`` inclusive."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is out of range ({low:,} to {high:,})")
        return value

    return parse


def number_in(low: float, high: float, *, above_low: bool = False) -> Callable[[str], float]:
    """argparse type: a finite number in ``[low, high]`` (``(low, high]`` with ``above_low``)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
        above = value > low if above_low else value >= low
        if not (math.isfinite(value) and above and value <= high):
            bracket = "(" if above_low else "["
            raise argparse.ArgumentTypeError(f"{text} is out of range {bracket}{low:g}, {high:g}]")
        return value

    return parse
