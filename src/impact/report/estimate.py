"""Run the estimators an initiative names, with the columns it declares.

This is the only place that maps an ``initiative.yaml`` to library calls;
every number comes from :mod:`impact.did`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from impact.data import period_codes
from impact.errors import ImpactError
from impact.report.initiative import Initiative

__all__ = ["prepare", "run_estimator", "run_all"]


def prepare(initiative: Initiative, data: pd.DataFrame) -> pd.DataFrame:
    """Add the derived 0/1 columns an estimator may need (treatment, treated, post) from the cohort."""
    spec = initiative.data_spec
    frame = data.copy()
    cohort, time = spec.get("cohort"), spec["time"]
    if cohort and cohort in frame:
        # Compare periods on their calendar codes: '07/2023' and Excel dates do not order as written.
        _, tcode, gcode = period_codes(frame, time, cohort)
        never = gcode < 0
        frame["_treated_group"] = (~never).astype(int)
        frame["_treated_now"] = ((~never) & (tcode >= gcode)).astype(int)
        started = gcode[gcode > 0]
        frame["_post"] = (tcode >= started.min()).astype(int) if started.size else 0
    return frame


def run_estimator(initiative: Initiative, data: pd.DataFrame, estimator: str | None = None):
    """Fit one estimator on the initiative's (prepared) data and return its result."""
    from impact import did

    spec, design = initiative.data_spec, initiative.design
    estimator = estimator or design.get("estimator", "twfe")
    headline = estimator == design.get("estimator", "twfe")
    options = dict(design.get("options") or {}) if headline else {}
    alpha = design.get("alpha", 0.05)
    y, unit, time = spec["outcome"], spec["unit"], spec["time"]
    cohort = spec.get("cohort")
    covariates = spec.get("covariates") or None
    window = tuple(design["event_window"]) if design.get("event_window") else None
    if estimator == "two_by_two":
        treated = spec.get("treated") or "_treated_group"
        post = spec.get("post") or "_post"
        # Units (cities, services) are the clusters, in panels and in repeated cross-sections alike.
        options.setdefault("cluster", unit)
        return did.two_by_two(data, y, treated, post, covariates=covariates, unit=unit, alpha=alpha, **options)
    if estimator == "twfe":
        return did.twfe(data, y, unit, time, spec.get("treatment") or "_treated_now", covariates=covariates,
                        alpha=alpha, **options)
    if estimator == "event_study":
        return did.event_study(data, y, unit, time, cohort, window=window, alpha=alpha, **options)
    if estimator == "callaway_santanna":
        options.setdefault("seed", design.get("seed"))
        options.setdefault("panel", spec.get("panel", True))
        return did.callaway_santanna(data, y, unit, time, cohort, covariates=covariates, alpha=alpha, **options)
    if estimator in ("sun_abraham", "imputation"):
        return getattr(did, estimator)(data, y, unit, time, cohort, window=window, alpha=alpha, **options)
    if estimator == "synthetic_control":
        return did.synthetic_control(data, y, unit, time, design["treated_unit"], design["start"], alpha=alpha,
                                     **options)
    if estimator == "synthetic_did":
        options.setdefault("seed", design.get("seed"))
        return did.synthetic_did(data, y, unit, time, spec.get("treatment") or "_treated_now", alpha=alpha, **options)
    raise ImpactError(f"design.estimator: unknown estimator {estimator!r}")


def run_all(initiative: Initiative, data: pd.DataFrame) -> dict:
    """The headline result and each robustness estimator's, keyed by name.

    A robustness estimator that cannot run on these data is reported as its
    error message rather than stopping the report; the headline must succeed.
    """
    design = initiative.design
    main = design.get("estimator", "twfe")
    results = {main: run_estimator(initiative, data, main)}
    for name in design.get("robustness") or []:
        if name in results:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                results[name] = run_estimator(initiative, data, name)
        except (ImpactError, AttributeError, ImportError) as exc:
            results[name] = exc
    return results


def comparison_table(results: dict) -> pd.DataFrame:
    """One row per estimator: estimate, standard error, interval, p-value (or the reason it could not run)."""
    rows = []
    for name, res in results.items():
        if isinstance(res, Exception):
            rows.append({"estimator": name, "estimate": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                         "pvalue": np.nan, "note": str(res).splitlines()[0]})
        else:
            rows.append({"estimator": name, "estimate": res.estimate, "se": res.se, "ci_low": res.ci_low,
                         "ci_high": res.ci_high, "pvalue": res.pvalue, "note": res.method})
    return pd.DataFrame(rows)
