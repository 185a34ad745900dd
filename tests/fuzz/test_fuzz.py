"""The CI slice of the fuzz suite (``make fuzz`` runs the long one): 200 mutated files through
every importer via the ``planner`` command, in one worker process.

Invariant per case: imported, or a one-line ``planner: error: …`` with exit 1 and the project
file byte-identical; never a traceback, a hang, memory growth over 1 GB, text on stderr beside
our line, or a non-finite number stored. Deterministic: the same seed gives the same files.
"""

from __future__ import annotations

import pytest

from tests.fuzz.runner import run

SEED = 13


@pytest.mark.slow
def test_fuzz_slice_imports_or_refuses_cleanly() -> None:
    summary = run(range(200), seed=SEED, timeout=60.0, memory_mb=1024)
    assert not summary.failures, summary.line() + "\n" + summary.details()
    # The slice exercises both outcomes of every importer, not only refusals.
    assert summary.counts["imported"] >= 30
    assert summary.counts["refused"] >= 30
