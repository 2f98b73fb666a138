"""Coverage of impact.survey's intervals on repeated samples from a known finite population.

Population: 8 strata x 40 clusters (e.g. service sites) of 10-30 users with a
0-10 satisfaction score that has a strong cluster effect (intra-cluster
correlation about 0.3). Design: 4 clusters drawn without replacement in
every stratum, every user of a drawn cluster answers (one-stage cluster
sampling), weights = 40 / 4, fpc = 40 clusters per stratum, df = 32 - 8 = 24.
The population mean score, top-box share and the mean of one domain are
known exactly; 95% intervals must cover them about 95% of the time, while
intervals that ignore the clustering cover far less (checked too, so that
the test can fail).
"""

import numpy as np
import pandas as pd
import pytest

from impact.survey import SurveyDesign

N_STRATA, N_CLUSTERS, TAKE, REPS = 8, 40, 4, 300


@pytest.fixture(scope="module")
def population():
    rng = np.random.default_rng(2026)
    sizes = rng.integers(10, 31, (N_STRATA, N_CLUSTERS))
    stratum = np.repeat(np.repeat(np.arange(N_STRATA), N_CLUSTERS), sizes.ravel())
    cluster = np.repeat(np.arange(N_STRATA * N_CLUSTERS), sizes.ravel())
    level = rng.normal(0, 1.2, N_STRATA * N_CLUSTERS)[cluster] + 0.3 * stratum
    score = np.clip(np.round(5.5 + level + rng.normal(0, 1.8, cluster.size)), 0, 10)
    online = rng.random(cluster.size) < 0.35
    return pd.DataFrame({"stratum": stratum, "cluster": cluster, "score": score, "online": online})


def _draw(population, rng):
    picks = np.concatenate([
        s * N_CLUSTERS + rng.choice(N_CLUSTERS, TAKE, replace=False) for s in range(N_STRATA)
    ])
    sample = population[population["cluster"].isin(picks)].copy()
    sample["w"] = N_CLUSTERS / TAKE
    sample["N"] = N_CLUSTERS
    return sample


def test_intervals_cover_the_population_value(population):
    truth = {
        "mean": population["score"].mean(),
        "top_box": (population["score"] >= 8).mean(),
        "online_mean": population.loc[population["online"], "score"].mean(),
    }
    rng = np.random.default_rng(11)
    hits = {k: 0 for k in truth}
    naive_hits = 0
    for _ in range(REPS):  # repeated samples: the loop is over replications, not rows
        sample = _draw(population, rng)
        design = SurveyDesign(sample, weights="w", strata="stratum", psu="cluster", fpc="N")
        results = {
            "mean": design.mean("score"),
            "top_box": design.top_box("score", 8),
            "online_mean": design.mean("score", by="online").to_frame().set_index("online").loc[True],
        }
        for key, res in results.items():
            lo, hi = (res.ci_low, res.ci_high) if key != "online_mean" else (res["ci_low"], res["ci_high"])
            hits[key] += lo <= truth[key] <= hi
        # the same estimate with every respondent treated as an independent draw
        naive = SurveyDesign(sample, weights="w", strata="stratum").mean("score")
        naive_hits += naive.ci_low <= truth["mean"] <= naive.ci_high
    coverage = {k: v / REPS for k, v in hits.items()}
    # 300 replications: a binomial SE of 1.3 points around 95%
    for key, value in coverage.items():
        assert 0.915 <= value <= 0.985, (key, coverage)
    print(f"coverage {coverage}, ignoring clusters {naive_hits / REPS:.3f}")
    assert naive_hits / REPS < 0.75, naive_hits / REPS
