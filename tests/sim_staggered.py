"""Seeded staggered-adoption panels with a known, heterogeneous effect (used by the helper-B test files).

The effect grows with time since adoption and is larger for earlier cohorts,
the case in which two-way fixed effects is biased (Goodman-Bacon 2021; Sun &
Abraham 2021). ``tau`` holds each row's true effect, ``d`` the 0/1 treatment.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def staggered_panel(seed=0, n_units=200, n_periods=8, cohorts=(0, 3, 5, 6), noise=1.0, slope=0.5):
    rng = np.random.default_rng(seed)
    g = rng.choice(np.asarray(cohorts), n_units)
    df = pd.DataFrame({"id": np.repeat(np.arange(n_units), n_periods), "t": np.tile(np.arange(1, n_periods + 1), n_units)})
    df["g"] = np.repeat(g, n_periods)
    e = (df["t"] - df["g"]).to_numpy()
    treated = (df["g"] > 0).to_numpy() & (e >= 0)
    early = 2.0 - (df["g"].to_numpy() - min(c for c in cohorts if c > 0)) / n_periods
    df["tau"] = np.where(treated, (1.0 + slope * e) * early, 0.0)
    df["d"] = treated.astype(int)
    unit_fe = np.repeat(rng.normal(size=n_units), n_periods)
    df["y"] = unit_fe + 0.2 * df["t"] + np.sin(df["t"]) + df["tau"] + noise * rng.normal(size=len(df))
    return df


def true_event_effects(df: pd.DataFrame) -> pd.Series:
    """Average true effect by event time over treated rows (the sample-share-weighted estimand)."""
    treated = df[df["g"] > 0]
    return treated.groupby(treated["t"] - treated["g"])["tau"].mean()
