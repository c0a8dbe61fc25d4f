"""Run every benchmark script in this folder, one after another (`make bench`).

Each script times our code and its peer in the same run and prints a markdown table of ratios:
bench_tokenizers.py (BPE training vs HF tokenizers and rustbpe), bench_encode.py (encoding vs
tiktoken), bench_model.py (the model vs transformers). Scripts run with their defaults; for their own
options (sizes, device, repeats) run one directly, e.g. `python benchmarks/bench_model.py --help`.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["bench_tokenizers.py", "bench_encode.py"]  # the tokenizer table first, then the rest by name


def main() -> int:
    scripts = sorted(HERE.glob("bench_*.py"), key=lambda p: (p.name not in ORDER, ORDER.index(p.name)
                                                               if p.name in ORDER else 0, p.name))
    failures = 0
    for script in scripts:
        print(f"\n## {script.name}\n", flush=True)
        failures += subprocess.call([sys.executable, str(script)]) != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
