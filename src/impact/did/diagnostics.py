"""Diagnostics for event studies: a joint pre-trend test and a placebo adoption date."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats

from impact.data import check_int, validate_panel
from impact.errors import ConfigError, EstimationError
from impact.results import EventStudyResult, Summary

__all__ = ["pretrend_test", "PretrendTest", "placebo_test"]

_PLACEBO_ESTIMATORS = ("sun_abraham", "imputation", "event_study", "callaway_santanna")


@dataclass(frozen=True)
class PretrendTest:
    """Joint Wald test that every pre-adoption event-time coefficient is zero."""

    statistic: float
    df: int
    pvalue: float
    event_times: tuple[int, ...]
    method: str

    def to_frame(self) -> pd.DataFrame:
        """One row: ``test``, ``statistic``, ``df``, ``pvalue``, ``event_times``."""
        return pd.DataFrame({"test": ["pre-trends (joint Wald)"], "statistic": [self.statistic], "df": [self.df],
                             "pvalue": [self.pvalue], "event_times": [", ".join(map(str, self.event_times))]})

    def _summary(self) -> Summary:
        header = (
            ("Null hypothesis", "all pre-adoption coefficients are zero"),
            ("Event times", ", ".join(map(str, self.event_times))),
            ("Statistic", f"chi2({self.df}) = {self.statistic:.4g}"),
            ("p-value", f"{self.pvalue:.4g}"),
            ("Estimator", self.method),
        )
        notes = ("A large p-value does not show that trends are parallel: pre-tests have low power "
                 "(Roth 2022); see honest_did for sensitivity.",)
        return Summary("Pre-trend test", header, self.to_frame(), notes)

    def summary(self) -> str:
        return self._summary().as_text()

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return self._summary().as_html()


def pretrend_test(result: EventStudyResult) -> PretrendTest:
    """Joint Wald test of the pre-adoption event-time coefficients of an event study.

    Parameters
    ----------
    result : EventStudyResult
        From :func:`event_study`, :func:`sun_abraham`, :func:`imputation`
        (its leads are BJS's pre-trend coefficients) or a dynamic
        aggregation; it must carry ``vcov``.

    Returns
    -------
    PretrendTest
        ``statistic = b' V^-1 b`` over the pre-adoption coefficients ``b``
        (reference period excluded), ``df`` their number (the rank of ``V``
        if it is singular), ``pvalue`` from the chi-squared distribution.

    Raises
    ------
    ConfigError
        ``result`` is not an event study with a covariance matrix, or has no
        pre-adoption coefficient.

    Notes
    -----
    Under parallel trends and no anticipation every pre-adoption
    coefficient is zero. Failing to reject is weak evidence: the test has
    low power against trends that bias the post-adoption estimates, and
    conditioning on passing it distorts inference (Roth 2022).

    References
    ----------
    Roth, J. (2022). Pretest with caution: event-study estimates after
    testing for parallel trends. *American Economic Review: Insights*,
    4(3), 305-322. https://doi.org/10.1257/aeri.20210236
    """
    if not isinstance(result, EventStudyResult) or result.vcov is None:
        raise ConfigError(
            f"pretrend_test needs an event-study result with a covariance matrix (got {type(result).__name__}); "
            "use event_study, sun_abraham, imputation or an aggregate(kind='dynamic') result"
        )
    pre = result.pre_trend_terms()
    pre = pre[pre["event_time"].isin(result.vcov.index)]
    if pre.empty:
        raise ConfigError("the event study has no pre-adoption coefficient to test; widen its window to include leads")
    times = pre["event_time"].astype(int).to_numpy()
    b = pre["estimate"].to_numpy(dtype=float)
    V = result.vcov.loc[times, times].to_numpy(dtype=float)
    if not np.all(np.isfinite(V)) or not np.all(np.isfinite(b)):
        raise EstimationError("the pre-adoption coefficients or their covariance contain NaN; cannot test")
    rank = int(np.linalg.matrix_rank(V))
    if rank == 0:
        raise EstimationError("the covariance of the pre-adoption coefficients is zero; cannot test")
    stat = float(b @ np.linalg.pinv(V) @ b)
    return PretrendTest(statistic=stat, df=rank, pvalue=float(stats.chi2.sf(stat, rank)),
                        event_times=tuple(int(t) for t in times), method=result.method)


def placebo_test(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    shift: int = 2,
    estimator: str | Callable = "sun_abraham",
    **kwargs,
):
    """Re-estimate on pre-treatment data with a fake adoption date ``shift`` periods early.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel.
    outcome, unit, time, cohort : str
        Column names, as for the estimators.
    shift : int
        How many periods before the real adoption the placebo adoption is
        placed (at least 1). Placebo cohorts that would start at or before
        the first period are always treated; the estimator handles them
        (dropping them, with a warning).
    estimator : str or callable
        ``"sun_abraham"`` (default), ``"imputation"``, ``"event_study"`` or
        ``"callaway_santanna"``, or any callable with the signature
        ``f(data, outcome, unit, time, cohort, **kwargs)``.
    **kwargs
        Passed to the estimator (e.g. ``window=``, ``control=``).

    Returns
    -------
    The estimator's result on the placebo data. Its effects should be close
    to zero: a clear non-zero placebo effect signals diverging trends or
    anticipation.

    Raises
    ------
    ConfigError
        Unknown estimator, ``shift`` below 1.
    DataError
        Bad columns (from validation), or no treated unit with a placebo
        adoption inside the sample.

    Notes
    -----
    Every treated observation is dropped (periods at or after the real
    adoption), so the data contain untreated outcomes only; the cohort is
    moved ``shift`` periods earlier on the ordered periods of ``time``.
    Never-treated units keep every period. The estimand is therefore zero
    under parallel trends and no anticipation.
    """
    shift = check_int("shift", shift, minimum=1)
    if isinstance(estimator, str):
        if estimator not in _PLACEBO_ESTIMATORS:
            raise ConfigError(f"estimator must be one of {', '.join(map(repr, _PLACEBO_ESTIMATORS))} or a callable "
                              f"(got {estimator!r})")
        # Import from the defining module: impact.did.<name> can be shadowed by the submodule of the same name.
        module = {"event_study": "event_study", "callaway_santanna": "staggered"}.get(estimator, estimator)
        fit = getattr(importlib.import_module(f"impact.did.{module}"), estimator)
    elif callable(estimator):
        fit = estimator
    else:
        raise ConfigError(f"estimator must be a name or a callable (got {estimator!r})")

    panel = validate_panel(data, outcome, unit, time, cohort=cohort)
    T = panel.n_periods
    codes = panel.cohort_codes
    in_sample = (codes >= 0) & (codes < T)
    untreated = ~(in_sample & (panel.time_codes >= codes))
    fake = codes - shift
    movable = in_sample & (fake >= 1)
    if not (movable & untreated).any():
        raise ConfigError(
            f"shift={shift} puts every placebo adoption at or before the first period of {time!r}; use a smaller shift"
        )
    frame = panel.data.loc[untreated].copy()
    # Keep the cohort's dtype: never-treated rows keep their value, others get the placebo period label.
    new = np.array(frame[cohort].astype(object), dtype=object)
    relabel = in_sample[untreated]
    new[relabel] = panel.period_label(np.maximum(fake[untreated][relabel], 0))
    frame[cohort] = pd.Series(new, index=frame.index).infer_objects()
    return fit(frame.reset_index(drop=True), outcome, unit, time, cohort, **kwargs)
