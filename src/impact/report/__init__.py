"""Evaluation reports: initiative configuration, notebook execution, export and batch runs.

This package calls the library (:mod:`impact.did`, :mod:`impact.cba`) and
never reimplements it; the library never imports this package.
"""

from impact.report.initiative import Initiative, load_initiative, validate_initiative

__all__ = ["Initiative", "load_initiative", "validate_initiative"]
