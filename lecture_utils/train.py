"""Training utilities and a training command for `lecture_utils.model.TransformerLM`.

Pieces (CS336 assignment-1 conventions): `get_batch` (windows drawn uniformly from a token array,
which may be a read-only memory map of a `.npy` file larger than RAM), a numerically stable
`cross_entropy`, `AdamW`, `lr_cosine_schedule` (linear warm-up then cosine decay), global
`clip_grad_norm`, atomic `save_checkpoint` / `load_checkpoint` (`torch.load(weights_only=True)`),
`resolve_device` (cuda, then mps, then cpu, or the user's choice) and the loop itself.

The API the notebooks and the scaling sweep use (nothing is printed unless asked)::

    from lecture_utils.model import ModelConfig
    from lecture_utils.train import TrainConfig, train_model

    result = train_model(
        ModelConfig(vocab_size=512, context_length=64, d_model=64, num_layers=2, num_heads=4, d_ff=192),
        TrainConfig(batch_size=16, max_steps=200, lr=3e-3),
        train_tokens,            # 1-D integer array (np.ndarray / memmap / torch tensor) or a .npy path
        val_tokens,
        device="cpu",            # default: auto (cuda -> mps -> cpu)
        out_dir=None,            # a folder: checkpoint.pt + log.jsonl + config.json, resumable
    )
    result.final_val_loss, result.tokens_seen, result.steps, result.total_flops, result.history

`train(model, train_config, ...)` does the same for a model you built yourself (the notebook samples
from it before and after training). Given the same seed, a run is reproducible on one machine, and a
run stopped at a checkpoint and resumed (`resume=True`) ends bit-for-bit where an uninterrupted run ends.

The command tokenizes a corpus with this project's BPE (cached under the user cache folder, keyed by
corpus content and vocabulary size), trains, and writes checkpoints and a loss log::

    python -m lecture_utils.train --config tiny                  # a preset in lecture_utils/configs/
    python -m lecture_utils.train --config my.json --corpus path/to/text.txt --out runs/mine
    python -m lecture_utils.train --config tiny --set train.max_steps=500 model.d_model=128
    torchrun --nproc_per_node=2 -m lecture_utils.train --config tiny     # data-parallel (DDP)

Data parallelism: `batch_size` is the *global* batch. Every process draws the same global batch of
window positions (one shared seed) and trains on its own slice; DDP averages the gradients, so N
processes follow the single-process run up to floating-point rounding. gloo on CPU, nccl on CUDA.

Deliberate simplifications: no gradient accumulation, no dropout, weight decay only on matrices
(not on the RMSNorm gains), evaluation on a fixed set of evenly spaced validation windows, one
"latest" checkpoint per run, bf16 autocast as the only mixed-precision mode.
"""
from __future__ import annotations

import argparse
import array
import contextlib
import hashlib
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor, nn

from .files import atomic_path, write_text_atomic
from .flops import non_embedding_params, training_flops_per_token
from .model import ModelConfig, TransformerLM, count_parameters, transformer_shape

__all__ = [
    "TrainConfig",
    "TrainResult",
    "get_batch",
    "cross_entropy",
    "AdamW",
    "lr_cosine_schedule",
    "clip_grad_norm",
    "save_checkpoint",
    "load_checkpoint",
    "read_checkpoint",
    "resolve_device",
    "evaluate",
    "train",
    "train_model",
    "load_tokens",
    "load_preset",
    "list_presets",
    "prepare_corpus",
    "main",
]

CONFIG_DIR = Path(__file__).with_name("configs")
CHECKPOINT_NAME = "checkpoint.pt"
LOG_NAME = "log.jsonl"


