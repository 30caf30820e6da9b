"""Run every benchmark in turn: `python -m bench` (or `make bench`).

Each one also runs alone, with its own options: `python -m bench.sweep --help`.
"""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = ("bench.actions", "bench.lifecycle", "bench.sweep", "bench.report", "bench.web_log",
              "bench.mail", "bench.retention", "bench.startup")  # fmt: skip


def main() -> int:
    failed = []
    for name in BENCHMARKS:
        print(f"\n=== {name} ===", flush=True)
        if subprocess.call([sys.executable, "-m", name, *sys.argv[1:]]) != 0:
            failed.append(name)
    if failed:
        print(f"Failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
