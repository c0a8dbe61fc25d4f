"""Scaling laws: the published fits as data, the compute-optimal frontier, fitters, and a real CPU sweep.

Scope
-----
* Kaplan et al. 2020 (arXiv:2001.08361): single-variable power laws L(N), L(D), L(C_min) and the
  joint law L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D.
* Chinchilla (Hoffmann et al. 2022, arXiv:2203.15556): the parametric law L(N, D) = E + A/N^α + B/D^β
  with the paper's rounded constants, the unrounded TeX-source values as quoted by Besiroglu et al.,
  and the Besiroglu et al. 2024 refit (arXiv:2404.10102); the closed-form compute-optimal frontier
  under C ≈ 6ND (Hoffmann eq. 4); IsoFLOP curves and their minima (closed form and numeric).
* Fitters: Chinchilla's Approach 3 (Huber loss with δ = 1e-3 on log L, L-BFGS from a grid of
  initialisations, log-sum-exp parametrisation) and Approach 2 (a parabola per IsoFLOP budget, then a
  power law N_opt ∝ C^a), each with bootstrap confidence intervals.
* A real sweep: ``python -m lecture_utils.scaling sweep [--quick] [--out PATH] [--seed N] [--jobs N]``
  trains a grid of tiny Transformers (``lecture_utils.model``/``train``) at several compute budgets on
  the embedded corpus and writes ``lecture_utils/results/scaling_sweep.csv`` (+ ``.meta.json``);
  ``python -m lecture_utils.scaling fit`` adds the bootstrap fits (``scaling_sweep_fit.json``).
  Columns and setup: ``lecture_utils/results/scaling_sweep.README.md``.

Deliberate simplifications
--------------------------
* C = 6·N·D throughout (Kaplan's and Chinchilla's accounting); attention-score FLOPs are dropped.
* The fitters use torch (float64) instead of scipy, which the project does not depend on. Approach 3
  screens Chinchilla's full 4,500-point grid of starting values in one vectorised pass and runs
  L-BFGS only from the best few starts; the objective is the *sum* of Huber terms, not the mean
  (Besiroglu et al. traced the original fit's early stop to a badly scaled objective).
* The sweep uses byte-level tokens (no tokenizer to train, identical everywhere), one learning rate for
  every size, one seed per point and one CPU thread per run (so a seed reproduces bit-for-bit).
* Bootstrap intervals are percentile intervals; with a handful of tiny runs they are honest about
  noise, not about the systematic choices (learning rate, schedule, parameter counting) that move
  exponents far more.
"""
from __future__ import annotations

import contextlib
import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .flops import PF_DAY, six_n_d  # one source for the FLOP conventions
from .files import atomic_path, write_text_atomic

__all__ = [
    "PF_DAY", "PowerLaw", "KaplanJoint", "ChinchillaLaw", "ModelPoint",
    "KAPLAN_N", "KAPLAN_D", "KAPLAN_C_MIN", "KAPLAN_C_NAIVE", "KAPLAN_ND",
    "HOFFMANN_2022", "HOFFMANN_2022_TEX", "BESIROGLU_2024", "CHINCHILLA_APPROACHES",
    "CHINCHILLA_TABLE3", "chinchilla_table1", "LLAMA3_405B", "LECTURE_EXAMPLE",
    "isoflop_minimum_numeric", "isoflop_parabola", "fit_chinchilla",
    "ChinchillaFit", "bootstrap_chinchilla", "fit_power_law", "PowerLawFit", "bootstrap",
    "isoflop_analysis", "IsoFLOPAnalysis", "training_flops_tokens",
    "SweepRun", "SIZES", "FULL_GRID", "QUICK_GRID", "SWEEP_COLUMNS", "SWEEP_CSV", "QUICK_CSV", "FIT_JSON",
    "sweep_runs", "corpus_tokens", "train_run", "run_sweep", "write_sweep_csv", "read_sweep", "fit_sweep",
]



# ---------------------------------------------------------------------------------------------------
# Published laws as data
# ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PowerLaw:
    """A single-variable power law L(x) = (x_c / x) ** alpha, e.g. Kaplan's L(N)."""

    x_c: float
    alpha: float
    variable: str
    source: str

    def __call__(self, x):
        """Loss at x (scalar or array) in nats/token: ``KAPLAN_N(1e9) -> 2.38``."""
        return (self.x_c / np.asarray(x, dtype=float)) ** self.alpha


