"""Periods and cohorts out of core, coded on the same calendar as in memory.

In memory, :func:`impact.data.period_codes` reads a time column in any form
labs write (``2023-07``, ``07/2023``, ``2023Q3``, ``2023-T3``, dates,
integers) with :mod:`impact.periods`, and codes the periods on their
calendar: a month missing from every unit keeps its code, so that event time
counts real months. Out of core the same functions run on the *distinct*
time and cohort values (a few dozen, fetched by a cheap query); the mapping
from raw values to codes is then written into the statistics query
(:func:`impact.scale.stats.panel_sql`), so results carry the user's labels
and the same :class:`~impact.errors.DataError` as in memory.

A period missing from every unit has no column in the query. For
Callaway-Sant'Anna the statistics are laid out on the whole calendar, with
that period unobserved (the in-memory estimator then takes its unbalanced
path, which skips the cells that need the empty period); the TWFE event study
keeps the observed periods and counts event time on the calendar codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from impact.data import cohort_codes, show
from impact.errors import DataError
from impact.periods import PeriodScale, infer_scale

__all__ = ["Calendar", "code_calendar", "to_calendar", "observed_columns"]

# Bit masks of observed periods fit in a signed 64-bit integer.
MAX_PATTERN_PERIODS = 62


@dataclass(frozen=True)
class Calendar:
    """The calendar of a time column read out of core.

    ``labels[k]`` is the label of code ``k`` (as :attr:`PeriodScale.labels`);
    ``observed`` the sorted codes that have rows; ``columns[j]`` the raw
    values written for ``observed[j]`` (several when a column mixes forms);
    ``cohort_map`` each treated raw cohort value's code (never treated: absent).
    """

    scale: PeriodScale
    labels: np.ndarray
    observed: np.ndarray
    columns: list
    cohort_map: dict | None

    @property
    def gaps(self) -> bool:
        """True when some calendar period has no row at all."""
        return len(self.observed) < len(self.labels)


def _without_rows(exc: DataError, label: str) -> DataError:
    """The in-memory message, whose row numbers (of the distinct values) mean nothing here, names the source."""
    text = re.sub(r" \((?:row|rows) [^()]*\)", f" (in {label})", str(exc))
    return DataError(text)


def _raw(value):
    return value.item() if isinstance(value, np.generic) else value


def code_calendar(times: pd.Series, cohorts: pd.Series | None, time: str, cohort: str | None,
                  label: str = "the data") -> Calendar:
    """Code the distinct ``times`` (and ``cohorts``) as :func:`impact.data.period_codes` codes the rows.

    Parameters
    ----------
    times, cohorts : Series
        Distinct raw values as the engine returned them (missing values are
        refused later by the statistics query, which counts them).
    time, cohort : str
        Column names, for messages.
    label : str
        The source, named in messages instead of row numbers.

    Raises
    ------
    DataError
        The in-memory errors: values that are not periods, a mix of forms, a
        single period, a cohort off the calendar (between two periods, another
        frequency).
    """
    times = times[~pd.isna(times)].drop_duplicates().reset_index(drop=True)
    try:
        scale = infer_scale(times, time)
        codes = scale.codes(times, "time", time)
    except DataError as exc:
        raise _without_rows(exc, label) from None
    labels = scale.labels
    if scale.n < 2:
        raise DataError(f"time column {time!r} has a single period ({show(labels[0])}); "
                        "a before/after comparison needs at least two")
    observed = np.unique(codes)
    columns = [tuple(_raw(v) for v in times[codes == k]) for k in observed]
    cohort_map = None
    if cohort is not None:
        values = cohorts.drop_duplicates().reset_index(drop=True)
        try:
            ccodes = cohort_codes(pd.DataFrame({cohort: values}), cohort, scale)
        except DataError as exc:
            raise _without_rows(exc, label) from None
        cohort_map = {_raw(v): int(c) for v, c in zip(values, ccodes) if c >= 0}
    return Calendar(scale=scale, labels=labels, observed=observed, columns=columns, cohort_map=cohort_map)


def to_calendar(out: pd.DataFrame, observed: np.ndarray, n: int) -> pd.DataFrame:
    """Statistics of the observed columns moved onto the ``n`` calendar codes, patterns included.

    Moments of periods without rows are missing (unobserved, as in
    :func:`impact.scale.stats._unbalanced_stats`).
    """
    J = len(observed)
    names = {}
    for j, k in enumerate(observed):
        names[f"s{j}"], names[f"m{j}"] = f"s{k}", f"m{k}"
        for i in range(j, J):
            names[f"v{j}_{i}"] = f"v{k}_{observed[i]}"
    bits = (out["pat"].to_numpy(np.int64)[:, None] >> np.arange(J)[None, :]) & 1
    moved = out.rename(columns=names)
    moved["pat"] = bits @ (np.int64(1) << observed.astype(np.int64))
    wanted = [f"s{k}" for k in range(n)] if "s0" in out.columns else (
        [f"m{k}" for k in range(n)] + [f"v{k}_{i}" for k in range(n) for i in range(k, n)])
    absent = [c for c in wanted if c not in moved.columns]
    return pd.concat([moved, pd.DataFrame(np.nan, index=moved.index, columns=absent)], axis=1)


def observed_columns(st):
    """Statistics restricted to the periods that have rows, and the calendar code of each.

    For statistics asked to be balanced (``as_panel_stats(unbalanced=False)``)
    and the balanced fast path of the TWFE fits: a period missing from every
    unit only has no period effect. Raises :class:`DataError` when units miss
    other periods.
    """
    T = len(st.periods)
    if st.balanced:
        return st, np.arange(T)
    pats = st.patterns if st.cluster is None else st.cl_pattern
    if not (pats == pats[0]).all():
        raise DataError("these statistics come from an unbalanced panel (units miss some periods) and a balanced "
                        "one was asked for; callaway_santanna, twfe and event_study take unbalanced statistics")
    keep = np.flatnonzero((int(pats[0]) >> np.arange(T)) & 1)
    sub = dict(periods=st.periods[keep], mean=st.mean[:, keep], patterns=None, cl_pattern=None)
    if st.cov is not None:
        sub["cov"] = st.cov[:, keep][:, :, keep]
    if st.cl_sum is not None:
        sub["cl_sum"] = st.cl_sum[:, keep]
    return replace(st, **sub), keep
