"""Open JupyterLab on the series' notebooks (`make lab`, or `python -m lecture_utils.lab`).

Adds `--allow-root` when running as root (Docker, CI): jupyter refuses to start as root otherwise.
Extra arguments are passed on, e.g. `python -m lecture_utils.lab --port 8890 --no-browser`.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def lab_command(extra: list[str] | None = None, notebook_dir: Path = NOTEBOOKS) -> list[str]:
    """The exact command line that starts JupyterLab on `notebook_dir`."""
    cmd = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={notebook_dir}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    return cmd + list(extra or [])


def main(argv: list[str]) -> int:
    if not NOTEBOOKS.is_dir():
        sys.exit(f"找不到 notebooks/ 文件夹：{NOTEBOOKS}。请在仓库里运行（run from a clone of the repository）。")
    try:
        return subprocess.call(lab_command(argv))
    except KeyboardInterrupt:  # Ctrl-C stops the server; jupyter already shut down cleanly
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
