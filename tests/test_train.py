"""Tests for lecture_utils.train: the building blocks against PyTorch, checkpoints, exact resume, the command, two nodes."""
from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from lecture_utils import train as T
from lecture_utils.model import ModelConfig, TransformerLM

MODEL = ModelConfig(vocab_size=64, context_length=16, d_model=32, num_layers=2, num_heads=4, d_ff=64)
REPO = Path(__file__).resolve().parents[1]


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # see conftest.py


def toy_tokens(n: int, vocab: int = 64, seed: int = 0) -> np.ndarray:
    """A learnable sequence: mostly 'next = previous + 1 (mod vocab)', with some noise."""
    rng = np.random.default_rng(seed)
    steps = np.where(rng.random(n) < 0.9, 1, rng.integers(0, vocab, n))
    return (np.cumsum(steps) % vocab).astype(np.uint16)


# ---------------------------------------------------------------- batches


@settings(max_examples=20, deadline=None)
@given(n=st.integers(18, 200), batch=st.integers(1, 8), seed=st.integers(0, 2**16))
def test_get_batch_windows_are_shifted_slices(n, batch, seed):
    tokens = np.arange(n, dtype=np.uint16) * 3 % 61  # distinct-ish values, position recoverable below
    x, y = T.get_batch(tokens, batch, 16, "cpu", torch.Generator().manual_seed(seed))
    assert x.shape == y.shape == (batch, 16) and x.dtype == torch.int64
    assert torch.equal(x[:, 1:], y[:, :-1])
    for row_x, row_y in zip(x.numpy(), y.numpy()):
        starts = [i for i in range(n - 16) if (tokens[i : i + 16] == row_x).all() and (tokens[i + 1 : i + 17] == row_y).all()]
        assert starts, "every window is a real slice of the array"


def test_get_batch_covers_all_starts_and_reads_memmaps(tmp_path):
    tokens = np.arange(20, dtype=np.uint16)
    np.save(tmp_path / "t.npy", tokens)
    mapped = T.load_tokens(tmp_path / "t.npy")
    assert isinstance(mapped, np.memmap)
    gen = torch.Generator().manual_seed(0)
    firsts = {int(T.get_batch(mapped, 1, 16, "cpu", gen)[0][0, 0]) for _ in range(300)}
    assert firsts == set(range(4))  # starts 0..n-T-1, uniformly: every one appears
    with pytest.raises(ValueError, match="at least context_length"):
        T.get_batch(tokens, 2, 20)
    with pytest.raises(ValueError, match=".npy"):
        T.load_tokens(tmp_path / "t.txt")
    with pytest.raises(ValueError, match="1-D integer"):
        T.load_tokens(np.zeros((2, 3), dtype=np.int64))


# ---------------------------------------------------------------- maths vs PyTorch


@pytest.mark.parametrize("scale", [1.0, 100.0, 1e4])
def test_cross_entropy_matches_torch_and_is_stable(scale):
    logits = torch.randn(3, 5, 11) * scale
    targets = torch.randint(0, 11, (3, 5))
    ours = T.cross_entropy(logits, targets)
    assert torch.isfinite(ours)
    torch.testing.assert_close(ours, F.cross_entropy(logits.flatten(0, 1), targets.flatten()))


def test_cross_entropy_gradient_matches_torch():
    logits = torch.randn(4, 7, requires_grad=True)
    targets = torch.randint(0, 7, (4,))
    T.cross_entropy(logits, targets).backward()
    ours = logits.grad.clone()
    logits.grad = None
    F.cross_entropy(logits, targets).backward()
    torch.testing.assert_close(ours, logits.grad)


