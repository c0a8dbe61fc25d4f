"""The training building blocks of notebook 08, each with CS336 assignment 1's signature.

Read in order: `get_batch` (random windows of a token array), `cross_entropy`, `AdamW`,
`get_lr_cosine_schedule` (linear warm-up, cosine decay), `gradient_clipping` (one global L2 norm),
`save_checkpoint` / `load_checkpoint` (atomic, checksummed, `torch.load(weights_only=True)`).
The training loop in `lecture_utils.train.loop` uses exactly these.

CS336 adapters map one to one: run_get_batch -> get_batch, run_cross_entropy -> cross_entropy,
get_adamw_cls -> AdamW, run_get_lr_cosine_schedule -> get_lr_cosine_schedule,
run_gradient_clipping -> gradient_clipping, run_save_checkpoint / run_load_checkpoint ->
save_checkpoint / load_checkpoint.
"""
from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch
from torch import Tensor, nn

from ..files import atomic_path

__all__ = [
    "load_tokens", "get_batch", "cross_entropy", "AdamW", "get_lr_cosine_schedule", "gradient_clipping",
    "save_checkpoint", "load_checkpoint", "read_checkpoint", "unwrap", "NonFiniteError",
]


class NonFiniteError(ValueError):
    """A loss or weight became nan or inf: training diverged."""


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


def get_batch(
    dataset: np.ndarray,
    batch_size: int,
    context_length: int,
    device: str | torch.device = "cpu",
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Sample `batch_size` windows uniformly: x = dataset[i:i+T], y = dataset[i+1:i+T+1], each (B, T) int64.

    `dataset` may be a read-only memory map of a `.npy` file larger than RAM: only the sampled windows are read.
    """
    n = len(dataset)
    if n < context_length + 1:
        raise ValueError(f"need at least context_length + 1 = {context_length + 1} tokens, got {n}")
    starts = torch.randint(0, n - context_length, (batch_size,), generator=generator)  # (B,)
    return token_windows(dataset, starts, context_length, torch.device(device))


def token_windows(tokens: np.ndarray, starts: Tensor, context_length: int, device: torch.device) -> tuple[Tensor, Tensor]:
    """Inputs and next-token targets for the windows beginning at `starts` (B,): two (B, T) int64 tensors."""
    index = starts.numpy()[:, None] + np.arange(context_length + 1)  # (B, T+1)
    window = torch.from_numpy(np.asarray(tokens[index], dtype=np.int64))  # (B, T+1); reads only these pages
    if device.type == "cuda":
        window = window.pin_memory().to(device, non_blocking=True)
    else:
        window = window.to(device)
    return window[:, :-1], window[:, 1:]  # (B, T) inputs, (B, T) targets shifted by one


# ---------------------------------------------------------------------------------------------- the loss


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


def cross_entropy(inputs: Tensor, targets: Tensor) -> Tensor:
    """Mean of -log softmax(inputs)[target] over all positions, computed stably (max subtracted first).

    inputs (..., V) logits, targets (...) ids -> scalar. A hand-written backward avoids autograd's extra
    passes over the (tokens x vocabulary) logits, the largest tensor of a small model.
    """
    vocab = inputs.shape[-1]
    return _CrossEntropy.apply(inputs.float().reshape(-1, vocab), targets.reshape(-1))  # (N, V), (N,)


# ---------------------------------------------------------------------------------------------- the optimizer


class AdamW(torch.optim.Optimizer):
    """Adam with decoupled weight decay (Loshchilov & Hutter, arXiv:1711.05101), step for step as torch.optim.AdamW."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.01):
        ok = all(math.isfinite(v) for v in (lr, eps, weight_decay, *betas))
        if not ok or lr < 0 or eps <= 0 or weight_decay < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"invalid AdamW settings lr={lr}, betas={betas}, eps={eps}, weight_decay={weight_decay}: "
                             "need finite lr >= 0, 0 <= betas < 1, eps > 0, weight_decay >= 0")
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


def get_lr_cosine_schedule(
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
def gradient_clipping(parameters: Iterable[nn.Parameter], max_l2_norm: float, eps: float = 1e-6) -> Tensor:
    """Scale all gradients by min(1, max_l2_norm / (||g|| + eps)), ||g|| over every gradient together.

    Modifies the gradients in place (as CS336's run_gradient_clipping) and returns ||g|| before clipping.
    """
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))  # scalar
    scale = (max_l2_norm / (total + eps)).clamp(max=1.0)  # a tensor: no host sync on GPUs
    for g in grads:
        g.mul_(scale)
    return total


