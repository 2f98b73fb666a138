"""Yearly flows: validation, net present value, internal rate of return, payback.

Flows are amounts by year: a sequence (the first at year ``start``), a
``{year: amount}`` mapping, or a pandas Series indexed by year. Every year
between the first and the last must be present (a year without flows is an
explicit 0), so that a missing row in a spreadsheet never passes as a zero.

Years are counted from a base year that is undiscounted. Relative years
(0, 1, 2, ...) are used as they are; calendar years (1000 and later) are
counted from the first of them unless ``base_year`` says otherwise.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from impact.cba.discounting import resolve_schedule
from impact.errors import ConfigError, DataError, EstimationWarning

__all__ = ["as_flows", "relative_years", "npv", "irr", "payback_year", "annuity_factor"]

#: Year labels at or above this are read as calendar years.
CALENDAR_YEAR = 1000


def _numeric(values: np.ndarray, years: np.ndarray, name: str) -> np.ndarray:
    """Float amounts; a missing or non-numeric amount is a DataError naming the year."""
    flat = list(values)
    out = np.empty(len(flat))
    for_check = pd.Series(flat, dtype=object)
    missing = for_check.isna().to_numpy()
    if missing.any():
        bad = years[missing].tolist()
        raise DataError(
            f"{name} has no amount for year(s) {bad[:10]} (missing value); give 0 for a year without flows"
        )
    is_bool = np.array([isinstance(v, (bool, np.bool_)) for v in flat])
    coerced = pd.to_numeric(for_check.where(~is_bool, None), errors="coerce").to_numpy(dtype=float)
    bad_mask = np.isnan(coerced) | is_bool
    if bad_mask.any():
        i = int(np.flatnonzero(bad_mask)[0])
        raise DataError(
            f"{name} has a non-numeric amount {flat[i]!r} for year {years[i]}; amounts must be numbers "
            "(write 1500.5, not '1 500,5 EUR')"
        )
    if not np.all(np.isfinite(coerced)):
        i = int(np.flatnonzero(~np.isfinite(coerced))[0])
        raise DataError(f"{name} has an infinite amount for year {years[i]}")
    out[:] = coerced
    return out


def _year_labels(keys, name: str) -> np.ndarray:
    years = []
    for k in keys:
        try:
            y = float(k) if not isinstance(k, (bool, np.bool_)) else math.nan
        except (TypeError, ValueError):
            y = math.nan
        if not math.isfinite(y) or y != int(y):
            raise DataError(f"{name} has year {k!r}; years must be whole numbers such as 0, 1, 2 or 2025")
        years.append(int(y))
    return np.asarray(years, dtype=np.int64)


def as_flows(flows, name: str = "flows", start: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Validate flows and return ``(years, amounts)``, years sorted and contiguous.

    Raises
    ------
    DataError
        Empty flows, a missing or non-numeric amount, a non-integer year, a
        duplicated year, or a gap between years.
    """
    if isinstance(flows, pd.Series):
        keys, values = list(flows.index), flows.to_numpy(dtype=object)
    elif isinstance(flows, Mapping):
        keys, values = list(flows.keys()), np.array(list(flows.values()), dtype=object)
    elif isinstance(flows, (str, bytes)) or np.ndim(flows) != 1:
        raise DataError(
            f"{name} must be a sequence of amounts, a {{year: amount}} mapping or a pandas Series (got {type(flows).__name__})"
        )
    else:
        values = np.array(list(flows), dtype=object)
        keys = list(range(int(start), int(start) + len(values)))
    if len(values) == 0:
        raise DataError(f"{name} is empty; give at least one year's amount")
    years = _year_labels(keys, name)
    order = np.argsort(years, kind="stable")
    years, values = years[order], values[order]
    if np.any(np.diff(years) == 0):
        dup = years[np.flatnonzero(np.diff(years) == 0)[0]]
        raise DataError(f"{name} gives year {dup} twice; keep one amount per year")
    amounts = _numeric(values, years, name)
    if len(years) > 1 and np.any(np.diff(years) > 1):
        present = set(years.tolist())
        gaps = [y for y in range(int(years[0]), int(years[-1]) + 1) if y not in present]
        raise DataError(
            f"{name} has no entry for year(s) {gaps[:10]} between {years[0]} and {years[-1]}; "
            "give 0 explicitly for a year without flows"
        )
    return years, amounts


def relative_years(years: np.ndarray, base_year: int | None = None) -> tuple[np.ndarray, int]:
    """Years counted from the base year, and that base year.

    Without ``base_year``, relative labels (below 1000) are used as they are
    and calendar years are counted from the earliest one.
    """
    years = np.asarray(years, dtype=np.int64)
    if base_year is None:
        base = int(years.min()) if years.min() >= CALENDAR_YEAR else 0
    else:
        if isinstance(base_year, bool) or not isinstance(base_year, (int, np.integer)):
            raise ConfigError(f"base_year must be a whole year such as 2025 or 0 (got {base_year!r})")
        base = int(base_year)
    rel = years - base
    if rel.min() < 0:
        raise ConfigError(
            f"flows start in year {int(years.min())}, before base_year {base}; the base year (undiscounted) "
            "must be the first year of the appraisal or earlier"
        )
    if base == 0 and years.max() >= CALENDAR_YEAR:
        raise ConfigError(
            f"years run from {int(years.min())} to {int(years.max())}: mixing relative and calendar years; "
            "use one convention, or pass base_year="
        )
    return rel, base


