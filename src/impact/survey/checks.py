"""Checks of the settings a survey estimate takes: column names, numbers on the answer scale, answer levels.

Each raises a :class:`~impact.errors.ConfigError` naming the setting, what
was given and what to give instead, so that a wrong type never surfaces as
NumPy's or pandas' own exception (or, worse, broadcasts into a wrong answer:
``y >= [8]`` compares element-wise without complaint).
"""

from __future__ import annotations

import datetime as _dt
import numbers

import numpy as np
import pandas as pd

from impact.data import show
from impact.errors import ConfigError

__all__ = ["column_name", "column_names", "finite_number", "answer_level", "answer_levels"]

#: What to do instead, when a design setting that names one column is given something else.
_HINTS = {
    "weights": "leave weights=None for equal weights, or name the column holding each respondent's weight",
    "strata": "a design has one stratum column: combine several into one, e.g. "
              "df['stratum'] = df['region'].astype(str) + '/' + df['size'].astype(str)",
    "psu": "a design has one first-stage cluster column; a second stage goes in ssu=",
    "fpc": "put one population size (or sampling fraction) per stratum in a column, e.g. df['fpc'] = 0.1, "
           "and pass fpc='fpc'",
    "fpc2": "put the second-stage population size (or fraction) per PSU in a column and pass its name",
    "ssu": "name the column of second-stage units",
}


def column_name(role: str, value, hint: str | None = None, *, required: bool = False) -> str | None:
    """``value`` if it is a string (a column name) or None (unless ``required``), else a :class:`ConfigError`."""
    if isinstance(value, str) or (value is None and not required):
        return value
    several = isinstance(value, (list, tuple, set, pd.Index))
    what = "one column name (a string)" if several else "a column name (a string)"
    fix = hint if hint is not None else _HINTS.get(role, "pass the name of the column")
    raise ConfigError(f"{role} must be {what} (got {type(value).__name__} {value!r}); {fix}")


def column_names(role: str, value) -> list[str]:
    """A non-empty list of column names from one string or a list/tuple of strings."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, (list, tuple, pd.Index)) or len(value) == 0:
        raise ConfigError(f"{role} must be a column name or a non-empty list of column names (got {value!r})")
    bad = [v for v in value if not isinstance(v, str)]
    if bad:
        raise ConfigError(f"{role} must hold column names (strings); {bad[0]!r} is not one")
    return list(value)


def finite_number(name: str, value, *, positive: bool = False, hint: str = "") -> float:
    """A real, finite number (not a bool, not a string); ``positive`` also refuses zero and negatives."""
    ok = isinstance(value, (numbers.Real, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    number = float(value) if ok else np.nan
    if not (np.isfinite(number) and (number > 0 or not positive)):
        want = "a positive finite number" if positive else "a finite number"
        raise ConfigError(f"{name} must be {want} (got {value!r})" + (f"; {hint}" if hint else ""))
    return number


def answer_level(name: str, value):
    """One answer value (number, string, bool or date) to match a column against; missing or containers refused."""
    scalar = isinstance(value, (str, numbers.Number, np.generic, pd.Timestamp, pd.Period, _dt.date))
    if not scalar or pd.isna(value):
        raise ConfigError(
            f"{name} must be one answer value as it appears in the column, e.g. 5 or 'yes' (got {value!r})"
            + ("; for several answers call once per level, or proportion(level=[...])" if
               isinstance(value, (list, tuple, set)) else "")
        )
    return value


def answer_levels(name: str, value) -> list:
    """One answer value, or a non-empty list/tuple of distinct ones."""
    if isinstance(value, (list, tuple)):
        if not value:
            raise ConfigError(f"{name} must name at least one answer value (got an empty {type(value).__name__})")
        levels = [answer_level(name, v) for v in value]
        if len(set(levels)) != len(levels):
            raise ConfigError(f"{name} lists an answer twice ({', '.join(show(v) for v in levels)}); list each once")
        return levels
    return [answer_level(name, value)]
