"""Generate the example data for the digital social-housing application system.

Scenario: 60 cities report the mean processing time (days) of social-housing
applications each month from January 2022 to December 2023. From July 2023
(month 19), 24 of them process applications through a new digital system.
The other 36 keep the paper procedure.

True effect (documented here and written to truth.json):
    processing time falls by 12 days in the first month of use, 24 in the
    second and 30 days from the third month on (staff learn the tool); the
    average effect on the treated over the six post months is therefore
    (-12 - 24 - 30*4) / 6 = -26 days.
Other features: city levels (35-55 days), a common downward trend, a winter
peak (more applications, longer delays), city-specific AR(1) noise; each
row also carries the number of applications processed, so that reports can
mask cells with fewer than the minimum cell size.

Run: python make_data.py   (seeded: the same file every time)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20230701
N_CITIES, N_TREATED = 60, 24
MONTHS = pd.period_range("2022-01", "2023-12", freq="M")
START = 18  # index of 2023-07
RAMP = {0: -12.0, 1: -24.0}
FULL = -30.0


def main(out: Path = Path(__file__).parent) -> None:
    rng = np.random.default_rng(SEED)
    t = np.arange(len(MONTHS))
    cities = [f"city-{i:02d}" for i in range(1, N_CITIES + 1)]
    treated = np.zeros(N_CITIES, bool)
    treated[rng.choice(N_CITIES, N_TREATED, replace=False)] = True
    level = rng.uniform(35, 55, N_CITIES)
    size = rng.lognormal(np.log(120), 0.6, N_CITIES)
    season = 3.0 * np.cos(2 * np.pi * (MONTHS.month.to_numpy() - 1) / 12)
    trend = -0.15 * t
    noise = np.zeros((N_CITIES, len(t)))
    shocks = rng.normal(0, 2.5, (N_CITIES, len(t)))
    noise[:, 0] = shocks[:, 0]
    for s in range(1, len(t)):  # AR(1) across months, vectorised over cities
        noise[:, s] = 0.5 * noise[:, s - 1] + shocks[:, s]
    event = t[None, :] - START
    by_event = np.array([RAMP.get(e, FULL) for e in range(len(t))])
    effect = np.where(event < 0, 0.0, by_event[np.maximum(event, 0)])
    effect = effect * treated[:, None]
    days = level[:, None] + trend[None, :] + season[None, :] + noise + effect
    applications = rng.poisson(size[:, None] * (1 + 0.2 * season[None, :] / 3))
    frame = pd.DataFrame(
        {
            "city": np.repeat(cities, len(t)),
            "month": np.tile(t + 1, N_CITIES),
            "month_label": np.tile(MONTHS.astype(str), N_CITIES),
            "adoption_month": np.repeat(np.where(treated, START + 1, 0), len(t)),
            "processing_days": days.ravel().round(2),
            "applications": applications.ravel(),
        }
    )
    frame.to_csv(out / "data.csv", index=False)
    post = effect[treated][:, START:]
    truth = {
        "att": float(post.mean()),  # the average effect on the treated over the post months
        "att_post_average": float(post.mean()),
        "effect_by_event_time": {int(e): float(RAMP.get(e, FULL)) for e in range(len(t) - START)},
        "n_cities": N_CITIES,
        "n_treated": N_TREATED,
        "seed": SEED,
    }
    (out / "truth.json").write_text(json.dumps(truth, indent=2) + "\n")


if __name__ == "__main__":
    main()