# ---------------------------------------------------------------------------------------------- checkpoints


def unwrap(model: nn.Module) -> nn.Module:
    """The plain model inside DDP and/or torch.compile wrappers."""
    while True:
        if isinstance(model, nn.parallel.DistributedDataParallel):
            model = model.module
        elif hasattr(model, "_orig_mod"):
            model = model._orig_mod
        else:
            return model


def _digest(obj, h) -> None:
    """Feed a checkpoint's contents (tensors byte for byte, containers in order) into the hash `h`."""
    if isinstance(obj, Tensor):
        t = obj.detach().cpu().contiguous().reshape(-1)
        h.update(f"T{t.dtype}{tuple(obj.shape)}".encode())
        h.update(t.view(torch.uint8).numpy())  # the raw bytes, no copy
    elif isinstance(obj, dict):
        h.update(f"D{len(obj)}".encode())
        for key, value in obj.items():  # insertion order survives torch.save / torch.load
            h.update(repr(key).encode())
            _digest(value, h)
    elif isinstance(obj, (list, tuple)):
        h.update(f"L{len(obj)}".encode())
        for value in obj:
            _digest(value, h)
    else:
        h.update(f"V{obj!r}".encode())


def checksum(state: dict) -> str:
    """sha256 of a checkpoint dict without its own 'checksum' entry."""
    h = hashlib.sha256()
    _digest({k: v for k, v in state.items() if k != "checksum"}, h)
    return h.hexdigest()


def _non_finite_weights(state_dict: dict) -> list[str]:
    """Names of floating-point tensors holding nan or inf."""
    return [k for k, v in state_dict.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]


def save_checkpoint(model: nn.Module, optimizer: torch.optim.Optimizer, iteration: int,
                    out: str | os.PathLike | BinaryIO, **extra) -> None:
    """Write model, optimizer, iteration (and `extra`: config, RNG states, ...) with a checksum; a path atomically.

    `out` is a path (a `str` is a path) or a binary file object, as in CS336's run_save_checkpoint.
    Refuses (NonFiniteError) weights holding nan or inf, so a diverged run never replaces a good file.
    """
    state = {"model": unwrap(model).state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration, **extra}
    bad = _non_finite_weights(state["model"])
    if bad:
        raise NonFiniteError(f"not writing checkpoint {out} at iteration {iteration}: weights {bad[:3]} hold nan or inf "
                             "(training diverged); the previous checkpoint is kept")
    state["checksum"] = checksum(state)
    if not isinstance(out, (str, os.PathLike)):  # a file object: the caller owns it
        torch.save(state, out)
        return
    with atomic_path(out) as tmp:  # readers see the old file or the new one, never half a file
        torch.save(state, tmp)


def read_checkpoint(src: str | os.PathLike | BinaryIO, map_location: str | torch.device = "cpu") -> dict:
    """The checkpoint dict, loaded with weights_only=True (tensors and plain containers only) and checksum-verified."""
    if isinstance(src, (str, os.PathLike)):
        src = Path(src)
        if not src.is_file():
            raise FileNotFoundError(f"no checkpoint at {src}")
    try:
        state = torch.load(src, map_location=map_location, weights_only=True)
    except Exception as err:  # a truncated or foreign file: say which and what to do
        raise ValueError(f"{src} is not a readable checkpoint ({err}); delete it or point to another file") from None
    if not isinstance(state, dict) or "checksum" not in state:
        raise ValueError(f"{src} carries no checksum (not written by lecture_utils.train.save_checkpoint); "
                         "point to another file")
    if checksum(state) != state["checksum"]:
        raise ValueError(f"{src} is damaged: its contents do not match the checksum written with it; "
                         "delete it and resume from another copy, or start the run again")
    return state


def load_checkpoint(src: str | os.PathLike | BinaryIO, model: nn.Module, optimizer: torch.optim.Optimizer | None = None) -> int:
    """Restore model (and optimizer) state from `src`; returns the saved iteration."""
    device = next(unwrap(model).parameters()).device
    state = read_checkpoint(src, map_location=device)
    unwrap(model).load_state_dict(state["model"])
    if optimizer is not None:
        optimizer.load_state_dict(state["optimizer"])
    return int(state["iteration"])
