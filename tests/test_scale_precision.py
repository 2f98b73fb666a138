"""The statistics query keeps its precision: centred sums of products against NumPy's two-pass covariance."""

import sys
from pathlib import Path

import numpy as np

from impact.scale import panel_statistics

sys.path.insert(0, str(Path(__file__).parent))
from sim_staggered import staggered_panel  # noqa: E402


def _write(df, tmp_path):
    df.to_parquet(tmp_path / "panel.parquet")
    return str(tmp_path / "panel.parquet")


def test_statistics_keep_their_precision_far_from_zero(tmp_path):
    # The query sums products of outcomes centred on their cohort's period means (from the distinct-values scan).
    # Outcomes near 1e7 with unit-scale noise and cohort means 1e3 apart would lose about 14 digits in raw sums of
    # products (and 6 centred on the overall period means); checked against NumPy's two-pass covariance.
    df = staggered_panel(seed=5, n_units=300, n_periods=7, cohorts=(0, 3, 5, 6, 9))
    df["y"] = 1e7 + 1e3 * (df["g"] % 4) + df["y"]
    st = panel_statistics(_write(df, tmp_path), "y", "id", "t", cohort="g")
    for k, n, mean, cov in zip(st.keys, st.n, st.mean, st.cov):
        code = df["g"].map(lambda g: g - 1 if g > 0 else -1)  # cohorts after the sample keep their own code
        wide = df[code == k].pivot(index="id", columns="t", values="y").to_numpy()
        assert n == len(wide)
        np.testing.assert_allclose(mean, wide.mean(axis=0), rtol=1e-15, atol=0)
        np.testing.assert_allclose(cov, np.cov(wide, rowvar=False, ddof=0), rtol=0, atol=1e-12)
