"""Progress reports yielded by long model jobs (run by planner.ui.workers or the CLI)."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Progress:
    """``fraction`` in 0..1 or None (unknown); ``partial`` a usable result if cancelled now."""

    fraction: float | None
    message: str
    partial: Any = None


def run_to_end(gen: Generator[Any, None, T]) -> T:
    """Drive a job generator to its return value, ignoring its progress (CLI, tests, scripts)."""
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
