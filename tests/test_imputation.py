"""BJS imputation estimator: R didimputation published output, pyfixest, simulation, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sim_staggered import staggered_panel, true_event_effects

from impact.did.bacon import bacon_decomposition
from impact.did.imputation import imputation
from impact.errors import ConfigError, DataError, DroppedRowsWarning

DATA = Path(__file__).parent / "data"

# R didimputation README (github.com/kylebutts/didimputation), on its `df_het` data:
# did_imputation(df_het, "dep_var", "g", "year", "unit") and, for the event study,
# horizon = TRUE, pretrends = -5:-1.
STATIC = (2.262952, 0.03139684)
HORIZONS = {
    0: (1.51314201, 0.07547736), 1: (1.66384318, 0.07675141), 2: (1.86436720, 0.07450151),
    3: (1.91872093, 0.07471704), 4: (1.87322387, 0.07418170), 5: (1.87844597, 0.07567190),
    6: (2.14373139, 0.07632691), 7: (2.23777696, 0.07610842), 8: (2.33650066, 0.07446268),
    9: (2.34352836, 0.07471679), 10: (2.53443351, 0.08109550), 11: (2.47944533, 0.11953547),
    12: (2.63493727, 0.11531779), 13: (2.94449757, 0.11047299), 14: (2.78171206, 0.11466367),
    15: (2.71470743, 0.12030494), 16: (2.88065382, 0.11563154), 17: (2.99383855, 0.11438496),
    18: (2.64616896, 0.11545789), 19: (2.87530636, 0.11405840), 20: (2.90465651, 0.11320219),
}
LEADS = {-5: -0.06412085, -4: -0.01201577, -3: -0.01387197, -2: 0.05103140, -1: 0.02022464}


@pytest.fixture(scope="module")
def df_het():
    return pd.read_csv(DATA / "df_het.csv.gz")


@pytest.fixture(scope="module")
def event(df_het):
    return imputation(df_het, "dep_var", "unit", "year", "g", window=(-5, 20))


def test_static_matches_didimputation(df_het):
    res = imputation(df_het, "dep_var", "unit", "year", "g")
    assert res.estimate == pytest.approx(STATIC[0], abs=5e-7)
    assert res.se == pytest.approx(STATIC[1], abs=5e-9)


def test_horizons_match_didimputation(event):
    # R fixest fits the first stage by iterative demeaning (fixef.tol = 1e-6), we solve it exactly:
    # the published estimates agree to about 2e-8, hence 5e-8 rather than the 5e-9 of the rounding.
    frame = event.to_frame().set_index("event_time")
    for h, (est, se) in HORIZONS.items():
        assert frame.loc[h, "estimate"] == pytest.approx(est, abs=5e-8), h
        assert frame.loc[h, "se"] == pytest.approx(se, abs=5e-9), h


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning", "ignore::DeprecationWarning")
def test_leads_match_didimputation_and_fixest_clustered_se(event, df_het):
    frame = event.to_frame().set_index("event_time")
    for k, est in LEADS.items():
        assert frame.loc[k, "estimate"] == pytest.approx(est, abs=5e-8), k
    # The README prints 0.07634962 for every lead: the iid standard error. didimputation's code
    # asks fixest for errors clustered by unit, which pyfixest reproduces here independently.
    pf = pytest.importorskip("pyfixest")
    d = df_het[~((df_het["g"] > 0) & (df_het["year"] >= df_het["g"]))].copy()
    e = np.where(d["g"] > 0, d["year"] - d["g"], -999)
    for k in LEADS:
        d[f"lead{-k}"] = (e == k).astype(float)
    fit = pf.feols("dep_var ~ lead5 + lead4 + lead3 + lead2 + lead1 | unit + year", d, vcov={"CRV1": "unit"})
    # pyfixest also demeans iteratively (tolerance 1e-8): agreement to ~3e-8 relative.
    np.testing.assert_allclose(frame.loc[[-5, -4, -3, -2, -1], "se"], fit.se().to_numpy(), rtol=1e-6)
    assert "Pre-trend test" in event.summary()


def test_vcov_shape_and_plot(event):
    assert list(event.vcov.index) == list(range(-5, 21))
    assert np.allclose(event.vcov.to_numpy(), event.vcov.to_numpy().T)
    assert np.all(np.linalg.eigvalsh(event.vcov.to_numpy()) > -1e-12)
    assert event.reference is None
    assert event.plot() is not None


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning", "ignore::DeprecationWarning")
def test_point_estimate_equals_gardner_did2s():
    # Gardner's two-stage DiD gives the same point estimate as BJS imputation (BJS 2024, fn. on did2s).
    pf = pytest.importorskip("pyfixest")
    df = staggered_panel(seed=3, n_units=100, noise=1.0)
    res = imputation(df, "y", "id", "t", "g")
    fit = pf.did2s(df, yname="y", first_stage="~ 0 | id + t", second_stage="~ 0 + d", treatment="d", cluster="id")
    assert res.estimate == pytest.approx(float(fit.coef().iloc[0]), abs=1e-9)


def test_simulation_recovers_effects_where_twfe_fails():
    df = staggered_panel(seed=21, n_units=300, noise=0.5)
    res = imputation(df, "y", "id", "t", "g")
    frame = res.to_frame().set_index("event_time")
    post = frame[frame.index >= 0]
    truth = true_event_effects(df).reindex(post.index)
    assert ((post["estimate"] - truth).abs() < 4 * post["se"]).all()
    pre = frame[frame.index < 0]
    assert (pre["estimate"].abs() < 4 * pre["se"]).all()
    true_att = df.loc[df["d"] == 1, "tau"].mean()
    assert abs(res.estimate - true_att) < 4 * res.se
    assert true_att - bacon_decomposition(df, "y", "id", "t", "g").estimate > 1.0 > 20 * res.se


def test_periods_without_untreated_units_are_dropped():
    df = staggered_panel(seed=4, n_units=60, cohorts=(3, 5, 7))  # no never-treated: t >= 7 all treated
    with pytest.warns(DroppedRowsWarning, match="no unit is untreated"):
        res = imputation(df, "y", "id", "t", "g")
    assert res.n_obs == len(df) - 2 * 60
    assert any("not identified separately" in n for n in res.notes)


def test_always_treated_dropped_with_warning():
    df = staggered_panel(seed=4, n_units=60, cohorts=(0, 1, 4))
    with pytest.warns(DroppedRowsWarning, match="always-treated"):
        imputation(df, "y", "id", "t", "g")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"reference": -2}, ConfigError, "no reference period"),
        ({"alpha": 0}, ConfigError, "alpha must be strictly between 0 and 1"),
        ({"window": (0, 3)}, ConfigError, "window"),
        ({"cluster": "state"}, DataError, "'state' not found"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    df = staggered_panel(seed=1, n_units=30)
    with pytest.raises(error, match=match):
        imputation(df, "y", "id", "t", "g", **kwargs)


def test_non_numeric_outcome_named():
    df = staggered_panel(seed=1, n_units=30)
    df["y"] = df["y"].astype(str)
    with pytest.raises(DataError, match="outcome column 'y' must be numeric"):
        imputation(df, "y", "id", "t", "g")