# ---------------------------------------------------------------------------------------------- config


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation and bookkeeping settings; `batch_size` is the global batch (all processes together)."""

    batch_size: int = 16
    max_steps: int = 200
    lr: float = 1e-3
    min_lr: float = 1e-4
    warmup_steps: int = 20
    cosine_steps: int | None = None  # end of the cosine decay; None = max_steps
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.95
    eps: float = 1e-8
    grad_clip: float = 1.0  # 0 turns clipping off
    log_interval: int = 10
    eval_interval: int = 0  # 0 = evaluate only at the end
    eval_tokens: int = 32768  # size of the fixed validation subset
    checkpoint_interval: int = 0  # 0 = checkpoint only at the end (when out_dir is given)
    seed: int = 0
    precision: str = "fp32"  # or "bf16": autocast matmuls to bfloat16 (GPUs; slow on most CPUs)
    compile: bool = False  # torch.compile the model (worth it on GPUs for long runs)

    def __post_init__(self) -> None:
        positive = ("batch_size", "max_steps", "log_interval", "eval_tokens")
        non_negative = ("warmup_steps", "eval_interval", "checkpoint_interval", "seed")
        for name in positive + non_negative:
            value = getattr(self, name)
            low = 1 if name in positive else 0
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"TrainConfig.{name} must be an integer >= {low}, got {value!r}")
        if self.cosine_steps is not None and (not isinstance(self.cosine_steps, int) or self.cosine_steps < 1):
            raise ValueError(f"TrainConfig.cosine_steps must be a positive integer or None, got {self.cosine_steps!r}")
        if not (self.lr > 0 and 0 <= self.min_lr <= self.lr):
            raise ValueError(f"need lr > 0 and 0 <= min_lr <= lr, got lr={self.lr}, min_lr={self.min_lr}")
        if not (0 <= self.beta1 < 1 and 0 <= self.beta2 < 1 and self.eps > 0):
            raise ValueError("need 0 <= beta1, beta2 < 1 and eps > 0")
        if self.weight_decay < 0 or self.grad_clip < 0:
            raise ValueError("weight_decay and grad_clip must be >= 0 (grad_clip=0 turns clipping off)")
        if self.precision not in ("fp32", "bf16"):
            raise ValueError(f"precision must be 'fp32' or 'bf16', got {self.precision!r}")

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        """Build from a dict, naming unknown keys."""
        return cls(**_known_keys(cls, data, "train"))


def _known_keys(cls, data: dict, what: str) -> dict:
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown {what} config key(s) {unknown}; allowed: {sorted(known)}")
    return dict(data)


@dataclass
class TrainResult:
    """What a run produced. `history` holds one dict per log/eval record (the loss log)."""

    final_val_loss: float
    final_train_loss: float
    steps: int
    tokens_seen: int
    num_params: int
    non_embedding_params: int
    flops_per_token: float  # training FLOPs per token, lecture_utils.flops standard accounting
    total_flops: float  # flops_per_token * tokens_seen
    train_time_s: float  # optimizer steps only (no evaluation, no checkpoint writing)
    tokens_per_s: float
    history: list[dict] = field(default_factory=list)
    out_dir: Path | None = None
    model: TransformerLM | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        """Numbers only (no model), JSON-ready."""
        out = {k: v for k, v in asdict(self).items() if k not in ("model", "history")}
        out["out_dir"] = None if self.out_dir is None else str(self.out_dir)
        return out


# ---------------------------------------------------------------------------------------------- data


def load_tokens(source: str | os.PathLike | np.ndarray | Tensor) -> np.ndarray:
    """A 1-D integer token array; `.npy` paths are memory-mapped read-only (nothing is loaded up front)."""
    if isinstance(source, Tensor):
        source = source.cpu().numpy()
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.suffix != ".npy":
            raise ValueError(f"{path}: expected a .npy token file (np.save of a 1-D integer array)")
        source = np.load(path, mmap_mode="r")
    if not isinstance(source, np.ndarray) or source.ndim != 1 or source.dtype.kind not in "iu":
        raise ValueError("tokens must be a 1-D integer array (numpy array, memmap, torch tensor or .npy path)")
    return source


def _windows(tokens: np.ndarray, starts: Tensor, context_length: int, device: torch.device) -> tuple[Tensor, Tensor]:
    """Inputs and next-token targets for windows beginning at `starts`: two (B, T) int64 tensors."""
    index = starts.numpy()[:, None] + np.arange(context_length + 1)  # (B, T+1)
    window = torch.from_numpy(np.asarray(tokens[index], dtype=np.int64))  # (B, T+1); reads only these pages
    if device.type == "cuda":
        window = window.pin_memory().to(device, non_blocking=True)
    else:
        window = window.to(device)
    return window[:, :-1], window[:, 1:]  # (B, T) inputs, (B, T) targets shifted by one


def get_batch(
    tokens: np.ndarray,
    batch_size: int,
    context_length: int,
    device: str | torch.device = "cpu",
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Sample `batch_size` windows uniformly: x = tokens[i:i+T], y = tokens[i+1:i+T+1], each (B, T)."""
    n = len(tokens)
    if n < context_length + 1:
        raise ValueError(f"need at least context_length + 1 = {context_length + 1} tokens, got {n}")
    starts = torch.randint(0, n - context_length, (batch_size,), generator=generator)  # (B,)
    return _windows(tokens, starts, context_length, torch.device(device))


# ---------------------------------------------------------------------------------------------- maths


class _CrossEntropy(torch.autograd.Function):
    """Mean cross-entropy over rows of (N, V) logits, with the textbook gradient (softmax - one_hot) / N."""

    @staticmethod
    def forward(ctx, logits: Tensor, targets: Tensor) -> Tensor:
        row_max = logits.amax(dim=-1, keepdim=True)  # (N, 1): subtracting it keeps exp() <= 1, no overflow
        probs = (logits - row_max).exp_()  # (N, V) unnormalised
        total = probs.sum(dim=-1, keepdim=True)  # (N, 1)
        log_normaliser = total.log() + row_max  # (N, 1) = logsumexp(logits)
        target_logit = logits.gather(-1, targets[:, None])  # (N, 1)
        ctx.save_for_backward(probs.div_(total), targets)  # softmax, kept for the backward pass
        return (log_normaliser - target_logit).mean()

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        probs, targets = ctx.saved_tensors
        scale = grad_out / targets.numel()
        grad = probs * scale  # (N, V): d loss / d logits = (softmax - one_hot(target)) / N
        grad.scatter_add_(-1, targets[:, None], (-scale).expand(targets.numel(), 1).to(grad.dtype))
        return grad, None


