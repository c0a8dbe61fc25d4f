"""The training loop, top to bottom: set up, restore a checkpoint if resuming, step, log, evaluate, save.

It uses exactly the building blocks of `components` (get_batch, cross_entropy, AdamW,
get_lr_cosine_schedule, gradient_clipping, save/load of checkpoints). Data parallelism: `batch_size`
is the *global* batch; every process draws the same global batch of windows (one shared seed) and
trains on its own rows, and DDP averages the gradients, so N processes follow the one-process run up
to floating-point rounding.

Runs never lose work: a non-finite loss stops training before the weights are touched (the last good
checkpoint stays); a resume checks the whole config against the checkpoint's (only max_steps may
change without `allow_config_change`, and every change is recorded in log.jsonl); extending max_steps
keeps the learning-rate schedule: the cosine still ends where it ended (the checkpoint's cosine length,
by default its max_steps) and the extra steps run at min_lr. To stretch the cosine instead, set
train.cosine_steps explicitly (a config change).
"""
from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from ..flops import non_embedding_params, training_flops_per_token
from ..model import ModelConfig, TransformerLM, count_parameters, transformer_shape
from .components import (
    AdamW, NonFiniteError, cross_entropy, get_batch, get_lr_cosine_schedule, gradient_clipping, load_tokens,
    token_windows, unwrap,
)
from .config import ConfigError, TrainConfig, model_config as build_model_config
from .distributed import all_mean, rank_and_world, resolve_device
from .outputs import Reporter, RunFolder, config_changes

__all__ = ["TrainResult", "train", "train_model", "evaluate"]

# Not compared on resume: where the tokenizer file sits (the cache folder may move; its content is keyed by data.*)
NOT_COMPARED = ("tokenizer",)


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
    train_time_s: float  # optimizer steps of this call only (no evaluation, no checkpoint writing)
    tokens_per_s: float
    steps_run: int = 0  # optimizer steps taken by this call (0: a resumed run that had already finished)
    history: list[dict] = field(default_factory=list)
    out_dir: Path | None = None
    model: TransformerLM | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        """Numbers only (no model), JSON-ready."""
        out = {k: v for k, v in asdict(self).items() if k not in ("model", "history")}
        out["out_dir"] = None if self.out_dir is None else str(self.out_dir)
        return out


@dataclass
class Progress:
    """Where a run stands: what a checkpoint stores besides the weights and the optimizer."""

    step: int = 0
    history: list[dict] = field(default_factory=list)
    loss_sum: float = 0.0  # training losses since the last log line
    loss_count: int = 0


def train(
    model: TransformerLM | nn.Module,
    config: TrainConfig | dict,
    train_tokens,
    val_tokens,
    *,
    out_dir: str | os.PathLike | None = None,
    resume: bool = False,
    allow_config_change: bool = False,
    progress: bool = False,
    verbose: bool = False,
    log: Callable[[dict], None] | None = None,
    extra_config: dict | None = None,
) -> TrainResult:
    """Train `model` (already on its device) in place; with `out_dir`, checkpoint it there (resumable)."""
    cfg = config if isinstance(config, TrainConfig) else TrainConfig.from_dict(config)
    raw: TransformerLM = unwrap(model)
    train_tokens = checked_tokens(train_tokens, raw.config, "training")
    val_tokens = checked_tokens(val_tokens, raw.config, "validation")
    rank, world = rank_and_world()
    rows = batch_rows(cfg.batch_size, rank, world)  # this process's rows of the global batch
    optimizer = AdamW(param_groups(raw, cfg.weight_decay), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), eps=cfg.eps,
                      weight_decay=cfg.weight_decay)
    batches = torch.Generator().manual_seed(cfg.seed)  # identical on every process: one global batch
    run_config = {"model": raw.config.to_dict(), "train": cfg.to_dict(), **(extra_config or {})}
    folder = None if out_dir is None else RunFolder.open(out_dir, writer=rank == 0)
    try:
        if resume:
            cfg, at = restore(folder, raw, optimizer, batches, run_config, allow_config_change)
        else:
            at = start_fresh(folder, run_config)
        run_config["train"] = cfg.to_dict()
        if at.step >= cfg.max_steps:  # a resumed run that is already finished: nothing to do
            return result(raw, cfg, at, 0, 0.0, folder)
        return run_steps(raw, optimizer, batches, cfg, at, rows, train_tokens, val_tokens, folder, run_config,
                         Reporter(folder, rank, progress, verbose, log, at.step, cfg.max_steps))
    finally:
        if folder is not None:
            folder.close()


