"""impact: did a public-service initiative work, and was it worth its cost?

Subpackages: :mod:`impact.did` (difference-in-differences and synthetic
control estimators), :mod:`impact.cba` (discounting and appraisal),
:mod:`impact.design` (power before a pilot), :mod:`impact.report`
(parameterised reports and batch runs).
"""

from impact.errors import ConfigError, DataError, EstimationError, ImpactError

__version__ = "0.1.0"
__all__ = ["ImpactError", "DataError", "ConfigError", "EstimationError", "__version__"]
