"""Published scaling laws, with their constants read from `lecture_utils/facts` (each CSV has its source note).

* Kaplan et al. 2020 (arXiv:2001.08361): single-variable power laws L(N), L(D), L(C_min) and the
  joint law L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D.
* Chinchilla (Hoffmann et al. 2022, arXiv:2203.15556): the parametric law L(N, D) = E + A/N^α + B/D^β
  with the paper's rounded constants, the unrounded TeX-source values as quoted by Besiroglu et al.,
  and the Besiroglu et al. 2024 refit (arXiv:2404.10102); the closed-form compute-optimal frontier
  under C ≈ 6ND (Hoffmann eq. 4); IsoFLOP curves; Table 2 exponents and Table 3 projections.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import facts
from ..flops import six_n_d  # one source for the FLOP conventions

__all__ = [
    "PowerLaw", "KaplanJoint", "ChinchillaLaw", "ModelPoint", "training_flops_tokens",
    "KAPLAN_N", "KAPLAN_D", "KAPLAN_C_MIN", "KAPLAN_C_NAIVE", "KAPLAN_ND",
    "HOFFMANN_2022", "HOFFMANN_2022_TEX", "BESIROGLU_2024", "CHINCHILLA_APPROACHES",
    "CHINCHILLA_TABLE3", "chinchilla_table1", "LLAMA3_405B", "LECTURE_EXAMPLE",
]


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


def _kaplan(key: str) -> PowerLaw:
    row = facts.load_kaplan_laws()[key]
    return PowerLaw(row.x_c, row.alpha, row.variable, row.source)


KAPLAN_N = _kaplan("N")
KAPLAN_D = _kaplan("D")
KAPLAN_C_MIN = _kaplan("C_min")
KAPLAN_C_NAIVE = _kaplan("C_naive")
_JOINT = facts.load_kaplan_joint_law()
KAPLAN_ND = KaplanJoint(_JOINT.N_c, _JOINT.D_c, _JOINT.alpha_N, _JOINT.alpha_D, _JOINT.source)


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


def _chinchilla(key: str) -> ChinchillaLaw:
    row = facts.load_chinchilla_laws()[key]
    return ChinchillaLaw(row.E, row.A, row.B, row.alpha, row.beta, row.name, row.source)


HOFFMANN_2022 = _chinchilla("hoffmann_2022")
HOFFMANN_2022_TEX = _chinchilla("hoffmann_2022_tex")
BESIROGLU_2024 = _chinchilla("besiroglu_2024")

# Hoffmann et al. Table 2: N_opt ∝ C^a, D_opt ∝ C^b by approach (Kaplan's allocation for comparison).
CHINCHILLA_APPROACHES = facts.load_chinchilla_table2()
# Hoffmann et al. Table 3 (Approach 1 projections): (params, FLOPs, tokens).
CHINCHILLA_TABLE3 = facts.load_chinchilla_table3()


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
    return [ModelPoint(r.model, r.params, r.tokens, "Hoffmann et al. 2022, arXiv:2203.15556, Table 1")
            for r in facts.load_chinchilla_table1()]


def _point(key: str) -> ModelPoint:
    row = facts.load_model_points()[key]
    return ModelPoint(row.name, row.params, row.tokens, row.source)


LLAMA3_405B = _point("llama3_405b")
LECTURE_EXAMPLE = _point("lecture_example")
