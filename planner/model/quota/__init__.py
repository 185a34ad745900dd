"""Quotas (issue 16): the number each territory must deliver, per fiscal year and month.

- :mod:`.allocation`: shares, guardrails, exact rounding (pure numpy);
- :mod:`.book`: a scenario's quota plans in memory (cells of whole cents) and their loading;
- :mod:`.settings`: a quota plan's settings (fiscal start, basis, guardrails, seasonality...);
- :mod:`.topdown`: allocation down the hierarchy, keeping adjusted nodes;
- :mod:`.fairness`: quota / potential, growth asked, difficulty and the multiplier bands;
- :mod:`.follow`: the quota that moves with reassigned accounts.

Every change to quotas is part of an :class:`~planner.model.edits.Edit` (``QuotaChange``), so
allocations and adjustments are undone, logged and checked for staleness like any edit.
"""
