"""Designing an evaluation before the pilot: power and minimum detectable effect.

- :func:`mde`, :func:`power`, :func:`did_variance`: analytic formulas for a
  2x2 or panel DiD with serial correlation (McKenzie 2012; Burlig, Preonas &
  Woerman 2020).
- :func:`simulate_power`: placebo pilots on the lab's own history, giving a
  power curve and the MDE of the test the evaluation will actually run.
- :func:`history_moments`: mean, spread and serial correlation of a history,
  the inputs of the analytic formulas.
"""

from impact.design.power import did_variance, mde, power, serial_covariance
from impact.design.plots import history_plot, power_curve_plot
from impact.design.simulate import HistoryMoments, PowerResult, history_moments, simulate_power

__all__ = [
    "mde",
    "power",
    "did_variance",
    "serial_covariance",
    "simulate_power",
    "PowerResult",
    "history_moments",
    "HistoryMoments",
    "history_plot",
    "power_curve_plot",
]
