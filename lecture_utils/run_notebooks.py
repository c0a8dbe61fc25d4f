"""Re-execute notebooks in place, top to bottom, each in its own folder (`make notebooks`).

Usage: python -m lecture_utils.run_notebooks [notebooks/ | notebooks/07_bpe_tokenizer.ipynb ...]
Stored outputs are then exactly what the code printed; a failing cell stops with its error and the
notebook file is left untouched (it is written atomically only after a clean run).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from .files import atomic_path


def run_notebook(path: Path, timeout: int = 900) -> float:
    """Execute one notebook with the current interpreter's kernel; return the seconds it took."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    start = time.perf_counter()
    # record_timing=False: no per-cell timestamps, so re-running changes only what the code printed.
    from traitlets.config import Config

    from .lab import kernel_encryption_args

    # Encrypted kernel sockets when available: ipykernel then prints no "TCP without encryption" line.
    config = Config({"KernelManager": {"transport_encryption": "auto"}} if kernel_encryption_args() else {})
    NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False, config=config,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    elapsed = time.perf_counter() - start
    with atomic_path(path) as tmp:
        nbformat.write(nb, str(tmp))
    return elapsed


def main(argv: list[str]) -> None:
    targets = [Path(a) for a in argv] or [Path("notebooks")]
    paths = []
    for t in targets:
        paths += sorted(t.glob("[0-9][0-9]_*.ipynb")) if t.is_dir() else [t]
    for path in paths:
        print(f"{path} ...", end=" ", flush=True)
        print(f"{run_notebook(path):.1f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
