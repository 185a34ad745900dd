"""Progress reports yielded by long model jobs (run by planner.ui.workers or the CLI)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

T = TypeVar("T")
P = ParamSpec("P")


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


def blocking(job: Callable[P, Generator[Any, None, T]]) -> Callable[P, T]:
    """``job`` as a plain function: same arguments, runs the job to its end, returns its result.

    ``help`` and ``inspect.signature`` show ``job``'s parameters (via ``__wrapped__``); the
    docstring names ``job``.

    Examples
    --------
    >>> def count(n: int) -> Generator[Progress, None, int]:
    ...     yield Progress(0.0, "Counting")
    ...     return n
    >>> blocking(count)(3)
    3
    """

    @functools.wraps(job, assigned=("__module__",))
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        return run_to_end(job(*args, **kwargs))

    run.__doc__ = f"``{job.__name__}`` run to its end, without progress: returns its result."
    return run
