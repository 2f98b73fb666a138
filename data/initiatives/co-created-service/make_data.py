"""Generate the example data for the co-created public services barometer.

Scenario: a satisfaction barometer surveys users of 24 public services
(family-allowance offices, prefecture permits desks, job-centre branches...)
every half-year from the first half of 2021 (wave 1) to the second half of
2024 (wave 8). Each wave interviews different people (repeated cross-
sections): a quota of 150 to 250 respondents per service, met to within
5 % each wave, except two small rural outreach services with a handful to
about 20 respondents per wave, so that some service-wave cells fall below
the minimum cell size of 11 and must be masked in any table by service.
Each row is one respondent: `respondent_id`, `service`, `wave`,
`satisfaction` (0-10, a whole number), `codesign_wave` (first wave after the
service was redesigned with its users; 0 = never) and `respondents` (= 1,
the number of people behind the row, for small-cell masking).

Nine services were redesigned with their users during the second half of
2022 and are surveyed after the redesign from wave 5 (first half of 2023);
the other 15 were never redesigned. (A single adoption date keeps the naive
two-by-two comparison, shown as a robustness check, on the same estimand as
the headline; with staggered dates it would mix not-yet-redesigned waves
into the "after" period.)

Untreated satisfaction: a latent score with service levels between 5.5 and
7.5, a common wave effect (a slow rise and a dip in wave 3), a small
service-wave shock (sd 0.08) and a respondent term (sd 2); the answer is the
latent score rounded to a whole number and clipped to 0-10.

TRUE effect (documented here and written to truth.json): co-design raises
the latent score by 0.8 points for every respondent of a redesigned service
from its co-design wave on. Because answers are rounded and clipped, the
effect on the reported score is computed exactly from each treated
respondent's two potential answers (with and without the +0.8, same noise):
`att` in truth.json is the estimand of Callaway-Sant'Anna's "simple"
aggregation for repeated cross-sections, the average of the cells' effects
ATT(g, t) over t >= g weighted by the cohort's share of respondents (with
one cohort, the plain average over waves 5-8); it is slightly below 0.8
(rounding, clipping at 10). `att_by_cohort_wave` lists ATT(g, t); `respondent_att`,
the mean effect over the redesigned services' respondents from wave 5 on,
is the two-by-two comparison's estimand.

Run: python make_data.py   (seeded: the same file every time)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20230115
N_SERVICES, N_WAVES = 24, 8
COHORTS = {5: 9}  # co-design wave -> number of services
SMALL = 2  # small outreach services with very few respondents per wave
EFFECT = 0.8  # on the latent 0-10 score
WAVE_EFFECT = np.array([0.0, 0.05, -0.25, 0.05, 0.1, 0.15, 0.2, 0.25])


def main(out: Path = Path(__file__).parent) -> None:
    rng = np.random.default_rng(SEED)
    services = np.array([f"svc-{i:02d}" for i in range(1, N_SERVICES + 1)])
    # The small services are never treated, so that the treated cohorts are not driven by them.
    cohort = np.zeros(N_SERVICES, dtype=int)
    order = SMALL + rng.permutation(N_SERVICES - SMALL)
    first = 0
    for g, size in COHORTS.items():
        cohort[order[first:first + size]] = g
        first += size
    level = rng.uniform(5.5, 7.5, N_SERVICES)

    # Respondents per service and wave: a quota per service (150-250), met to within a few percent
    # each wave; the small services sometimes fall below 11.
    quota = rng.integers(150, 251, N_SERVICES)
    n_cell = np.rint(quota[:, None] * rng.uniform(0.95, 1.05, (N_SERVICES, N_WAVES))).astype(int)
    n_cell[:SMALL] = rng.integers(4, 22, (SMALL, N_WAVES))
    svc = np.repeat(np.repeat(np.arange(N_SERVICES), N_WAVES), n_cell.ravel())
    wave = np.repeat(np.tile(np.arange(1, N_WAVES + 1), N_SERVICES), n_cell.ravel())
    cell_shock = rng.normal(0, 0.08, (N_SERVICES, N_WAVES))

    latent0 = level[svc] + WAVE_EFFECT[wave - 1] + cell_shock[svc, wave - 1] + rng.normal(0, 2.0, svc.size)
    treated_now = (cohort[svc] > 0) & (wave >= cohort[svc])
    y0 = np.clip(np.rint(latent0), 0, 10)
    y1 = np.clip(np.rint(latent0 + EFFECT), 0, 10)
    y = np.where(treated_now, y1, y0).astype(int)

    frame = pd.DataFrame(
        {
            "respondent_id": np.arange(1, svc.size + 1),
            "service": services[svc],
            "wave": wave,
            "codesign_wave": cohort[svc],
            "satisfaction": y,
            "respondents": 1,
        }
    )
    frame.to_csv(out / "data.csv", index=False)

    # Callaway-Sant'Anna (repeated cross-sections) weights each cohort by its share of all rows.
    gain = y1 - y0
    cells, num, den = {}, 0.0, 0.0
    for g in COHORTS:
        share = float(np.mean(cohort[svc] == g))
        for t in range(g, N_WAVES + 1):
            att_gt = float(gain[(cohort[svc] == g) & (wave == t)].mean())
            cells[f"{g},{t}"] = att_gt
            num += share * att_gt
            den += share
    truth = {
        "att": num / den,
        "estimand": "Callaway-Sant'Anna simple aggregation (repeated cross-sections): ATT(g,t), t >= g, "
                    "weighted by the cohort's share of respondents",
        "latent_effect": EFFECT,
        "att_by_cohort_wave": cells,
        "respondent_att": float(gain[treated_now].mean()),
        "n_services": N_SERVICES,
        "n_codesigned": int((cohort > 0).sum()),
        "n_cells_below_11": int((n_cell < 11).sum()),
        "n_respondents": int(svc.size),
        "seed": SEED,
    }
    (out / "truth.json").write_text(json.dumps(truth, indent=2) + "\n")


if __name__ == "__main__":
    main()
