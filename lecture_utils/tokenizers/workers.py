"""Worker processes for counting and encoding: fresh `python` processes that import only the tokenizer code.

A fresh process (never a fork) is safe from a Jupyter kernel's threads and does not import numpy, IPython
or the user's script: empty stand-ins for the two packages keep their `__init__` files from running. Each
worker runs in a session of its own with SIGINT ignored, so a Ctrl-C in the terminal (or Jupyter's
interrupt, sent to the kernel's process group) reaches only the caller, which stops the workers.
"""
from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # the lecture_utils folder


def worker_main(module: str) -> str:
    """The `python -c` program of a worker that runs `lecture_utils.tokenizers.<module>._serve()`."""
    return f"""
import os, signal, sys, types
signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the workers
root = sys.argv[1]
for name, folder in (("lecture_utils", root), ("lecture_utils.tokenizers", os.path.join(root, "tokenizers"))):
    package = types.ModuleType(name)
    package.__path__ = [folder]
    sys.modules[name] = package
from lecture_utils.tokenizers.{module} import _serve
_serve()
"""


def start_workers(main: str, n: int) -> list[subprocess.Popen]:
    """n worker processes running `main` (from `worker_main`), talking over their stdin and stdout pipes."""
    return [subprocess.Popen([sys.executable, "-c", main, str(PACKAGE_DIR)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, env=_worker_env(), start_new_session=True) for _ in range(n)]


def _worker_env() -> dict:
    """The environment for worker processes: this one's, with glibc told to give freed memory back at once."""
    env = dict(os.environ)
    # glibc raises its mmap threshold after each large free, so later large blocks come from a heap that
    # it rarely trims: a long-running worker's memory then creeps up. A fixed threshold keeps it flat.
    env.setdefault("MALLOC_MMAP_THRESHOLD_", str(256 << 10))
    env.setdefault("MALLOC_TRIM_THRESHOLD_", str(1 << 20))
    return env


def drain(tasks: queue.SimpleQueue) -> None:
    """Empty a queue of tasks not yet taken (after an error or Ctrl-C: no worker starts a new one)."""
    while True:
        try:
            tasks.get_nowait()
        except queue.Empty:
            return


def stop_workers(procs: list[subprocess.Popen], threads: list[threading.Thread], finished: bool) -> None:
    """Wait for the workers and their feeder threads; kill the workers first unless all work `finished`."""
    for p in procs:
        if not finished:
            p.kill()
        p.wait()
    for t in threads:
        t.join()
    for p in procs:
        p.stdout.close()