def test_adamw_matches_torch():
    torch.manual_seed(0)
    a = TransformerLM.from_config(MODEL)
    b = TransformerLM.from_config(MODEL)
    b.load_state_dict(a.state_dict())
    kw = dict(lr=3e-3, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
    ours, ref = T.AdamW(a.parameters(), **kw), torch.optim.AdamW(b.parameters(), **kw)
    ids = torch.randint(0, 64, (4, 17))
    for _ in range(5):
        for net, opt in ((a, ours), (b, ref)):
            opt.zero_grad()
            F.cross_entropy(net(ids[:, :-1]).flatten(0, 1), ids[:, 1:].flatten()).backward()
            opt.step()
    for pa, pb in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(pa, pb, atol=1e-6, rtol=1e-5)


def test_adamw_rejects_bad_settings():
    with pytest.raises(ValueError, match="invalid AdamW"):
        T.AdamW([torch.nn.Parameter(torch.zeros(2))], lr=-1.0)


def test_lr_cosine_schedule_values():
    sched = [T.lr_cosine_schedule(t, 1.0, 0.1, 10, 110) for t in range(130)]
    assert sched[0] == 0.0 and sched[5] == pytest.approx(0.5) and sched[10] == pytest.approx(1.0)
    assert sched[60] == pytest.approx(0.55)  # half way through the cosine: the mean of max and min
    assert sched[110] == pytest.approx(0.1) and sched[129] == 0.1
    assert all(x >= y for x, y in zip(sched[10:], sched[11:]))  # non-increasing after warm-up


@pytest.mark.parametrize("max_norm", [0.01, 1.0, 1e6])
def test_clip_grad_norm_matches_torch(max_norm):
    torch.manual_seed(0)
    params = [torch.nn.Parameter(torch.randn(5, 3)), torch.nn.Parameter(torch.randn(4)), torch.nn.Parameter(torch.randn(2))]
    grads = [torch.randn_like(p) for p in params]
    twins = [torch.nn.Parameter(p.detach().clone()) for p in params]
    for p, q, g in zip(params, twins, grads):
        p.grad, q.grad = g.clone(), g.clone()
    params[2].grad = None  # parameters without gradients are skipped
    twins[2].grad = None
    ours = T.clip_grad_norm(params, max_norm)
    ref = torch.nn.utils.clip_grad_norm_(twins, max_norm)
    torch.testing.assert_close(ours, ref)
    for p, q in zip(params[:2], twins[:2]):
        torch.testing.assert_close(p.grad, q.grad)


# ---------------------------------------------------------------- devices and configs


def test_resolve_device():
    assert T.resolve_device("cpu") == torch.device("cpu")
    assert T.resolve_device(None).type in {"cpu", "cuda", "mps"}
    with pytest.raises(ValueError, match="unknown device 'tpu0'"):
        T.resolve_device("tpu0")
    with pytest.raises(ValueError, match="unsupported device"):
        T.resolve_device("meta")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            T.resolve_device("cuda")


@pytest.mark.parametrize(
    "overrides, message",
    [
        (dict(batch_size=0), "batch_size"),
        (dict(max_steps=2.5), "max_steps"),
        (dict(min_lr=1.0, lr=0.1), "min_lr"),
        (dict(precision="fp8"), "precision"),
        (dict(beta2=1.0), "train.beta2 must be a finite number in"),
        (dict(cosine_steps=0), "cosine_steps"),
    ],
)
def test_bad_train_config(overrides, message):
    with pytest.raises(ValueError, match=message):
        T.TrainConfig(**overrides)
    with pytest.raises(ValueError, match="unknown train setting 'learning_rate'"):
        T.TrainConfig.from_dict({"learning_rate": 1e-3})


def test_token_checks():
    model = TransformerLM.from_config(MODEL)
    good = toy_tokens(200)
    with pytest.raises(ValueError, match=r"outside the model's vocabulary \[0, 64\)"):
        T.train(model, T.TrainConfig(max_steps=1), np.full(100, 64, dtype=np.uint16), good)
    with pytest.raises(ValueError, match="too few"):
        T.train(model, T.TrainConfig(max_steps=1), good, good[:10])
    negative = np.array([3, -1, 5] * 40, dtype=np.int64)
    with pytest.raises(ValueError, match=r"contain id -1, outside"):  # the bad id, not the maximum
        T.train(model, T.TrainConfig(max_steps=1), negative, good)


def test_presets_load_and_bad_presets(tmp_path):
    names = T.list_presets()
    assert "tiny" in names
    for name in names:
        preset = T.load_preset(name)
        ModelConfig.from_dict(preset["model"])
        T.TrainConfig.from_dict(preset["train"])
    with pytest.raises(ValueError, match="unknown config 'nope'"):
        T.load_preset("nope")
    with pytest.raises(FileNotFoundError, match="config file not found: .*missing.json"):
        T.load_preset(tmp_path / "missing.json")  # a mistyped path is named as such, not as a preset
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"model": dict(MODEL.to_dict(), num_heads=5)}), encoding="utf-8")
    with pytest.raises(ValueError, match="does not divide d_model"):
        T.load_preset(bad)
    bad.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValueError, match="a config is a JSON object.*got a list"):
        T.load_preset(bad)
    with pytest.raises(ValueError, match="SECTION.KEY=VALUE"):
        T.apply_overrides({}, ["lr=3"])


# ---------------------------------------------------------------- checkpoints and resume


