"""Shared fixtures for the unit tests."""
import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent  # the tests run on the project's interpreter: .venv/bin

# The README's two scaling commands, as run for the whole session by `scaling_readme_runs`.
SCALING_QUICK = "python -m lecture_utils.scaling sweep --quick"  # as printed
SCALING_FIT = "python -m lecture_utils.scaling fit --n-boot2 20 --n-boot3 2"  # the bootstrap shortened


@pytest.fixture
def one_torch_thread():
    """Tiny tensors: one thread avoids OpenMP hand-off costs on a shared 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def activated_env(cache: Path) -> dict:
    """The environment of a shell in which `source .venv/bin/activate` was run, with a private cache."""
    env = {**os.environ, "VIRTUAL_ENV": str(VENV_BIN.parent), "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
           "LECTURE_UTILS_CACHE": str(cache), "PYTHONUNBUFFERED": "1"}
    env.pop("PYTHONHOME", None)
    return env


def repo_state() -> tuple[str, str, dict[str, str]]:
    """git's view of the tracked files, git's view of lecture_utils/results, and the hash of every file there."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "status", "--porcelain", *args], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout

    results = REPO / "lecture_utils" / "results"
    hashes = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(results.iterdir())}
    return git("--untracked-files=no"), git("--untracked-files=all", "--", "lecture_utils/results"), hashes


@dataclass
class ShellRuns:
    """Commands run one after another in `folder` through an activated shell, and the repository around them."""

    folder: Path
    results: dict  # command -> subprocess.CompletedProcess
    before: tuple
    after: tuple


@pytest.fixture(scope="session")
def scaling_readme_runs(tmp_path_factory) -> ShellRuns:
    """The README's `sweep --quick` and `fit` (bootstrap shortened), run ONCE per session in a fresh folder.

    Both take a while (six training runs; two bootstraps), so they are not repeated: test_readme_commands checks
    that they succeed as printed and leave git clean, test_scaling_cli that their numbers match the committed files.
    """
    folder = tmp_path_factory.mktemp("scaling-readme")
    env = activated_env(folder / "cache")
    before = repo_state()
    results = {command: subprocess.run(["bash", "-c", command], cwd=folder, env=env, capture_output=True, text=True,
                                       timeout=900)
               for command in (SCALING_QUICK, SCALING_FIT)}
    return ShellRuns(folder, results, before, repo_state())