def npv(flows, rate=None, schedule=None, start: int = 0, *, base_year: int | None = None, mid_year: bool = False) -> float:
    """Net present value of yearly flows.

    Parameters
    ----------
    flows : sequence, mapping or pandas Series
        Amounts by year; a sequence's first amount is at year ``start``.
        Positive amounts are benefits, negative ones costs.
    rate : float, optional
        Constant annual discount rate (a fraction, ``0.035``).
    schedule : str, DiscountSchedule or mapping, optional
        A name in :data:`~impact.cba.SCHEDULES` or a stepped schedule.
    start : int, default 0
        Year of the first amount of a sequence (ignored for mappings).
    base_year : int, optional
        The undiscounted year; default 0, or the first calendar year.
    mid_year : bool, default False
        Mid-year convention: flows of year ``t >= 1`` discounted by ``t - 1/2``.

    Returns
    -------
    float
        ``sum_t flow_t * DF(t)``; with a constant rate and ``start=0`` this
        equals ``numpy_financial.npv(rate, flows)`` (the first flow undiscounted).

    Examples
    --------
    >>> from impact.cba import npv
    >>> round(npv([-100, 60, 60], rate=0.05), 4)
    11.5646
    """
    sched = resolve_schedule(rate, schedule)
    years, amounts = as_flows(flows, "flows", start)
    rel, _ = relative_years(years, base_year)
    return float(amounts @ sched.factors(rel, mid_year=mid_year))


def irr(flows, *, tol: float = 1e-9) -> float | None:
    """Internal rate of return: the rate ``r > -1`` at which the NPV is zero.

    The NPV is a polynomial in the discount factor ``x = 1 / (1 + r)``; its
    roots are found with :func:`numpy.roots` and the real roots with
    ``x > 0`` (that is ``r > -1``) are counted. The IRR is defined only when
    there is exactly one.

    Parameters
    ----------
    flows : sequence, mapping or pandas Series
        Yearly flows, contiguous years.
    tol : float
        Relative tolerance for treating a root as real and two roots as one.

    Returns
    -------
    float or None
        The unique IRR, or ``None`` with an
        :class:`~impact.errors.EstimationWarning` when the flows have no root
        (e.g. all of one sign) or several (e.g. ``[-5, 10.5, 1, -8, 1]``, whose
        NPV changes sign three times); report the NPV instead.

    Examples
    --------
    >>> from impact.cba import irr
    >>> round(irr([-100, 60, 60]), 6)
    0.130662
    """
    _, amounts = as_flows(flows, "flows")
    nonzero = np.flatnonzero(amounts)
    if nonzero.size == 0:
        warnings.warn("irr: every flow is zero, so no rate of return is defined", EstimationWarning, stacklevel=2)
        return None
    # Coefficients of sum_t c_t x^t, highest power first; trailing zero
    # flows only add roots at x = 0, which are not rates.
    coefs = amounts[: nonzero[-1] + 1][::-1]
    roots = np.roots(coefs)
    scale = np.maximum(np.abs(roots), 1.0)
    real = roots[np.abs(roots.imag) <= 1e3 * tol * scale].real
    real = np.sort(real[real > tol])
    if real.size > 1:
        # A double root comes back as two nearly equal numbers.
        keep = np.concatenate([[True], np.diff(real) > 1e3 * tol * np.maximum(real[1:], 1.0)])
        real = real[keep]
    if real.size == 1:
        return float(1.0 / real[0] - 1.0)
    if real.size == 0:
        msg = "irr: the NPV is never zero at any rate above -100% (flows of one sign?); no rate of return exists"
    else:
        rates = ", ".join(f"{1 / x - 1:.4g}" for x in real[::-1])
        msg = f"irr: the NPV is zero at {real.size} rates ({rates}); the IRR is not unique, report the NPV instead"
    warnings.warn(msg, EstimationWarning, stacklevel=2)
    return None


def payback_year(years, net, factors):
    """First year from which the cumulative discounted net flow stays at or above zero, or ``None``.

    The condition "stays" matters when late costs (decommissioning) would
    pull the cumulative balance below zero again.
    """
    cumulative = np.cumsum(np.asarray(net, dtype=float) * np.asarray(factors, dtype=float))
    below = np.flatnonzero(cumulative < -1e-9 * max(1.0, np.abs(cumulative).max()))
    if below.size == 0:
        return np.asarray(years)[0].item()
    if below[-1] == len(cumulative) - 1:
        return None
    return np.asarray(years)[below[-1] + 1].item()


def annuity_factor(horizon: int, rate=None, schedule=None, *, mid_year: bool = False) -> float:
    """Sum of discount factors over years 1..``horizon`` (the Green Book's equivalent-annual convention)."""
    if horizon < 1:
        raise ConfigError(f"an equivalent annual value needs a horizon of at least 1 year (got {horizon})")
    sched = resolve_schedule(rate, schedule)
    return float(sched.factors(np.arange(1, horizon + 1), mid_year=mid_year).sum())