def test_checkpoint_round_trip(tmp_path):
    torch.manual_seed(0)
    model = TransformerLM.from_config(MODEL)
    opt = T.AdamW(model.parameters(), lr=1e-3)
    ids = torch.randint(0, 64, (2, 17))
    T.cross_entropy(model(ids[:, :-1]), ids[:, 1:]).backward()
    opt.step()
    path = tmp_path / "sub" / "ckpt.pt"
    T.save_checkpoint(model, opt, 7, path, config={"model": MODEL.to_dict()})
    assert sorted(p.name for p in path.parent.iterdir()) == ["ckpt.pt"]  # no temporary files left
    assert torch.load(path, weights_only=True)["iteration"] == 7  # plain tensors and containers only
    fresh = TransformerLM.from_config(MODEL)
    fresh_opt = T.AdamW(fresh.parameters(), lr=1e-3)
    assert T.load_checkpoint(path, fresh, fresh_opt) == 7
    for (k, a), b in zip(model.state_dict().items(), fresh.state_dict().values()):
        assert torch.equal(a, b), k
    sa, sb = opt.state_dict()["state"], fresh_opt.state_dict()["state"]
    assert all(torch.equal(sa[i]["exp_avg_sq"], sb[i]["exp_avg_sq"]) and sa[i]["step"] == sb[i]["step"] for i in sa)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        T.load_checkpoint(path, fresh)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        T.load_checkpoint(tmp_path / "missing.pt", fresh)


def test_building_blocks_take_cs336_adapter_arguments(tmp_path):
    """The keyword names of CS336's adapters (run_get_batch, run_cross_entropy, ...) work as they are."""
    x, y = T.get_batch(dataset=np.arange(50), batch_size=3, context_length=4, device="cpu")
    assert x.shape == y.shape == (3, 4)
    logits = torch.randn(5, 7)
    torch.testing.assert_close(T.cross_entropy(inputs=logits, targets=torch.arange(5)),
                               F.cross_entropy(logits, torch.arange(5)))
    assert T.get_lr_cosine_schedule(it=0, max_learning_rate=1.0, min_learning_rate=0.1, warmup_iters=2,
                                    cosine_cycle_iters=10) == 0.0
    param = torch.nn.Parameter(torch.ones(4))
    param.grad = torch.full((4,), 3.0)
    T.gradient_clipping(parameters=[param], max_l2_norm=1.0)
    assert float(param.grad.norm()) == pytest.approx(1.0, abs=1e-5)
    model = TransformerLM.from_config(MODEL)
    opt = T.AdamW(model.parameters())
    T.save_checkpoint(model=model, optimizer=opt, iteration=3, out=str(tmp_path / "c.pt"))  # a str is a path
    assert T.load_checkpoint(src=tmp_path / "c.pt", model=model, optimizer=opt) == 3
    with open(tmp_path / "f.pt", "wb") as f:  # a binary file object, as CS336's tests may pass
        T.save_checkpoint(model, opt, 4, f)
    with open(tmp_path / "f.pt", "rb") as f:
        assert T.load_checkpoint(f, model, opt) == 4


class Interrupt(Exception):
    pass


def _comparable(history):
    return [{k: v for k, v in r.items() if k != "tokens_per_s"} for r in history]


