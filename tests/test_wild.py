"""Wild cluster bootstrap: brute-force reference, wildboottest, size simulation, bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from sim_staggered import staggered_panel

from impact.did.wild import wild_cluster_bootstrap
from impact.errors import ConfigError, DataError

WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


def _panel(n_clusters=8, effect_scale=0.15, seed=2):
    df = staggered_panel(seed=seed, n_units=40, n_periods=5, cohorts=(0, 3, 4), noise=1.0)
    df["y"] = df["y"] - df["tau"] + effect_scale * df["tau"]
    df["state"] = df["id"] % n_clusters
    return df.sample(frac=0.95, random_state=0).reset_index(drop=True)  # unbalanced on purpose


def _brute_force_pvalue(y, X, col, clusters, b0, support, k_small):
    """Reference: re-run the full dummy-variable OLS for every weight pattern (Cameron, Gelbach & Miller 2008)."""
    codes = np.unique(clusters, return_inverse=True)[1]
    G, (n, _) = codes.max() + 1, X.shape
    M = np.eye(G)[codes]

    xtx_inv = np.linalg.pinv(X.T @ X)

    def t_stats(Y):  # one full OLS per column of Y, CR1 sandwich for coefficient `col`
        beta = xtx_inv @ X.T @ Y
        U = Y - X @ beta
        a = xtx_inv[col] @ X.T  # FWL-free: row `col` of (X'X)^-1 X'
        S = M.T @ (a[:, None] * U)
        V = (S**2).sum(axis=0) * G / (G - 1) * (n - 1) / (n - k_small)
        return (beta[col] - b0) / np.sqrt(V)

    t_obs = t_stats(y[:, None])[0]
    Z = np.delete(X, col, axis=1)
    y0 = y - b0 * X[:, col]
    fitted = Z @ np.linalg.lstsq(Z, y0, rcond=None)[0] + b0 * X[:, col]
    resid = y - fitted
    W = np.array(list(itertools.product(support, repeat=G))).T[codes]
    t_boot = t_stats(fitted[:, None] + resid[:, None] * W)
    return np.mean(np.abs(t_boot) >= abs(t_obs) - 1e-10)


def _twfe_dummies(df):
    X = pd.get_dummies(df[["id", "t"]].astype(str), drop_first=True).astype(float)
    X.insert(0, "const", 1.0)
    X.insert(1, "d", df["d"].astype(float).to_numpy())
    return X


def test_twfe_rademacher_matches_brute_force():
    df = _panel()
    res = wild_cluster_bootstrap(df, "y", "id", "t", "d", cluster="state", n_boot=999, seed=1)
    assert res.enumerated and res.n_boot == 2**8
    X = _twfe_dummies(df).to_numpy()
    # Units are nested in states, so CR1 counts the regressor and the 5 period effects (fixest convention).
    ref = _brute_force_pvalue(df["y"].to_numpy(), X, 1, df["state"].to_numpy(), 0.0, [-1.0, 1.0], k_small=6)
    assert 0.05 < ref < 0.95  # an interior p-value, so the comparison is informative
    assert res.pvalue == pytest.approx(ref, abs=1e-12)
    # The interval is the set of b0 the test does not reject: check both sides of each bound.
    eps = 1e-4 * res.se
    for bound, inward in ((res.ci_low, eps), (res.ci_high, -eps)):
        p_in = _brute_force_pvalue(df["y"].to_numpy(), X, 1, df["state"].to_numpy(), bound + inward, [-1.0, 1.0], 6)
        p_out = _brute_force_pvalue(df["y"].to_numpy(), X, 1, df["state"].to_numpy(), bound - inward, [-1.0, 1.0], 6)
        assert p_in > 0.05 >= p_out


def test_two_by_two_webb_matches_brute_force():
    df = _panel(n_clusters=4)
    df["treated"] = (df["g"] > 0).astype(int)
    df["post"] = (df["t"] >= 3).astype(int)
    res = wild_cluster_bootstrap(df, "y", treated="treated", post="post", cluster="state", weights="webb",
                                 n_boot=9999)
    assert res.enumerated and res.n_boot == 6**4
    d, p = df["treated"].to_numpy(float), df["post"].to_numpy(float)
    X = np.column_stack([np.ones_like(d), d, p, d * p])
    ref = _brute_force_pvalue(df["y"].to_numpy(), X, 3, df["state"].to_numpy(), 0.0, WEBB, k_small=4)
    assert res.pvalue == pytest.approx(ref, abs=1e-12)
    ols = np.linalg.lstsq(X, df["y"].to_numpy(), rcond=None)[0]
    assert res.estimate == pytest.approx(ols[3], abs=1e-10)


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning", "ignore::DeprecationWarning")
def test_matches_wildboottest_package():
    # wildboottest 0.3.2 (py-econometrics), WCR with Rademacher weights; with 8 clusters both enumerate
    # all 256 sign patterns. wildboottest counts |t*| > |t| strictly, we count ties (|t*| >= |t|, as
    # R fwildclusterboot and Stata boottest); under enumeration exactly two draws tie (all +1 and all -1
    # weights give t* = +-t), so our p-value is theirs plus 2/256.
    wbt = pytest.importorskip("wildboottest.wildboottest")
    sm = pytest.importorskip("statsmodels.api")
    df = _panel()
    ours = wild_cluster_bootstrap(df, "y", "id", "t", "d", cluster="state", n_boot=999)
    X = _twfe_dummies(df)
    ref = wbt.wildboottest(sm.OLS(df["y"].to_numpy(), X), param="d", cluster=df["state"].to_numpy(), B=999,
                           seed=1, show=False, parallel=False)
    assert ours.pvalue == pytest.approx(float(ref["p-value"].iloc[0]) + 2 / 2**8, abs=1e-12)


def test_random_draws_are_seeded_and_unrestricted_variant():
    df = _panel(n_clusters=20, effect_scale=0.3)
    a = wild_cluster_bootstrap(df, "y", "id", "t", "d", cluster="state", n_boot=999, seed=7)
    b = wild_cluster_bootstrap(df, "y", "id", "t", "d", cluster="state", n_boot=999, seed=7)
    assert not a.enumerated and a.n_boot == 999
    assert (a.pvalue, a.ci_low, a.ci_high) == (b.pvalue, b.ci_low, b.ci_high)
    u = wild_cluster_bootstrap(df, "y", "id", "t", "d", cluster="state", n_boot=999, seed=7, impose_null=False)
    assert u.ci_low < u.estimate < u.ci_high
    # WCR and WCU intervals agree roughly with many clusters.
    assert abs(u.ci_low - a.ci_low) < 0.5 * a.se and abs(u.ci_high - a.ci_high) < 0.5 * a.se


def test_size_with_few_clusters():
    # 6 clusters, true effect 0: WCR with Webb weights rejects near 5%, the CR1 t-test does not.
    rng = np.random.default_rng(0)
    base = staggered_panel(seed=1, n_units=24, n_periods=4, cohorts=(0, 3))
    base["state"] = base["id"] % 6
    unit_state = base.groupby("id")["state"].first().to_numpy()
    treated_state = np.isin(unit_state, [0, 1])  # 2 of 6 clusters treated: the hard case
    base["d"] = (treated_state[base["id"]] & (base["t"] >= 3)).astype(int)
    reject_boot, reject_t, n_sims = 0, 0, 150
    for _ in range(n_sims):
        shock = rng.normal(size=(6, 4))[base["state"], base["t"] - 1]  # cluster x period shocks
        base["y"] = shock + rng.normal(size=len(base))
        res = wild_cluster_bootstrap(base, "y", "id", "t", "d", cluster="state", weights="webb", n_boot=399, seed=rng)
        reject_boot += res.pvalue <= 0.05
        reject_t += res.terms["pvalue_analytic"].iloc[0] <= 0.05
    assert reject_boot / n_sims < 0.10
    assert reject_t > reject_boot


def test_result_frame_and_summary():
    res = wild_cluster_bootstrap(_panel(), "y", "id", "t", "d", cluster="state")
    frame = res.to_frame()
    assert list(frame.columns[:6]) == ["term", "estimate", "se", "ci_low", "ci_high", "pvalue"]
    assert "WCR" in res.summary() and "enumerated" in res.summary()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"weights": "mammen"}, ConfigError, "weights must be one of"),
        ({"n_boot": 10}, ConfigError, "n_boot must be at least 99"),
        ({"n_boot": -5}, ConfigError, "n_boot must be at least 99"),
        ({"alpha": 2}, ConfigError, "alpha must be strictly between 0 and 1"),
        ({"treated": "d"}, ConfigError, "either unit="),
        ({"cluster": "region"}, DataError, "'region' not found"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        wild_cluster_bootstrap(_panel(), "y", "id", "t", "d", **kwargs)


def test_single_cluster_and_bad_treatment():
    df = _panel()
    df["one"] = 1
    with pytest.raises(DataError, match="at least two clusters"):
        wild_cluster_bootstrap(df, "y", "id", "t", "d", cluster="one")
    df["d2"] = df["d"] * 2
    with pytest.raises(DataError, match="'d2' must hold only 0 and 1"):
        wild_cluster_bootstrap(df, "y", "id", "t", "d2")
