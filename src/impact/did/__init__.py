"""Difference-in-differences and synthetic-control estimators.

Functions are bound eagerly where their module shares their name
(``event_study``, ``imputation``, ``sun_abraham``), so that importing the submodule can never
shadow the function; the rest resolve on first use.
"""

from __future__ import annotations

import importlib

from impact.did.event_study import event_study
from impact.did.imputation import imputation
from impact.did.sun_abraham import sun_abraham
from impact.did.twoway import two_by_two, twfe

_WHERE = {
    "two_by_two": "twoway",
    "twfe": "twoway",
    "event_study": "event_study",
    "callaway_santanna": "staggered",
    "GroupTimeResult": "staggered",
    "sun_abraham": "sun_abraham",
    "imputation": "imputation",
    "bacon_decomposition": "bacon",
    "honest_did": "honest",
    "pretrend_test": "diagnostics",
    "placebo_test": "diagnostics",
    "wild_cluster_bootstrap": "wild",
    "synthetic_control": "synthetic",
    "synthetic_did": "sdid",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        module = importlib.import_module(f"impact.did.{_WHERE[name]}")
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'impact.did' has no attribute {name!r}")


def __dir__():
    return __all__