def cross_entropy(logits: Tensor, targets: Tensor) -> Tensor:
    """Mean of -log softmax(logits)[target] over all positions, computed stably (max subtracted first).

    logits (..., V), targets (...) -> scalar. A hand-written backward avoids autograd's extra passes
    over the (tokens x vocabulary) logits, the largest tensor of a small model.
    """
    vocab = logits.shape[-1]
    return _CrossEntropy.apply(logits.float().reshape(-1, vocab), targets.reshape(-1))  # (N, V), (N,)


class AdamW(torch.optim.Optimizer):
    """Adam with decoupled weight decay (Loshchilov & Hutter, arXiv:1711.05101), step for step as torch.optim.AdamW."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.01):
        if lr < 0 or eps <= 0 or weight_decay < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"invalid AdamW settings lr={lr}, betas={betas}, eps={eps}, weight_decay={weight_decay}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure: Callable | None = None):
        loss = None if closure is None else closure()
        for group in self.param_groups:
            lr, (beta1, beta2), eps, decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)  # m: running mean of gradients
                    state["exp_avg_sq"] = torch.zeros_like(p)  # v: running mean of squared gradients
                state["step"] += 1
                t, m, v, g = state["step"], state["exp_avg"], state["exp_avg_sq"], p.grad
                p.mul_(1 - lr * decay)  # decoupled weight decay, applied to the weights before the update
                m.lerp_(g, 1 - beta1)  # m = beta1 m + (1 - beta1) g
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)  # v = beta2 v + (1 - beta2) g^2
                denom = v.sqrt().div_(math.sqrt(1 - beta2**t)).add_(eps)  # bias-corrected sqrt(v) + eps
                p.addcdiv_(m, denom, value=-lr / (1 - beta1**t))  # bias-corrected m / denom
        return loss


def lr_cosine_schedule(
    it: int, max_learning_rate: float, min_learning_rate: float, warmup_iters: int, cosine_cycle_iters: int
) -> float:
    """Linear warm-up to max over `warmup_iters`, cosine decay to min at `cosine_cycle_iters`, then min."""
    if it < warmup_iters:
        return max_learning_rate * it / warmup_iters
    if it > cosine_cycle_iters:
        return min_learning_rate
    progress = (it - warmup_iters) / max(1, cosine_cycle_iters - warmup_iters)  # 0 -> 1
    return min_learning_rate + 0.5 * (1 + math.cos(math.pi * progress)) * (max_learning_rate - min_learning_rate)


@torch.no_grad()
def clip_grad_norm(parameters: Iterable[nn.Parameter], max_norm: float, eps: float = 1e-6) -> Tensor:
    """Scale all gradients by min(1, max_norm / (||g|| + eps)), ||g|| over every gradient together; returns ||g||."""
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))  # scalar
    scale = (max_norm / (total + eps)).clamp(max=1.0)  # a tensor: no host sync on GPUs
    for g in grads:
        g.mul_(scale)
    return total


# ---------------------------------------------------------------------------------------------- devices


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """'auto'/None -> cuda if available, else mps, else cpu; otherwise check the named device exists."""
    if device is None or device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"unknown device {device!r}; use 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'") from err
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {device!r} requested but CUDA is not available here; use 'cpu' or 'auto'")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"device {device!r} does not exist: {torch.cuda.device_count()} CUDA device(s) found")
    elif dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError("device 'mps' requested but Apple's MPS backend is not available here; use 'auto'")
    elif dev.type != "cpu":
        raise ValueError(f"unsupported device {device!r}; use 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'")
    return dev


def _dist_info() -> tuple[int, int]:
    """(rank, world_size); (0, 1) without torch.distributed."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _unwrap(model: nn.Module) -> nn.Module:
    """The plain model inside DDP and/or torch.compile wrappers."""
    while True:
        if isinstance(model, nn.parallel.DistributedDataParallel):
            model = model.module
        elif hasattr(model, "_orig_mod"):
            model = model._orig_mod
        else:
            return model


# ---------------------------------------------------------------------------------------------- checkpoints


def save_checkpoint(model: nn.Module, optimizer: torch.optim.Optimizer, iteration: int, out: str | os.PathLike, **extra) -> None:
    """Write model, optimizer, step (and `extra`: config, RNG states, ...) atomically: temp file + os.replace."""
    state = {"model": _unwrap(model).state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration, **extra}
    with atomic_path(out) as tmp:  # readers see the old file or the new one, never half a file
        torch.save(state, tmp)