@dataclass(frozen=True)
class KaplanJoint:
    """Kaplan's joint law L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D (overfitting-aware)."""

    N_c: float
    D_c: float
    alpha_N: float
    alpha_D: float
    source: str

    def __call__(self, N, D):
        """Loss for N non-embedding parameters trained (with early stopping) on D tokens."""
        N, D = np.asarray(N, dtype=float), np.asarray(D, dtype=float)
        return ((self.N_c / N) ** (self.alpha_N / self.alpha_D) + self.D_c / D) ** self.alpha_D


_KAPLAN = "Kaplan et al. 2020, arXiv:2001.08361"
KAPLAN_N = PowerLaw(8.8e13, 0.076, "N (non-embedding parameters)", f"{_KAPLAN}, eq. (1.1)")
KAPLAN_D = PowerLaw(5.4e13, 0.095, "D (tokens)", f"{_KAPLAN}, eq. (1.2)")
KAPLAN_C_MIN = PowerLaw(3.1e8, 0.050, "C_min (PF-days)", f"{_KAPLAN}, eq. (1.3)")
KAPLAN_C_NAIVE = PowerLaw(1.6e7, 0.057, "C (PF-days, fixed batch)", f"{_KAPLAN}, naive L(C)")
KAPLAN_ND = KaplanJoint(6.4e13, 1.8e13, 0.076, 0.103, f"{_KAPLAN}, eq. (1.5) with Table 2 refit")


@dataclass(frozen=True)
class ChinchillaLaw:
    """Chinchilla's parametric law L(N, D) = E + A/N^α + B/D^β and its compute-optimal frontier."""

    E: float
    A: float
    B: float
    alpha: float
    beta: float
    name: str = "custom"
    source: str = ""

    def loss(self, N, D):
        """Predicted loss (nats/token) for N parameters trained on D tokens."""
        N, D = np.asarray(N, dtype=float), np.asarray(D, dtype=float)
        return self.E + self.A / N**self.alpha + self.B / D**self.beta

    @property
    def a(self) -> float:
        """Exponent of N_opt ∝ C^a: a = β/(α+β) (Hoffmann eq. 4)."""
        return self.beta / (self.alpha + self.beta)

    @property
    def b(self) -> float:
        """Exponent of D_opt ∝ C^b: b = α/(α+β)."""
        return self.alpha / (self.alpha + self.beta)

    @property
    def G(self) -> float:
        """G = (αA/(βB))^(1/(α+β)), the prefactor of eq. 4."""
        return (self.alpha * self.A / (self.beta * self.B)) ** (1.0 / (self.alpha + self.beta))

    def optimal(self, C):
        """Closed-form frontier under C = 6ND: (N_opt, D_opt) = (G·(C/6)^a, G⁻¹·(C/6)^b)."""
        C = np.asarray(C, dtype=float)
        return self.G * (C / 6) ** self.a, (C / 6) ** self.b / self.G

    def optimal_loss(self, C):
        """Loss on the frontier, L(N_opt(C), D_opt(C))."""
        return self.loss(*self.optimal(C))

    def tokens_per_param(self, C):
        """D_opt / N_opt at budget C; a constant only when α = β."""
        N, D = self.optimal(C)
        return D / N

    def isoflop(self, C: float, N):
        """The IsoFLOP curve: loss of each model size N when all of C = 6ND goes to it."""
        N = np.asarray(N, dtype=float)
        return self.loss(N, training_flops_tokens(C, N))


def training_flops_tokens(C, N):
    """Tokens D = C / (6N) that budget C buys for a model of N parameters."""
    return np.asarray(C, dtype=float) / (6.0 * np.asarray(N, dtype=float))


_HOFFMANN = "Hoffmann et al. 2022, arXiv:2203.15556"
HOFFMANN_2022 = ChinchillaLaw(
    1.69, 406.4, 410.7, 0.34, 0.28, "Hoffmann 2022 (rounded)",
    f"{_HOFFMANN}, eq. (10) / App. D.2, as printed (rounded)")
HOFFMANN_2022_TEX = ChinchillaLaw(
    1.6934, 406.4, 410.7, 0.3392, 0.2849, "Hoffmann 2022 (TeX source)",
    "unrounded values in the TeX source of arXiv:2203.15556, as quoted by Besiroglu et al. 2024 "
    "(arXiv:2404.10102); not read from the TeX here")
