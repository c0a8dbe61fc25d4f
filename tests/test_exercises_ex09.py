"""Notebook 09's checks: right answers (several spellings) pass, wrong ones get a hint without the answer."""
import math

import numpy as np
import pandas as pd
import pytest

from lecture_utils import scaling as sc
from lecture_utils.exercises import ex09


def assert_right(verdict):
    assert verdict.ok, verdict.message
    assert verdict.message.startswith("✅")


def assert_wrong(verdict, *words):
    assert not verdict.ok
    assert verdict.message.startswith("❌"), verdict.message
    for word in words:
        assert word in verdict.message, verdict.message


@pytest.mark.parametrize("law", [sc.HOFFMANN_2022, sc.BESIROGLU_2024])
@pytest.mark.parametrize("C", [1e20, 1e22, 5.76e23])
def test_frontier_agrees_with_the_law(law, C):
    N, D = ex09.frontier(law, C)
    n_ref, d_ref = law.optimal(C)
    assert math.isclose(N, float(n_ref), rel_tol=1e-9) and math.isclose(D, float(d_ref), rel_tol=1e-9)
    assert math.isclose(6 * N * D, C, rel_tol=1e-9)


def test_tokens_per_param():
    want = float(sc.HOFFMANN_2022.tokens_per_param(1e22))
    assert_right(ex09.check_tokens_per_param(want, sc.HOFFMANN_2022, 1e22))
    assert_right(ex09.check_tokens_per_param(round(want, 1), sc.HOFFMANN_2022, 1e22))
    assert_right(ex09.check_tokens_per_param(np.float64(want), sc.HOFFMANN_2022, 1e22))
    v = ex09.check_tokens_per_param(1 / want, sc.HOFFMANN_2022, 1e22)  # N/D instead of D/N
    assert_wrong(v, "偏小", "D*/N*")
    assert f"{want:.1f}" not in v.message
    other = float(sc.BESIROGLU_2024.tokens_per_param(1e22))  # the other law's answer
    assert_wrong(ex09.check_tokens_per_param(other, sc.HOFFMANN_2022, 1e22), "偏小")
    assert ex09.check_tokens_per_param(..., sc.HOFFMANN_2022, 1e22).message.startswith("⏳")


def test_isoflop_penalty():
    law, C = sc.BESIROGLU_2024, 2.35e20
    N = float(law.optimal(C)[0])
    want = float(law.isoflop(C, 2 * N) - law.optimal_loss(C))
    assert want > 0
    assert_right(ex09.check_isoflop_penalty(want, law, C, 2))
    assert_right(ex09.check_isoflop_penalty(round(want, 4), law, C, 2))
    assert_wrong(ex09.check_isoflop_penalty(float(law.isoflop(C, 2 * N)), law, C, 2), "损失本身")
    half = float(law.isoflop(C, N / 2) - law.optimal_loss(C))
    assert abs(half / want - 1) < 0.02  # nearly symmetric in ln N, but not the same number
    assert_wrong(ex09.check_isoflop_penalty(half, law, C, 2), "N = 2 × N*")
    assert_wrong(ex09.check_isoflop_penalty(round(want, 2), law, C, 2), "有效数字")


def test_ratio_exponent():
    assert_right(ex09.check_ratio_exponent(lambda alpha, beta: (alpha - beta) / (alpha + beta)))
    assert_right(ex09.check_ratio_exponent(lambda a, b: 1 - 2 * b / (a + b)))  # b_exp - a_exp written another way
    assert_wrong(ex09.check_ratio_exponent(lambda a, b: (b - a) / (a + b)), "第 1 个测试用例")
    assert_wrong(ex09.check_ratio_exponent(lambda a, b: b / (a + b)))
    assert_wrong(ex09.check_ratio_exponent(lambda a, b: a / 0), "ZeroDivisionError")
    assert ex09.check_ratio_exponent(...).message.startswith("⏳")


def _sweep():
    """A synthetic sweep with a known Approach-2 exponent for the non-embedding count."""
    rows = []
    for C in (1e10, 1e11, 1e12):
        n_opt = 1e3 * (C / 1e10) ** 0.6
        for f in (0.25, 0.5, 1, 2, 4):
            n = n_opt * f
            rows.append({"budget": C, "n_params": n + 5000, "n_params_nonembedding": n,
                         "eval_loss": 2 + 0.1 * math.log(f) ** 2})
    return pd.DataFrame(rows)


def test_nonembedding_exponent():
    df = _sweep()
    assert_right(ex09.check_nonembedding_exponent(0.6, df))
    assert_right(ex09.check_nonembedding_exponent(0.6002, df))
    with_all = ex09._approach2_exponent(df.budget.to_numpy(), df.n_params.to_numpy(), df.eval_loss.to_numpy())
    assert abs(with_all - 0.6) > 0.05  # counting all parameters gives another exponent
    assert_wrong(ex09.check_nonembedding_exponent(with_all, df), "N_非嵌入")


def test_nonembedding_exponent_on_the_committed_sweep():
    df = sc.read_sweep(sc.SWEEP_CSV)
    a_all = ex09._approach2_exponent(df.budget.to_numpy(float), df.n_params.to_numpy(float), df.eval_loss.to_numpy(float))
    assert math.isclose(a_all, sc.isoflop_analysis(df.budget, df.n_params, df.eval_loss, n_boot=20).a.exponent, rel_tol=1e-9)


def reference_envelope(curves, C):
    best = None
    for n, points in curves.items():
        cs, ls = zip(*points)
        if cs[0] <= C <= cs[-1]:
            loss = float(np.interp(math.log(C), np.log(cs), ls))
            if best is None or loss < best[1]:
                best = (n, loss)
    return best and best[0]


def test_envelope():
    assert_right(ex09.check_envelope(reference_envelope))

    def last_point_only(curves, C):  # ignores the range of each run
        return min(curves, key=lambda n: curves[n][-1][1])
    assert_wrong(ex09.check_envelope(last_point_only), "算力范围")

    def linear_in_C(curves, C):  # interpolates in C, not ln C
        best = None
        for n, points in curves.items():
            cs, ls = zip(*points)
            if cs[0] <= C <= cs[-1]:
                loss = float(np.interp(C, cs, ls))
                if best is None or loss < best[1]:
                    best = (n, loss)
        return best and best[0]
    assert_wrong(ex09.check_envelope(linear_in_C), "ln C")
    assert ex09.check_envelope(...).message.startswith("⏳")
