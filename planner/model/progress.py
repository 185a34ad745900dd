"""Progress reports yielded by long model jobs (run by planner.ui.workers or the CLI)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Progress:
    """``fraction`` in 0..1 or None (unknown); ``partial`` a usable result if cancelled now."""

    fraction: float | None
    message: str
    partial: Any = None