BESIROGLU_2024 = ChinchillaLaw(
    1.8172, 482.01, 2085.43, 0.3478, 0.3658, "Besiroglu 2024 (refit)",
    "Besiroglu, Erdil, Barnett & You 2024, arXiv:2404.10102, refit of Approach 3 on data "
    "reconstructed from Hoffmann's Fig. 4 (values as quoted consistently by secondary sources)")

# Hoffmann et al. Table 2: N_opt ∝ C^a, D_opt ∝ C^b by approach (Kaplan's allocation for comparison).
CHINCHILLA_APPROACHES = {
    "1. 训练曲线包络 (training-curve envelope)": (0.50, 0.50),
    "2. IsoFLOP 剖面 (IsoFLOP profiles)": (0.49, 0.51),
    "3. 参数化拟合 (parametric fit)": (0.46, 0.54),
    "Kaplan et al. 2020": (0.73, 0.27),
}


@dataclass(frozen=True)
class ModelPoint:
    """A trained model on the N–D plane: parameters, training tokens and where the numbers come from."""

    name: str
    params: float
    tokens: float
    source: str

    @property
    def tokens_per_param(self) -> float:
        """D / N."""
        return self.tokens / self.params

    @property
    def flops(self) -> float:
        """C ≈ 6ND."""
        return six_n_d(self.params, self.tokens)


def chinchilla_table1() -> list[ModelPoint]:
    """Hoffmann et al. Table 1 ("current LLMs") plus Chinchilla itself, from ``lecture_utils/facts``."""
    from .facts import load_chinchilla_table1

    return [ModelPoint(r.model, r.params, r.tokens, f"{_HOFFMANN}, Table 1") for r in load_chinchilla_table1()]


LLAMA3_405B = ModelPoint("Llama 3 405B", 405e9, 15.6e12, "Dubey et al. 2024, arXiv:2407.21783 (15.6T tokens)")
LECTURE_EXAMPLE = ModelPoint("讲义示例 1.4B", 1.4e9, 28e9, "CS336 Lecture 1: D* = 20 N*, 1.4B → 28B tokens")

# Hoffmann et al. Table 3 (Approach 1 projections): (params, FLOPs, tokens).
CHINCHILLA_TABLE3 = (
    (400e6, 1.92e19, 8.0e9), (1e9, 1.21e20, 20.2e9), (10e9, 1.23e22, 205.1e9),
    (67e9, 5.76e23, 1.5e12), (175e9, 3.85e24, 3.7e12), (280e9, 9.90e24, 5.9e12),
    (520e9, 3.43e25, 11.0e12), (1e12, 1.27e26, 21.2e12), (10e12, 1.30e28, 216.2e12),
)


# ---------------------------------------------------------------------------------------------------
# IsoFLOP minima: numeric (to check the closed form) and from data (Approach 2)
# ---------------------------------------------------------------------------------------------------
def isoflop_minimum_numeric(loss_at_N: Callable[[float], float], lo: float, hi: float,
                            tol: float = 1e-10) -> float:
    """Minimise a unimodal loss over N in [lo, hi] by golden-section search on log N; return N_min."""
    if not 0 < lo < hi:
        raise ValueError(f"need 0 < lo < hi, got lo={lo}, hi={hi}")
    invphi = (math.sqrt(5) - 1) / 2
    a, b = math.log(lo), math.log(hi)
    c, d = b - invphi * (b - a), a + invphi * (b - a)
    fc, fd = loss_at_N(math.exp(c)), loss_at_N(math.exp(d))
    while b - a > tol:
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - invphi * (b - a)
            fc = loss_at_N(math.exp(c))
        else:
            a, c, fc = c, d, fd
            d = a + invphi * (b - a)
            fd = loss_at_N(math.exp(d))
    return math.exp((a + b) / 2)


def isoflop_parabola(N: Sequence[float], L: Sequence[float]) -> tuple[float, float, np.ndarray]:
    """Fit L = c2·x² + c1·x + c0 with x = ln N; return (N_opt, L_opt, coeffs). Needs ≥ 3 distinct N."""
    x, y = np.log(np.asarray(N, dtype=float)), np.asarray(L, dtype=float)
    if len(np.unique(x)) < 3:
        raise ValueError("an IsoFLOP parabola needs at least 3 distinct model sizes")
    c2, c1, c0 = np.polyfit(x, y, 2)
    if c2 <= 0:
        raise ValueError("the IsoFLOP points curve downwards (no minimum); widen the size grid")
    x_opt = -c1 / (2 * c2)
    return float(math.exp(x_opt)), float(c0 - c1**2 / (4 * c2)), np.array([c2, c1, c0])


