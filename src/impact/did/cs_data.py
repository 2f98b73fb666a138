"""Input checks and array preparation for :func:`impact.did.callaway_santanna`.

The checks are those of :func:`impact.data.validate_panel` (same messages:
missing columns, non-numeric outcome, duplicate unit-periods, cohorts varying
within a unit, rows with missing values dropped with a warning), done on
integer codes with NumPy so that a 10-million-row panel is prepared in about a
second: integer units coded by their offset from the smallest (a ``bincount``,
no hashing), other labels by hashing (``pandas.factorize``) instead of sorting,
a ``bincount`` for duplicates and a scatter-compare for within-unit constancy.

:func:`cohort_statistics` then reduces a balanced panel to the per-cohort
statistics (count, period means, period covariance; per-cluster sums) that
the out-of-core path computes in SQL (:class:`impact.scale.stats.PanelStats`),
so that both paths estimate with the same code.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np
import pandas as pd

from impact.data import check_columns, check_complete, check_finite, check_numeric, cohort_codes, period_codes, show
from impact.errors import ConfigError, DataError, DroppedRowsWarning
from impact.scale.stats import PanelStats

__all__ = ["CSData", "prepare", "cohort_statistics"]


@dataclass(frozen=True)
class CSData:
    """Row-level arrays on integer codes.

    ``x`` is the design (intercept, then covariates), None without covariates;
    ``w`` the weights, None when unweighted.
    ``ids`` number the units 0..n_units-1 (in sorted order of their labels);
    ``tcode`` the sorted periods; ``cohort`` the first treated period on that
    scale (-1 never treated, ``n_periods`` or more: after the sample).
    When the rows are a balanced panel already sorted by unit and period
    (row ``r`` is unit ``r // n_periods`` in period ``r % n_periods``), these
    three are None and :meth:`unit_ids`, :meth:`row_tcode` and
    :meth:`row_cohort` build them only if a caller needs them.
    In a panel, ``unit_cohort`` is each unit's cohort code (checked constant
    within the unit); ``cluster_labels`` are the labels of the ``cluster`` codes.
    """

    y: np.ndarray
    x: np.ndarray | None
    w: np.ndarray | None
    ids: np.ndarray | None
    tcode: np.ndarray | None
    cohort: np.ndarray | None
    cluster: np.ndarray | None
    periods: np.ndarray
    units: np.ndarray
    unit_cohort: np.ndarray | None = None
    cluster_labels: np.ndarray | None = None

    @property
    def unit_blocks(self) -> bool:
        """True when the rows are sorted by unit, then period, every unit in every period once."""
        return self.ids is None

    def unit_ids(self) -> np.ndarray:
        """Each row's unit code."""
        if self.ids is not None:
            return self.ids
        return np.repeat(np.arange(len(self.units)), len(self.periods))

    def row_tcode(self) -> np.ndarray:
        """Each row's period code."""
        return self.tcode if self.tcode is not None else np.tile(np.arange(len(self.periods)), len(self.units))

    def row_cohort(self) -> np.ndarray:
        """Each row's cohort code."""
        return self.cohort if self.cohort is not None else np.repeat(self.unit_cohort, len(self.periods))

    def per_unit(self, values: np.ndarray, column: str, role: str) -> np.ndarray:
        """Each unit's value of a row-level column, raising :class:`DataError` unless it is constant within units."""
        if self.ids is None:
            first = values[::len(self.periods)]
            if (values.reshape(len(first), -1) == first[:, None]).all():
                return first
        return _constant_within(values, self.unit_ids(), len(self.units), self.units, column, role)


def _offset_codes(values: np.ndarray):
    """Sorted distinct integers and each value's rank among them, by offset from the minimum (no hashing).

    None when the values span far more integers than there are values (the
    count array would then cost more than a hash).
    """
    lo, hi = int(values.min()), int(values.max())
    if hi - lo > 4 * len(values) + 1024:
        return None
    # Labels from 0 up to a few times their number index the table as they are (no shifted copy).
    base = 0 if 0 <= lo and hi <= 4 * len(values) + 1024 else lo
    index = (values - base if base else values).astype(np.intp, copy=False)
    present = np.bincount(index, minlength=hi - base + 1) > 0
    rank = np.cumsum(present) - 1
    return rank[index], (np.flatnonzero(present) + base).astype(values.dtype)


def _codes(values: pd.Series, sort: bool = True):
    if sort and values.dtype.kind in "iu" and len(values):
        # Integer labels (the usual unit ids): the same sorted codes as factorize(sort=True), several times faster.
        coded = _offset_codes(values.to_numpy())
        if coded is not None:
            return coded[0].astype(np.int64, copy=False), coded[1]
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


def _numeric(series: pd.Series, kinds: str) -> np.ndarray | None:
    """The column as a NumPy array when its dtype is a NumPy one of ``kinds``; else None."""
    dtype = series.dtype
    return series.to_numpy() if isinstance(dtype, np.dtype) and dtype.kind in kinds else None


