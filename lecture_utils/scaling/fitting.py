"""Fitting scaling laws to runs: IsoFLOP minima, power laws in C, Chinchilla's Approaches 2 and 3, bootstrap.

* Approach 2 (Hoffmann et al. 2022, arXiv:2203.15556, §3.2): a parabola in ln N per IsoFLOP budget, then a
  power law N_opt ∝ C^a through the minima.
* Approach 3 (§3.3, App. D.2): Huber loss with δ = 1e-3 on ln L, L-BFGS from a grid of initialisations,
  log-sum-exp parametrisation.
* Percentile bootstrap intervals for both.

Deliberate simplifications: torch (float64) instead of scipy, which the project does not depend on.
Approach 3 screens Chinchilla's full 4,500-point grid of starting values in one vectorised pass and runs
L-BFGS only from the best few starts; the objective is the *sum* of Huber terms, not the mean (Besiroglu
et al. traced the original fit's early stop to a badly scaled objective). With a handful of tiny runs the
intervals are honest about noise, not about the systematic choices (learning rate, schedule, parameter
counting) that move exponents far more.
"""
from __future__ import annotations

import contextlib
import itertools
import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from .laws import ChinchillaLaw

__all__ = [
    "isoflop_minimum_numeric", "isoflop_parabola", "PowerLawFit", "fit_power_law", "bootstrap",
    "IsoFLOPAnalysis", "isoflop_analysis", "CHINCHILLA_INIT_GRID", "ChinchillaFit", "fit_chinchilla",
    "bootstrap_chinchilla", "one_thread",
]


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
def one_thread():
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
    with one_thread():
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
