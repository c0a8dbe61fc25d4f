"""Tests for lecture_utils.scaling: published laws, the compute-optimal frontier, the fitters, the sweep."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lecture_utils import scaling as sc

LAWS = [sc.HOFFMANN_2022, sc.HOFFMANN_2022_TEX, sc.BESIROGLU_2024]


# --- published laws ----------------------------------------------------------------------------------
@pytest.mark.parametrize("law", LAWS, ids=lambda l: l.name)
@pytest.mark.parametrize("C", [1e18, 1e21, 5.76e23, 1e25, 1e28])
def test_closed_form_frontier_equals_numeric_minimum(law, C):
    N_closed, D_closed = law.optimal(C)
    N_num = sc.isoflop_minimum_numeric(lambda N: float(law.isoflop(C, N)), 1e3, 1e16)
    assert N_num == pytest.approx(float(N_closed), rel=1e-6)
    assert 6 * N_closed * D_closed == pytest.approx(C, rel=1e-12)
    assert law.a + law.b == pytest.approx(1.0)


@settings(max_examples=40, deadline=None)
@given(alpha=st.floats(0.1, 0.9), beta=st.floats(0.1, 0.9), logA=st.floats(0, 10), logB=st.floats(0, 10),
       logC=st.floats(15, 30))
def test_frontier_is_the_isoflop_minimum_for_any_constants(alpha, beta, logA, logB, logC):
    law = sc.ChinchillaLaw(1.5, math.exp(logA), math.exp(logB), alpha, beta)
    C = 10.0**logC
    N_opt = float(law.optimal(C)[0])
    for step in (0.9, 1.1):  # the loss rises on both sides of the frontier
        assert law.isoflop(C, N_opt * step) > law.isoflop(C, N_opt)


@pytest.mark.parametrize("law, C, expected", [
    (sc.HOFFMANN_2022, 1e21, 50.1), (sc.HOFFMANN_2022, 5.76e23, 92.6), (sc.HOFFMANN_2022, 1e25, 122.1),
    (sc.BESIROGLU_2024, 1e21, 21.6), (sc.BESIROGLU_2024, 5.76e23, 18.4), (sc.BESIROGLU_2024, 1e25, 17.1),
])
def test_tokens_per_param_match_the_facts_doc(law, C, expected):
    assert float(law.tokens_per_param(C)) == pytest.approx(expected, abs=0.05)


def test_published_sample_values():
    assert float(sc.KAPLAN_N(1e9)) == pytest.approx(2.38, abs=0.005)
    assert float(sc.KAPLAN_N(1e10)) == pytest.approx(1.99, abs=0.005)
    assert float(sc.KAPLAN_D(1e10)) == pytest.approx(2.26, abs=0.005)
    assert float(sc.HOFFMANN_2022.loss(70e9, 1.4e12)) == pytest.approx(1.937, abs=5e-4)
    assert float(sc.HOFFMANN_2022.loss(280e9, 300e9)) == pytest.approx(1.993, abs=5e-4)
    assert sc.HOFFMANN_2022.a == pytest.approx(0.4516, abs=1e-4)
    assert sc.BESIROGLU_2024.a == pytest.approx(0.5126, abs=1e-4)
    assert sc.LECTURE_EXAMPLE.flops == pytest.approx(2.352e20, rel=1e-3)
    # Kaplan's joint law tends to L(N) when data is unlimited.
    assert float(sc.KAPLAN_ND(1e9, 1e30)) == pytest.approx(float((6.4e13 / 1e9) ** 0.076), rel=1e-6)


def test_table3_is_about_20_tokens_per_param():
    ratios = [D / N for N, _, D in sc.CHINCHILLA_TABLE3]
    assert all(19.5 <= r <= 22.5 for r in ratios)
    for N, C, D in sc.CHINCHILLA_TABLE3:  # the table's FLOPs column is 6ND to its printed precision
        assert 6 * N * D == pytest.approx(C, rel=0.07)


# --- fitters -----------------------------------------------------------------------------------------
def _synthetic(law, n=40, noise=0.005, seed=0):
    rng = np.random.default_rng(seed)
    N = np.exp(rng.uniform(np.log(1e5), np.log(1e9), n))
    D = np.exp(rng.uniform(np.log(1e6), np.log(1e11), n))
    return N, D, law.loss(N, D) * np.exp(rng.normal(0, noise, n))


@pytest.mark.parametrize("truth", [sc.ChinchillaLaw(1.8, 400.0, 1500.0, 0.35, 0.30),
                                   sc.ChinchillaLaw(2.5, 60.0, 90.0, 0.25, 0.28)], ids=["chinchilla-like", "flatter"])
def test_approach3_recovers_known_parameters_from_noisy_data(truth):
    N, D, L = _synthetic(truth)
    fit = sc.fit_chinchilla(N, D, L).law
    assert fit.alpha == pytest.approx(truth.alpha, abs=0.04)
    assert fit.beta == pytest.approx(truth.beta, abs=0.04)
    assert fit.E == pytest.approx(truth.E, abs=0.15)
    assert fit.a == pytest.approx(truth.a, abs=0.03)
    # the fitted surface predicts held-out points to within the noise level
    N2, D2, _ = _synthetic(truth, n=20, noise=0.0, seed=1)
    assert np.max(np.abs(np.log(fit.loss(N2, D2) / truth.loss(N2, D2)))) < 0.02


def test_approach3_is_exact_without_noise():
    truth = sc.ChinchillaLaw(1.8, 400.0, 1500.0, 0.35, 0.30)
    N, D, L = _synthetic(truth, n=20, noise=0.0)
    fit = sc.fit_chinchilla(N, D, L, n_starts=2, max_iter=300)
    assert fit.objective < 1e-8
    assert fit.law.alpha == pytest.approx(0.35, abs=1e-3) and fit.law.beta == pytest.approx(0.30, abs=1e-3)


@pytest.mark.parametrize("bad", [dict(N=[1, 2], D=[1, 2], L=[1, 2]),
                                 dict(N=[1, 2, 3, 4, -5], D=[1] * 5, L=[1] * 5)])
def test_approach3_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        sc.fit_chinchilla(**bad)


def test_power_law_fit_and_bootstrap_interval():
    x = np.logspace(10, 14, 12)
    y = 3.0 * x**0.5 * np.exp(np.random.default_rng(0).normal(0, 0.05, 12))
    fit = sc.fit_power_law(x, y)
    assert fit.exponent == pytest.approx(0.5, abs=0.05)
    lo, hi, samples = sc.bootstrap(lambda i: [sc.fit_power_law(x[i], y[i]).exponent], len(x), n_boot=300,
                                   level=0.95)
    assert lo[0] < 0.5 < hi[0] and samples.shape[1] == 1
    assert sc.fit_power_law([1, 10, 100], [2, 20, 200]).exponent == pytest.approx(1.0)
    with pytest.raises(ValueError):
        sc.fit_power_law([5, 5], [1, 2])


def test_isoflop_parabola_minimum():
    N = np.logspace(3, 6, 7)
    L = 2.0 + 0.3 * (np.log(N) - np.log(2e4)) ** 2
    N_opt, L_opt, _ = sc.isoflop_parabola(N, L)
    assert N_opt == pytest.approx(2e4, rel=1e-8) and L_opt == pytest.approx(2.0)
    with pytest.raises(ValueError, match="3 distinct"):
        sc.isoflop_parabola(N[:2], L[:2])
    with pytest.raises(ValueError, match="no minimum"):
        sc.isoflop_parabola(N, -L)


def test_approach2_recovers_the_frontier_exponent():
    law = sc.BESIROGLU_2024
    budgets = np.array([1e18, 1e19, 1e20, 1e21])
    C = np.repeat(budgets, 7)
    N = np.concatenate([law.optimal(c)[0] * np.logspace(-0.5, 0.5, 7) for c in budgets])
    L = law.loss(N, C / (6 * N))
    res = sc.isoflop_analysis(C, N, L, n_boot=50)
    assert res.a.exponent == pytest.approx(law.a, abs=0.01)
    assert res.a.exponent + res.b.exponent == pytest.approx(1.0, abs=1e-9)
    assert np.allclose(res.N_opt, law.optimal(budgets)[0], rtol=0.05)


# --- the committed sweep -----------------------------------------------------------------------------
@pytest.mark.parametrize("path", [sc.SWEEP_CSV, sc.QUICK_CSV], ids=["full", "quick"])
def test_sweep_csv_schema(path):
    df = sc.read_sweep(path)
    meta = json.loads(path.with_suffix(".meta.json").read_text(encoding="utf-8"))
    assert meta["command"].startswith("python -m lecture_utils.scaling sweep")
    assert set(df["seed"]) == {meta["seed"]}
    assert df["budget"].nunique() >= 2 and df.groupby("budget").size().min() >= 3
    assert np.all(np.isfinite(df["eval_loss"])) and df["eval_loss"].between(0, math.log(256)).all()
    assert np.allclose(df["tokens"], df["steps"] * df["batch_size"] * df["context_length"])
    assert np.allclose(df["flops_6nd"], 6 * df["n_params"] * df["tokens"], rtol=1e-5)
    assert np.allclose(df["flops_6nd"], df["budget"], rtol=0.1)  # D was rounded to whole steps


def test_read_sweep_rejects_a_wrong_schema(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("budget,eval_loss\n1e9,3.0\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected"):
        sc.read_sweep(bad)
    with pytest.raises(FileNotFoundError, match="scaling sweep"):
        sc.read_sweep(tmp_path / "missing.csv")


def test_ladder_d_ff_is_the_committed_data():
    """The ladder lists d_ff explicitly; every committed run used exactly those widths (drift check)."""
    ladder = {s[:3]: s[3] for s in sc.SIZES}
    for path in (sc.SWEEP_CSV, sc.QUICK_CSV):
        df = sc.read_sweep(path)
        for row in df.itertuples():
            assert ladder[(row.d_model, row.n_layers, row.n_heads)] == row.d_ff, path.name
        meta = json.loads(path.with_suffix(".meta.json").read_text(encoding="utf-8"))
        grid = sc.QUICK_GRID if "--quick" in meta["command"] else sc.FULL_GRID
        assert {f"{c:.3g}": [list(s[:3]) for s in v] for c, v in sorted(grid.items())} == \
            {k: [list(s[:3]) for s in v] for k, v in meta["grid"].items()}
    # the committed runs rounded 8/3·d UP to a multiple of 16, which the model's helper no longer does
    assert all(f == 16 * math.ceil(8 * d / 3 / 16) for d, _, _, f in sc.SIZES)
    assert sc.SweepRun(1e9, *sc.SIZES[0], seed=1).model_config().d_ff == 32


def test_sweep_sizes_must_name_d_ff():
    with pytest.raises(ValueError, match="d_ff"):
        sc.sweep_runs({1e9: [(8, 1, 1)]})
    with pytest.raises(ValueError, match="at least 1"):
        sc.run_sweep(sc.QUICK_GRID, jobs=0)


def test_laws_are_read_from_the_facts_csvs():
    from lecture_utils import facts

    assert facts.load_kaplan_laws()["N"].x_c == sc.KAPLAN_N.x_c == 8.8e13
    assert facts.load_chinchilla_laws()["besiroglu_2024"].B == sc.BESIROGLU_2024.B == 2085.43
    assert sc.CHINCHILLA_APPROACHES["Kaplan et al. 2020"] == (0.73, 0.27) and len(sc.CHINCHILLA_TABLE3) == 9
    assert sc.LLAMA3_405B.tokens == 15.6e12 and sc.LECTURE_EXAMPLE.params == 1.4e9
    for name in ("kaplan_2020_laws.csv", "kaplan_2020_joint_law.csv", "chinchilla_laws.csv",
                 "chinchilla_table2.csv", "chinchilla_table3.csv", "model_points.csv"):
        assert "arXiv:" in facts.source_note(name), name


def test_parallel_sweep_reports_a_failed_run():
    # d_model=8 with 3 heads cannot be built: the worker's error reaches the caller (queued runs are cancelled).
    with pytest.raises(ValueError, match="num_heads"):
        sc.run_sweep({1e9: [(8, 1, 3, 32), (8, 1, 3, 32), (8, 1, 3, 32)]}, jobs=2)
