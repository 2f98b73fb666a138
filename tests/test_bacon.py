"""Goodman-Bacon decomposition: published numbers, the decomposition identity, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from impact.did.bacon import bacon_decomposition
from impact.errors import DataError

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def castle():
    # castle.csv (causaldata) codes `post` from the first full year under the law;
    # R bacondecomp's `castle` codes it from the adoption year itself, one year
    # earlier in every one of the 21 adopting states (checked against castle.rda).
    d = pd.read_csv(DATA / "castle.csv", usecols=["sid", "year", "post", "l_homicide"])
    first_full = d[d["post"] == 1].groupby("sid")["year"].min()
    d["cohort"] = d["sid"].map(first_full - 1).fillna(0)
    return bacon_decomposition(d, "l_homicide", "sid", "year", "cohort")


def test_castle_twfe_matches_bacondecomp(castle):
    # bacondecomp index.ipynb (github.com/evanjflack/bacondecomp): "Two-way FE estimate = 0.0818116169306475".
    # castle.csv stores l_homicide in single precision (it differs from castle.rda by up to 9.3e-8),
    # which moves the coefficient in the 9th decimal; hence 1e-8 and not 1e-10.
    assert castle.estimate == pytest.approx(0.0818116169306475, abs=1e-8)


def test_castle_weights_by_type_match_bacondecomp(castle):
    # bacondecomp index.ipynb weights: Early vs Late 0.05976325, Late vs Early 0.03189818,
    # Treated vs Untreated 0.90833857; weighted mean estimates as printed by
    # bacon_summary() in Cunningham, Causal Inference: The Mixtape (2021), ch. 9:
    # -0.00554, 0.07032, 0.08796.
    table = castle.by_type().set_index("type")
    expected = {
        "earlier_vs_later": (0.05976325, -0.00554),
        "later_vs_earlier": (0.03189818, 0.07032),
        "treated_vs_never": (0.90833857, 0.08796),
    }
    assert set(table.index) == set(expected)
    for kind, (weight, estimate) in expected.items():
        assert table.loc[kind, "weight"] == pytest.approx(weight, abs=5e-9)
        assert table.loc[kind, "estimate"] == pytest.approx(estimate, abs=5e-6)


def test_castle_identity_and_frame(castle):
    frame = castle.to_frame()
    assert list(frame.columns[:6]) == ["term", "estimate", "se", "ci_low", "ci_high", "pvalue"]
    assert {"type", "treated_cohort", "control_cohort", "weight"} <= set(frame.columns)
    assert frame["weight"].sum() == pytest.approx(1.0, abs=1e-10)
    assert (frame["weight"] * frame["estimate"]).sum() == pytest.approx(castle.estimate, abs=1e-10)
    # 5 timing groups: 5 vs never + 2 * C(5, 2) timing comparisons
    assert len(frame) == 5 + 2 * 10
    assert castle.n_units == 50 and castle.n_obs == 550
    assert np.isfinite(castle.se) and castle.se > 0


def test_figure2_weights_from_paper():
    # Goodman-Bacon (2021), Figure 2: T=100, early group treated at 34 (D=0.67),
    # late at 85 (D=0.16), one never-treated group, equal sizes.
    # Published weights: s_kU=0.365, s_lU=0.222, s_kl^k=0.278, s_kl^l=0.135.
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"id": np.repeat([1, 2, 3], 100), "t": np.tile(np.arange(1, 101), 3)})
    df["g"] = np.repeat([0, 34, 85], 100)
    df["y"] = rng.normal(size=300)
    frame = bacon_decomposition(df, "y", "id", "t", "g").to_frame()
    key = dict(zip(zip(frame["type"], frame["treated_cohort"]), frame["weight"]))
    assert key[("treated_vs_never", 34)] == pytest.approx(0.365, abs=5e-4)
    assert key[("treated_vs_never", 85)] == pytest.approx(0.222, abs=5e-4)
    assert key[("earlier_vs_later", 34)] == pytest.approx(0.278, abs=5e-4)
    assert key[("later_vs_earlier", 85)] == pytest.approx(0.135, abs=5e-4)


def _staggered(seed=1, n=60, T=8, always=True):
    rng = np.random.default_rng(seed)
    choices = [0, 3, 5, 6] + ([1] if always else [])  # cohort 1 = first period: always treated
    g = rng.choice(choices, n)
    df = pd.DataFrame({"id": np.repeat(np.arange(n), T), "t": np.tile(np.arange(1, T + 1), n)})
    df["g"] = np.repeat(g, T)
    e = df["t"] - df["g"]
    # Effects that grow with time since adoption: TWFE's forbidden comparisons bite.
    df["y"] = rng.normal(size=len(df)) + np.repeat(rng.normal(size=n), T) + 0.3 * df["t"] \
        + np.where((df["g"] > 0) & (e >= 0), 1 + 0.5 * e, 0)
    return df


def test_identity_with_always_treated_units():
    res = bacon_decomposition(_staggered(), "y", "id", "t", "g")
    frame = res.to_frame()
    assert "treated_vs_always" in set(frame["type"])
    assert frame["weight"].sum() == pytest.approx(1.0, abs=1e-10)
    assert (frame["weight"] * frame["estimate"]).sum() == pytest.approx(res.estimate, abs=1e-10)
    # Dynamic effects make the later-vs-earlier comparisons biased downwards.
    later = frame[frame["type"] == "later_vs_earlier"]
    assert (later["estimate"] < frame[frame["type"] == "treated_vs_never"]["estimate"].min()).all()


def test_plot_and_summary():
    res = bacon_decomposition(_staggered(always=False), "y", "id", "t", "g")
    ax = res.plot()
    assert len(ax.collections) == 3  # three comparison types
    assert "Goodman-Bacon" in res.summary()


def test_unbalanced_panel_is_refused():
    df = _staggered().iloc[1:]
    with pytest.raises(DataError, match="balanced panel"):
        bacon_decomposition(df, "y", "id", "t", "g")


def test_no_timing_variation():
    df = _staggered()
    df["g"] = np.where(df["g"] > 0, 1, 0)  # only always-treated and never-treated
    with pytest.raises(DataError, match="no unit that adopts"):
        bacon_decomposition(df, "y", "id", "t", "g")


def test_missing_column_named():
    with pytest.raises(DataError, match="'cohrt'"):
        bacon_decomposition(_staggered(), "y", "id", "t", "cohrt")
