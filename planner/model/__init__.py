"""Domain, persistence and engines. Pure Python: never imports Qt or planner.ui."""