# ---------------------------------------------------------------------------------------------------
# Power laws in C (OLS in log-log space)
# ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PowerLawFit:
    """y = coef · x^exponent, fitted by least squares on (ln x, ln y)."""

    coef: float
    exponent: float

    def __call__(self, x):
        """Predicted y at x."""
        return self.coef * np.asarray(x, dtype=float) ** self.exponent


def fit_power_law(x: Sequence[float], y: Sequence[float]) -> PowerLawFit:
    """Least squares on logs: ``fit_power_law([1, 10, 100], [2, 20, 200]) -> PowerLawFit(2.0, 1.0)``."""
    lx, ly = np.log(np.asarray(x, dtype=float)), np.log(np.asarray(y, dtype=float))
    if len(lx) < 2 or np.ptp(lx) == 0:
        raise ValueError("a power-law fit needs at least 2 distinct x values")
    slope, intercept = np.polyfit(lx, ly, 1)
    return PowerLawFit(float(math.exp(intercept)), float(slope))


def bootstrap(statistic: Callable[[np.ndarray], np.ndarray], n_items: int, n_boot: int = 1000,
              seed: int = 0, level: float = 0.8, groups: np.ndarray | None = None):
    """Percentile bootstrap: resample item indices (within each group if given), apply `statistic`.

    Returns (lower, upper, samples) with samples of shape (n_ok, k); resamples where `statistic`
    raises ValueError (e.g. a degenerate parabola) are dropped.
    """
    rng = np.random.default_rng(seed)
    groups = np.zeros(n_items, dtype=int) if groups is None else np.asarray(groups)
    members = [np.flatnonzero(groups == g) for g in np.unique(groups)]
    samples = []
    for _ in range(n_boot):
        idx = np.concatenate([rng.choice(m, size=len(m), replace=True) for m in members])
        try:
            samples.append(np.atleast_1d(np.asarray(statistic(np.sort(idx)), dtype=float)))
        except ValueError:
            continue
    if not samples:
        raise ValueError("every bootstrap resample failed; the data cannot support this statistic")
    samples = np.stack(samples)  # (n_ok, k)
    tail = (1 - level) / 2 * 100
    return np.percentile(samples, tail, axis=0), np.percentile(samples, 100 - tail, axis=0), samples


# ---------------------------------------------------------------------------------------------------
# Approach 2 on a sweep: parabola per budget, then power laws in C
# ---------------------------------------------------------------------------------------------------
@dataclass
class IsoFLOPAnalysis:
    """Approach 2 on a sweep: per-budget minima and the fitted exponents N_opt ∝ C^a, D_opt ∝ C^b."""

    budgets: np.ndarray        # (K,) compute budgets C
    N_opt: np.ndarray          # (K,) parabola minima
    L_opt: np.ndarray          # (K,) loss at the minima
    a: PowerLawFit             # N_opt = coef · C^a
    b: PowerLawFit             # D_opt = coef · C^b
    loss_fit: PowerLawFit      # L_opt = coef · C^(-alpha_C), a pure power law as in the seed note
    intervals: dict = field(default_factory=dict)  # name -> (lo, hi)

    @property
    def D_opt(self) -> np.ndarray:
        """Tokens at the minima, D = C / (6 N_opt)."""
        return self.budgets / (6 * self.N_opt)


def _approach2(C: np.ndarray, N: np.ndarray, L: np.ndarray):
    """Parabola minimum per budget, then power laws in C for N_opt, D_opt and L_opt."""
    budgets = np.unique(C)
    mins = [isoflop_parabola(N[C == c], L[C == c])[:2] for c in budgets]
    N_opt, L_opt = np.array([m[0] for m in mins]), np.array([m[1] for m in mins])
    return budgets, N_opt, L_opt, fit_power_law(budgets, N_opt), fit_power_law(budgets, budgets / (6 * N_opt)), \
        fit_power_law(budgets, L_opt)


