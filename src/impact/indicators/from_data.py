"""An indicator's series computed per period from the evaluation data, in memory or out of core."""

from __future__ import annotations

import numpy as np
import pandas as pd

from impact.data import check_choice, check_columns, check_numeric
from impact.errors import ConfigError, DataError
from impact.periods import infer_scale
from impact.indicators import DATA_STATISTICS, UNITS, parse_date

__all__ = ["series_from_data"]


def series_from_data(
    data,
    column: str,
    *,
    time: str,
    statistic: str = "mean",
    mask=None,
    dates: str | None = None,
    weight: str | None = None,
    units: str = "all",
    group: str | None = None,
) -> pd.DataFrame:
    """An indicator's series computed per period from long-form data.

    Parameters
    ----------
    data : DataFrame, or a path or glob of Parquet/CSV files, a DuckDB relation
        One row per unit (or person) and period. Files and relations are not
        loaded: one aggregate query computes the series
        (:func:`impact.scale.series.series_statistics`), with the same result.
    column : str
        The measured column.
    time : str
        The period column; its values (or those of ``dates``) must read as dates.
    statistic : {"mean", "median", "sum"}
        What to compute per period.
    mask : array of bool, optional
        Rows to use (e.g. the treated units), one per row of a DataFrame; all
        rows by default. Out of core, use ``units`` and ``group`` instead.
    dates : str, optional
        A column giving each period's date label when ``time`` holds codes
        (``month`` = 1, 2, ... and ``month_label`` = 2022-01, ...).
    weight : str, optional
        Weights for the mean (e.g. the number of applications behind a rate).
    units : {"treated", "control", "all"}
        With ``group``: the rows whose group is 1 (treated), the others, or all.
    group : str, optional
        A 0/1 column marking the treated units.

    Returns
    -------
    DataFrame with ``date`` (label) , ``value`` and ``n`` (rows behind each value), one row per period.

    Notes
    -----
    Missing values of ``column`` are left out; infinite values are refused.
    Periods are those of ``time`` on its calendar (:mod:`impact.periods`), in time order; one period
    written two ways (``2023-07``, ``07/2023``) is one period.
    """
    from impact.scale.source import is_out_of_core

    for role, name in (("column", column), ("time", time), ("dates", dates), ("weight", weight), ("group", group)):
        if name is not None and not isinstance(name, str):
            raise ConfigError(f"{role} must be one column name (a string), got {name!r}")
    check_choice("statistic", statistic, DATA_STATISTICS)
    check_choice("units", units, UNITS)
    if weight is not None and statistic != "mean":
        raise ConfigError(f"weight applies to statistic='mean' only (got statistic={statistic!r}); drop weight")
    if units != "all" and group is None:
        raise ConfigError(f"units={units!r} needs group=, the 0/1 column marking the treated units")
    if is_out_of_core(data):
        if mask is not None:
            raise ConfigError("mask selects rows of a DataFrame; for files or a DuckDB relation select units "
                              "with units='treated' or 'control' and group=<0/1 column>")
        from impact.scale.series import series_statistics

        out = series_statistics(data, column, time=time, statistic=statistic, units=units, group=group,
                                dates=dates, weight=weight)
        if dates is None and len(out):
            codes = _calendar_codes(out["date"], time)
            if len(np.unique(codes)) < len(codes):
                raise DataError(f"time column {time!r} writes one period in two ways (e.g. 2023-07 and 07/2023); "
                                "write every period one way in the files")
            out = out.iloc[np.argsort(codes, kind="stable")].reset_index(drop=True)
        return _labels_read_as_dates(out, time, dates)
    check_columns(data, indicator=column, time=time, dates=dates, weight=weight, group=group)
    check_numeric(data, column, "indicator")
    if weight is not None:
        check_numeric(data, weight, "weight")
    rows = _row_mask(data, mask, units, group)
    frame = data if rows is None else data.loc[rows]
    if frame.empty:
        raise DataError(f"no rows left to compute indicator {column!r}: the unit selection is empty")
    infinite = np.isinf(frame[column].to_numpy(dtype=float))
    if infinite.any():
        raise DataError(f"indicator column {column!r} has {int(infinite.sum())} infinite values; "
                        "leave missing values empty or correct them")
    frame = frame.loc[frame[column].notna()]
    label_col = dates or time
    # Periods in calendar order, one per period however it is written (07/2023 before 01/2024, 2023-07 with
    # 07/2023); with a dates column, the time column holds codes that sort as they are.
    key = time if dates is not None else "_period"
    if dates is None:
        frame = frame.assign(_period=_calendar_codes(frame[time], time))
    grouped = frame.groupby(key, sort=True)
    if weight is not None:
        w = frame[weight].to_numpy(dtype=float)
        sums = pd.DataFrame({"wy": w * frame[column].to_numpy(dtype=float), "w": w, key: frame[key]})
        totals = sums.groupby(key, sort=True)[["wy", "w"]].sum()
        if (totals["w"] <= 0).any():
            raise DataError(f"weight column {weight!r} sums to zero or less in some period; check the weights")
        value = totals["wy"] / totals["w"]
    else:
        value = grouped[column].agg(statistic)
    labels = grouped[label_col].first()
    if dates is not None and (grouped[label_col].nunique() > 1).any():
        raise DataError(f"dates column {dates!r} has several labels within one {time!r} period; "
                        "use one label per period")
    out = pd.DataFrame({"date": labels.to_numpy(), "value": value.to_numpy(dtype=float),
                        "n": grouped.size().to_numpy()})
    return _labels_read_as_dates(out, time, dates)


def _calendar_codes(values: pd.Series, time: str) -> np.ndarray:
    """Each value's period on the column's calendar (:mod:`impact.periods`), so that periods sort in time."""
    values = pd.Series(values).reset_index(drop=True)
    return infer_scale(values, time).codes(values, "time", time)


def _row_mask(data: pd.DataFrame, mask, units: str, group: str | None) -> np.ndarray | None:
    """The rows to use: ``mask`` (one True/False per row) and/or the ``units`` whose ``group`` is 1 or not."""
    rows = None
    if mask is not None:
        rows = np.asarray(mask)
        if rows.ndim != 1 or len(rows) != len(data):
            raise ConfigError(f"mask must give one True/False per row of the data ({len(data)} rows; got "
                              f"{'shape ' + str(rows.shape) if rows.ndim != 1 else str(len(rows)) + ' values'}); "
                              "build it from the same DataFrame, e.g. data['group'] == 1")
        if rows.dtype != bool:
            as_float = pd.to_numeric(pd.Series(rows), errors="coerce").to_numpy(dtype=float)
            if not np.isin(as_float, (0.0, 1.0)).all():
                raise ConfigError("mask must hold only True/False (or 1/0) values, one per row; missing or other "
                                  "values leave it unclear whether a row counts")
            rows = as_float == 1.0
    if units != "all":
        # As the report's unit selection: treated where the group column is 1, control everywhere else.
        treated = (data[group] == 1).to_numpy(dtype=bool)
        chosen = treated if units == "treated" else ~treated
        rows = chosen if rows is None else rows & chosen
    return rows


def _labels_read_as_dates(out: pd.DataFrame, time: str, dates: str | None) -> pd.DataFrame:
    """``out`` unchanged, once its first label reads as a date (codes 1, 2, ... need a ``dates`` column)."""
    label_col = dates or time
    try:
        [parse_date(d, f"{label_col} values") for d in out["date"].head(1)]
    except ConfigError as exc:
        raise ConfigError(f"{exc}; when {time!r} holds period codes, name a column of date labels with "
                          "from_data.dates (e.g. dates: month_label)") from None
    return out
