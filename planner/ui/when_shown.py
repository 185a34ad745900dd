"""Content that is built only while its widget is on screen.

Docks and tabs that are hidden most of the time (Results, Alerts, Impact, the balance chart,
the partner checklist) used to rebuild after every edit: at 10M accounts that was seconds of
the GUI thread for nothing anyone could see. Each now says "stale" while hidden and catches up
when shown; this mixin is that bookkeeping, once.
"""

from __future__ import annotations

from typing import Any


class FillWhenShown:
    """Mixin for a QWidget (put it first among the bases): :meth:`_defer` while hidden,
    :meth:`_fill_shown` (the subclass's) once shown or when :meth:`_catch_up` is called."""

    _stale = False

    def _fill_shown(self) -> None:
        """Build the content now (the widget is visible, or its values are asked for)."""
        raise NotImplementedError

    def _defer(self) -> bool:
        """True, and remembered, if the widget is hidden: the caller skips the work and it is
        done when the widget is shown. False (nothing pending any more) if it is visible."""
        self._stale = not self.isVisible()  # type: ignore[attr-defined]
        return self._stale

    def _catch_up(self) -> None:
        """Do the deferred work now, if any (e.g. before reading the content's values)."""
        if self._stale:
            self._stale = False
            self._fill_shown()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)  # type: ignore[misc]
        self._catch_up()