def isoflop_analysis(C, N, L, n_boot: int = 500, seed: int = 0, level: float = 0.8) -> IsoFLOPAnalysis:
    """Chinchilla's Approach 2 on sweep rows (C, N, L), with bootstrap intervals (runs resampled per budget)."""
    C, N, L = (np.asarray(v, dtype=float) for v in (C, N, L))
    budgets, N_opt, L_opt, a, b, lf = _approach2(C, N, L)
    if len(budgets) < 2:
        raise ValueError("Approach 2 needs at least 2 compute budgets")

    def stat(idx):
        *_, a_, b_, l_ = _approach2(C[idx], N[idx], L[idx])
        return [a_.exponent, b_.exponent, -l_.exponent]

    lo, hi, _ = bootstrap(stat, len(C), n_boot=n_boot, seed=seed, level=level, groups=C)
    intervals = {"a": (lo[0], hi[0]), "b": (lo[1], hi[1]), "alpha_C": (lo[2], hi[2])}
    return IsoFLOPAnalysis(budgets, N_opt, L_opt, a, b, lf, intervals)


# ---------------------------------------------------------------------------------------------------
# Approach 3: parametric fit with Huber loss on log L, L-BFGS, grid of initialisations
# ---------------------------------------------------------------------------------------------------
# Chinchilla App. D.2 grid: α, β ∈ {0, 0.5, …, 2}, e ∈ {-1, -0.5, …, 1}, a, b ∈ {0, 5, …, 25}.
CHINCHILLA_INIT_GRID = {
    "alpha": np.arange(0.0, 2.01, 0.5), "beta": np.arange(0.0, 2.01, 0.5),
    "e": np.arange(-1.0, 1.01, 0.5), "a": np.arange(0.0, 25.1, 5.0), "b": np.arange(0.0, 25.1, 5.0),
}


@dataclass(frozen=True)
class ChinchillaFit:
    """Result of an Approach-3 fit: the law, the objective at the optimum and optional intervals."""

    law: ChinchillaLaw
    objective: float
    intervals: dict = field(default_factory=dict)  # name -> (lo, hi)