def run_steps(raw, optimizer, batches, cfg: TrainConfig, at: Progress, rows: slice, train_tokens, val_tokens,
              folder: RunFolder | None, run_config: dict, report: Reporter) -> TrainResult:
    """The loop proper: from step `at.step` to cfg.max_steps, logging, evaluating and checkpointing."""
    device = next(raw.parameters()).device
    T = raw.config.context_length
    net = wrap(raw, cfg.compile)
    params = [p for p in raw.parameters() if p.requires_grad]
    cosine_steps = cfg.cosine_steps or cfg.max_steps
    step, history = at.step, at.history
    loss_sum, loss_count = at.loss_sum, at.loss_count
    first_step, train_time, interval_time, interval_tokens = step, 0.0, 0.0, 0
    raw.train()
    while step < cfg.max_steps:
        t0 = time.perf_counter()
        lr = get_lr_cosine_schedule(step, cfg.lr, cfg.min_lr, cfg.warmup_steps, cosine_steps)
        for group in optimizer.param_groups:
            group["lr"] = lr
        x, y = get_batch(train_tokens, cfg.batch_size, T, device, batches)  # (B, T) each: the global batch
        x, y = x[rows], y[rows]  # (b, T): this process's rows
        with autocast(device, cfg.precision):
            logits = net(x)  # (b, T, V)
        loss = cross_entropy(logits, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # DDP averages the gradients across processes here
        grad_norm = gradient_clipping(params, cfg.grad_clip) if cfg.grad_clip > 0 else None
        mean_loss = float(all_mean(loss.detach()))  # the same number on every process
        if not math.isfinite(mean_loss):  # stop before the weights are touched
            raise diverged(step + 1, mean_loss, lr, folder, report)
        optimizer.step()
        step += 1
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        elapsed = time.perf_counter() - t0
        train_time, interval_time = train_time + elapsed, interval_time + elapsed
        interval_tokens += cfg.batch_size * T
        loss_sum, loss_count = loss_sum + mean_loss, loss_count + 1
        report.step()

        is_last = step == cfg.max_steps
        record = {"step": step, "tokens": step * cfg.batch_size * T}
        if step % cfg.log_interval == 0 or is_last:
            record.update(train_loss=loss_sum / loss_count, lr=lr, tokens_per_s=interval_tokens / max(interval_time, 1e-9))
            if grad_norm is not None:
                record["grad_norm"] = float(grad_norm)
            loss_sum, loss_count, interval_time, interval_tokens = 0.0, 0, 0.0, 0
        if (cfg.eval_interval and step % cfg.eval_interval == 0) or is_last:
            record["val_loss"] = evaluate(raw, val_tokens, T, rows.stop - rows.start, cfg.eval_tokens, device, cfg.precision)
        if len(record) > 2:
            history.append(record)
            report.record(record)
        if folder is not None and ((cfg.checkpoint_interval and step % cfg.checkpoint_interval == 0) or is_last):
            folder.save_checkpoint(raw, optimizer, step, config=run_config, rng=rng_state(batches), history=history,
                                   loss_sum=loss_sum, loss_count=loss_count)
    report.close()
    if dist.is_initialized():
        dist.barrier()  # no process leaves before the checkpoint is written
    return result(raw, cfg, Progress(step, history), step - first_step, train_time, folder)


# ---------------------------------------------------------------------------------------------- starting


def start_fresh(folder: RunFolder | None, run_config: dict) -> Progress:
    """A new run: refuse to overwrite a run's checkpoint; write config.json and an empty log."""
    if folder is not None:
        if folder.checkpoint.exists():
            raise ValueError(f"{folder.checkpoint} already exists: pass resume=True (--resume) to continue that run, "
                             "or choose another out_dir (--out) so it is not overwritten")
        folder.write_config(run_config)
        folder.write_log([])
    return Progress()


def restore(folder: RunFolder | None, raw: TransformerLM, optimizer: AdamW, batches: torch.Generator,
            run_config: dict, allow_config_change: bool) -> tuple[TrainConfig, Progress]:
    """Load the run's checkpoint; check the config against it; returns the config to continue with."""
    if folder is None:
        raise ValueError("resume=True needs out_dir (the folder holding checkpoint.pt)")
    if not folder.checkpoint.exists():
        raise ValueError(f"nothing to resume: no checkpoint in {folder.path}; drop --resume (resume=False) to start "
                         "a new run there")
    device = next(raw.parameters()).device
    state = folder.read_checkpoint(device)
    saved = state["config"]
    if saved["model"] != raw.config.to_dict():
        changes = config_changes({"model": saved["model"]}, {"model": raw.config.to_dict()})
        raise ValueError(f"{folder.checkpoint} was written for a different model ({_describe(changes)}); "
                         "use another out_dir (--out) or the checkpoint's model config")
    cfg = continued_config(TrainConfig.from_dict(run_config["train"]), TrainConfig.from_dict(saved["train"]))
    step = int(state["iteration"])
    if step > cfg.max_steps:
        raise ConfigError(f"{folder.checkpoint} is at step {step}, past max_steps={cfg.max_steps}; "
                          f"pass --max-steps {step} or more")
    new_config = {**run_config, "train": cfg.to_dict()}
    changes = config_changes({**saved, "train": _effective(saved["train"])}, new_config,
                             ignore=("train.max_steps", *NOT_COMPARED))
    if changes and not allow_config_change:
        raise ConfigError(f"resume: the config differs from the checkpoint's: {_describe(changes)}; pass "
                          "--allow-config-change (allow_config_change=True) to continue with the new values, or "
                          f"drop the changes (the run's settings are in {folder.config})")
    raw.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    set_hyperparameters(optimizer, cfg)  # the loaded state carries the old betas, eps and weight decay
    set_rng_state(state["rng"], batches)
    at = Progress(step, list(state["history"]), float(state["loss_sum"]), int(state["loss_count"]))
    steps_change = config_changes({"train.max_steps": saved["train"]["max_steps"]}, {"train.max_steps": cfg.max_steps})
    if changes or steps_change:  # the record of the run says what changed, and when
        at.history.append({"step": step, "tokens": step * cfg.batch_size * raw.config.context_length,
                           "event": "config_change", "changes": {**steps_change, **changes}})
    folder.write_config(new_config)
    folder.write_log(at.history)  # the records up to the checkpoint, nothing after
    return cfg, at


def _effective(train: dict) -> dict:
    """A saved train config with its cosine length spelled out (None means its max_steps)."""
    return {**train, "cosine_steps": train.get("cosine_steps") or train["max_steps"]}


def continued_config(new: TrainConfig, saved: TrainConfig) -> TrainConfig:
    """The config of a resumed run: the cosine length stays the checkpoint's unless set explicitly."""
    return dataclasses.replace(new, cosine_steps=new.cosine_steps or saved.cosine_steps or saved.max_steps)


def _describe(changes: dict) -> str:
    return ", ".join(f"{k} {old!r} -> {new!r}" for k, (old, new) in changes.items())


def diverged(step: int, loss: float, lr: float, folder: RunFolder | None, report: Reporter) -> NonFiniteError:
    """The error for a non-finite loss (recorded in log.jsonl), naming what is kept and what to try."""
    report.close()
    if folder is None:
        kept = "nothing was saved (no out_dir)"
    elif folder.checkpoint.exists():
        kept = f"the last good checkpoint {folder.checkpoint} is kept"
    else:
        kept = "no checkpoint had been written yet"
    if folder is not None:
        folder.append_log({"step": step, "event": "diverged", "loss": str(loss), "lr": lr})
    return NonFiniteError(f"training diverged at step {step}: the loss is {loss} (lr {lr:.3g}); {kept}. Lower train.lr "
                          "or set train.grad_clip (e.g. 1.0), then resume with --resume --allow-config-change")


# ---------------------------------------------------------------------------------------------- helpers


def checked_tokens(tokens, config: ModelConfig, what: str) -> np.ndarray:
    """The token array, checked: long enough for one window, every id inside the model's vocabulary."""
    tokens = load_tokens(tokens)
    if len(tokens) < config.context_length + 2:
        raise ValueError(f"{what} tokens: {len(tokens)} is too few for context_length={config.context_length}; "
                         "use more text or a shorter context")
    top, bottom = int(tokens.max()), int(tokens.min())
    if top >= config.vocab_size or bottom < 0:
        bad = top if top >= config.vocab_size else bottom  # name the id that is actually out of range
        raise ValueError(f"{what} tokens contain id {bad}, outside the model's vocabulary [0, {config.vocab_size}); "
                         "tokenize with a tokenizer of the model's vocab_size")
    return tokens


def batch_rows(batch_size: int, rank: int, world: int) -> slice:
    """This process's rows of a global batch split evenly over `world` processes."""
    if batch_size % world:
        raise ConfigError(f"train.batch_size={batch_size} (the global batch) must be divisible by the {world} processes; "
                          f"use e.g. batch_size={batch_size - batch_size % world or world}")
    local = batch_size // world
    return slice(rank * local, (rank + 1) * local)


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Decay the matrices (embeddings, projections); leave 1-D norm gains alone."""
    decay = [p for p in model.parameters() if p.requires_grad and p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.ndim < 2]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def set_hyperparameters(optimizer: AdamW, cfg: TrainConfig) -> None:
    """Betas, eps and weight decay of `cfg` in every parameter group (the decay group is the first)."""
    for i, group in enumerate(optimizer.param_groups):
        group.update(betas=(cfg.beta1, cfg.beta2), eps=cfg.eps, weight_decay=cfg.weight_decay if i == 0 else 0.0)


def wrap(raw: nn.Module, compile_model: bool) -> nn.Module:
    """The module the loop calls: compiled if asked, wrapped in DDP when there are several processes."""
    net = torch.compile(raw) if compile_model else raw
    _, world = rank_and_world()
    if world > 1:
        device = next(raw.parameters()).device
        ids = [device.index if device.index is not None else torch.cuda.current_device()] if device.type == "cuda" else None
        net = nn.parallel.DistributedDataParallel(net, device_ids=ids)
    return net


def autocast(device: torch.device, precision: str):
    """bf16 autocast for matmuls, or nothing for fp32."""
    if precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def rng_state(batches: torch.Generator) -> dict:
    """Random-number states a resume needs: torch's, the batch sampler's, CUDA's."""
    state = {"torch": torch.get_rng_state(), "batches": batches.get_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict, batches: torch.Generator) -> None:
    """Restore what `rng_state` saved."""
    torch.set_rng_state(state["torch"].cpu())
    batches.set_state(state["batches"].cpu())
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])


