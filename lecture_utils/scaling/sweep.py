"""The real sweep: tiny Transformers trained on the embedded corpus at several compute budgets, on CPU.

``python -m lecture_utils.scaling sweep`` trains the grid and writes a CSV (+ ``.meta.json``) under
``runs/scaling/``; ``--write-committed`` regenerates the committed files in ``lecture_utils/results/``
(columns and setup: ``lecture_utils/results/scaling_sweep.README.md``).

Deliberate simplifications: byte-level tokens (no tokenizer to train, identical everywhere), one learning
rate for every size, one seed per point and one CPU thread per run (so a seed reproduces bit-for-bit);
C = 6·N·D with N = all parameters (Chinchilla's convention); attention-score FLOPs are dropped from C.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data import embedded_corpus, train_val_split
from ..files import atomic_path, write_text_atomic
from ..flops import six_n_d
from ..model import ModelConfig, count_parameters
from .fitting import bootstrap_chinchilla, isoflop_analysis, one_thread

__all__ = [
    "RESULTS_DIR", "SWEEP_CSV", "QUICK_CSV", "FIT_JSON", "RUNS_DIR", "SWEEP_SEED", "CONTEXT", "BATCH", "VOCAB",
    "EVAL_TOKENS", "LR", "SIZES", "FULL_GRID", "QUICK_GRID", "SWEEP_COLUMNS", "SweepRun", "sweep_runs",
    "corpus_tokens", "train_run", "run_sweep", "write_sweep_csv", "read_sweep", "fit_sweep",
]

RESULTS_DIR = Path(__file__).resolve().parent.parent / "results"  # lecture_utils/results: committed files
SWEEP_CSV = RESULTS_DIR / "scaling_sweep.csv"
QUICK_CSV = RESULTS_DIR / "scaling_sweep_quick.csv"
FIT_JSON = RESULTS_DIR / "scaling_sweep_fit.json"
RUNS_DIR = Path("runs") / "scaling"  # where the CLI writes by default (git-ignored), relative to the working folder
SWEEP_SEED = 336
CONTEXT = 64          # tokens per training sequence
BATCH = 8             # sequences per optimizer step (512 tokens): tiny models need steps more than tokens
VOCAB = 256           # byte-level tokens: no tokenizer to train, identical on every machine
EVAL_TOKENS = 16384   # fixed, evenly spaced validation windows for the final eval loss
LR = 1e-2             # peak AdamW learning rate, the same for every size (not tuned per size)

# The model ladder (d_model, n_layers, n_heads, d_ff), about 1.5× apart in parameters (5.1k … 133k with
# the 256-byte vocabulary). d_ff is data, not a formula: the committed runs used SwiGLU's 8/3·d rounded
# UP to a multiple of 16 (e.g. 8 -> 32), while `model.swiglu_hidden_size` now rounds to the nearest.
SIZES = ((8, 1, 1, 32), (12, 1, 2, 32), (16, 1, 2, 48), (24, 1, 2, 64), (24, 2, 2, 64), (32, 2, 2, 96),
         (40, 2, 2, 112), (48, 2, 4, 128), (64, 2, 4, 176))
# Full sweep: 4 budgets × 5 sizes, each budget on the 5 rungs around its expected optimum.
FULL_GRID = {1e10: SIZES[1:6], 2.5e10: SIZES[2:7], 6e10: SIZES[3:8], 1.5e11: SIZES[4:9]}
# Reduced sweep (seconds): 2 budgets × 3 sizes.
QUICK_GRID = {1e9: SIZES[0:3], 3e9: SIZES[0:3]}

SWEEP_COLUMNS = (
    "budget", "d_model", "n_layers", "n_heads", "d_ff", "context_length", "vocab_size", "batch_size",
    "steps", "tokens", "n_params", "n_params_nonembedding", "flops_6nd", "flops_standard",
    "tokens_per_param", "epochs", "lr", "seed", "eval_loss", "seconds",
)


@dataclass(frozen=True)
class SweepRun:
    """One training run of the sweep: a model shape and a compute budget."""

    budget: float
    d_model: int
    n_layers: int
    n_heads: int
    d_ff: int
    seed: int
    lr: float = LR

    def model_config(self) -> ModelConfig:
        """The `lecture_utils.model.ModelConfig` of this run."""
        return ModelConfig(vocab_size=VOCAB, context_length=CONTEXT, d_model=self.d_model,
                           num_layers=self.n_layers, num_heads=self.n_heads, d_ff=self.d_ff)


def sweep_runs(grid: dict, seed: int = SWEEP_SEED) -> list[SweepRun]:
    """The runs of a grid {budget: [(d_model, n_layers, n_heads, d_ff), ...]}, in a fixed order."""
    for sizes in grid.values():
        for size in sizes:
            if len(size) != 4:
                raise ValueError(f"a sweep size is (d_model, n_layers, n_heads, d_ff), got {size!r}")
    return [SweepRun(float(c), d, l, h, f, seed) for c, sizes in sorted(grid.items()) for d, l, h, f in sizes]


_TOKENS: dict[str, np.ndarray] = {}


def corpus_tokens() -> tuple[np.ndarray, np.ndarray]:
    """(train, val) byte tokens (uint8 arrays) of the embedded English + Chinese corpus, made once per process."""
    if not _TOKENS:
        train, val = train_val_split(embedded_corpus("all"))
        for name, text in (("train", train), ("val", val)):
            _TOKENS[name] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)  # (n,)
    return _TOKENS["train"], _TOKENS["val"]


def train_run(run: SweepRun) -> dict:
    """Train one run with `lecture_utils.train.train_model` on one CPU thread; return its CSV row.

    D = C / (6N) is rounded to whole steps of BATCH × CONTEXT tokens; warm-up is 10% of the steps and the
    cosine decay ends at the run's own last step (Chinchilla's point: a schedule longer than the run
    overstates the loss of short runs). One thread makes a seed give the same losses in-process or in a worker.
    """
    from ..train import TrainConfig, train_model  # imported here: training pulls in the whole loop

    with one_thread():
        train, val = corpus_tokens()
        cfg = run.model_config()
        n_params = count_parameters(cfg)
        steps = max(1, round(run.budget / (6 * n_params) / (BATCH * CONTEXT)))
        tcfg = TrainConfig(batch_size=BATCH, max_steps=steps, lr=run.lr, min_lr=run.lr / 10,
                           warmup_steps=max(1, steps // 10), seed=run.seed, eval_tokens=EVAL_TOKENS,
                           log_interval=steps)
        res = train_model(cfg, tcfg, train, val, device="cpu")
        return {
            "budget": run.budget, "d_model": cfg.d_model, "n_layers": cfg.num_layers,
            "n_heads": cfg.num_heads, "d_ff": cfg.d_ff, "context_length": CONTEXT, "vocab_size": VOCAB,
            "batch_size": BATCH, "steps": res.steps, "tokens": res.tokens_seen, "n_params": res.num_params,
            "n_params_nonembedding": res.non_embedding_params,
            "flops_6nd": six_n_d(res.num_params, res.tokens_seen), "flops_standard": res.total_flops,
            "tokens_per_param": res.tokens_seen / res.num_params, "epochs": res.tokens_seen / len(train),
            "lr": run.lr, "seed": run.seed, "eval_loss": res.final_val_loss, "seconds": res.train_time_s,
        }


def run_sweep(grid: dict, seed: int = SWEEP_SEED, jobs: int = 1, progress: bool = False) -> list[dict]:
    """Train every run of `grid` (in `jobs` worker processes, one thread each); rows in grid order."""
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ValueError(f"jobs is the number of worker processes and must be at least 1, got {jobs!r}")
    runs = sweep_runs(grid, seed)
    if jobs <= 1:
        rows = []
        for i, run in enumerate(runs):
            rows.append(train_run(run))
            if progress:
                _report(i + 1, len(runs), rows[-1])
        return rows
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # Largest budgets first so the workers finish together; spawn (not fork) keeps torch threads sane.
    order = sorted(range(len(runs)), key=lambda i: -runs[i].budget)
    rows: list[dict | None] = [None] * len(runs)
    with ProcessPoolExecutor(jobs, mp_context=mp.get_context("spawn")) as pool:
        futures = {pool.submit(train_run, runs[i]): i for i in order}
        try:
            for done, fut in enumerate(as_completed(futures), 1):
                rows[futures[fut]] = fut.result()
                if progress:
                    _report(done, len(runs), rows[futures[fut]])
        except BaseException:  # a failed run or Ctrl-C: report it now, not after training every queued run
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return rows  # type: ignore[return-value]


def _report(done: int, total: int, row: dict) -> None:
    print(f"[{done:2d}/{total}] C={row['budget']:.3g} d={row['d_model']:3d} L={row['n_layers']} "
          f"N={row['n_params']:>7,d} D={row['tokens']:>9,d} eval={row['eval_loss']:.4f} "
          f"({row['seconds']:.1f}s)", flush=True)


def write_sweep_csv(rows: list[dict], path: Path, meta: dict | None = None) -> None:
    """Write rows (SWEEP_COLUMNS) atomically, plus a ``<name>.meta.json`` next to it when meta is given."""
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=SWEEP_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _fmt(row[k]) for k in SWEEP_COLUMNS})
    if meta is not None:
        write_text_atomic(path.with_suffix(".meta.json"), json.dumps(meta, ensure_ascii=False, indent=2) + "\n")


def _fmt(v) -> str:
    """CSV text for a value: 6 significant digits for large floats, 6 decimals for small ones."""
    if isinstance(v, float):
        return f"{v:.6g}" if abs(v) >= 1e4 or v == 0 else f"{v:.6f}"
    return str(v)


def read_sweep(path: Path = SWEEP_CSV):
    """The sweep CSV as a pandas DataFrame, with its columns checked against SWEEP_COLUMNS."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; run `python -m lecture_utils.scaling sweep` to make one "
                                f"(it writes {RUNS_DIR / SWEEP_CSV.name}) and pass it with --csv")
    if path.stat().st_size == 0:
        raise ValueError(f"{path} is empty; regenerate it with `python -m lecture_utils.scaling sweep`")
    df = pd.read_csv(path)
    if tuple(df.columns) != SWEEP_COLUMNS:
        raise ValueError(f"{path} has columns {list(df.columns)}, expected {list(SWEEP_COLUMNS)}; "
                         "regenerate it with `python -m lecture_utils.scaling sweep`")
    return df


def fit_sweep(df, n_boot2: int = 1000, n_boot3: int = 100, seed: int = 0, level: float = 0.8) -> dict:
    """Approach 2 and Approach 3 on a sweep DataFrame: {approach: {name: [estimate, lo, hi]}}."""
    C, N, L, D = (df[k].to_numpy(dtype=float) for k in ("budget", "n_params", "eval_loss", "tokens"))
    a2 = isoflop_analysis(C, N, L, n_boot=n_boot2, seed=seed, level=level)
    a3 = bootstrap_chinchilla(N, D, L, n_boot=n_boot3, seed=seed, level=level)
    est2 = {"a": a2.a.exponent, "b": a2.b.exponent, "alpha_C": -a2.loss_fit.exponent}
    f = a3.law
    est3 = {"E": f.E, "A": f.A, "B": f.B, "alpha": f.alpha, "beta": f.beta, "a": f.a}
    return {
        "level": level, "n_boot": {"approach2": n_boot2, "approach3": n_boot3}, "seed": seed,
        "approach2": {k: [v, *map(float, a2.intervals[k])] for k, v in est2.items()},
        "approach3": {k: [v, *map(float, a3.intervals[k])] for k, v in est3.items()},
    }
