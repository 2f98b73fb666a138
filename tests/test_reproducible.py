"""Identical calls give identical numbers; the summary states the seed; seed=None gives fresh draws (issue 15)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sim_staggered import staggered_panel

from impact.cba import Appraisal
from impact.design import simulate_power
from impact.did import (callaway_santanna, event_study, honest_did, placebo_test, synthetic_control, synthetic_did,
                        wild_cluster_bootstrap)
from impact.errors import ConfigError
from impact.results import DEFAULT_SEED


@pytest.fixture(scope="module")
def stag():
    return staggered_panel(seed=4, n_units=60, n_periods=6, cohorts=(0, 3, 5))


@pytest.fixture(scope="module")
def block():
    # 16 units x 10 years, units 0-2 treated from year 7 (SDID and synthetic control need block adoption).
    rng = np.random.default_rng(11)
    df = pd.DataFrame({"unit": np.repeat(np.arange(16), 10), "year": np.tile(np.arange(1, 11), 16)})
    df["d"] = ((df["unit"] < 3) & (df["year"] >= 7)).astype(int)
    df["y"] = 0.3 * df["unit"] + 0.2 * df["year"] + 2.0 * df["d"] + rng.normal(0, 0.5, len(df))
    return df


def _cs(df, **kw):
    return callaway_santanna(df, "y", "id", "t", "g", n_boot=99, **kw)


def _wild(df, **kw):
    return wild_cluster_bootstrap(df, "y", "id", "t", "d", n_boot=99, **kw)


def _sdid(df, **kw):
    return synthetic_did(df, "y", "unit", "year", "d", n_reps=8, **kw)


def _mc(_, **kw):
    app = Appraisal(costs={"staff": {0: 100.0, 1: 40.0}}, benefits={"savings": {1: 90.0, 2: 90.0}}, rate=0.03)
    return app.monte_carlo(2000, uncertain={"staff": ("triangular", 0.9, 1.0, 1.4)}, **kw)


def _power(df, **kw):
    return simulate_power(df, "y", "unit", "year", n_treated=3, n_pre=4, n_post=3, n_sims=200, **kw)


DRAWING = {"callaway_santanna": (_cs, "stag"), "wild_cluster_bootstrap": (_wild, "stag"),
           "synthetic_did": (_sdid, "block"), "monte_carlo": (_mc, "block"), "simulate_power": (_power, "block")}


def _numbers(res) -> pd.DataFrame:
    return res.to_frame().select_dtypes("number")


@pytest.mark.parametrize("name", list(DRAWING))
def test_two_identical_calls_give_identical_numbers(name, request):
    fit, data = DRAWING[name]
    df = request.getfixturevalue(data)
    first, second = fit(df), fit(df)
    pd.testing.assert_frame_equal(_numbers(first), _numbers(second), check_exact=True)
    assert f"seed {DEFAULT_SEED}" in first.summary()
    # An explicit seed equal to the default is the same call; seed=None draws afresh and says so.
    pd.testing.assert_frame_equal(_numbers(fit(df, seed=DEFAULT_SEED)), _numbers(first), check_exact=True)
    fresh = fit(df, seed=None)
    assert not _numbers(fresh).equals(_numbers(first))


def test_cs_aggregations_and_placebo_repeat(stag):
    a = _cs(stag).aggregate("dynamic").to_frame()
    b = _cs(stag).aggregate("dynamic").to_frame()
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    p1 = placebo_test(stag, "y", "id", "t", "g", estimator="callaway_santanna", n_boot=99).to_frame()
    p2 = placebo_test(stag, "y", "id", "t", "g", estimator="callaway_santanna", n_boot=99).to_frame()
    pd.testing.assert_frame_equal(p1, p2, check_exact=True)


def test_honest_did_repeats_and_states_its_seed(stag):
    es = event_study(stag, "y", "id", "t", "g")
    a = honest_did(es, "relative_magnitude", Mbar=[0.5, 1.0], n_sims=200, breakdown=False)
    b = honest_did(es, "relative_magnitude", Mbar=[0.5, 1.0], n_sims=200, breakdown=False)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame(), check_exact=True)
    assert f"seed {DEFAULT_SEED}" in a.summary()


def test_synthetic_control_placebos_draw_nothing(block):
    # In-space placebos treat each donor in turn: no randomness, identical by construction.
    a = synthetic_control(block, "y", "unit", "year", 0, 7)
    b = synthetic_control(block, "y", "unit", "year", 0, 7)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame(), check_exact=True)
    assert a.pvalue == b.pvalue


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_bad_seed_is_a_config_error(stag, bad):
    with pytest.raises(ConfigError, match="seed must be a non-negative integer"):
        _cs(stag, seed=bad)
