"""Scaling laws: published fits as data, the compute-optimal frontier, fitters, and a real CPU sweep.

Read in this order:

* `laws`: Kaplan et al. 2020 and Chinchilla (Hoffmann et al. 2022, Besiroglu et al. 2024 refit), with
  constants read from `lecture_utils/facts/*.csv` (each with a ``.source.md`` note);
* `fitting`: IsoFLOP minima, power laws in C, Chinchilla's Approaches 2 and 3, bootstrap intervals;
* `sweep`: tiny Transformers trained at several compute budgets on CPU, and the CSV they write;
* `__main__`: the CLI, ``python -m lecture_utils.scaling sweep|fit`` (writes to ``runs/scaling/`` unless
  ``--write-committed`` is given).

Every name below is importable as ``lecture_utils.scaling.<name>`` (notebook 09 uses ``sc.<name>``).
"""
from __future__ import annotations

from ..flops import PF_DAY
from .fitting import (CHINCHILLA_INIT_GRID, ChinchillaFit, IsoFLOPAnalysis, PowerLawFit, bootstrap,
                      bootstrap_chinchilla, fit_chinchilla, fit_power_law, isoflop_analysis,
                      isoflop_minimum_numeric, isoflop_parabola)
from .laws import (BESIROGLU_2024, CHINCHILLA_APPROACHES, CHINCHILLA_TABLE3, HOFFMANN_2022, HOFFMANN_2022_TEX,
                   KAPLAN_C_MIN, KAPLAN_C_NAIVE, KAPLAN_D, KAPLAN_N, KAPLAN_ND, LECTURE_EXAMPLE, LLAMA3_405B,
                   ChinchillaLaw, KaplanJoint, ModelPoint, PowerLaw, chinchilla_table1, training_flops_tokens)
from .sweep import (BATCH, CONTEXT, EVAL_TOKENS, FIT_JSON, FULL_GRID, LR, QUICK_CSV, QUICK_GRID, RESULTS_DIR,
                    RUNS_DIR, SIZES, SWEEP_COLUMNS, SWEEP_CSV, SWEEP_SEED, VOCAB, SweepRun, corpus_tokens,
                    fit_sweep, read_sweep, run_sweep, sweep_runs, train_run, write_sweep_csv)

__all__ = [
    "PF_DAY", "PowerLaw", "KaplanJoint", "ChinchillaLaw", "ModelPoint",
    "KAPLAN_N", "KAPLAN_D", "KAPLAN_C_MIN", "KAPLAN_C_NAIVE", "KAPLAN_ND",
    "HOFFMANN_2022", "HOFFMANN_2022_TEX", "BESIROGLU_2024", "CHINCHILLA_APPROACHES",
    "CHINCHILLA_TABLE3", "chinchilla_table1", "LLAMA3_405B", "LECTURE_EXAMPLE",
    "isoflop_minimum_numeric", "isoflop_parabola", "fit_chinchilla", "CHINCHILLA_INIT_GRID",
    "ChinchillaFit", "bootstrap_chinchilla", "fit_power_law", "PowerLawFit", "bootstrap",
    "isoflop_analysis", "IsoFLOPAnalysis", "training_flops_tokens",
    "SweepRun", "SIZES", "FULL_GRID", "QUICK_GRID", "SWEEP_COLUMNS", "SWEEP_CSV", "QUICK_CSV", "FIT_JSON",
    "RESULTS_DIR", "RUNS_DIR", "SWEEP_SEED", "CONTEXT", "BATCH", "VOCAB", "EVAL_TOKENS", "LR",
    "sweep_runs", "corpus_tokens", "train_run", "run_sweep", "write_sweep_csv", "read_sweep", "fit_sweep",
]
