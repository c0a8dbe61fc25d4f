"""Every command the README prints is run here as printed, through the project's virtual environment.

Long commands get only what keeps them short (a server started, queried and stopped; a sweep's quick
mode; one notebook instead of ten), and none of them may change a file that git tracks.

Nothing is run twice: `train --config tiny` runs once (the `--resume` command continues a copy of that run),
and the two scaling commands run once per session (conftest.scaling_readme_runs; test_scaling_cli checks
their numbers). The full sweep's shortened form is `sweep --quick`, the same run as the quick command.
"""
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import REPO, SCALING_FIT, SCALING_QUICK, VENV_BIN, activated_env

README = (REPO / "README.md").read_text(encoding="utf-8")
TINY = "python -m lecture_utils.train --config tiny"
RESUME = "python -m lecture_utils.train --config tiny --resume --max-steps 80"

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
    "python -m lecture_utils.scaling sweep": SCALING_QUICK,  # the full grid takes 10-15 minutes
    "python -m lecture_utils.scaling fit": SCALING_FIT,  # 1000 + 100 bootstrap resamples: minutes
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
    return activated_env(tmp_path / "cache")


@dataclass
class Ran:
    """A command's result and `git status` just before and just after it."""

    result: subprocess.CompletedProcess
    before: str
    after: str


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """`python -m lecture_utils.train --config tiny` as printed, once, in a fresh folder with its own cache."""
    folder = tmp_path_factory.mktemp("tiny")
    env = activated_env(folder / "cache")
    before = git_status()
    result = run(TINY, folder, env)
    return folder, env, Ran(result, before, git_status())


def shared_run(command: str, request) -> Ran | None:
    """The result of a command that a fixture already ran (once for all the tests that need it), else None."""
    if command == TINY:
        return request.getfixturevalue("tiny_run")[2]
    if command in (SCALING_QUICK, SCALING_FIT):
        runs = request.getfixturevalue("scaling_readme_runs")
        return Ran(runs.results[command], runs.before[0], runs.after[0])
    return None


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
    TINY: ("tmp", "step"),
    RESUME: ("tmp", "step"),
    "torchrun --nproc_per_node=2 -m lecture_utils.train --config tiny --out runs/tiny-ddp": ("tmp", "step"),
    SCALING_QUICK: ("tmp", "wrote"),
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
def test_command_runs_as_printed_and_leaves_git_clean(command, venv_env, tmp_path, request):
    where, expect = RUN_AS_PRINTED[command]
    cwd = REPO if where == "repo" else tmp_path
    ran = shared_run(command, request)
    if ran is None:
        if command == RESUME:  # continues a copy of the tiny run (the README runs it after that one)
            folder, venv_env, first = request.getfixturevalue("tiny_run")
            assert first.result.returncode == 0, first.result.stderr[-2000:]
            shutil.copytree(folder / "runs", cwd / "runs")
        before = git_status()
        ran = Ran(run(to_linux(command), cwd, venv_env), before, git_status())
    result = ran.result
    assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    assert expect in result.stdout + result.stderr
    assert ran.after == ran.before, f"{command} changed tracked files:\n{ran.after}"
    if command == RESUME:
        assert "done: 80 steps" in result.stdout  # it continued the copied run to step 80


@pytest.mark.parametrize("command", sorted(SHORTENED))
def test_long_command_runs_shortened(command, venv_env, tmp_path, request):
    copy = tmp_path / "04_character_tokenizer.ipynb"
    shutil.copy(REPO / "notebooks" / copy.name, copy)
    shortened = SHORTENED[command].format(one_notebook=copy)
    assert shortened.startswith(command)  # only additions
    ran = shared_run(shortened, request)
    if ran is None:
        before = git_status()
        ran = Ran(run(shortened, REPO if command.startswith("make") else tmp_path, venv_env), before, git_status())
    result = ran.result
    assert result.returncode == 0, f"{shortened}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    assert ran.after == ran.before, f"{shortened} changed tracked files:\n{ran.after}"
