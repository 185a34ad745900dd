"""Qt user interface: windows, docks, the map view. The model never imports this package."""

from planner.ui import _pyside_refcount

# Every window emits many signals from Python (page messages, model events): guard against
# PySide6's emit() draining True's reference count into a fatal abort (see _pyside_refcount).
_pyside_refcount.apply()
