"""Runs that never lose work: validated settings, divergence, checksums, stale files, the folder lock, resume checks."""
from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
import torch

from lecture_utils import train as T
from lecture_utils.model import ModelConfig, TransformerLM
from lecture_utils.train import config as C
from lecture_utils.train.outputs import RunFolder

MODEL = ModelConfig(vocab_size=64, context_length=16, d_model=32, num_layers=2, num_heads=4, d_ff=64)
pytestmark = pytest.mark.usefixtures("one_torch_thread")  # see conftest.py


def toy_tokens(n: int, seed: int = 0) -> np.ndarray:
    """Mostly 'next = previous + 1 (mod 64)', with some noise."""
    rng = np.random.default_rng(seed)
    return (np.cumsum(np.where(rng.random(n) < 0.9, 1, rng.integers(0, 64, n))) % 64).astype(np.uint16)


TOKENS, VAL = toy_tokens(3000), toy_tokens(600, seed=1)
CFG = dict(batch_size=4, max_steps=8, lr=3e-3, min_lr=3e-4, warmup_steps=2, log_interval=1, eval_interval=4,
           eval_tokens=128)


def run(out, resume=False, **changes):
    return T.train_model(MODEL, dict(CFG, **changes), TOKENS, VAL, device="cpu", out_dir=out, resume=resume)


def log_of(out) -> list[dict]:
    return [json.loads(line) for line in (out / "log.jsonl").read_text(encoding="utf-8").splitlines()]


# ---------------------------------------------------------------- every setting checked up front


@pytest.mark.parametrize("key, value, expected", [
    ("lr", math.inf, "train.lr must be a finite number > 0, got Infinity"),
    ("weight_decay", math.nan, "train.weight_decay must be a finite number >= 0, got NaN"),
    ("grad_clip", math.nan, "train.grad_clip must be a finite number >= 0"),
    ("eps", math.inf, "train.eps must be a finite number > 0"),
    ("lr", "fast", 'train.lr must be a finite number > 0, got "fast"'),
    ("batch_size", True, "train.batch_size must be an integer >= 1, got true"),
    ("beta1", 1.0, r"train.beta1 must be a finite number in \[0, 1\)"),
    ("precision", "fp8", "train.precision must be one of 'fp32', 'bf16'"),
    ("compile", "yes", "train.compile must be true or false"),
])
def test_train_settings_are_validated_with_the_fix(key, value, expected):
    with pytest.raises(C.ConfigError, match=expected) as err:
        T.TrainConfig(**{key: value})
    assert f"--set train.{key}=VALUE" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("data, expected", [
    ({"max_chars": -5}, "data.max_chars must be an integer >= 1 or null, got -5"),
    ({"corpus": 5}, "data.corpus must be a string: 'embedded'"),
    ({"val_fraction": 1.0}, r"data.val_fraction must be a finite number in \(0, 1\)"),
    ({"corpus": "tinystories", "max_chars": 10}, "cannot cut the full TinyStories"),
    ({"corpuss": "x"}, "unknown data setting 'corpuss'; did you mean 'corpus'"),
])
def test_data_settings_are_validated(data, expected):
    with pytest.raises(C.ConfigError, match=expected):
        T.DataConfig.from_dict(data)


def test_model_section_errors_name_the_fix():
    with pytest.raises(C.ConfigError, match="the model section is missing context_length, d_model"):
        C.model_config({"vocab_size": 512})
    with pytest.raises(C.ConfigError, match='model.rope_theta must be a finite number > 0, got "x"'):
        C.model_config(dict(MODEL.to_dict(), rope_theta="x"))
    with pytest.raises(C.ConfigError, match="model: num_heads=5 does not divide"):
        C.model_config(dict(MODEL.to_dict(), num_heads=5))


def test_adamw_rejects_non_finite_settings():
    for bad in (dict(lr=math.inf), dict(weight_decay=math.nan), dict(eps=math.inf)):
        with pytest.raises(ValueError, match="invalid AdamW"):
            T.AdamW([torch.nn.Parameter(torch.zeros(2))], **bad)


# ---------------------------------------------------------------- divergence keeps the last good checkpoint


def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    out = tmp_path / "run"
    run(out, max_steps=2)  # a good checkpoint at step 2
    with pytest.raises(T.NonFiniteError, match=r"training diverged at step \d+: the loss is (nan|inf).*"
                                               r"the last good checkpoint .* is kept"):
        T.train_model(MODEL, dict(CFG, lr=1e30, min_lr=1e29, cosine_steps=8, grad_clip=0.0), TOKENS, VAL, device="cpu", out_dir=out,
                      resume=True, allow_config_change=True)
    state = T.read_checkpoint(out / "checkpoint.pt")
    assert state["iteration"] == 2 and all(torch.isfinite(v).all() for v in state["model"].values())
    assert log_of(out)[-1]["event"] == "diverged"
    assert not (out / ".lock").exists()  # the folder is released on errors too
    # Weights that turn non-finite between checks are caught when the checkpoint would be written.
    with pytest.raises(T.NonFiniteError, match=r"not writing checkpoint .* at iteration 2: .* hold nan or inf"):
        run(tmp_path / "b", lr=1e30, min_lr=0.0, warmup_steps=0, grad_clip=0.0, checkpoint_interval=1)
    assert T.read_checkpoint(tmp_path / "b" / "checkpoint.pt")["iteration"] == 1