def result(raw: TransformerLM, cfg: TrainConfig, at: Progress, steps_run: int, train_time: float,
           folder: RunFolder | None) -> TrainResult:
    """The TrainResult of a run standing at `at`."""
    raw.eval()
    shape = transformer_shape(raw.config)
    flops_per_token = training_flops_per_token(shape)["total"]
    tokens_seen = at.step * cfg.batch_size * raw.config.context_length
    return TrainResult(
        final_val_loss=next((r["val_loss"] for r in reversed(at.history) if "val_loss" in r), float("nan")),
        final_train_loss=next((r["train_loss"] for r in reversed(at.history) if "train_loss" in r), float("nan")),
        steps=at.step,
        tokens_seen=tokens_seen,
        num_params=count_parameters(raw.config),
        non_embedding_params=non_embedding_params(shape),
        flops_per_token=flops_per_token,
        total_flops=flops_per_token * tokens_seen,
        train_time_s=train_time,
        tokens_per_s=steps_run * cfg.batch_size * raw.config.context_length / train_time if train_time > 0 else 0.0,
        steps_run=steps_run,
        history=at.history,
        out_dir=None if folder is None else folder.path,
        model=raw,
    )


# ---------------------------------------------------------------------------------------------- evaluation


def eval_starts(n_tokens: int, context_length: int, max_tokens: int) -> np.ndarray:
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
    raw = unwrap(model)
    device = next(raw.parameters()).device if device is None else torch.device(device)
    tokens = load_tokens(tokens)
    rank, world = rank_and_world()
    starts = torch.from_numpy(eval_starts(len(tokens), context_length, max_tokens))[rank::world]
    was_training = raw.training
    raw.eval()
    total = torch.zeros(2, dtype=torch.float32 if device.type == "mps" else torch.float64, device=device)  # (sum, count)
    for i in range(0, len(starts), batch_size):
        x, y = token_windows(tokens, starts[i : i + batch_size], context_length, device)  # (b, T) each
        with autocast(device, precision):
            logits = raw(x)  # (b, T, V)
        total[0] += cross_entropy(logits, y).to(total.dtype) * y.numel()
        total[1] += y.numel()
    if world > 1:
        dist.all_reduce(total)
    raw.train(was_training)
    return float(total[0] / total[1])


# ---------------------------------------------------------------------------------------------- one call


def train_model(
    model_config: ModelConfig | dict,
    train_config: TrainConfig | dict,
    train_tokens,
    val_tokens,
    *,
    device: str | torch.device | None = None,
    out_dir: str | os.PathLike | None = None,
    resume: bool = False,
    allow_config_change: bool = False,
    progress: bool = False,
    verbose: bool = False,
    log: Callable[[dict], None] | None = None,
    extra_config: dict | None = None,
) -> TrainResult:
    """Build a `TransformerLM` (initialised from `train_config.seed`) on `device` and `train` it."""
    mcfg = build_model_config(model_config)
    cfg = train_config if isinstance(train_config, TrainConfig) else TrainConfig.from_dict(train_config)
    torch.manual_seed(cfg.seed)  # same initial weights on every process
    model = TransformerLM.from_config(mcfg, device=resolve_device(device))
    return train(model, cfg, train_tokens, val_tokens, out_dir=out_dir, resume=resume,
                 allow_config_change=allow_config_change, progress=progress, verbose=verbose, log=log,
                 extra_config=extra_config)