def _same_bits(values: np.ndarray) -> np.ndarray:
    """An integer view for equality tests in which a missing value (NaN, NaT) equals itself."""
    return values.view(np.int64) if values.dtype.itemsize == 8 and values.dtype.kind in "fM" else values


def _sorted_panel(data: pd.DataFrame, unit: str, time: str, cohort: str):
    """(periods, unit labels, each unit's cohort code) when the rows are a sorted balanced panel; else None.

    Sorted means blocks of one unit's rows, units in increasing order, each
    block holding every period once in calendar order, and the cohort constant
    within the block. Panels usually come so (exports, ``sort_values``); seeing
    it takes a few comparisons of the raw columns, after which only one block's
    periods and one row per unit's cohort need coding (:func:`period_codes`,
    :func:`cohort_codes`), and no duplicate count or constancy scatter is
    needed: such rows cannot repeat a (unit, period) pair. Numeric units and
    numeric or date periods and cohorts only (text compares slowly). Anything
    else, and any coding error (which the general path then reports with every
    row at fault), returns None: the general path is always correct.
    """
    u, t, c = _numeric(data[unit], "iuf"), _numeric(data[time], "iufM"), _numeric(data[cohort], "iufM")
    if u is None or t is None or c is None or len(u) < 4:
        return None
    head = u[:1 << 16] != u[0]  # the first unit's rows end early: no need to compare the whole column
    n_periods = int(np.argmax(head))
    if n_periods < 2 or len(u) % n_periods:
        return None
    n_units = len(u) // n_periods
    first = u[::n_periods]
    block = t[:n_periods]
    if not ((first[1:] > first[:-1]).all() and (block[1:] > block[:-1]).all()
            and (u.reshape(n_units, n_periods) == first[:, None]).all()):
        return None
    tb, cb = _same_bits(t), _same_bits(c)
    cmat = cb.reshape(n_units, n_periods)
    if not ((tb.reshape(n_units, n_periods) == tb[:n_periods]).all() and (cmat == cmat[:, :1]).all()):
        return None
    try:
        scale, tcode, _ = period_codes(data[time].iloc[:n_periods].to_frame(), time)
        if not np.array_equal(tcode, np.arange(len(scale.labels))):  # a gap in the calendar: general path
            return None
        # One row per unit, of the cohort column only (a wide frame's other columns are not copied).
        unit_cohort = cohort_codes(data[cohort].iloc[::n_periods].to_frame(), cohort, scale)
    except DataError:
        return None
    return scale.labels, first, unit_cohort


def prepare(data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str, covariates: Sequence[str],
            weights: str | None, cluster: str | None, panel: bool) -> CSData:
    """Check the columns and turn them into integer-coded arrays (see :class:`CSData`)."""
    check_columns(data, outcome=outcome, unit=unit, time=time, cohort=cohort, covariates=covariates,
                  weights=weights, cluster=cluster)
    check_numeric(data, outcome, "outcome")
    check_finite(data, outcome, "outcome")
    for column, role in ((unit, "unit"), (time, "time")):
        dtype = data[column].dtype
        if not (isinstance(dtype, np.dtype) and dtype.kind in "iub"):  # NumPy integers cannot be missing
            check_complete(data, column, role)
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
        dtype = data[column].dtype
        if not (isinstance(dtype, np.dtype) and dtype.kind in "iub"):  # NumPy integers cannot be missing
            missing |= data[column].isna().to_numpy()
    if missing.any():
        counts = data[required].isna().sum()
        detail = ", ".join(f"{c!r}: {n}" for c, n in counts.items() if n)
        warnings.warn(f"dropped {int(missing.sum())} of {len(data)} rows with missing values ({detail})",
                      DroppedRowsWarning, stacklevel=4)
        data = data.loc[~missing]
    if data.empty:
        raise DataError(f"no rows left after dropping missing values in {required}")

    layout = _sorted_panel(data, unit, time, cohort) if panel else None
    ids = tcode = codes = unit_cohort = None
    if layout is not None:
        periods, units, unit_cohort = layout
    else:
        scale, tcode, codes = period_codes(data, time, cohort)
        periods = scale.labels
        if len(periods) < 2:
            raise DataError(f"time column {time!r} has a single period ({show(periods[0])}); a before/after "
                            "comparison needs at least two")
        ids, units = _codes(data[unit])
    n_units, n_periods = len(units), len(periods)
    if panel and ids is not None:
        cell = ids * n_periods
        cell += tcode  # in place: one row-length array fewer
        counts = np.bincount(cell, minlength=n_units * n_periods)
        if counts.max() > 1:
            cell = int(np.argmax(counts > 1))
            raise DataError(
                f"{int(counts[counts > 1].sum())} rows share a ({unit!r}, {time!r}) pair, e.g. "
                f"{unit}={show(units[cell // n_periods])}, {time}={show(periods[cell % n_periods])}; keep one row per unit "
                "and period (aggregate or deduplicate first), or pass panel=False for repeated cross-sections"
            )

    if not ((codes if codes is not None else unit_cohort) >= 0).any():
        raise DataError(f"no treated unit: every value of {cohort!r} means untreated; check the column and its coding")

    y = data[outcome].to_numpy(dtype=float)
    # Built only when needed: a fresh array of a million rows costs milliseconds in page faults alone.
    x = w = None
    if covariates:
        x = np.ones((len(data), 1 + len(covariates)))
        for j, cov in enumerate(covariates, start=1):
            x[:, j] = data[cov].to_numpy(dtype=float)
    if weights:
        w = data[weights].to_numpy(dtype=float)
    cl = cl_labels = None
    if cluster is not None and cluster != unit:
        cl, cl_labels = _codes(data[cluster], sort=True)
    raw = CSData(y=y, x=x, w=w, ids=ids, tcode=tcode, cohort=codes, cluster=cl, periods=periods, units=units,
                 unit_cohort=unit_cohort, cluster_labels=cl_labels)
    if panel and unit_cohort is None:
        raw = replace(raw, unit_cohort=raw.per_unit(codes, cohort, "cohort"))
    return raw