@contextlib.contextmanager
def _one_thread():
    """Run torch on one thread inside the block: tiny tensors gain nothing from more, and results stay reproducible."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _log_pred(theta, logN, logD):
    """ln L̂ = LSE(a − α ln N, b − β ln D, e), i.e. L̂ = e^a/N^α + e^b/D^β + e^e. theta: (..., 5)."""
    import torch

    a, b, e, alpha, beta = theta.unbind(-1)                                # each (...,)
    terms = torch.stack([a[..., None] - alpha[..., None] * logN,
                         b[..., None] - beta[..., None] * logD,
                         e[..., None].expand(*e.shape, logN.shape[-1])], dim=-1)  # (..., n, 3)
    return torch.logsumexp(terms, dim=-1)                                  # (..., n)


def _huber(r, delta: float):
    import torch

    ar = r.abs()
    return torch.where(ar <= delta, 0.5 * r**2, delta * (ar - 0.5 * delta))


def fit_chinchilla(N, D, L, delta: float = 1e-3, n_starts: int = 4,
                   init_grid: dict | None = None, weights=None, max_iter: int = 200) -> ChinchillaFit:
    """Approach 3: minimise Σ Huber_δ(ln L̂(N,D) − ln L) with L-BFGS from the best grid starts.

    Every point of `init_grid` (Chinchilla's 4,500 by default) is scored in one vectorised pass; L-BFGS
    then runs from the `n_starts` best, and the lowest final objective wins. `weights` (one per row)
    lets the bootstrap reuse this function with resampling counts.
    """
    with _one_thread():
        return _fit_chinchilla(N, D, L, delta, n_starts, init_grid, weights, max_iter)


def _fit_chinchilla(N, D, L, delta, n_starts, init_grid, weights, max_iter) -> ChinchillaFit:
    import torch

    N, D, L = (np.asarray(v, dtype=float) for v in (N, D, L))
    if not (N.shape == D.shape == L.shape) or N.ndim != 1 or len(N) < 5:
        raise ValueError("fit_chinchilla needs 1-D arrays N, D, L of equal length ≥ 5 (5 parameters)")
    if np.any(N <= 0) or np.any(D <= 0) or np.any(L <= 0):
        raise ValueError("N, D and L must all be positive")
    logN, logD, logL = (torch.tensor(np.log(v), dtype=torch.float64) for v in (N, D, L))
    w = torch.ones_like(logL) if weights is None else torch.as_tensor(weights, dtype=torch.float64)

    grid = init_grid or CHINCHILLA_INIT_GRID
    starts = torch.tensor(list(itertools.product(grid["a"], grid["b"], grid["e"], grid["alpha"], grid["beta"])),
                          dtype=torch.float64)                              # (G, 5) in (a, b, e, α, β) order
    with torch.no_grad():
        scores = (_huber(_log_pred(starts, logN, logD) - logL, delta) * w).sum(-1)  # (G,)
    order = torch.argsort(scores)[: max(1, n_starts)]

    best_theta, best_obj = None, math.inf
    for theta0 in starts[order]:
        theta = theta0.clone().requires_grad_(True)
        opt = torch.optim.LBFGS([theta], lr=1.0, max_iter=max_iter, tolerance_grad=1e-12,
                                tolerance_change=1e-15, history_size=20, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            obj = (_huber(_log_pred(theta, logN, logD) - logL, delta) * w).sum()
            obj.backward()
            return obj

        opt.step(closure)
        with torch.no_grad():
            obj = float((_huber(_log_pred(theta, logN, logD) - logL, delta) * w).sum())
        if math.isfinite(obj) and obj < best_obj:
            best_obj, best_theta = obj, theta.detach().clone()
    if best_theta is None:
        raise ValueError("every L-BFGS start diverged; check that the losses are in nats and positive")
    a, b, e, alpha, beta = (float(v) for v in best_theta)
    law = ChinchillaLaw(math.exp(e), math.exp(a), math.exp(b), alpha, beta, "fit",
                        "Approach 3 fit (Huber δ=%g on ln L, L-BFGS)" % delta)
    return ChinchillaFit(law, best_obj)


def bootstrap_chinchilla(N, D, L, n_boot: int = 100, seed: int = 0, level: float = 0.8,
                         delta: float = 1e-3, max_iter: int = 100) -> ChinchillaFit:
    """Approach 3 with percentile intervals for (E, A, B, α, β, a): runs resampled with replacement.

    Each resample runs L-BFGS twice, from the full-data optimum (a warm start) and from the best grid point.
    """
    N, D, L = (np.asarray(v, dtype=float) for v in (N, D, L))
    full = fit_chinchilla(N, D, L, delta=delta)
    f = full.law
    warm = {"a": [math.log(f.A)], "b": [math.log(f.B)], "e": [math.log(f.E)],
            "alpha": [f.alpha], "beta": [f.beta]}

    def stat(idx):
        counts = np.bincount(idx, minlength=len(N))
        fits = [fit_chinchilla(N, D, L, delta=delta, weights=counts, init_grid=grid, n_starts=1, max_iter=max_iter)
                for grid in (warm, None)]
        g = min(fits, key=lambda r: r.objective).law
        return [g.E, g.A, g.B, g.alpha, g.beta, g.a]

    lo, hi, _ = bootstrap(stat, len(N), n_boot=n_boot, seed=seed, level=level)
    names = ["E", "A", "B", "alpha", "beta", "a"]
    return ChinchillaFit(f, full.objective, {k: (lo[i], hi[i]) for i, k in enumerate(names)})


# ---------------------------------------------------------------------------------------------------
# A real sweep: tiny Transformers on the embedded corpus, on CPU
# ---------------------------------------------------------------------------------------------------
RESULTS_DIR = Path(__file__).resolve().parent / "results"
SWEEP_CSV = RESULTS_DIR / "scaling_sweep.csv"
QUICK_CSV = RESULTS_DIR / "scaling_sweep_quick.csv"
FIT_JSON = RESULTS_DIR / "scaling_sweep_fit.json"
SWEEP_SEED = 336
CONTEXT = 64          # tokens per training sequence
BATCH = 8             # sequences per optimizer step (512 tokens): tiny models need steps more than tokens
VOCAB = 256           # byte-level tokens: no tokenizer to train, identical on every machine
EVAL_TOKENS = 16384   # fixed, evenly spaced validation windows for the final eval loss
LR = 1e-2             # peak AdamW learning rate, the same for every size (not tuned per size)

# The model ladder (d_model, n_layers, n_heads), about 1.5× apart in parameters (5.1k … 133k with the
# 256-byte vocabulary); d_ff = SwiGLU's 8/3·d rounded up to a multiple of 16.
SIZES = ((8, 1, 1), (12, 1, 2), (16, 1, 2), (24, 1, 2), (24, 2, 2), (32, 2, 2), (40, 2, 2),
         (48, 2, 4), (64, 2, 4))
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
    seed: int
    lr: float = LR

    def model_config(self):
        """The `lecture_utils.model.ModelConfig` of this run."""
        from .model import ModelConfig, swiglu_hidden_size

        return ModelConfig(vocab_size=VOCAB, context_length=CONTEXT, d_model=self.d_model,
                           num_layers=self.n_layers, num_heads=self.n_heads,
                           d_ff=swiglu_hidden_size(self.d_model, 16))


def sweep_runs(grid: dict, seed: int = SWEEP_SEED) -> list[SweepRun]:
    """The runs of a grid {budget: [(d_model, n_layers, n_heads), ...]}, in a fixed order."""
    return [SweepRun(float(c), d, l, h, seed) for c, sizes in sorted(grid.items()) for d, l, h in sizes]


_TOKENS: dict[str, np.ndarray] = {}


def corpus_tokens() -> tuple[np.ndarray, np.ndarray]:
    """(train, val) byte tokens (uint8 arrays) of the embedded English + Chinese corpus, made once per process."""
    from .data import embedded_corpus, train_val_split

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
    from .train import TrainConfig, train_model

    with _one_thread():
        train, val = corpus_tokens()
        cfg = run.model_config()
        n_params = _count_params(cfg)
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


def _count_params(cfg) -> int:
    """Total parameters of a `ModelConfig`, from the shape (no model built)."""
    from .flops import param_count
    from .model import transformer_shape

    return param_count(transformer_shape(cfg))


def run_sweep(grid: dict, seed: int = SWEEP_SEED, jobs: int = 1, progress: bool = False) -> list[dict]:
    """Train every run of `grid` (in `jobs` worker processes, one thread each); rows in grid order."""
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
    import csv
    import json

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
        raise FileNotFoundError(f"{path} is missing; run `python -m lecture_utils.scaling sweep` to make it")
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


def main(argv: list[str] | None = None) -> None:
    """CLI: ``python -m lecture_utils.scaling sweep [--quick] [--out PATH] [--seed N] [--jobs N]``."""
    import argparse
    import platform
    import time

    import torch

    parser = argparse.ArgumentParser(prog="python -m lecture_utils.scaling",
                                     description="Run the CPU scaling sweep and write its CSV.")
    sub = parser.add_subparsers(dest="command", required=True)
    sw = sub.add_parser("sweep", help="train the grid of tiny models and write the CSV")
    sw.add_argument("--quick", action="store_true", help="the reduced grid (seconds) instead of the full one")
    sw.add_argument("--out", type=Path, default=None, help="CSV path (default: the committed results file)")
    sw.add_argument("--seed", type=int, default=SWEEP_SEED)
    sw.add_argument("--jobs", type=int, default=1, help="worker processes (one thread each); results do not depend on it")
    ft = sub.add_parser("fit", help="fit Approaches 2 and 3 (with bootstrap intervals) to the sweep CSV")
    ft.add_argument("--csv", type=Path, default=SWEEP_CSV)
    ft.add_argument("--out", type=Path, default=FIT_JSON)
    args = parser.parse_args(argv)

    if args.command == "fit":
        import json
        torch.set_num_threads(1)
        result = fit_sweep(read_sweep(args.csv))
        result["command"] = "python -m lecture_utils.scaling fit"
        write_text_atomic(args.out, json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2))
        return

    grid = QUICK_GRID if args.quick else FULL_GRID
    out = args.out or (QUICK_CSV if args.quick else SWEEP_CSV)
    start = time.perf_counter()
    rows = run_sweep(grid, seed=args.seed, jobs=args.jobs, progress=True)
    wall = time.perf_counter() - start
    command = "python -m lecture_utils.scaling sweep" + (" --quick" if args.quick else "") + f" --seed {args.seed}"
    meta = {
        "command": command, "seed": args.seed, "grid": {f"{c:.3g}": [list(s) for s in v] for c, v in sorted(grid.items())},
        "jobs": args.jobs, "threads_per_run": 1, "wall_seconds": round(wall, 1), "torch": torch.__version__,
        "python": platform.python_version(), "machine": platform.machine(),
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "notes": "byte-level tokens of the embedded English+Chinese corpus; eval_loss in nats/byte on "
                 f"{EVAL_TOKENS} fixed validation tokens; C = 6·N·D with N = all parameters",
    }
    write_sweep_csv(rows, out, meta)
    print(f"wrote {len(rows)} runs to {out} in {wall:.0f} s")


if __name__ == "__main__":
    main()