def read_checkpoint(src: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict:
    """The checkpoint dict, loaded with weights_only=True (tensors and plain containers only, no code)."""
    src = Path(src)
    if not src.is_file():
        raise FileNotFoundError(f"no checkpoint at {src}")
    try:
        return torch.load(src, map_location=map_location, weights_only=True)
    except Exception as err:  # a truncated or foreign file: say which and what to do
        raise ValueError(f"{src} is not a readable checkpoint ({err}); delete it or point to another file") from err


def load_checkpoint(src: str | os.PathLike, model: nn.Module, optimizer: torch.optim.Optimizer | None = None) -> int:
    """Restore model (and optimizer) state from `src`; returns the saved iteration."""
    device = next(_unwrap(model).parameters()).device
    state = read_checkpoint(src, map_location=device)
    _unwrap(model).load_state_dict(state["model"])
    if optimizer is not None:
        optimizer.load_state_dict(state["optimizer"])
    return int(state["iteration"])


def _rng_state(batch_generator: torch.Generator) -> dict:
    state = {"torch": torch.get_rng_state(), "batches": batch_generator.get_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict, batch_generator: torch.Generator) -> None:
    torch.set_rng_state(state["torch"].cpu())
    batch_generator.set_state(state["batches"].cpu())
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])