def cohort_statistics(raw: CSData, outcome: str, unit: str, time: str, cohort: str,
                      cluster: str | None) -> PanelStats:
    """Per-cohort statistics of a balanced panel in memory, as :mod:`impact.scale.stats` computes them in SQL.

    Per cohort code (as :class:`CSData` codes them: -1 never treated, 0
    always treated, ``n_periods`` or more after the sample): the number of
    units, the period means and the population covariance of the outcome
    across periods (two-pass, centred: sums of products lose precision);
    with a ``cluster`` coarser than the unit, per (cluster, cohort) the number
    of units and the period sums instead of the covariance. The panel must be
    balanced (every unit in every period, no duplicates: the caller checks
    the row count after :func:`prepare`).

    Units are ordered by cohort (and cluster) once, so that every group is a
    contiguous block of rows of the units x periods outcome matrix: its sums
    are one ``add.reduceat`` and its covariance one matrix product per cohort.
    """
    T, N = len(raw.periods), len(raw.units)
    cl_unit = raw.per_unit(raw.cluster, cluster, "cluster") if raw.cluster is not None else None
    # Cohort codes are small integers (-1 .. a few past the last period); offset coding keeps them sorted.
    coded = _offset_codes(raw.unit_cohort)
    pos, keys = coded if coded is not None else np.unique(raw.unit_cohort, return_inverse=True)[::-1]
    G = len(keys)
    if cl_unit is None:
        group = pos.astype(np.uint8 if G < 256 else np.int64)  # small integers sort by radix, in one pass
    else:
        n_cl = int(cl_unit.max()) + 1
        group = pos * n_cl + cl_unit
    order = np.argsort(group, kind="stable")
    if raw.unit_blocks:
        ymat = np.take(raw.y.reshape(N, T), order, axis=0)  # a few times faster than fancy indexing
    else:
        row = np.empty(N, dtype=np.intp)
        row[order] = np.arange(N)
        ymat = np.empty((N, T))
        ymat[row[raw.ids], raw.tcode] = raw.y
    n = np.bincount(pos, minlength=G).astype(np.int64)
    bounds = np.r_[0, np.cumsum(n)]
    common = dict(outcome=outcome, unit=unit, time=time, key=cohort, kind="cohort", periods=raw.periods, keys=keys,
                  n=n, n_obs=len(raw.y))
    if cl_unit is None:
        mean = np.add.reduceat(ymat, bounds[:-1], axis=0) / n[:, None]
        cov = np.empty((G, T, T))
        for g in range(G):  # one product per cohort (a handful), never a loop over units
            dev = ymat[bounds[g]:bounds[g + 1]]
            dev -= mean[g]  # in place: ymat is this function's own copy, and fresh memory costs page faults
            cov[g] = dev.T @ dev / n[g]
        return PanelStats(cluster=None, mean=mean, cov=cov, **common)
    sorted_group = group[order]
    starts = np.flatnonzero(np.r_[True, sorted_group[1:] != sorted_group[:-1]])
    cl_sum = np.add.reduceat(ymat, starts, axis=0)
    cl_n = np.diff(np.r_[starts, N]).astype(np.int64)
    cell_key = sorted_group[starts] // n_cl
    sums = np.add.reduceat(cl_sum, np.flatnonzero(np.r_[True, cell_key[1:] != cell_key[:-1]]), axis=0)
    return PanelStats(cluster=cluster, mean=sums / n[:, None], cov=None, cl_labels=raw.cluster_labels,
                      cl_index=(sorted_group[starts] % n_cl).astype(np.int64), cl_key=keys[cell_key],
                      cl_n=cl_n, cl_sum=cl_sum, **common)
