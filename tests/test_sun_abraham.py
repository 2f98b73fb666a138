"""Sun-Abraham interaction-weighted event study: pyfixest reference, simulation, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from sim_staggered import staggered_panel, true_event_effects

from impact.did.bacon import bacon_decomposition
from impact.did.sun_abraham import sun_abraham
from impact.errors import ConfigError, DataError, DroppedRowsWarning
from impact.results import EventStudyResult


@pytest.fixture(scope="module")
def panel():
    return staggered_panel(seed=5, n_units=80, noise=1.0)


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning", "ignore::DeprecationWarning")
def test_matches_pyfixest_saturated_event_study(panel):
    # Reference: pyfixest 0.60 `event_study(..., estimator="saturated").aggregate()`, pyfixest's
    # Sun-Abraham implementation (cohort x relative-time interactions, cohort-share weights, CRV1 by unit).
    pf = pytest.importorskip("pyfixest")
    fit = pf.event_study(panel, yname="y", idname="id", tname="t", gname="g", estimator="saturated", cluster="id")
    ref = fit.aggregate()
    ref.index = ref.index.astype(int)
    ours = sun_abraham(panel, "y", "id", "t", "g").to_frame().set_index("event_time").drop(index=-1)
    assert list(ours.index) == list(ref.index)
    np.testing.assert_allclose(ours["estimate"], ref["Estimate"].astype(float), rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours["se"], ref["Std. Error"].astype(float), rtol=1e-8)


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning", "ignore::DeprecationWarning")
def test_unbalanced_matches_independent_regression(panel):
    # Independent implementation: pyfixest feols on explicit cohort x event-time dummies,
    # aggregated here with cohort shares of the observations at each event time.
    pf = pytest.importorskip("pyfixest")
    df = panel.sample(frac=0.85, random_state=2).reset_index(drop=True)
    e = df["t"] - df["g"]
    cells = sorted({(g, k) for g, k in zip(df["g"], e) if g > 0 and k != -1})
    names = []
    for i, (g, k) in enumerate(cells):
        df[f"c{i}"] = ((df["g"] == g) & (e == k)).astype(float)
        names.append(f"c{i}")
    fit = pf.feols(f"y ~ {' + '.join(names)} | id + t", data=df, vcov={"CRV1": "id"})
    beta, V = fit.coef()[names].to_numpy(), fit._vcov
    counts = np.array([((df["g"] == g) & (e == k)).sum() for g, k in cells])
    ks = np.array([k for _, k in cells])
    times = np.unique(ks)
    W = (ks[None, :] == times[:, None]) * counts
    W = W / W.sum(1, keepdims=True)
    res = sun_abraham(df, "y", "id", "t", "g")
    ours = res.to_frame().set_index("event_time").drop(index=-1)
    np.testing.assert_allclose(ours["estimate"], W @ beta, atol=1e-9)
    np.testing.assert_allclose(ours["se"], np.sqrt(np.diag(W @ V @ W.T)), rtol=1e-6)
    cells_ours = res.cohort_effects
    np.testing.assert_allclose(cells_ours["estimate"], beta, atol=1e-9)
    np.testing.assert_allclose(cells_ours["se"], np.sqrt(np.diag(V)), rtol=1e-6)
    # Headline: average over treated observations (fixest aggregate att=TRUE).
    a = np.where(ks >= 0, counts, 0) / counts[ks >= 0].sum()
    assert res.estimate == pytest.approx(a @ beta, abs=1e-9)
    assert res.se == pytest.approx(np.sqrt(a @ V @ a), rel=1e-6)


def test_simulation_recovers_dynamic_effects_where_twfe_fails():
    df = staggered_panel(seed=11, n_units=300, noise=0.5)
    res = sun_abraham(df, "y", "id", "t", "g")
    assert isinstance(res, EventStudyResult) and res.vcov is not None
    frame = res.to_frame().set_index("event_time").drop(index=-1)
    truth = true_event_effects(df).reindex(frame.index)
    z = (frame["estimate"] - truth) / frame["se"]
    assert (z.abs() < 4).all(), z
    true_att = df.loc[df["d"] == 1, "tau"].mean()
    assert abs(res.estimate - true_att) < 4 * res.se
    # Static TWFE on the same data is far off (forbidden comparisons with growing effects).
    twfe = bacon_decomposition(df, "y", "id", "t", "g").estimate
    assert true_att - twfe > 1.0 > 20 * res.se


def test_last_treated_control_without_never_treated():
    df = staggered_panel(seed=12, n_units=300, noise=0.5, cohorts=(3, 5, 7))
    with pytest.raises(DataError, match="control='last'"):
        sun_abraham(df, "y", "id", "t", "g")
    res = sun_abraham(df, "y", "id", "t", "g", control="last")
    frame = res.to_frame().set_index("event_time").drop(index=-1)
    used = df[(df["t"] < 7) & (df["g"] < 7)]
    truth = true_event_effects(used).reindex(frame.index)
    assert ((frame["estimate"] - truth).abs() < 4 * frame["se"]).all()
    assert frame.index.max() == 3  # cohort 3 observed up to t=6


def test_window_selects_rows_and_headline(panel):
    full = sun_abraham(panel, "y", "id", "t", "g")
    win = sun_abraham(panel, "y", "id", "t", "g", window=(-2, 2))
    f, w = full.to_frame().set_index("event_time"), win.to_frame().set_index("event_time")
    assert list(w.index) == [-2, -1, 0, 1, 2]
    np.testing.assert_allclose(w["estimate"], f.loc[w.index, "estimate"], atol=1e-12)
    assert list(win.vcov.index) == [-2, 0, 1, 2]
    assert win.plot() is not None
    assert "Control cohort" in win.summary()


def test_always_treated_dropped_with_warning(panel):
    df = panel.copy()
    df.loc[df["id"] < 5, "g"] = 1
    with pytest.warns(DroppedRowsWarning, match="always-treated"):
        sun_abraham(df, "y", "id", "t", "g")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"control": "notyet"}, ConfigError, "control must be one of"),
        ({"alpha": 1.5}, ConfigError, "alpha must be strictly between 0 and 1"),
        ({"window": (1, 3)}, ConfigError, "window"),
        ({"reference": 0}, ConfigError, "reference"),
        ({"cluster": "region"}, DataError, "'region' not found"),
    ],
)
def test_bad_arguments(panel, kwargs, error, match):
    with pytest.raises(error, match=match):
        sun_abraham(panel, "y", "id", "t", "g", **kwargs)


def test_cohort_varying_within_unit(panel):
    df = panel.copy()
    df.loc[0, "g"] = 5 if df.loc[0, "g"] != 5 else 3
    with pytest.raises(DataError, match="cohort column 'g' varies within unit"):
        sun_abraham(df, "y", "id", "t", "g")
