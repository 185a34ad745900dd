"""``python -m tests.fuzz``: the long fuzz run of ``make fuzz``, or one case replayed.

python -m tests.fuzz --cases 2000 --seed 1     # prints the summary line; exit 1 on failures
python -m tests.fuzz --seed 1 --show 417       # writes case 417's file and prints its command
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tests.fuzz.runner import run
from tests.fuzz.worker import argv_for, make_case


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--start", type=int, default=0, help="first case number")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds a case may take")
    parser.add_argument("--memory-mb", type=int, default=1024, help="memory a case may add")
    parser.add_argument("--show", type=int, metavar="CASE", help="write this case's input file")
    parser.add_argument("--out", type=Path, default=Path("build/fuzz"), help="for --show")
    args = parser.parse_args()
    if args.show is not None:
        kind, name, data, options = make_case(args.show, args.seed)
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / f"case{args.show}-{name}"
        path.write_bytes(data)
        argv = argv_for(kind, args.out / "PROJECT.tplan", path, options)
        sys.stdout.write(f"{kind}: planner {' '.join(argv)}\n")
        return 0
    summary = run(
        range(args.start, args.start + args.cases),
        seed=args.seed,
        timeout=args.timeout,
        memory_mb=args.memory_mb,
    )
    sys.stdout.write(summary.line() + "\n")
    if summary.failures:
        sys.stdout.write(summary.details() + "\n")
    return 1 if summary.failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
