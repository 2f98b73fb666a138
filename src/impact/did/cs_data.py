"""Input checks and array preparation for :func:`impact.did.callaway_santanna`.

The checks are those of :func:`impact.data.validate_panel` (same messages:
missing columns, non-numeric outcome, duplicate unit-periods, cohorts varying
within a unit, rows with missing values dropped with a warning), done on
integer codes with NumPy so that a 10-million-row panel is prepared in about a
second: hashing (``pandas.factorize``) instead of sorting, a ``bincount`` for
duplicates and a scatter-compare for within-unit constancy.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from impact.data import check_columns, check_complete, check_finite, check_numeric, period_codes, show
from impact.errors import ConfigError, DataError, DroppedRowsWarning

__all__ = ["CSData", "prepare"]


@dataclass(frozen=True)
class CSData:
    """Row-level arrays on integer codes.

    ``ids`` number the units 0..n_units-1 (in sorted order of their labels);
    ``tcode`` the sorted periods; ``cohort`` the first treated period on that
    scale (-1 never treated, ``n_periods`` or more: after the sample).
    """

    y: np.ndarray
    x: np.ndarray
    w: np.ndarray
    ids: np.ndarray
    tcode: np.ndarray
    cohort: np.ndarray
    cluster: np.ndarray | None
    periods: np.ndarray
    units: np.ndarray


def _codes(values: pd.Series, sort: bool = True):
    try:
        codes, uniques = pd.factorize(values, sort=sort)
    except TypeError:  # numbers and text mixed (Excel: 75001 and '2A004'): code the text
        codes, uniques = pd.factorize(values.astype(str), sort=sort)
    return codes.astype(np.int64), np.asarray(uniques)


def _constant_within(codes_or_values: np.ndarray, ids: np.ndarray, n_units: int, units, column: str, role: str):
    """Raise unless a column is constant within each unit; return the per-unit value."""
    first = np.empty(n_units, dtype=codes_or_values.dtype)
    first[ids] = codes_or_values
    bad = first[ids] != codes_or_values
    if bad.any():
        n_bad = len(np.unique(ids[bad]))
        raise DataError(
            f"{role} column {column!r} varies within unit {show(units[ids[bad][0]])} ({n_bad} units in all); "
            f"it must be the same in every row of a unit"
        )
    return first


def prepare(data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str, covariates: Sequence[str],
            weights: str | None, cluster: str | None, panel: bool) -> CSData:
    """Check the columns and turn them into integer-coded arrays (see :class:`CSData`)."""
    check_columns(data, outcome=outcome, unit=unit, time=time, cohort=cohort, covariates=covariates,
                  weights=weights, cluster=cluster)
    check_numeric(data, outcome, "outcome")
    check_finite(data, outcome, "outcome")
    check_complete(data, unit, "unit")
    check_complete(data, time, "time")
    for cov in covariates:
        check_numeric(data, cov, "covariate")
        check_finite(data, cov, "covariate")
        n_missing = int(data[cov].isna().sum())
        if n_missing:
            raise DataError(
                f"covariate column {cov!r} has {n_missing} missing values; impute them or drop those units "
                "before estimating (dropping rows would unbalance the panel)"
            )
        if data[cov].nunique() < 2:
            raise DataError(f"covariate column {cov!r} has no variation (always {show(data[cov].iloc[0])}); remove it")
    if weights is not None:
        check_numeric(data, weights, "weights")
        check_finite(data, weights, "weights")
        w = data[weights]
        if w.isna().any() or (w < 0).any() or not (w > 0).any():
            raise DataError(f"weights column {weights!r} must be non-negative with no missing values and not all zero")
    if cluster is not None and data[cluster].isna().any():
        raise DataError(f"cluster column {cluster!r} has {int(data[cluster].isna().sum())} missing values; fill them")
    if cohort in covariates:
        raise ConfigError(f"cohort column {cohort!r} cannot also be a covariate")

    required = [outcome, unit, time]
    missing = np.zeros(len(data), dtype=bool)
    for column in required:
        missing |= data[column].isna().to_numpy()
    if missing.any():
        counts = data[required].isna().sum()
        detail = ", ".join(f"{c!r}: {n}" for c, n in counts.items() if n)
        warnings.warn(f"dropped {int(missing.sum())} of {len(data)} rows with missing values ({detail})",
                      DroppedRowsWarning, stacklevel=4)
        data = data.loc[~missing]
    if data.empty:
        raise DataError(f"no rows left after dropping missing values in {required}")

    scale, tcode, codes = period_codes(data, time, cohort)
    periods = scale.labels
    if len(periods) < 2:
        raise DataError(f"time column {time!r} has a single period ({show(periods[0])}); a before/after comparison "
                        "needs at least two")
    ids, units = _codes(data[unit])
    n_units, n_periods = len(units), len(periods)
    if panel:
        counts = np.bincount(ids * n_periods + tcode, minlength=n_units * n_periods)
        if counts.max() > 1:
            cell = int(np.argmax(counts > 1))
            raise DataError(
                f"{int(counts[counts > 1].sum())} rows share a ({unit!r}, {time!r}) pair, e.g. "
                f"{unit}={show(units[cell // n_periods])}, {time}={show(periods[cell % n_periods])}; keep one row per unit "
                "and period (aggregate or deduplicate first), or pass panel=False for repeated cross-sections"
            )

    if panel:
        _constant_within(codes, ids, n_units, units, cohort, "cohort")
    if not (codes >= 0).any():
        raise DataError(f"no treated unit: every value of {cohort!r} means untreated; check the column and its coding")

    y = data[outcome].to_numpy(dtype=float)
    x = np.ones((len(data), 1 + len(covariates)))
    for j, cov in enumerate(covariates, start=1):
        x[:, j] = data[cov].to_numpy(dtype=float)
    w = data[weights].to_numpy(dtype=float) if weights else np.ones(len(data))
    cl = None
    if cluster is not None and cluster != unit:
        cl = _codes(data[cluster], sort=True)[0]
    return CSData(y=y, x=x, w=w, ids=ids, tcode=tcode, cohort=codes, cluster=cl, periods=periods, units=units)