def test_non_finite_weights_never_overwrite_a_good_checkpoint(tmp_path):
    model = TransformerLM.from_config(MODEL)
    opt = T.AdamW(model.parameters())
    path = tmp_path / "ckpt.pt"
    T.save_checkpoint(model, opt, 3, path)
    good = path.read_bytes()
    with torch.no_grad():
        model.lm_head.weight[0, 0] = float("nan")
    with pytest.raises(T.NonFiniteError, match=r"lm_head.weight.*the previous checkpoint is kept"):
        T.save_checkpoint(model, opt, 4, path)
    assert path.read_bytes() == good and sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"]


# ---------------------------------------------------------------- checksums and stale temporary files


def test_a_flipped_byte_inside_tensor_data_is_detected(tmp_path):
    torch.manual_seed(0)
    model = TransformerLM.from_config(MODEL)
    path = tmp_path / "ckpt.pt"
    T.save_checkpoint(model, T.AdamW(model.parameters()), 5, path)
    data = bytearray(path.read_bytes())
    weight = model.lm_head.weight.detach().numpy().tobytes()
    at = bytes(data).find(weight[:64])
    assert at > 0, "the tensor's bytes are stored as they are"
    data[at + 1000] ^= 0x01  # one bit of one float of the output head
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="is damaged: its contents do not match the checksum"):
        T.load_checkpoint(path, TransformerLM.from_config(MODEL))
    torch.save({"iteration": 1}, path)  # a file not written by save_checkpoint
    with pytest.raises(ValueError, match="carries no checksum"):
        T.read_checkpoint(path)


def test_stale_temporary_files_are_removed_on_start(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    stale = [out / ".checkpoint.pt.k1ll3d.tmp", out / ".log.jsonl.abc.tmp"]
    for path in stale:
        path.write_bytes(b"half a file")
    keep = out / "notes.tmp"
    keep.write_text("mine", encoding="utf-8")
    run(out, max_steps=2)
    assert not any(p.exists() for p in stale) and keep.exists()


# ---------------------------------------------------------------- one run per folder


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_folder_in_use_is_refused_and_a_stale_lock_taken_over(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    lock = out / ".lock"
    lock.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}), encoding="utf-8")  # alive
    with pytest.raises(T.RunFolderBusy, match=rf"{out} is in use by another run \(process {os.getpid()}"):
        run(out, max_steps=2)
    assert not (out / "checkpoint.pt").exists() and lock.exists()  # nothing touched, the lock is not ours
    lock.write_text(json.dumps({"pid": _dead_pid(), "host": socket.gethostname()}), encoding="utf-8")  # killed run
    assert run(out, max_steps=2).steps == 2
    assert not lock.exists()
    held = RunFolder.open(out)  # as a live run holds it
    try:
        with pytest.raises(T.RunFolderBusy, match="in use"):
            run(out, resume=True, max_steps=3)
    finally:
        held.close()


# ---------------------------------------------------------------- resume checks the whole config


def test_resume_refuses_config_changes_unless_allowed_and_records_them(tmp_path):
    out = tmp_path / "run"
    run(out, max_steps=4)
    with pytest.raises(C.ConfigError, match=r"train.lr 0.003 -> 0.5, train.seed 0 -> 9; pass --allow-config-change"):
        run(out, resume=True, max_steps=6, lr=0.5, seed=9)
    assert json.loads((out / "config.json").read_text(encoding="utf-8"))["train"]["lr"] == 3e-3  # untouched
    result = T.train_model(MODEL, dict(CFG, max_steps=6, lr=0.5), TOKENS, VAL, device="cpu", out_dir=out, resume=True,
                           allow_config_change=True)
    assert result.steps == 6 and result.steps_run == 2
    event = next(r for r in log_of(out) if r.get("event") == "config_change")
    assert event["step"] == 4 and event["changes"] == {"train.lr": [3e-3, 0.5], "train.max_steps": [4, 6]}
    assert json.loads((out / "config.json").read_text(encoding="utf-8"))["train"]["lr"] == 0.5
    assert [r["step"] for r in log_of(out)] == [1, 2, 3, 4, 4, 5, 6]


def test_extending_max_steps_continues_the_schedule_without_jumping_back_up(tmp_path):
    out = tmp_path / "run"
    first = run(out, max_steps=8)
    longer = run(out, resume=True, max_steps=12)
    lrs = {r["step"]: r["lr"] for r in longer.history if "lr" in r}
    assert lrs[8] == pytest.approx(T.get_lr_cosine_schedule(7, 3e-3, 3e-4, 2, 8))
    assert [lrs[s] for s in (9, 10, 11, 12)] == [3e-4] * 4  # the cosine ended at step 8: min_lr from there
    assert longer.history[: len(first.history)] == first.history
    assert json.loads((out / "config.json").read_text(encoding="utf-8"))["train"]["cosine_steps"] == 8
    stretched = tmp_path / "stretched"  # asking for a longer cosine is a config change, and works
    run(stretched, max_steps=8)
    res = T.train_model(MODEL, dict(CFG, max_steps=12, cosine_steps=12), TOKENS, VAL, device="cpu",
                        out_dir=stretched, resume=True, allow_config_change=True)
    assert {r["step"]: r["lr"] for r in res.history if "lr" in r}[12] > 3e-4


def test_resume_without_a_checkpoint_and_on_a_finished_run(tmp_path):
    with pytest.raises(ValueError, match="nothing to resume: no checkpoint in .*; drop --resume"):
        run(tmp_path / "empty", resume=True)
    out = tmp_path / "run"
    done = run(out, max_steps=3)
    again = run(out, resume=True, max_steps=3)
    assert again.steps_run == 0 and again.steps == 3 and again.history == done.history
    assert again.final_val_loss == done.final_val_loss
    with pytest.raises(C.ConfigError, match="at step 3, past max_steps=2; pass --max-steps 3 or more"):
        run(out, resume=True, max_steps=2)
