"""Training a `lecture_utils.model.TransformerLM`: building blocks, the loop, and a command.

Modules, in reading order:

- `components`: the building blocks of notebook 08 with CS336's signatures: `get_batch`,
  `cross_entropy`, `AdamW`, `get_lr_cosine_schedule`, `gradient_clipping`, `save_checkpoint` /
  `load_checkpoint` (atomic, checksummed);
- `config`: `TrainConfig`, `DataConfig` and the presets in lecture_utils/configs/, validated in one place;
- `loop`: `train` (a model you built) and `train_model` (from configs), readable top to bottom;
- `outputs`: the output folder (lock, config.json, log.jsonl, checkpoint.pt) and progress lines;
- `distributed`: devices and the torchrun process group;
- `__main__`: ``python -m lecture_utils.train``. Corpus preparation lives in `lecture_utils.data.prepare`.

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

Given the same seed, a run is reproducible on one machine, and a run stopped at a checkpoint and
resumed (`resume=True`) ends bit-for-bit where an uninterrupted run ends. The command::

    python -m lecture_utils.train --config tiny                  # a preset in lecture_utils/configs/
    python -m lecture_utils.train --config my.json --corpus path/to/text.txt --out runs/mine
    python -m lecture_utils.train --config tiny --set train.max_steps=500 model.d_model=128
    python -m lecture_utils.train --config tiny --resume --max-steps 80     # train a finished run longer
    torchrun --nproc_per_node=2 -m lecture_utils.train --config tiny     # data-parallel (DDP)

Deliberate simplifications: no gradient accumulation, no dropout, weight decay only on matrices
(not on the RMSNorm gains), evaluation on a fixed set of evenly spaced validation windows, one
"latest" checkpoint per run, bf16 autocast as the only mixed-precision mode.
"""
from __future__ import annotations

from ..data import ENDOFTEXT
from ..data.prepare import prepare_corpus
from .components import (
    AdamW,
    NonFiniteError,
    cross_entropy,
    get_batch,
    get_lr_cosine_schedule,
    gradient_clipping,
    load_checkpoint,
    load_tokens,
    read_checkpoint,
    save_checkpoint,
)
from .config import ConfigError, DataConfig, TrainConfig, apply_overrides, list_presets, load_preset
from .distributed import resolve_device
from .loop import TrainResult, evaluate, train, train_model
from .outputs import RunFolderBusy

# Earlier names, kept while notebooks, benchmarks and tests move to the CS336 ones above.
lr_cosine_schedule = get_lr_cosine_schedule
clip_grad_norm = gradient_clipping

__all__ = [
    "TrainConfig", "DataConfig", "TrainResult", "ConfigError", "NonFiniteError", "RunFolderBusy",
    "load_tokens", "get_batch", "cross_entropy", "AdamW", "get_lr_cosine_schedule", "gradient_clipping",
    "save_checkpoint", "load_checkpoint", "read_checkpoint", "resolve_device", "evaluate", "train", "train_model",
    "load_preset", "list_presets", "apply_overrides", "prepare_corpus", "main", "ENDOFTEXT",
    "lr_cosine_schedule", "clip_grad_norm",
]


def main(argv: list[str] | None = None):
    """`python -m lecture_utils.train` as a function (errors raise; the command prints them as one line)."""
    from .__main__ import main as command

    return command(argv)
