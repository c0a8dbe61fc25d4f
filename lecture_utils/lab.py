"""Open JupyterLab on the series (`make lab`, or `python -m lecture_utils.lab`).

The server is rooted at the repository, so a notebook's relative links (`../images/x.png`,
`glossary.md`) resolve, and the browser opens at `notebooks/`. Settings that keep the first minutes
quiet travel with the command instead of being written into the user's Jupyter folders:
- no "Jupyter news?" popup and no update check (lab settings from `lecture_utils/jupyter_config/`,
  found through JUPYTER_CONFIG_PATH);
- kernels talk over CurveZMQ-encrypted sockets, so ipykernel prints no "running over TCP without
  encryption" warning;
- the series' notebooks are signed as trusted in a database in the user's cache folder
  (`lecture_utils.cache.user_cache_dir()`), which the server is told to use.
Adds `--allow-root` when running as root (Docker, CI). Extra arguments are passed on, e.g.
`python -m lecture_utils.lab --port 8890 --no-browser`.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
CONFIG_DIR = Path(__file__).resolve().parent / "jupyter_config"


def trust_db() -> Path:
    """The notebook-signature database the lab uses (in the user's cache, never in the repository)."""
    from .cache import user_cache_dir

    return user_cache_dir() / "jupyter" / "nbsignatures.db"


def kernel_encryption_args() -> list[str]:
    """Ask for CurveZMQ kernel sockets when this pyzmq supports it (it does in the PyPI wheels)."""
    import zmq

    return ["--KernelManager.transport_encryption=auto"] if zmq.has("curve") else []


def lab_command(extra: list[str] | None = None, root_dir: Path = REPO) -> list[str]:
    """The exact command line that starts JupyterLab on the repository, opening at notebooks/."""
    db = trust_db()
    cmd = [sys.executable, "-m", "jupyter", "lab",
           f"--ServerApp.root_dir={root_dir}",
           "--ServerApp.default_url=/lab/tree/notebooks",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.news_url=",
           f"--NotebookNotary.db_file={db}",
           f"--NotebookNotary.secret_file={db.with_name('notebook_secret')}",
           *kernel_encryption_args()]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    return cmd + list(extra or [])


def lab_env(base: dict | None = None) -> dict:
    """The environment for the server: the series' lab settings first on JUPYTER_CONFIG_PATH."""
    env = dict(os.environ if base is None else base)
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(filter(None, [str(CONFIG_DIR), env.get("JUPYTER_CONFIG_PATH")]))
    return env


def trust_notebooks(folder: Path = NOTEBOOKS) -> int:
    """Sign every notebook in `folder` as trusted in `trust_db()`; returns how many were signed."""
    import nbformat
    from nbformat.sign import NotebookNotary

    db = trust_db()
    db.parent.mkdir(parents=True, exist_ok=True)
    notary = NotebookNotary(db_file=str(db), secret_file=str(db.with_name("notebook_secret")))
    paths = sorted(folder.glob("*.ipynb"))
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if not notary.check_signature(nb):
            notary.sign(nb)
    return len(paths)


def main(argv: list[str]) -> int:
    if not NOTEBOOKS.is_dir():
        sys.exit(f"找不到 notebooks/ 文件夹：{NOTEBOOKS}。请在仓库里运行（run from a clone of the repository）。")
    trust_notebooks()
    try:
        return subprocess.call(lab_command(argv), env=lab_env())
    except KeyboardInterrupt:  # Ctrl-C stops the server; jupyter already shut down cleanly
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
