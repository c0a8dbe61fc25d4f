"""Run every benchmark script in this folder, one after another (`make bench`).

Each script times our code and its peer in the same run and prints a markdown table of ratios.
Scripts run with their defaults; for their own options (sizes, device, repeats) run one directly,
e.g. `python benchmarks/bench_model.py --help`.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failures = 0
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"\n## {script.name}\n", flush=True)
        failures += subprocess.call([sys.executable, str(script)]) != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