def _write_json_atomic(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _write_log(path: Path, records: list[dict]) -> None:
    write_text_atomic(path, "".join(json.dumps(r) + "\n" for r in records))


# ---------------------------------------------------------------------------------------------- the loop


def _eval_starts(n_tokens: int, context_length: int, max_tokens: int) -> np.ndarray:
    """Evenly spaced, fixed validation windows covering the whole array (the same for every run)."""
    if n_tokens < context_length + 1:
        raise ValueError(f"validation set too small: {n_tokens} tokens for windows of {context_length + 1}")
    count = max(1, min(max_tokens // context_length, (n_tokens - 1) // context_length))
    return np.linspace(0, n_tokens - context_length - 1, count).round().astype(np.int64)


@torch.no_grad()
def evaluate(
    model: nn.Module,
    tokens: np.ndarray,
    context_length: int,
    batch_size: int = 16,
    max_tokens: int = 32768,
    device: str | torch.device | None = None,
    precision: str = "fp32",
) -> float:
    """Mean next-token loss on fixed, evenly spaced windows; shared across processes when distributed."""
    raw = _unwrap(model)
    device = next(raw.parameters()).device if device is None else torch.device(device)
    tokens = load_tokens(tokens)
    rank, world = _dist_info()
    starts = torch.from_numpy(_eval_starts(len(tokens), context_length, max_tokens))[rank::world]
    was_training = raw.training
    raw.eval()
    total = torch.zeros(2, dtype=_acc_dtype(device), device=device)  # (sum of losses, number of tokens)
    for i in range(0, len(starts), batch_size):
        x, y = _windows(tokens, starts[i : i + batch_size], context_length, device)
        with _autocast(device, precision):
            logits = raw(x)
        total[0] += cross_entropy(logits, y).to(total.dtype) * y.numel()
        total[1] += y.numel()
    if world > 1:
        dist.all_reduce(total)
    raw.train(was_training)
    return float(total[0] / total[1])


def _acc_dtype(device: torch.device) -> torch.dtype:
    """float64 for running sums, except on MPS, which has no float64."""
    return torch.float32 if device.type == "mps" else torch.float64


def _autocast(device: torch.device, precision: str):
    if precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Decay the matrices (embeddings, projections); leave 1-D norm gains alone."""
    decay = [p for p in model.parameters() if p.requires_grad and p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.ndim < 2]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def _format_record(r: dict) -> str:
    parts = [f"step {r['step']:6d}", f"tokens {r['tokens']:>10,d}"]
    if "train_loss" in r:
        parts += [f"train {r['train_loss']:.4f}", f"lr {r['lr']:.2e}", f"{r['tokens_per_s']:,.0f} tok/s"]
    if "val_loss" in r:
        parts.append(f"val {r['val_loss']:.4f}")
    return " | ".join(parts)


def train(
    model: TransformerLM | nn.Module,
    config: TrainConfig | dict,
    train_tokens,
    val_tokens,
    *,
    out_dir: str | os.PathLike | None = None,
    resume: bool = False,
    progress: bool = False,
    verbose: bool = False,
    log: Callable[[dict], None] | None = None,
    extra_config: dict | None = None,
) -> TrainResult:
    """Train `model` (already on its device) in place; see the module docstring. Returns a `TrainResult`."""
    cfg = config if isinstance(config, TrainConfig) else TrainConfig.from_dict(config)
    raw: TransformerLM = _unwrap(model)
    mcfg: ModelConfig = raw.config
    device = next(raw.parameters()).device
    train_tokens, val_tokens = load_tokens(train_tokens), load_tokens(val_tokens)
    _check_tokens(train_tokens, mcfg.vocab_size, mcfg.context_length, "training")
    _check_tokens(val_tokens, mcfg.vocab_size, mcfg.context_length, "validation")
    rank, world = _dist_info()
    if cfg.batch_size % world:
        raise ValueError(
            f"batch_size={cfg.batch_size} (the global batch) must be divisible by the {world} processes; "
            f"use e.g. batch_size={cfg.batch_size - cfg.batch_size % world or world}"
        )
    local = cfg.batch_size // world
    T = mcfg.context_length
    optimizer = AdamW(
        _param_groups(raw, cfg.weight_decay), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), eps=cfg.eps,
        weight_decay=cfg.weight_decay,
    )
    batches = torch.Generator().manual_seed(cfg.seed)  # identical on every process: one global batch
    step, history = 0, []
    loss_sum = torch.zeros((), dtype=_acc_dtype(device), device=device)  # training losses since the last log line
    loss_count = 0
    out = Path(out_dir) if out_dir is not None else None
    ckpt_path = None if out is None else out / CHECKPOINT_NAME
    full_config = {"model": mcfg.to_dict(), "train": cfg.to_dict(), **(extra_config or {})}
    if not resume and ckpt_path is not None and ckpt_path.exists():
        raise ValueError(f"{ckpt_path} already exists: pass resume=True (--resume) to continue that run, "
                         "or choose another out_dir (--out) so it is not overwritten")
    if resume:
        if ckpt_path is None:
            raise ValueError("resume=True needs out_dir (the folder holding checkpoint.pt)")
        if ckpt_path.exists():
            state = read_checkpoint(ckpt_path, map_location=device)
            if state["config"]["model"] != mcfg.to_dict():
                raise ValueError(f"{ckpt_path} was written for a different model {state['config']['model']}; "
                                 "use another out_dir or the same model config")
            raw.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            _set_rng_state(state["rng"], batches)
            step, history = int(state["iteration"]), list(state["history"])
            loss_sum, loss_count = state["loss_sum"].to(device), int(state["loss_count"])
    if out is not None and rank == 0:
        out.mkdir(parents=True, exist_ok=True)
        _write_json_atomic(out / "config.json", full_config)
        _write_log(out / LOG_NAME, history)  # on resume: the records up to the checkpoint, nothing after

    net: nn.Module = raw
    if cfg.compile:
        net = torch.compile(net)
    if world > 1:
        ids = [device.index if device.index is not None else torch.cuda.current_device()] if device.type == "cuda" else None
        net = nn.parallel.DistributedDataParallel(net, device_ids=ids)
    cosine_steps = cfg.cosine_steps or cfg.max_steps
    params = [p for p in raw.parameters() if p.requires_grad]
    shape = transformer_shape(mcfg)
    flops_per_token = training_flops_per_token(shape)["total"]
    bar = None
    if progress and rank == 0:
        from tqdm.auto import tqdm

        bar = tqdm(total=cfg.max_steps, initial=step, desc="training", unit="step")

    def emit(record: dict) -> None:
        history.append(record)
        if rank != 0:
            return
        if out is not None:
            with open(out / LOG_NAME, "a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")
        if log is not None:
            log(record)
        if verbose:
            print(_format_record(record), flush=True)
        if bar is not None:
            bar.set_postfix({k: f"{record[k]:.3f}" for k in ("train_loss", "val_loss") if k in record})

    train_time, interval_tokens, interval_time = 0.0, 0, 0.0
    raw.train()
    while step < cfg.max_steps:
        t0 = time.perf_counter()
        lr = lr_cosine_schedule(step, cfg.lr, cfg.min_lr, cfg.warmup_steps, cosine_steps)
        for group in optimizer.param_groups:
            group["lr"] = lr
        starts = torch.randint(0, len(train_tokens) - T, (cfg.batch_size,), generator=batches)  # (B,) global
        x, y = _windows(train_tokens, starts[rank * local : (rank + 1) * local], T, device)  # (b, T) each
        with _autocast(device, cfg.precision):
            logits = net(x)  # (b, T, V)
        loss = cross_entropy(logits, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # DDP averages the gradients across processes here
        grad_norm = clip_grad_norm(params, cfg.grad_clip) if cfg.grad_clip > 0 else None
        optimizer.step()
        step += 1
        loss_sum += loss.detach()  # stays on the device: no sync per step
        loss_count += 1
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        elapsed = time.perf_counter() - t0
        train_time += elapsed
        interval_time += elapsed
        interval_tokens += cfg.batch_size * T
        if bar is not None:
            bar.update(1)
        is_last = step == cfg.max_steps
        record = {"step": step, "tokens": step * cfg.batch_size * T}
        if step % cfg.log_interval == 0 or is_last:
            mean = loss_sum / (loss_count * world)  # mean over the interval's steps (and processes)
            if world > 1:
                dist.all_reduce(mean)
            record.update(train_loss=float(mean), lr=lr, tokens_per_s=interval_tokens / max(interval_time, 1e-9))
            if grad_norm is not None:
                record["grad_norm"] = float(grad_norm)
            interval_tokens, interval_time = 0, 0.0
            loss_sum, loss_count = torch.zeros_like(loss_sum), 0
        if (cfg.eval_interval and step % cfg.eval_interval == 0) or is_last:
            record["val_loss"] = evaluate(raw, val_tokens, T, local, cfg.eval_tokens, device, cfg.precision)
        if len(record) > 2:
            emit(record)
        if ckpt_path is not None and rank == 0 and ((cfg.checkpoint_interval and step % cfg.checkpoint_interval == 0) or is_last):
            save_checkpoint(
                raw, optimizer, step, ckpt_path, config=full_config, rng=_rng_state(batches),
                history=history, loss_sum=loss_sum, loss_count=loss_count,
            )
    if bar is not None:
        bar.close()
    if world > 1:
        dist.barrier()  # no process leaves before the checkpoint is written
    raw.eval()
    last_train = next((r["train_loss"] for r in reversed(history) if "train_loss" in r), float("nan"))
    last_val = next((r["val_loss"] for r in reversed(history) if "val_loss" in r), float("nan"))
    tokens_seen = step * cfg.batch_size * T
    return TrainResult(
        final_val_loss=last_val,
        final_train_loss=last_train,
        steps=step,
        tokens_seen=tokens_seen,
        num_params=count_parameters(raw),
        non_embedding_params=non_embedding_params(shape),
        flops_per_token=flops_per_token,
        total_flops=flops_per_token * tokens_seen,
        train_time_s=train_time,
        tokens_per_s=(step * cfg.batch_size * T) / train_time if train_time > 0 else 0.0,
        history=history,
        out_dir=out,
        model=raw,
    )


def _check_tokens(tokens: np.ndarray, vocab_size: int, context_length: int, what: str) -> None:
    if len(tokens) < context_length + 2:
        raise ValueError(f"{what} tokens: {len(tokens)} is too few for context_length={context_length}; "
                         "use more text or a shorter context")
    top, bottom = int(tokens.max()), int(tokens.min())
    if top >= vocab_size or bottom < 0:
        bad = top if top >= vocab_size else bottom  # name the id that is actually out of range
        raise ValueError(f"{what} tokens contain id {bad}, outside the model's vocabulary [0, {vocab_size}); "
                         "tokenize with a tokenizer of the model's vocab_size")


def train_model(
    model_config: ModelConfig | dict,
    train_config: TrainConfig | dict,
    train_tokens,
    val_tokens,
    *,
    device: str | torch.device | None = None,
    out_dir: str | os.PathLike | None = None,
    resume: bool = False,
    progress: bool = False,
    verbose: bool = False,
    log: Callable[[dict], None] | None = None,
    extra_config: dict | None = None,
) -> TrainResult:
    """Build a `TransformerLM` (initialised from `train_config.seed`) on `device` and `train` it."""
    mcfg = model_config if isinstance(model_config, ModelConfig) else ModelConfig.from_dict(model_config)
    cfg = train_config if isinstance(train_config, TrainConfig) else TrainConfig.from_dict(train_config)
    dev = resolve_device(device)
    torch.manual_seed(cfg.seed)  # same initial weights on every process
    model = TransformerLM.from_config(mcfg, device=dev)
    return train(model, cfg, train_tokens, val_tokens, out_dir=out_dir, resume=resume, progress=progress,
                 verbose=verbose, log=log, extra_config=extra_config)


# ---------------------------------------------------------------------------------------------- presets & data


def list_presets() -> list[str]:
    """Names of the presets shipped in lecture_utils/configs/."""
    return sorted(p.stem for p in CONFIG_DIR.glob("*.json"))


def load_preset(name_or_path: str | os.PathLike) -> dict:
    """A preset by name ('tiny') or a JSON file path -> {'model': {...}, 'train': {...}, 'data': {...}}."""
    path = Path(name_or_path)
    if path.suffix == ".json" and not path.exists():  # a file name, not a preset name: say so
        raise FileNotFoundError(f"config file not found: {path} (presets: {', '.join(list_presets())})")
    if path.suffix != ".json":
        candidate = CONFIG_DIR / f"{name_or_path}.json"
        if not candidate.exists():
            raise ValueError(f"unknown config {str(name_or_path)!r}: not a JSON file and not a preset "
                             f"(presets: {', '.join(list_presets())})")
        path = candidate
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON: {err}") from err
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a config is a JSON object with keys 'model', 'train', 'data'; got a {type(data).__name__}")
    unknown = sorted(set(data) - {"name", "description", "model", "train", "data"})
    if unknown or "model" not in data:
        raise ValueError(f"{path}: a config has keys 'model' (required), 'train', 'data', 'description'; got {sorted(data)}")
    data.setdefault("name", path.stem)
    data.setdefault("train", {})
    data.setdefault("data", {})
    ModelConfig.from_dict(data["model"])  # validate early, with clear messages
    TrainConfig.from_dict(data["train"])
    _known_keys(DataConfig, data["data"], "data")
    return data


@dataclass(frozen=True)
class DataConfig:
    """Where the text comes from: 'embedded' (optionally 'embedded:en'/'embedded:zh'), 'tinystories',
    'tinystories-valid' or a path to a UTF-8 text file / folder."""

    corpus: str = "embedded"
    val_fraction: float = 0.1
    max_chars: int | None = None  # use only the first max_chars characters (quick tries)


ENDOFTEXT = "<|endoftext|>"


def _corpus_texts(data: DataConfig) -> tuple[str | Path, str | Path, str]:
    """(train source, val source, identity for the cache key); a source is text or a file path."""
    from . import data as corpora

    name = data.corpus
    if name == "embedded" or name.startswith("embedded:"):
        lang = name.partition(":")[2] or "all"
        text = corpora.embedded_corpus(lang)
        if data.max_chars:
            text = text[: data.max_chars]
        train_text, val_text = corpora.train_val_split(text, val_fraction=data.val_fraction)
        return train_text, val_text, hashlib.sha256(text.encode("utf-8")).hexdigest()
    if name == "tinystories-valid":
        path = corpora.tinystories("valid")
        text = path.read_text(encoding="utf-8")[: data.max_chars or None]
        train_text, val_text = corpora.train_val_split(text, val_fraction=data.val_fraction)
        return train_text, val_text, f"tinystories-valid:{data.max_chars}:{data.val_fraction}"
    if name == "tinystories":
        if data.max_chars:
            raise ValueError("max_chars is not supported for the full TinyStories corpus; use 'tinystories-valid'")
        return corpora.tinystories("train"), corpora.tinystories("valid"), "tinystories-v2-gpt4"
    path = Path(name).expanduser()
    if not path.exists():
        raise ValueError(f"corpus {name!r}: not 'embedded', 'tinystories', 'tinystories-valid' or an existing path")
    text = corpora.load_text(path)[: data.max_chars or None]
    train_text, val_text = corpora.train_val_split(text, val_fraction=data.val_fraction)
    return train_text, val_text, hashlib.sha256(text.encode("utf-8")).hexdigest()


def _cache_folder(identity: str, vocab_size: int, data: DataConfig, cache_dir) -> Path:
    """Cache folder for a (corpus, split, vocab size, tokenizer version) combination."""
    if cache_dir is None:
        from .data.download import default_cache_dir

        cache_dir = default_cache_dir() / "tokens"
    key = json.dumps([identity, vocab_size, ENDOFTEXT, data.val_fraction, "bpe-v1"])
    return Path(cache_dir) / hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def _encode_to_array(tokenizer, source: str | Path, vocab_size: int) -> np.ndarray:
    """Token ids of a text (or a file, streamed line by line) as a compact unsigned array."""
    typecode = "H" if vocab_size <= 2**16 else "I"
    ids = array.array(typecode)
    if isinstance(source, Path):
        with open(source, encoding="utf-8") as f:
            ids.extend(tokenizer.encode_iterable(f))
    else:
        ids.extend(tokenizer.encode(source))
    return np.frombuffer(ids, dtype=np.uint16 if typecode == "H" else np.uint32).copy()


def prepare_corpus(
    data: DataConfig | dict,
    vocab_size: int,
    cache_dir: str | os.PathLike | None = None,
    verbose: bool = False,
) -> Path:
    """Train a BPE tokenizer of `vocab_size` on the corpus and tokenize it, once: returns the cache folder
    holding train.npy, val.npy, tokenizer files and meta.json (keyed by corpus content + vocab size)."""
    from .tokenizers import BPETokenizer, train_bpe

    data = data if isinstance(data, DataConfig) else DataConfig(**_known_keys(DataConfig, data, "data"))
    train_src, val_src, identity = _corpus_texts(data)
    folder = _cache_folder(identity, vocab_size, data, cache_dir)
    if (folder / "meta.json").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if verbose:
        print(f"training a BPE tokenizer (vocab {vocab_size}) and tokenizing into {folder} ...", flush=True)
    vocab, merges = train_bpe(train_src, vocab_size, special_tokens=(ENDOFTEXT,))
    tokenizer = BPETokenizer(vocab, merges, special_tokens=[ENDOFTEXT])
    tokenizer.save(folder / "tokenizer.bpe")
    for split, src in (("train", train_src), ("val", val_src)):
        ids = _encode_to_array(tokenizer, src, vocab_size)
        with atomic_path(folder / f"{split}.npy") as tmp, open(tmp, "wb") as f:
            np.save(f, ids)  # a file object: np.save would append ".npy" to a temp name
    meta = {"corpus": data.corpus, "vocab_size": vocab_size, "identity": identity, "seconds": time.perf_counter() - t0,
            "train_tokens": int(np.load(folder / "train.npy", mmap_mode="r").shape[0]),
            "val_tokens": int(np.load(folder / "val.npy", mmap_mode="r").shape[0])}
    _write_json_atomic(folder / "meta.json", meta)  # written last: its presence means "complete"
    if verbose:
        print(f"tokenized {meta['train_tokens']:,} + {meta['val_tokens']:,} tokens in {meta['seconds']:.1f} s", flush=True)
    return folder


# ---------------------------------------------------------------------------------------------- the command


def _apply_overrides(config: dict, assignments: list[str]) -> dict:
    """`section.key=value` strings (value parsed as JSON when possible) applied to a copy of `config`."""
    config = json.loads(json.dumps(config))
    for item in assignments:
        target, sep, raw_value = item.partition("=")
        section, dot, key = target.partition(".")
        if not sep or not dot or section not in ("model", "train", "data"):
            raise ValueError(f"--set {item!r}: expected section.key=value with section model, train or data")
        try:
            value = json.loads(raw_value)
        except json.JSONDecodeError:
            value = raw_value
        config.setdefault(section, {})[key] = value
    return config


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m lecture_utils.train",
        description="Tokenize a corpus with this project's BPE, train a TransformerLM, write checkpoints and a loss log. "
        "Launch with torchrun --nproc_per_node=N for data-parallel training.",
    )
    parser.add_argument("--config", default="tiny", help=f"preset name ({', '.join(list_presets())}) or a JSON file")
    parser.add_argument("--corpus", help="'embedded', 'embedded:en', 'embedded:zh', 'tinystories', 'tinystories-valid' or a text path")
    parser.add_argument("--out", help="output folder (default runs/<config name>)")
    parser.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda, cuda:N or mps")
    parser.add_argument("--max-steps", type=int, help="override train.max_steps")
    parser.add_argument("--set", nargs="*", default=[], metavar="SECTION.KEY=VALUE", help="override any config value")
    parser.add_argument("--resume", action="store_true", help="continue from <out>/checkpoint.pt if present")
    parser.add_argument("--cache-dir", help="where tokenized corpora are cached (default: the user cache folder)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar; print log lines instead")
    parser.add_argument("--sample-tokens", type=int, default=64, help="tokens to sample after training (0: none)")
    parser.add_argument("--list", action="store_true", help="list the presets and exit")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> TrainResult | None:
    """Entry point of `python -m lecture_utils.train`."""
    args = _parse_args(argv)
    if args.list:
        for name in list_presets():
            print(f"{name:16s} {load_preset(name).get('description', '')}")
        return None
    config = load_preset(args.config)
    overrides = list(args.set)
    if args.corpus:
        overrides.append(f"data.corpus={json.dumps(args.corpus)}")
    if args.max_steps is not None:
        overrides.append(f"train.max_steps={args.max_steps}")
    config = _apply_overrides(config, overrides)
    mcfg = ModelConfig.from_dict(config["model"])
    tcfg = TrainConfig.from_dict(config["train"])
    data = DataConfig(**_known_keys(DataConfig, config["data"], "data"))
    out = Path(args.out) if args.out else Path("runs") / config["name"]

    rank = int(os.environ.get("RANK", "0"))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = resolve_device(args.device)
    if world > 1 and device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    elif world > 1 and device.type == "mps":
        raise ValueError("multi-process training needs cpu (gloo) or cuda (nccl) devices, not mps")
    # Tokenize before joining the process group: rank 0 does the work, the others wait for the cache.
    folder = _prepared_folder(data, mcfg.vocab_size, args.cache_dir, rank, verbose=not args.no_progress or rank == 0)
    if world > 1:
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    try:
        if rank == 0:
            print(f"config {config['name']}: {count_parameters(TransformerLM.from_config(mcfg, device='meta')):,} parameters, "
                  f"{world} process(es) on {device.type}, output {out}", flush=True)
        result = train_model(
            mcfg, tcfg, folder / "train.npy", folder / "val.npy", device=device, out_dir=out, resume=args.resume,
            progress=not args.no_progress, verbose=args.no_progress,
            extra_config={"data": asdict(data), "tokenizer": str(folder / "tokenizer.bpe")},
        )
        if rank == 0:
            _finish(result, folder, out, args.sample_tokens)
        return result
    finally:
        if world > 1:
            dist.destroy_process_group()


def _prepared_folder(data: DataConfig, vocab_size: int, cache_dir, rank: int, verbose: bool) -> Path:
    if rank == 0:
        return prepare_corpus(data, vocab_size, cache_dir, verbose=verbose)
    # Other ranks: compute the same key without doing the work, then wait for rank 0's meta.json.
    folder = _cache_folder(_corpus_texts(data)[2], vocab_size, data, cache_dir)
    while not (folder / "meta.json").exists():
        time.sleep(0.5)
    return folder


def _finish(result: TrainResult, folder: Path, out: Path, sample_tokens: int) -> None:
    from .tokenizers import BPETokenizer

    _write_json_atomic(out / "result.json", result.to_dict())
    print(f"done: {result.steps} steps, {result.tokens_seen:,} tokens, final train loss {result.final_train_loss:.4f}, "
          f"val loss {result.final_val_loss:.4f}, {result.tokens_per_s:,.0f} tokens/s", flush=True)
    if sample_tokens > 0:
        tokenizer = BPETokenizer.load(folder / "tokenizer.bpe")
        prompt = tokenizer.encode(ENDOFTEXT)  # one special token: "start a new story"
        ids = result.model.generate(prompt, sample_tokens, temperature=0.8, top_k=50,
                                    stop_token=prompt[0], generator=torch.Generator().manual_seed(0))
        text = tokenizer.decode(ids)
        write_text_atomic(out / "sample.txt", text + "\n")
        print("sample:", text, flush=True)


if __name__ == "__main__":
    try:
        main()
    except (ValueError, FileNotFoundError) as err:  # a user's mistake: the message, not a traceback
        sys.exit(f"error: {err}")