def test_resume_is_bit_exact(tmp_path):
    tokens, val = toy_tokens(3000), toy_tokens(600, seed=1)
    cfg = T.TrainConfig(batch_size=4, max_steps=12, lr=3e-3, warmup_steps=3, log_interval=1, eval_interval=4,
                        eval_tokens=256, checkpoint_interval=5)
    straight = T.train_model(MODEL, cfg, tokens, val, device="cpu", out_dir=tmp_path / "a")

    def stop_at_7(record):
        if record["step"] == 7:
            raise Interrupt  # like Ctrl-C: the last checkpoint is from step 5

    with pytest.raises(Interrupt):
        T.train_model(MODEL, cfg, tokens, val, device="cpu", out_dir=tmp_path / "b", log=stop_at_7)
    assert T.read_checkpoint(tmp_path / "b" / "checkpoint.pt")["iteration"] == 5
    with pytest.raises(ValueError, match="--resume|resume=True"):
        T.train_model(MODEL, cfg, tokens, val, device="cpu", out_dir=tmp_path / "b")  # would overwrite the run
    resumed = T.train_model(MODEL, cfg, tokens, val, device="cpu", out_dir=tmp_path / "b", resume=True)
    for (k, a), b in zip(straight.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(a, b), k
    assert _comparable(straight.history) == _comparable(resumed.history)
    logged = [json.loads(line) for line in (tmp_path / "b" / "log.jsonl").read_text(encoding="utf-8").splitlines()]
    assert _comparable(logged) == _comparable(straight.history)
    assert resumed.steps == 12 and resumed.tokens_seen == 12 * 4 * 16
    assert straight.final_val_loss < math.log(64)  # it learned something
    with pytest.raises(ValueError, match="different model"):
        T.train_model(dict(MODEL.to_dict(), d_ff=32), cfg, tokens, val, device="cpu", out_dir=tmp_path / "b", resume=True)


def test_train_result_accounting():
    result = T.train_model(MODEL, T.TrainConfig(batch_size=2, max_steps=3, log_interval=1, eval_tokens=64),
                           toy_tokens(500), toy_tokens(100), device="cpu")
    from lecture_utils import flops
    from lecture_utils.model import transformer_shape

    shape = transformer_shape(MODEL)
    assert result.num_params == flops.param_count(shape)
    assert result.flops_per_token == flops.training_flops_per_token(shape)["total"]
    assert result.total_flops == result.flops_per_token * 3 * 2 * 16
    assert [r["step"] for r in result.history] == [1, 2, 3] and "val_loss" in result.history[-1]
    assert json.loads(json.dumps(result.to_dict()))["steps"] == 3


# ---------------------------------------------------------------- the command, single process and torchrun


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


COMMAND = ["-m", "lecture_utils.train", "--config", "tiny", "--no-progress", "--sample-tokens", "8",
           "--set", "train.max_steps=6", "train.batch_size=8", "train.log_interval=2", "train.eval_interval=3",
           "data.max_chars=60000"]


def _two_nodes(tmp_path: Path, extra: list[str], name: str) -> list[subprocess.Popen]:
    """`torchrun --nnodes=2 --node_rank=0/1 --nproc_per_node=1` on 127.0.0.1, each node with its own cache and --out."""
    port = str(_free_port())
    procs = []
    for node in (0, 1):
        env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore", LECTURE_UTILS_CACHE=str(tmp_path / f"cache{node}"))
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "torch.distributed.run", "--nnodes=2", f"--node_rank={node}", "--nproc_per_node=1",
             "--master_addr=127.0.0.1", f"--master_port={port}", *COMMAND, *extra, "--out", f"{name}{node}"],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    return procs


def test_command_single_process_and_two_nodes_agree(tmp_path, capsys):
    out = tmp_path / "single"
    # The command in this process, tokenizing into node 0's cache (node 1 tokenizes into its own).
    T.main([*COMMAND[2:], "--cache-dir", str(tmp_path / "cache0" / "tokens"), "--out", str(out)])
    assert "done: 6 steps" in capsys.readouterr().out
    assert {"checkpoint.pt", "log.jsonl", "config.json", "result.json", "sample.txt"} <= {p.name for p in out.iterdir()}
    log = [json.loads(line) for line in (out / "log.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["step"] for r in log] == [2, 3, 4, 6] and "val_loss" in log[-1]
    nodes = _two_nodes(tmp_path, [], "node")
    outputs = [p.communicate(timeout=300)[0] for p in nodes]
    assert [p.returncode for p in nodes] == [0, 0], outputs
    assert "done: 6 steps" in outputs[0], outputs
    for node in (0, 1):  # each node tokenized the corpus into its own cache
        assert list((tmp_path / f"cache{node}" / "tokens").glob("*/meta.json")), outputs[node]
    assert not (tmp_path / "node1").exists()  # only rank 0 writes
    a = T.read_checkpoint(out / "checkpoint.pt")
    b = T.read_checkpoint(tmp_path / "node0" / "checkpoint.pt")
    assert a["iteration"] == b["iteration"] == 6
    for key, value in a["model"].items():  # same global batch: same weights up to float rounding
        torch.testing.assert_close(value, b["model"][key], atol=2e-5, rtol=1e-4, msg=key)
    ddp_log = [json.loads(line) for line in (tmp_path / "node0" / "log.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [sorted(r) for r in ddp_log] == [sorted(r) for r in log]  # same records, same fields
    for key in ("train_loss", "val_loss"):
        ours = [r[key] for r in log if key in r]
        assert [r[key] for r in ddp_log if key in r] == pytest.approx(ours, rel=1e-4)


def test_command_list_and_errors(tmp_path, capsys):
    T.main(["--list"])
    assert "tiny" in capsys.readouterr().out
    with pytest.raises(ValueError, match="unknown config"):
        T.main(["--config", "no-such-preset"])
    with pytest.raises(ValueError, match="not 'embedded'"):
        T.main(["--config", "tiny", "--corpus", str(tmp_path / "missing.txt"), "--cache-dir", str(tmp_path)])
    proc = subprocess.run([sys.executable, "-m", "lecture_utils.train", "--config", "no-such-preset"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and proc.stderr.startswith("error: unknown config 'no-such-preset'")  # no traceback
