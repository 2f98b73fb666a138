"""Generate the example data for the seniors' simplified-access pilot.

Scenario: from January 2024 (month 37) the fictional city of Villebrune
(about 160,000 inhabitants, 18,000 aged 75 and over) runs a pilot of
simplified access to social services for older people: one desk and one
phone number for the personalised autonomy allowance (APA), home help and
transport, with outreach visits. The outcome is the monthly number of new
APA applications per 1,000 residents aged 75+ (`apa_applications_per_1000`),
observed from January 2021 to December 2024 (months 1 to 48) in Villebrune
and 36 comparable cities that ran no such pilot (the donor pool). The
column `applications` is the number of applications behind each rate (for
small-cell masking) and `pilot_active` is 1 for Villebrune from month 37.

Untreated outcomes follow a factor model,
    Y_it(0) = a_i + b_t + l_i1 * f_1t + l_i2 * f_2t + l_i3 * f_3t + e_it,
with a common trend b_t (population ageing raises the rate), a rising
factor f_1 (spreading awareness of the APA), a seasonal factor f_2 (winter
peak, stronger in some cities), a random-walk factor f_3 (local economic
and health shocks), city loadings l_i drawn at random and noise e_it with
sd 0.2 per 1,000. Villebrune's level and loadings are a convex combination
of four donors' (weights 0.4, 0.3, 0.2, 0.1), so it lies inside the convex
hull of the donors and a synthetic control can reproduce its path.

TRUE effect (documented here and written to truth.json): the pilot raises
Villebrune's rate by 0.8 applications per 1,000 once it is fully running;
25 % of that in January 2024, 50 % in February and 75 % in March. `att` in
truth.json is the synthetic-control (and synthetic DiD) estimand, the
average effect over the 12 post-treatment months:
(0.2 + 0.4 + 0.6 + 9 * 0.8) / 12 = 0.7.

Run: python make_data.py   (seeded: the same file every time)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20240101
N_DONORS, N_MONTHS, START = 36, 48, 37
TREATED = "Villebrune"
FULL = 0.8
RAMP = np.array([0.25, 0.5, 0.75])
MIX = {0: 0.4, 1: 0.3, 2: 0.2, 3: 0.1}  # donor index -> weight in Villebrune's level and loadings


def main(out: Path = Path(__file__).parent) -> None:
    rng = np.random.default_rng(SEED)
    months = np.arange(1, N_MONTHS + 1)
    labels = pd.period_range("2021-01", periods=N_MONTHS, freq="M")
    donors = np.array([f"city-{i:02d}" for i in range(1, N_DONORS + 1)])

    level = rng.uniform(3.2, 5.2, N_DONORS)
    load = np.column_stack([rng.uniform(0.2, 1.4, N_DONORS), rng.uniform(0.3, 1.7, N_DONORS),
                            rng.normal(0, 1, N_DONORS)])
    pop75 = rng.uniform(9_000, 30_000, N_DONORS)
    # Villebrune: a convex combination of four mid-range donors (no extrapolation needed).
    mid = np.argsort(np.abs(level - np.median(level)))[:4]
    w = np.array([MIX[k] for k in range(4)])
    level = np.r_[w @ level[mid], level]
    load = np.vstack([w @ load[mid], load])
    pop75 = np.r_[18_000.0, pop75]
    units = np.concatenate([[TREATED], donors])

    t = (months - 1) / (N_MONTHS - 1)
    common = 0.4 * t
    f1 = 0.6 * t ** 1.5
    f2 = 0.5 * np.cos(2 * np.pi * (labels.month.to_numpy() - 1) / 12)
    f3 = np.cumsum(rng.normal(0, 0.06, N_MONTHS))
    factors = np.vstack([f1, f2, f3])
    y0 = level[:, None] + common[None, :] + load @ factors + rng.normal(0, 0.2, (units.size, N_MONTHS))

    event = months - START
    effect = np.where(event < 0, 0.0, np.where(event < RAMP.size, FULL * RAMP[np.clip(event, 0, RAMP.size - 1)], FULL))
    y = y0.copy()
    y[0] += effect
    applications = np.rint(y * pop75[:, None] / 1000).astype(int)

    frame = pd.DataFrame(
        {
            "city": np.repeat(units, N_MONTHS),
            "month": np.tile(months, units.size),
            "month_label": np.tile(labels.astype(str), units.size),
            "apa_applications_per_1000": y.ravel().round(3),
            "applications": applications.ravel(),
            "pilot_active": ((np.arange(units.size)[:, None] == 0) & (months[None, :] >= START)).astype(int).ravel(),
        }
    )
    frame.to_csv(out / "data.csv", index=False)
    truth = {
        "att": float(effect[event >= 0].mean()),
        "estimand": "average effect on Villebrune over the 12 post-treatment months (months 37-48)",
        "effect_by_month": {int(m): float(e) for m, e in zip(months[event >= 0], effect[event >= 0])},
        "treated_unit": TREATED,
        "start": START,
        "donor_weights_used_to_build_the_treated_unit": {str(donors[i]): float(w[k]) for k, i in enumerate(mid)},
        "population_75_plus": 18_000,
        "seed": SEED,
    }
    (out / "truth.json").write_text(json.dumps(truth, indent=2) + "\n")


if __name__ == "__main__":
    main()
