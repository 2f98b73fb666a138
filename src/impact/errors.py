"""Exceptions and warnings raised by impact.

Every failure caused by the caller's data, configuration or arguments is an
:class:`ImpactError`; its message names the column, value or setting at fault
and says how to fix it. Warnings have their own classes so that a notebook or
a CI job can filter or escalate them precisely.
"""

from __future__ import annotations

__all__ = [
    "ImpactError",
    "DataError",
    "ConfigError",
    "EstimationError",
    "ImpactWarning",
    "DroppedRowsWarning",
    "EstimationWarning",
]


class ImpactError(Exception):
    """Root of every error raised by impact for bad input or a failed estimate."""


class DataError(ImpactError, ValueError):
    """The data are unusable as given: missing column, wrong type, duplicates, no variation."""


class ConfigError(ImpactError, ValueError):
    """An argument, option or initiative setting is invalid or unknown."""


class EstimationError(ImpactError, RuntimeError):
    """The estimator cannot produce a valid answer on these data (for example a singular design)."""


class ImpactWarning(UserWarning):
    """Root of impact's warnings."""


class DroppedRowsWarning(ImpactWarning):
    """Rows were dropped by a documented convention; the message says how many and why."""


class EstimationWarning(ImpactWarning):
    """The estimate exists but rests on something the user should know (few clusters, no unique root)."""
