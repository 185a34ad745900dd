"""Drive fuzz cases through one long-lived worker process, surviving its hangs and crashes.

Starting an interpreter with pandas, GDAL and SQLAlchemy costs a second or two, a case some
tens of milliseconds, so cases run in one :mod:`tests.fuzz.worker` child. The parent sends one
case at a time and waits at most ``timeout`` seconds for its answer: a case that takes longer
is a hang, the child is killed (by its own pid) and a fresh one takes the next case. A child
that dies (a crash in C code) or runs out of its memory allowance is also replaced.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[2]
GOOD = ("imported", "refused")
#: Failure outcomes in the order the summary lists them (plural labels).
FAILURES = {
    "traceback": "tracebacks", "hang": "hangs", "memory": "over memory",
    "changed": "changed projects", "noisy": "noisy", "poisoned": "poisoned",
    "corrupt": "corrupt", "crash": "crashes", "harness": "harness errors",
}  # fmt: skip


@dataclass
class Summary:
    seed: int
    counts: Counter[str] = field(default_factory=Counter)
    failures: list[dict[str, Any]] = field(default_factory=list)
    peak: tuple[float, int] = (0.0, -1)  # extra MB, case
    slowest: tuple[float, int] = (0.0, -1)  # seconds, case
    seconds: float = 0.0

    def add(self, result: dict[str, Any]) -> None:
        self.counts[result["outcome"]] += 1
        if result["outcome"] not in GOOD:
            self.failures.append(result)
        self.peak = max(self.peak, (float(result.get("extra_mb", 0.0)), result["case"]))
        self.slowest = max(self.slowest, (float(result.get("seconds", 0.0)), result["case"]))

    @property
    def cases(self) -> int:
        return sum(self.counts.values())

    def line(self) -> str:
        """The one summary line ``make fuzz`` prints."""
        fails = ", ".join(f"{self.counts[k]} {label}" for k, label in FAILURES.items())
        return (
            f"fuzz: {self.cases} cases (seed {self.seed}) in {self.seconds:.0f} s: "
            f"{self.counts['imported']} imported, {self.counts['refused']} refused; {fails}; "
            f"peak +{self.peak[0]:.0f} MB (case {self.peak[1]}), "
            f"slowest {self.slowest[0]:.1f} s (case {self.slowest[1]})"
        )

    def details(self, limit: int = 20) -> str:
        lines = []
        for r in self.failures[:limit]:
            what = (r.get("error") or r.get("stderr") or "").strip().splitlines()[-3:]
            lines.append(f"  case {r['case']} {r.get('kind', '?')} {r['outcome']}: "
                         + " | ".join(what)[:400])  # fmt: skip
        return "\n".join(lines)


class _Worker:
    """One child process; ``ask`` returns its answer, None on timeout, "" when it died."""

    def __init__(self, seed: int, memory_mb: int, start_timeout: float) -> None:
        env = dict(
            os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.fuzz.worker", "--seed", str(seed),
             "--memory-mb", str(memory_mb)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, cwd=ROOT, env=env,
        )  # fmt: skip
        ready = self._read(start_timeout)
        if not ready:
            self.kill()
            raise RuntimeError("the fuzz worker did not start")
        bad = {k: v for k, v in json.loads(ready)["seeds"].items() if v != "imported"}
        if bad:
            self.kill()
            raise RuntimeError(f"valid seed files do not import: {bad}")

    def _read(self, timeout: float) -> str | None:
        out: IO[str] = self.proc.stdout  # type: ignore[assignment]
        ready, _, _ = select.select([out], [], [], timeout)
        return out.readline() if ready else None

    def ask(self, case: int, timeout: float) -> str | None:
        stdin: IO[str] = self.proc.stdin  # type: ignore[assignment]
        try:
            stdin.write(json.dumps({"case": case}) + "\n")
            stdin.flush()
        except BrokenPipeError:
            return ""
        return self._read(timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


def run(cases: range, *, seed: int, timeout: float = 30.0, memory_mb: int = 1024) -> Summary:
    """Run ``cases`` of ``seed``; returns the summary (failures listed with their output)."""
    summary = Summary(seed=seed)
    start = time.monotonic()
    worker: _Worker | None = None
    try:
        for case in cases:
            if worker is None:
                worker = _Worker(seed, memory_mb, start_timeout=120)
            answer = worker.ask(case, timeout)
            if answer is None:
                worker.kill()
                worker, result = None, {"case": case, "outcome": "hang", "seconds": timeout}
            elif answer == "":
                code = worker.proc.wait()
                worker, result = None, {"case": case, "outcome": "crash", "error": f"exit {code}"}
            else:
                result = json.loads(answer)
                if result["outcome"] == "memory":
                    worker.kill()
                    worker = None
            summary.add(result)
    finally:
        if worker is not None:
            worker.stop()
        summary.seconds = time.monotonic() - start
    return summary
