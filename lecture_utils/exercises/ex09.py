"""Checks for notebook 09 (scaling laws): the 练习 answers.

The expected values are computed here from the law's constants with the formulas written out
(Chinchilla eq. (2) and (4)), not by calling the `ChinchillaLaw` methods the notebook uses, so a
check is an independent second computation.

    >>> check_ratio_exponent(lambda alpha, beta: (alpha - beta) / (alpha + beta))
    ✅ 正确！5 个测试用例全部通过。
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from . import _UNANSWERED, Verdict, _right, _wrong, check_function, check_value, unanswered

__all__ = ["frontier", "check_tokens_per_param", "check_isoflop_penalty", "check_ratio_exponent",
           "check_nonembedding_exponent", "check_envelope"]


def frontier(law, C: float) -> tuple[float, float]:
    """(N_opt, D_opt) under C = 6ND from eq. (4): G = (αA/(βB))^(1/(α+β)), a = β/(α+β), b = α/(α+β)."""
    G = (law.alpha * law.A / (law.beta * law.B)) ** (1 / (law.alpha + law.beta))
    a, b = law.beta / (law.alpha + law.beta), law.alpha / (law.alpha + law.beta)
    return G * (C / 6) ** a, (C / 6) ** b / G


def _loss(law, N: float, D: float) -> float:
    return law.E + law.A / N**law.alpha + law.B / D**law.beta


def check_tokens_per_param(answer: Any, law, C: float) -> Verdict:
    """Exercise 1: D_opt / N_opt of `law` at compute `C`."""
    N, D = frontier(law, C)
    return check_value(answer, D / N, rel_tol=1e-2,
                       hint=f"用 {law.name} 的常数在 C = {C:.0e} 求 N*、D*，再算 D*/N*（词元/参数，不是 N/D）。")


def check_isoflop_penalty(answer: Any, law, C: float, factor: float) -> Verdict:
    """Exercise 2: the extra loss at N = factor · N_opt on the IsoFLOP curve of C (D = C / 6N)."""
    N, _ = frontier(law, C)
    N_off = factor * N
    extra = _loss(law, N_off, C / (6 * N_off)) - _loss(law, N, C / (6 * N))
    if isinstance(answer, (int, float)) and not isinstance(answer, bool) and answer > 1:
        return _wrong(f"{answer:.4g} 看起来是损失本身；这里要的是比最优多出来的那一点。",
                      "两个损失相减：L̂(N, C/6N) − L̂(N*, C/6N*)。")
    return check_value(answer, extra, rel_tol=4e-3,
                       hint=f"请给 3 位以上有效数字；N = {factor:g} × N*，D 跟着变成 C/(6N)；两个损失相减：L̂(N, D) − L̂(N*, D*)。")


def check_ratio_exponent(fn: Any) -> Verdict:
    """Exercise 3: `fn(alpha, beta)` is the exponent of C in D_opt / N_opt."""
    cases = [((0.34, 0.28), (0.34 - 0.28) / 0.62), ((0.3478, 0.3658), (0.3478 - 0.3658) / 0.7136),
             ((0.5, 0.5), 0.0), ((0.2, 0.6), -0.5), ((1.0, 0.0), 1.0)]
    same = lambda got, want: (isinstance(got, (int, float, np.floating)) and not isinstance(got, bool)
                              and math.isclose(float(got), want, rel_tol=1e-9, abs_tol=1e-12))
    return check_function(fn, cases, same=same,
                          hint="D_opt/N_opt = G⁻² (C/6)^(b − a)，把 a、b 用 α、β 写出来再相减。")


def _approach2_exponent(C: np.ndarray, N: np.ndarray, L: np.ndarray) -> float:
    """Parabola in ln N per budget, minimum N_opt(C), then the slope of ln N_opt against ln C."""
    budgets = np.unique(C)
    n_opt = []
    for c in budgets:
        c2, c1, _ = np.polyfit(np.log(N[C == c]), L[C == c], 2)
        n_opt.append(-c1 / (2 * c2))  # ln N_opt
    return float(np.polyfit(np.log(budgets), n_opt, 1)[0])


def check_nonembedding_exponent(answer: Any, df) -> Verdict:
    """Exercise 5: Approach 2's exponent a when each budget's parabola uses the non-embedding count."""
    want = _approach2_exponent(df["budget"].to_numpy(float), df["n_params_nonembedding"].to_numpy(float),
                               df["eval_loss"].to_numpy(float))
    return check_value(answer, want, rel_tol=1e-2,
                       hint="按原来的预算分组，每组在 (ln N_非嵌入, L) 上拟合抛物线，"
                            "再拟合 N_非嵌入,opt ∝ C^a（C 用名义预算 budget）。")


def _interp_loss(points: Sequence[tuple[float, float]], C: float) -> float | None:
    """A run's loss at compute C: linear in ln C between its recorded points; None outside its range."""
    cs = np.array([p[0] for p in points], dtype=float)
    ls = np.array([p[1] for p in points], dtype=float)
    if len(cs) == 0 or C < cs.min() or C > cs.max():
        return None
    return float(np.interp(math.log(C), np.log(cs), ls))


def _envelope_reference(curves: Mapping[float, Sequence[tuple[float, float]]], C: float):
    best = None
    for N, points in curves.items():
        loss = _interp_loss(points, C)
        if loss is not None and (best is None or loss < best[1]):
            best = (N, loss)
    return None if best is None else best[0]


def check_envelope(fn: Any) -> Verdict:
    """Exercise 6: `fn(curves, C)` returns the N whose training curve is lowest at compute C."""
    if unanswered(fn):
        return Verdict(False, _UNANSWERED)
    small = [(1e9, 4.0), (2e9, 3.5), (4e9, 3.3)]
    large = [(2e9, 4.2), (4e9, 3.4), (8e9, 2.9)]
    curves = {1000.0: small, 8000.0: large}
    cases = [((curves, 1e9), 1000.0),    # only the small model has reached 1e9
             ((curves, 2e9), 1000.0),    # 3.5 < 4.2
             ((curves, 4e9), 1000.0),    # 3.3 < 3.4: the small one still ahead
             ((curves, 6e9), 8000.0),    # the small run ended at 4e9: only the large one is left
             ((curves, 3e9), 1000.0),    # between points: interpolated, 3.38 vs 3.73
             ((curves, 1e10), None),     # beyond every run
             (({5.0: [(1.0, 2.0), (100.0, 1.0)], 7.0: [(1.0, 2.5), (100.0, 0.4)]}, 10.0), 7.0)]  # crossing
    return check_function(fn, cases, hint="每条曲线只在它记录到的算力范围内有定义；两点之间按 ln C 线性插值；"
                                          "没有任何曲线覆盖这个 C 时返回 None。")
