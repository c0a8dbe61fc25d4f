"""`python -m lecture_utils.train`: one line naming the fix for every mistake, kill -9 resumes bit-exactly."""
from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from lecture_utils import train as T
from lecture_utils.train.__main__ import run
from lecture_utils.train.outputs import RunFolder

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.usefixtures("one_torch_thread")  # see conftest.py
QUICK = ["--no-progress", "--sample-tokens", "0", "--set", "train.max_steps=4", "train.batch_size=4",
         "train.log_interval=2", "train.eval_tokens=512", "data.max_chars=30000"]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("token-cache"))


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again on return: nothing listens there


def one_error_line(capsys, argv) -> str:
    """Run the command in-process; it must fail with exactly one stderr line, 'error: ...'."""
    assert run(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err, err
    return err


def write_config(tmp_path, **sections) -> str:
    preset = T.load_preset("tiny")
    config = {"model": preset["model"], "train": preset["train"], "data": preset["data"]}
    config.update(sections)
    path = tmp_path / "my.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return str(path)


def test_config_file_mistakes(tmp_path, capsys, cache):
    argv = ["--cache-dir", cache, "--out", str(tmp_path / "out")]
    err = one_error_line(capsys, ["--config", write_config(tmp_path, model={"vocab_size": 512}), *argv])
    assert "model section is missing context_length, d_model, num_layers, num_heads, d_ff" in err
    err = one_error_line(capsys, ["--config", write_config(tmp_path, train={"lr": "fast"}), *argv])
    assert 'train.lr must be a finite number > 0, got "fast"' in err
    err = one_error_line(capsys, ["--config", write_config(tmp_path, data={"corpus": 5}), *argv])
    assert "data.corpus must be a string" in err
    err = one_error_line(capsys, ["--config", str(tmp_path / "nope.json"), *argv])
    assert "config file not found" in err


@pytest.mark.parametrize("assignment, expected", [
    ("lr=3", "expected SECTION.KEY=VALUE"),
    ("train.lrr=0.1", "unknown train setting 'lrr'; did you mean 'lr'?"),
    ("train.lr=inf", "train.lr must be a finite number > 0, got Infinity"),
    ("train.weight_decay=nan", "train.weight_decay must be a finite number >= 0, got NaN"),
    ("train.grad_clip=nan", "train.grad_clip must be"),
    ("train.eps=inf", "train.eps must be"),
    ("data.max_chars=-5", "data.max_chars must be an integer >= 1 or null, got -5"),
    ("model.d_model=abc", 'model.d_model must be an integer >= 1, got "abc"'),
    ("model.num_heads=3", "model: num_heads=3 does not divide d_model=64"),
])
def test_bad_set_keys_and_values(tmp_path, capsys, assignment, expected):
    err = one_error_line(capsys, ["--config", "tiny", "--out", str(tmp_path / "o"), "--set", assignment])
    assert expected in err


@pytest.mark.parametrize("argv, expected", [
    (["--max-steps", "abc"], "argument --max-steps: invalid int value: 'abc' (see python -m lecture_utils.train --help)"),
    (["--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    (["--sample-tokens", "-1"], "--sample-tokens must be >= 0"),
    (["--dist-timeout", "0"], "--dist-timeout must be a finite number of seconds > 0"),
    (["--max-steps", "0"], "train.max_steps must be an integer >= 1, got 0"),
    (["--config", "nope"], "unknown config 'nope': not a JSON file and not a preset (presets: cpu-1min"),
])
def test_bad_command_lines(capsys, argv, expected):
    assert expected in one_error_line(capsys, argv)


def test_out_resume_and_lock_mistakes(tmp_path, capsys, cache):
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    assert f"--out {afile} is a file" in one_error_line(capsys, ["--out", str(afile), "--cache-dir", cache])
    err = one_error_line(capsys, ["--resume", "--out", str(tmp_path / "never"), "--cache-dir", cache])
    assert "--resume: no checkpoint in" in err and "drop --resume" in err
    out = tmp_path / "busy"
    held = RunFolder.open(out)  # as a live run holds it
    try:
        assert "is in use by another run" in one_error_line(capsys, ["--out", str(out), "--cache-dir", cache, *QUICK])
    finally:
        held.close()


def test_offline_tinystories_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LECTURE_UTILS_CACHE", str(tmp_path / "cache"))  # no TinyStories here
    url = f"http://127.0.0.1:{_closed_port()}"
    err = one_error_line(capsys, ["--corpus", "tinystories-valid", "--download-url", url, "--out", str(tmp_path / "o")])
    assert f"cannot reach {url}/TinyStoriesV2-GPT4-valid.txt" in err and "offline" in err
    # The tiny preset cuts its corpus (max_chars); with the full TinyStories that cut is dropped, not an error.
    assert run(["--config", "tiny", "--corpus", "tinystories", "--download-url", url, "--out", str(tmp_path / "o")]) == 1
    captured = capsys.readouterr()
    assert "not supported" not in captured.err + captured.out and "cannot reach" in captured.err
    assert "max_chars=200000 is not used" in captured.out


def test_finished_run_is_reported_and_not_sampled_again(tmp_path, capsys, cache):
    argv = ["--out", str(tmp_path / "run"), "--cache-dir", cache, *QUICK]
    assert run([*argv[:-len(QUICK)], *QUICK[:1], "--sample-tokens", "4", *QUICK[3:]]) == 0
    sample = (tmp_path / "run" / "sample.txt").stat().st_mtime_ns
    capsys.readouterr()
    assert run(["--resume", *argv]) == 0
    out = capsys.readouterr().out
    assert "is already finished (4 of 4 steps" in out and "sample:" not in out and "tokens/s" not in out
    assert (tmp_path / "run" / "sample.txt").stat().st_mtime_ns == sample
    assert run(["--resume", *argv, "train.max_steps=6"]) == 0  # extend: trains the two new steps
    assert "done: 6 steps" in capsys.readouterr().out


def _command(out: Path, cache: str, resume: bool = False) -> list[str]:
    return [sys.executable, "-m", "lecture_utils.train", "--config", "tiny", "--no-progress", "--sample-tokens", "0",
            "--out", str(out), "--cache-dir", cache, *(["--resume"] if resume else []),
            "--set", "train.max_steps=60", "train.batch_size=4", "train.log_interval=1", "train.eval_interval=7",
            "train.checkpoint_interval=2", "train.eval_tokens=512", "data.max_chars=30000"]


@pytest.mark.skipif(not (REPO / ".git").exists(), reason="needs the git checkout")
def test_runs_go_to_the_ignored_runs_folder():
    from lecture_utils.train.__main__ import build_config, default_out, parse_args

    assert default_out(build_config(parse_args(["--config", "tiny"]))[0]) == Path("runs", "tiny")
    ignored = subprocess.run(["git", "check-ignore", "-q", "runs/tiny/checkpoint.pt"], cwd=REPO)
    assert ignored.returncode == 0, "runs/ must stay in .gitignore so that runs leave `git status` clean"


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_kill_9_at_a_random_moment_then_resume_is_bit_exact(tmp_path, cache):
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    assert run(_command(tmp_path / "straight", cache)[3:]) == 0  # the same command, in this process
    out = tmp_path / "killed"
    proc = subprocess.Popen(_command(out, cache), cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (out / "checkpoint.pt").exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(random.Random().uniform(0, 0.05))  # somewhere in the steps, evaluations and checkpoint writes
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed; make it longer"
    resumed = subprocess.run(_command(out, cache, resume=True), cwd=REPO, env=env, capture_output=True, text=True,
                             timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    a, b = T.read_checkpoint(tmp_path / "straight" / "checkpoint.pt"), T.read_checkpoint(out / "checkpoint.pt")
    assert a["iteration"] == b["iteration"] == 60
    for key, value in a["model"].items():
        assert torch.equal(value, b["model"][key]), key
    logs = [[{k: v for k, v in json.loads(line).items() if k != "tokens_per_s"}
             for line in (folder / "log.jsonl").read_text(encoding="utf-8").splitlines()]
            for folder in (tmp_path / "straight", out)]
    assert logs[0] == logs[1]
    assert not list(out.glob(".*.tmp")) and not (out / ".lock").exists()
