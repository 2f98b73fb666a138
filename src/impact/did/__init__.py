"""Difference-in-differences and synthetic-control estimators.

Every public name is bound here on import. Binding them eagerly matters for
``event_study``, ``imputation`` and ``sun_abraham``, whose modules share their
names: importing the submodule first can then never shadow the function.
"""

from impact.did.bacon import bacon_decomposition
from impact.did.diagnostics import placebo_test, pretrend_test
from impact.did.event_study import event_study
from impact.did.honest import honest_did
from impact.did.imputation import imputation
from impact.did.sdid import synthetic_did
from impact.did.staggered import GroupTimeResult, callaway_santanna
from impact.did.sun_abraham import sun_abraham
from impact.did.synthetic import synthetic_control
from impact.did.twoway import two_by_two, twfe
from impact.did.wild import wild_cluster_bootstrap

__all__ = [
    "GroupTimeResult",
    "bacon_decomposition",
    "callaway_santanna",
    "event_study",
    "honest_did",
    "imputation",
    "placebo_test",
    "pretrend_test",
    "sun_abraham",
    "synthetic_control",
    "synthetic_did",
    "twfe",
    "two_by_two",
    "wild_cluster_bootstrap",
]
