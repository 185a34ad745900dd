"""Territory Planner: sales territory planning on a map, with live balance and handovers."""

__version__ = "0.1.0"
