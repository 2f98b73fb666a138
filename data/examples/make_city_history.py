"""Make ``city_history.csv``: a seeded, synthetic history of a public-service KPI.

40 cities observed for 24 quarters (2019Q1-2024Q4) before any pilot. The
outcome ``processing_days`` is the mean number of days a city's office takes
to process an application. It is built as

    city level + national trend and seasonality + city AR(1) shock + noise,

so that it has what real administrative series have and what power formulas
must handle: large permanent differences between cities (absorbed by unit
fixed effects), common quarterly movements (absorbed by period fixed
effects) and serially correlated city-specific deviations, which make
naive power calculations too optimistic.

Run from the repository root: ``python data/examples/make_city_history.py``.
The file is used by ``notebooks/design.ipynb`` and ``tests/test_design.py``.
"""

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20240601
N_CITIES, N_QUARTERS = 40, 24
AR1, SHOCK_SD, NOISE_SD = 0.6, 2.0, 1.0


def make(seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cities = [f"city_{i:02d}" for i in range(1, N_CITIES + 1)]
    quarters = pd.period_range("2019Q1", periods=N_QUARTERS, freq="Q").astype(str)
    level = rng.normal(30.0, 6.0, N_CITIES)
    t = np.arange(N_QUARTERS)
    national = -0.15 * t + 1.5 * np.sin(2 * np.pi * t / 4)
    # Stationary AR(1) city shocks: start from the stationary distribution.
    shock = np.empty((N_CITIES, N_QUARTERS))
    shock[:, 0] = rng.normal(0, SHOCK_SD, N_CITIES)
    innovation = rng.normal(0, SHOCK_SD * np.sqrt(1 - AR1**2), (N_CITIES, N_QUARTERS))
    for q in range(1, N_QUARTERS):  # a loop over 24 quarters, not over rows
        shock[:, q] = AR1 * shock[:, q - 1] + innovation[:, q]
    y = level[:, None] + national[None, :] + shock + rng.normal(0, NOISE_SD, (N_CITIES, N_QUARTERS))
    return pd.DataFrame(
        {
            "city": np.repeat(cities, N_QUARTERS),
            "quarter": np.tile(quarters, N_CITIES),
            "processing_days": np.round(y.ravel(), 2),
        }
    )


if __name__ == "__main__":
    out = Path(__file__).with_name("city_history.csv")
    make().to_csv(out, index=False)
    print(f"wrote {out}")
