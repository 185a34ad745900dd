"""Work around a PySide6 bug: ``SignalInstance.emit()`` drops a reference to ``True``.

Measured on this stack (PySide6 6.12.0, CPython 3.11.7): every ``signal.emit(...)`` made from
Python lowers ``sys.getrefcount(True)`` by one, with or without connected slots. ``True`` has
about 14,000 references once the app is imported; after that many emits CPython aborts with
"Fatal Python error: bool_dealloc: deallocating True or False" at whatever moment the count
reaches zero (in a slot, during garbage collection, at exit), which looks like a random crash in
libshiboken6. The map tests hit it at exit after a few hundred emits.

CPython 3.12 made ``True`` and ``False`` immortal; on older versions this module does the same by
hand when (and only when) the bug is detected: both get a reference count they cannot run out
of. That is harmless: they are static objects that are never freed anyway.
"""

from __future__ import annotations

import ctypes
import sys

_IMMORTAL = 1 << 48
_applied = False


def emit_leaks_true() -> bool:
    """True if emitting a signal from Python lowers ``True``'s reference count here."""
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(8):
        probe.ping.emit()
    return sys.getrefcount(True) < before


def apply() -> bool:
    """Make ``True``/``False`` immortal if emits leak them; returns whether it did (once)."""
    global _applied
    if _applied or sys.version_info >= (3, 12) or not emit_leaks_true():
        return _applied
    for obj in (True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value += _IMMORTAL
    _applied = True
    return True
