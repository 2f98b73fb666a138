"""Benchmark impact.survey on a million respondents: stratified cluster design, estimates by domain.

Generates a seeded satisfaction survey (``--rows`` respondents, 20 strata,
``--psus`` clusters spread over them, unequal weights, a 0-10 score with 3%
item non-response, 13 regions as the domain), then times, fastest of
``--repeat`` runs:

- building the :class:`~impact.survey.SurveyDesign` (checks, integer coding);
- ``design.mean("score", by="region")`` (13 domains plus the overall mean);
- ``design.top_box("score", 8, by="region")``;
- ``design.proportion("channel", by="region")`` (3 levels x 13 domains);
- ``design.compare("score", by="wave")`` (joint linearisation of two waves);
- the same mean with every respondent its own PSU (1M PSUs: the sparse path);
- optionally (``--samplics``) samplics' ``TaylorEstimator`` mean by region on the same data;
- optionally (``--replicates R``) a mean by region from R bootstrap replicate weights;
- optionally (``--coverage N``) the coverage simulation of ``tests/test_survey_simulation.py``
  (same population and design) with N replications instead of the test's 300.

Usage::

    .venv/bin/python benchmarks/survey.py                     # 1,000,000 respondents
    .venv/bin/python benchmarks/survey.py --samplics          # and samplics on the same data
    .venv/bin/python benchmarks/survey.py --rows 200000 --replicates 80
    .venv/bin/python benchmarks/survey.py --rows 0 --coverage 2000     # coverage only

The machine is shared: expect run-to-run noise, hence the fastest of several runs, and the
process CPU time beside the wall time (with NumPy single-threaded here, CPU time is what the
estimate costs on a quiet core).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from impact.survey import SurveyDesign


def make_survey(rows: int, psus: int, seed: int = 20261129) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    stratum_of_psu = np.sort(rng.integers(0, 20, psus))
    stratum_of_psu[:20] = np.arange(20)  # every stratum gets at least two PSUs
    stratum_of_psu[20:40] = np.arange(20)
    psu = rng.integers(0, psus, rows)
    level = rng.normal(0, 0.8, psus)[psu]
    score = np.clip(np.round(6.5 + level + rng.normal(0, 2, rows)), 0, 10)
    score[rng.random(rows) < 0.03] = np.nan
    return pd.DataFrame(
        {
            "stratum": stratum_of_psu[psu],
            "psu": psu,
            "w": rng.uniform(50, 400, rows),
            "score": score,
            "region": rng.integers(1, 14, rows),
            "wave": rng.integers(2024, 2026, rows),
            "channel": rng.choice(["desk", "online", "phone"], rows),
        }
    )


def best_of(repeat: int, fn):
    """Fastest wall time and fastest CPU time of ``repeat`` runs (CPU time is less sensitive to a loaded machine)."""
    wall, cpu, value = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        value = fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return (min(wall), min(cpu)), value


def coverage(reps: int, seed: int = 99) -> None:
    """The test's coverage simulation, more replications: share of 95% intervals covering the truth."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import test_survey_simulation as sim

    population = sim.population.__wrapped__()
    truth = {
        "mean": population["score"].mean(),
        "top_box": (population["score"] >= 8).mean(),
        "online_mean": population.loc[population["online"], "score"].mean(),
    }
    rng = np.random.default_rng(seed)
    hits = dict.fromkeys([*truth, "mean_ignoring_clusters"], 0)
    for _ in range(reps):  # replications, not rows
        sample = sim._draw(population, rng)
        design = SurveyDesign(sample, weights="w", strata="stratum", psu="cluster", fpc="N")
        online = design.mean("score", by="online").to_frame().set_index("online").loc[True]
        intervals = {
            "mean": design.mean("score"),
            "top_box": design.top_box("score", 8),
            "online_mean": online,
            "mean_ignoring_clusters": SurveyDesign(sample, weights="w", strata="stratum").mean("score"),
        }
        for key, res in intervals.items():
            low, high = (res["ci_low"], res["ci_high"]) if key == "online_mean" else (res.ci_low, res.ci_high)
            hits[key] += low <= truth[key.replace("_ignoring_clusters", "")] <= high
    se = np.sqrt(0.95 * 0.05 / reps)
    print(f"coverage of 95% intervals, {reps} replications (binomial SE {100 * se:.2f} points):")
    for key, value in hits.items():
        print(f"  {key:<24} {100 * value / reps:6.2f}%")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--psus", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--samplics", action="store_true")
    parser.add_argument("--replicates", type=int, default=0)
    parser.add_argument("--coverage", type=int, default=0)
    args = parser.parse_args(argv)
    if args.coverage:
        coverage(args.coverage)
    if not args.rows:
        return

    data = make_survey(args.rows, args.psus)
    print(f"{args.rows:,} respondents, 20 strata, {args.psus:,} PSUs, 13 regions, fastest of {args.repeat}")
    t, design = best_of(args.repeat, lambda: SurveyDesign(data, weights="w", strata="stratum", psu="psu"))
    rows = [("SurveyDesign(...)", t, design.describe())]
    for label, fn in [
        ('mean("score")', lambda: design.mean("score")),
        ('mean("score", by="region")', lambda: design.mean("score", by="region")),
        ('top_box("score", 8, by="region")', lambda: design.top_box("score", 8, by="region")),
        ('proportion("channel", by="region")', lambda: design.proportion("channel", by="region")),
        ('compare("score", by="wave")', lambda: design.compare("score", by="wave")),
    ]:
        t, res = best_of(args.repeat, fn)
        rows.append((label, t, f"estimate {res.estimate:.5g}, se {res.se:.3g}"))
    t, res = best_of(args.repeat, lambda: SurveyDesign(data, weights="w", strata="stratum").mean("score", by="region"))
    rows.append(("design + mean by region, each row a PSU", t, f"se {res.se:.3g}"))

    if args.samplics:
        warnings.filterwarnings("ignore")
        from samplics import PopParam, TaylorEstimator

        answered = data[data["score"].notna()]

        def run_samplics():
            est = TaylorEstimator(PopParam.mean)
            est.estimate(y=answered["score"], samp_weight=answered["w"], stratum=answered["stratum"],
                         psu=answered["psu"], domain=answered["region"])
            return est

        t, est = best_of(1, run_samplics)
        ours = design.mean("score", by="region").to_frame().set_index("region")
        gap = max(abs(ours.loc[g, "se"] - est.stderror[g]) / est.stderror[g] for g in ours.index)
        rows.append(("samplics TaylorEstimator mean by region", t, f"largest relative SE gap vs impact {gap:.1e}"))

    if args.replicates:
        rng = np.random.default_rng(1)
        reps = pd.DataFrame(
            {f"rep{r}": data["w"].to_numpy() * rng.poisson(1.0, len(data)) for r in range(args.replicates)}
        )
        both = pd.concat([data, reps], axis=1)
        rep_design = SurveyDesign(both, weights="w", replicate_weights=list(reps), replicate_type="bootstrap")
        t, res = best_of(args.repeat, lambda: rep_design.mean("score", by="region"))
        rows.append((f"mean by region, {args.replicates} bootstrap replicates", t, f"se {res.se:.3g}"))

    width = max(len(r[0]) for r in rows)
    print(f"{'':<{width}}  {'wall':>8}     {'CPU':>8}")
    for label, (wall, cpu), note in rows:
        print(f"{label:<{width}}  {wall * 1000:8.1f} ms  {cpu * 1000:8.1f} ms  {note}")


if __name__ == "__main__":
    main()
