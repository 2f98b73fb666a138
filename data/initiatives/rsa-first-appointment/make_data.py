"""Generate the example data for the RSA first-appointment reform.

Scenario: 96 départements report, each month from January 2022 to December
2024 (months 1 to 36), the mean delay in days between a person's entry into
the RSA (revenu de solidarité active) and their first appointment with a
referent, over the people who entered that month (`new_beneficiaries`).
A reform (a single orientation platform and more referents) was adopted in
four waves: 10 départements in July 2022 (month 7), 16 in January 2023
(month 13), 22 in July 2023 (month 19) and 24 in January 2024 (month 25);
24 départements never adopt it within the period (`reform_month` = 0).

Untreated delays: département levels between 70 and 115 days (about three
months), a slow upward drift as caseloads grow, a summer peak (+8 days in
July-August) and a December peak (+4), département-specific AR(1) shocks
and sampling noise that shrinks with the number of new beneficiaries.

TRUE effects (documented here and written to truth.json): a département of
wave w that adopts the reform brings its delay down towards a target of
13, 15, 18 and 22 days for waves 1 to 4 (the early volunteers were the
best prepared); its full effect is -(level - target) times a département
factor drawn in [0.9, 1.0], so about -60 to -100 days. The effect builds up
over the first months: 25 % of the full effect in the month of adoption,
50 % the next month, 75 % the month after and 100 % from the fourth month.
Effects thus differ by wave and by time since adoption, which biases a
two-way fixed-effects regression (forbidden comparisons of late with early
adopters) but not Callaway and Sant'Anna's estimator.

`att` in truth.json is the estimand of Callaway-Sant'Anna's "simple"
aggregation: the cohort-size weighted average of ATT(g, t) over t >= g,
which equals the plain mean of the simulated effect over every treated
département-month from adoption on. `effect_by_event_time` is the
"dynamic" aggregation's estimand (cohorts weighted by size at each event
time) and `att_by_cohort` the average post-adoption effect of each wave.

Run: python make_data.py   (seeded: the same file every time)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20220701
N_MONTHS = 36
WAVES = {7: 10, 13: 16, 19: 22, 25: 24}  # adoption month -> number of départements
N_NEVER = 24
TARGET = {7: 13.0, 13: 15.0, 19: 18.0, 25: 22.0}  # delay (days) each wave converges to
RAMP = np.array([0.25, 0.50, 0.75])  # share of the full effect at event times 0, 1, 2; 1 afterwards


def main(out: Path = Path(__file__).parent) -> None:
    rng = np.random.default_rng(SEED)
    n = sum(WAVES.values()) + N_NEVER
    months = np.arange(1, N_MONTHS + 1)
    labels = pd.period_range("2022-01", periods=N_MONTHS, freq="M")
    deps = np.array([f"dep-{i:02d}" for i in range(1, n + 1)])

    cohort = np.zeros(n, dtype=int)
    order = rng.permutation(n)
    first = 0
    for g, size in WAVES.items():
        cohort[order[first:first + size]] = g
        first += size
    treated = cohort > 0

    level = rng.uniform(70, 115, n)
    size = rng.lognormal(np.log(380), 0.8, n)  # monthly new beneficiaries: a few dozen to a few thousand
    month_of_year = labels.month.to_numpy()
    season = 8.0 * np.isin(month_of_year, (7, 8)) + 4.0 * (month_of_year == 12)
    drift = 0.15 * (months - 1)
    shocks = rng.normal(0, 3.0, (n, N_MONTHS))
    ar = np.zeros_like(shocks)
    ar[:, 0] = shocks[:, 0]
    for t in range(1, N_MONTHS):  # AR(1) over months, vectorised over départements
        ar[:, t] = 0.6 * ar[:, t - 1] + shocks[:, t]

    target = np.array([TARGET.get(g, np.nan) for g in cohort])
    full = np.where(treated, -(level - target) * rng.uniform(0.9, 1.0, n), 0.0)
    event = months[None, :] - cohort[:, None]
    share = np.where(event < 0, 0.0, np.where(event < RAMP.size, RAMP[np.clip(event, 0, RAMP.size - 1)], 1.0))
    effect = np.where(treated[:, None], full[:, None] * share, 0.0)

    entrants = rng.poisson(size[:, None] * (1 + 0.1 * np.cos(2 * np.pi * (month_of_year - 9) / 12))[None, :])
    entrants = np.maximum(entrants, 1)
    sampling = rng.normal(0, 1, (n, N_MONTHS)) * 40.0 / np.sqrt(entrants)
    delay = level[:, None] + drift[None, :] + season[None, :] + ar + sampling + effect

    frame = pd.DataFrame(
        {
            "departement": np.repeat(deps, N_MONTHS),
            "month": np.tile(months, n),
            "month_label": np.tile(labels.astype(str), n),
            "reform_month": np.repeat(cohort, N_MONTHS),
            "delay_days": delay.ravel().round(1),
            "new_beneficiaries": entrants.ravel(),
        }
    )
    frame.to_csv(out / "data.csv", index=False)

    post = treated[:, None] & (event >= 0)
    by_event = {
        int(e): float(effect[treated[:, None] & (event == e)].mean())
        for e in range(0, N_MONTHS - min(WAVES) + 1)
    }
    truth = {
        "att": float(effect[post].mean()),
        "estimand": "Callaway-Sant'Anna simple aggregation: mean effect over treated "
                    "departement-months from adoption on",
        "att_by_cohort": {int(g): float(effect[cohort == g][:, g - 1:].mean()) for g in WAVES},
        "effect_by_event_time": by_event,
        "treated_new_beneficiaries_per_year": float(entrants[treated].sum() / (N_MONTHS / 12)),
        "n_departements": int(n),
        "n_never_treated": N_NEVER,
        "seed": SEED,
    }
    (out / "truth.json").write_text(json.dumps(truth, indent=2) + "\n")


if __name__ == "__main__":
    main()
