"""Every command the README prints is run here as printed, through the project's virtual environment.

Long commands get only what keeps them short (a server started, queried and stopped; a sweep's quick
mode; one notebook instead of ten), and none of them may change a file that git tracks.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
VENV_BIN = Path(sys.executable).parent  # the tests run on the project's interpreter: .venv/bin

# Commands that are not run here, and why (each is still checked below in another way).
NOT_RUN = {
    "make test": "it is what CI runs (.ci/run); the test suite cannot run itself",
    ".venv\\Scripts\\python -m pytest tests": "the unit tests themselves (make test runs the same command)",
    ".venv\\Scripts\\python -m pytest --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg notebooks":
        "strict nbval itself (make test runs the same command)",
    "make bench": "installs transformers, tokenizers and rustbpe and runs for about an hour on 2 cores; its GPU "
                  "sibling has a test (test_gpu_check.py), the benchmark scripts themselves are not run in CI",
}
# Printed command -> what the test appends or sets so that it finishes quickly.
SHORTENED = {
    "make notebooks": "make notebooks NB={one_notebook}",
    "python -m lecture_utils.scaling sweep": "python -m lecture_utils.scaling sweep --quick --out full-as-quick.csv",
    "python -m lecture_utils.scaling fit": "python -m lecture_utils.scaling fit --n-boot2 5 --n-boot3 2",
}
SERVERS = {"make lab", ".venv\\Scripts\\python -m lecture_utils.lab"}


def printed_commands() -> list[str]:
    """Lines of the bash/powershell blocks, and the first column of the command tables."""
    commands = []
    for lang, body in re.findall(r"```(bash|sh|powershell)\n(.*?)```", README, flags=re.S):
        for line in body.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line and not line.startswith("#"):
                commands.append(line)
    for row in re.findall(r"^\| `([^`]+)` \|", README, flags=re.M):
        commands.append(row.replace("\\|", "|"))
    return list(dict.fromkeys(commands))


def to_linux(command: str) -> str:
    """The README's own rule: on Linux/macOS `.venv\\Scripts\\python` is `.venv/bin/python`."""
    return command.replace(".venv\\Scripts\\python", str(VENV_BIN / "python"))


def git_status() -> str:
    return subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                          capture_output=True, text=True, check=True).stdout


def run(command: str, cwd: Path, env: dict, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def venv_env(tmp_path):
    """The environment of a shell in which `source .venv/bin/activate` was run, with a private cache."""
    env = {**os.environ, "VIRTUAL_ENV": str(VENV_BIN.parent), "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
           "LECTURE_UTILS_CACHE": str(tmp_path / "cache"), "PYTHONUNBUFFERED": "1"}
    env.pop("PYTHONHOME", None)
    return env


def test_every_printed_command_is_covered():
    covered = set(NOT_RUN) | set(SHORTENED) | SERVERS | set(RUN_AS_PRINTED)
    missing = [c for c in printed_commands() if c not in covered]
    assert not missing, f"README commands without a test: {missing} (add them to tests/test_readme_commands.py)"
    assert len(printed_commands()) >= 15


def test_commands_not_run_here_are_what_make_test_runs():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci, re.M), ".ci/run must run the README's test command"
    assert "$(PY) -m pytest tests" in makefile
    assert "$(PY) -m pytest $(NBVAL) notebooks" in makefile
    assert "NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg" in makefile


# Commands run exactly as printed, each with the working folder it needs ("tmp": a fresh folder, so
# `runs/` lands there; "repo": the clone) and text its output must contain.
RUN_AS_PRINTED = {
    "source .venv/bin/activate": ("repo", ""),
    "make images": ("repo", ""),
    "python -m lecture_utils.train --list": ("tmp", "tiny"),
    "python -m lecture_utils.train --config tiny": ("tmp", "step"),
    "python -m lecture_utils.train --config tiny --resume --max-steps 80": ("tmp", "step"),
    "torchrun --nproc_per_node=2 -m lecture_utils.train --config tiny --out runs/tiny-ddp": ("tmp", "step"),
    "python -m lecture_utils.scaling sweep --quick": ("tmp", "wrote"),
    "python -m lecture_utils.data": ("tmp", "sha256 ok"),
    "python -m tools.storygen --check": ("repo", ""),
    "python -m venv .venv": ("tmp", ""),
    ".venv\\Scripts\\python -m pip install -r requirements.txt": ("repo", ""),
    ".venv\\Scripts\\python -m lecture_utils.install_check": ("tmp", "install check ok"),
}


def test_activate_puts_the_venv_first():
    script = f"source {REPO}/.venv/bin/activate && command -v python torchrun && python -c 'import torch, lecture_utils'"
    if not (REPO / ".venv" / "bin" / "activate").is_file():
        pytest.skip("the tests are not running from the repository's .venv")
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert all(line.startswith(str(REPO / ".venv")) for line in result.stdout.split())


@pytest.mark.parametrize("command", [c for c in RUN_AS_PRINTED if c != "source .venv/bin/activate"])
def test_command_runs_as_printed_and_leaves_git_clean(command, venv_env, tmp_path):
    where, expect = RUN_AS_PRINTED[command]
    cwd = REPO if where == "repo" else tmp_path
    if command == "python -m lecture_utils.train --config tiny --resume --max-steps 80":
        first = run("python -m lecture_utils.train --config tiny", cwd, venv_env)
        assert first.returncode == 0, first.stderr[-2000:]
    before = git_status()
    result = run(to_linux(command), cwd, venv_env)
    assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    assert expect in result.stdout + result.stderr
    assert git_status() == before, f"{command} changed tracked files:\n{git_status()}"


@pytest.mark.parametrize("command", sorted(SHORTENED))
def test_long_command_runs_shortened(command, venv_env, tmp_path):
    copy = tmp_path / "04_character_tokenizer.ipynb"
    shutil.copy(REPO / "notebooks" / copy.name, copy)
    shortened = SHORTENED[command].format(one_notebook=copy)
    assert shortened.startswith(command)  # only additions
    before = git_status()
    result = run(shortened, REPO if command.startswith("make") else tmp_path, venv_env)
    assert result.returncode == 0, f"{shortened}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    assert git_status() == before, f"{shortened} changed tracked files:\n{git_status()}"
