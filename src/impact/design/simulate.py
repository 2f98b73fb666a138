"""Power by simulation on the lab's own historical data.

Before a pilot, a lab usually holds a few years of the outcome for every
unit that could take part. Placebo pilots on that history answer "what
effect could we detect?" without assuming a variance or a correlation
structure: draw the planned number of treated units at random, place the
planned pre/post window at random in the history, add an effect to the
treated units after the start, estimate it as the evaluation will
(two-way fixed effects, standard errors clustered by unit) and count how
often the test rejects.

Every draw is computed at once with NumPy. On a balanced panel with a common
start the two-way fixed-effects estimate is the difference between treated
and control units' mean changes ``d_i = mean_post(y_i) - mean_pre(y_i)``, and
its unit-clustered variance is ``c * (sum_T e_i^2 / n_T^2 + sum_C e_i^2 /
n_C^2)`` with ``e_i`` the deviation of ``d_i`` from its group mean and ``c``
the CR1 small-sample factor (``tests/test_design.py`` checks both against
statsmodels and pyfixest).
An additive effect moves the estimate and leaves this standard error
unchanged, so a whole power curve costs one set of placebo draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import stats

from impact.data import check_alpha, check_choice, check_int, wide_panel
from impact.design.power import check_power
from impact.errors import ConfigError, DataError
from impact.results import DEFAULT_SEED, Summary, SummaryDisplay, check_seed, seed_label

__all__ = ["simulate_power", "PowerResult", "history_moments", "HistoryMoments"]

TESTS = ("cluster", "randomization")


# --------------------------------------------------------------------------- history


def _history_matrix(data, outcome, unit, time) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Balanced ``units x periods`` outcome matrix, with unit and period labels; errors name the gap."""
    matrices, units, periods = wide_panel(data, outcome, unit, time, "a power simulation")
    return matrices[outcome], units, periods


@dataclass(frozen=True)
class HistoryMoments:
    """Mean, spread and serial correlation of an outcome history, for the analytic formulas.

    ``cov`` is the covariance across units of each pair of periods (period
    effects removed, unit effects kept: they cancel in a DiD); ``sigma`` is
    the square root of its average diagonal and ``rho`` its average
    off-diagonal correlation, the exchangeable summary that McKenzie's (2012)
    formula takes.
    """

    mean: float
    sigma: float
    rho: float
    cov: pd.DataFrame = field(repr=False)
    n_units: int
    n_periods: int


def history_moments(data: pd.DataFrame, outcome: str, unit: str, time: str) -> HistoryMoments:
    """Estimate the inputs of :func:`impact.design.mde` from a balanced history of the outcome.

    Examples
    --------
    >>> from impact.design import mde
    >>> history = pd.DataFrame({"city": list("aabbccdd"), "quarter": [1, 2] * 4,
    ...                         "days": [10.0, 11.0, 12.0, 12.5, 9.0, 11.0, 14.0, 14.5]})
    >>> m = history_moments(history, "days", "city", "quarter")
    >>> round(m.sigma, 3), round(m.rho, 3)
    (1.958, 0.935)
    >>> round(mde(n_units=m.n_units, n_treated=2, sigma=m.sigma, rho=m.rho), 2)
    1.98
    """
    y, _, periods = _history_matrix(data, outcome, unit, time)
    cov = np.cov(y, rowvar=False, ddof=1)
    var = np.diag(cov).mean()
    if not var > 0:
        raise DataError(f"outcome column {outcome!r} does not vary across units; there is nothing to detect")
    off = (cov.sum() - np.trace(cov)) / (cov.size - len(cov))
    return HistoryMoments(
        mean=float(y.mean()),
        sigma=float(np.sqrt(var)),
        rho=float(off / var),
        cov=pd.DataFrame(cov, index=periods, columns=periods),
        n_units=y.shape[0],
        n_periods=y.shape[1],
    )


# --------------------------------------------------------------------------- draws


def _window_changes(y: np.ndarray, n_pre: int, n_post: int) -> np.ndarray:
    """``(n_windows, n_units)`` mean post-minus-pre change of each unit for each window start."""
    csum = np.concatenate([np.zeros((y.shape[0], 1)), np.cumsum(y, axis=1)], axis=1)
    n_windows = y.shape[1] - n_pre - n_post + 1
    start = np.arange(n_windows)
    pre = (csum[:, start + n_pre] - csum[:, start]) / n_pre
    post = (csum[:, start + n_pre + n_post] - csum[:, start + n_pre]) / n_post
    return (post - pre).T


def _draw_pilots(n_windows: int, n_units: int, n_treated: int, n_sims: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Random window starts ``(n_sims,)`` and treated masks ``(n_sims, n_units)``, ``n_treated`` per row."""
    window = rng.integers(n_windows, size=n_sims)
    order = rng.random((n_sims, n_units)).argsort(axis=1)
    treated = np.zeros((n_sims, n_units), dtype=bool)
    np.put_along_axis(treated, order[:, :n_treated], True, axis=1)
    return window, treated


def _twfe_estimates(change: np.ndarray, treated: np.ndarray, n_periods: int) -> tuple[np.ndarray, np.ndarray]:
    """TWFE estimates and unit-clustered CR1 standard errors, one per row of ``change`` (units in columns).

    ``change`` holds each unit's mean post-minus-pre change over a window of
    ``n_periods`` periods. The small-sample factor is fixest's and reghdfe's
    default, ``G/(G-1) * (N-1)/(N-K)`` with ``K = n_periods + 1`` (the
    treatment, the period effects and the unit effects, nested in the
    clusters, counted once).
    """
    n_units = change.shape[1]
    n_treated = treated.sum(axis=1)
    n_control = n_units - n_treated
    mean_t = np.where(treated, change, 0.0).sum(axis=1) / n_treated
    mean_c = np.where(treated, 0.0, change).sum(axis=1) / n_control
    resid2 = (change - np.where(treated, mean_t[:, None], mean_c[:, None])) ** 2
    var = (np.where(treated, resid2, 0.0).sum(axis=1) / n_treated**2
           + np.where(treated, 0.0, resid2).sum(axis=1) / n_control**2)
    n_obs = n_units * n_periods
    factor = n_units / (n_units - 1) * (n_obs - 1) / (n_obs - n_periods - 1)
    return mean_t - mean_c, np.sqrt(var * factor)


def _rejection_bounds(estimate, se, alpha, test, n_units):
    """Thresholds ``lower < upper``: a draw with added effect ``tau`` rejects iff ``tau < lower`` or ``tau > upper``."""
    if test == "cluster":
        half = stats.t.ppf(1 - alpha / 2, n_units - 1) * se
    else:
        # Fisher-style: compare |estimate| with the placebo distribution of |estimate| under no effect.
        half = np.full_like(estimate, np.quantile(np.abs(estimate), 1 - alpha, method="higher"))
    return -half - estimate, half - estimate


def _power_at(effects, lower, upper):
    """Share of draws rejecting at each effect, from the sorted thresholds."""
    lo, hi = np.sort(lower), np.sort(upper)
    effects = np.asarray(effects, dtype=float)
    n = len(lo)
    above = np.searchsorted(hi, effects, side="left") / n
    below = (n - np.searchsorted(lo, effects, side="right")) / n
    return above + below


def _smallest_effect(lower, upper, target) -> float:
    """Smallest effect >= 0 whose rejection rate reaches ``target`` (exact for the draws)."""
    # Power only jumps up where an effect crosses some upper threshold.
    candidates = np.unique(np.r_[0.0, np.nextafter(upper[upper >= 0], np.inf)])
    reached = _power_at(candidates, lower, upper) >= target
    return float(candidates[np.argmax(reached)]) if reached.any() else float("inf")


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, kw_only=True)
class PowerResult(SummaryDisplay):
    """Simulated power of a planned DiD pilot, with the analytic benchmark.

    ``to_frame()`` has one row per effect: ``effect``, ``relative_effect``
    (effect / mean outcome), ``power`` (share of placebo pilots rejecting),
    ``power_se`` (its binomial Monte Carlo standard error) and
    ``analytic_power`` (the normal formula with the variance of the mean
    changes in the history). ``mde`` is the smallest effect reaching
    ``target_power``; ``size`` the rejection rate with no effect.
    """

    outcome: str
    frame: pd.DataFrame = field(repr=False)
    mde: float
    analytic_mde: float
    size: float
    mean_outcome: float
    n_units: int
    n_treated: int
    n_pre: int
    n_post: int
    n_periods: int
    n_windows: int
    n_sims: int
    alpha: float
    target_power: float
    test: str
    seed: int | None
    unit_label: str = "units"
    period_label: str = "periods"
    placebo_estimates: np.ndarray = field(repr=False)
    placebo_se: np.ndarray = field(repr=False)

    @property
    def mde_relative(self) -> float:
        """MDE as a share of the mean outcome (NaN when the mean is zero)."""
        return self.mde / self.mean_outcome if self.mean_outcome else float("nan")

    def to_frame(self) -> pd.DataFrame:
        """One row per effect: effect, relative_effect, power, power_se, analytic_power."""
        return self.frame.copy()

    def sentence(self) -> str:
        """The answer in one sentence."""
        level = f"{100 * self.target_power:g}% power and {100 * self.alpha:g}% significance"
        relative = f" ({100 * abs(self.mde_relative):.1f}% of the mean, {self.mean_outcome:.4g})" if np.isfinite(self.mde_relative) else ""
        value = f"{self.mde:.4g}{relative}" if np.isfinite(self.mde) else "not reached by any effect"
        return (
            f"With {self.n_treated} of {self.n_units} {self.unit_label} treated for {self.n_post} {self.period_label} "
            f"(after {self.n_pre} {self.period_label} before the start), the minimum detectable effect on "
            f"{self.outcome} at {level} is {value}."
        )

    @cached_property
    def _summary(self) -> Summary:
        test = ("t test with unit-clustered (CR1) standard errors, G-1 degrees of freedom" if self.test == "cluster"
                else "randomization test: |estimate| against its placebo distribution")
        header = (
            ("Answer", self.sentence()),
            ("Design", f"{self.n_treated} treated of {self.n_units}; {self.n_pre} pre + {self.n_post} post {self.period_label}"),
            ("History", f"{self.n_periods} {self.period_label}, {self.n_windows} window placements"),
            ("Estimator", "two-way fixed effects (difference of mean changes)"),
            ("Test", test),
            ("Simulations", f"{self.n_sims} placebo pilots (seed {seed_label(self.seed)})"),
            ("Simulated MDE", f"{self.mde:.4g}"),
            ("Analytic MDE", f"{self.analytic_mde:.4g} (normal formula, variance of mean changes in the history)"),
            ("Size", f"{self.size:.3g} rejection rate with no effect (nominal {self.alpha:g})"),
            ("Assumptions", "additive homogeneous effect; treated units like a random draw of these units; "
                            "the future behaves like the history"),
        )
        notes = []
        mc = 3 * np.sqrt(self.alpha * (1 - self.alpha) / self.n_sims)
        if self.size > self.alpha + mc:
            notes.append(
                f"The test rejects {100 * self.size:.1f}% of placebo pilots with no effect, more than the nominal "
                f"{100 * self.alpha:g}%: with {self.n_treated} treated units clustered standard errors are too small "
                "(Conley & Taber 2011; MacKinnon & Webb 2018). Read the power curve with test='randomization', "
                "whose size is right by construction, or plan more treated units."
            )
        notes.append("Monte Carlo error: power_se is the binomial standard error; placebo pilots share units and "
                     "periods, so it understates the uncertainty from a short history.")
        return Summary("Power of a planned difference-in-differences pilot", header, self.to_frame(), tuple(notes))


    def plot(self, ax=None, analytic: bool = True, **kwargs):
        """Power curve with Monte Carlo band, target power and MDE marked; returns the Axes."""
        from impact.design.plots import power_curve_plot

        return power_curve_plot(self.to_frame(), mde=self.mde, target_power=self.target_power, alpha=self.alpha,
                                outcome=self.outcome, analytic=analytic, ax=ax, **kwargs)


# --------------------------------------------------------------------------- entry point


def simulate_power(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    *,
    n_treated: int,
    n_post: int,
    n_pre: int | None = None,
    effects=None,
    n_sims: int = 2000,
    seed: int | None = DEFAULT_SEED,
    alpha: float = 0.05,
    power: float = 0.8,
    test: str = "cluster",
    unit_label: str = "units",
    period_label: str = "periods",
) -> PowerResult:
    """Power curve and minimum detectable effect of a planned DiD pilot, by placebo pilots on historical data.

    Parameters
    ----------
    data : pandas.DataFrame
        Balanced long-form history of the outcome before any pilot: one row
        per unit and period, no missing values.
    outcome, unit, time : str
        Column names.
    n_treated : int
        Units the pilot will treat (fewer than the units in ``data``).
    n_post : int
        Periods the pilot will run before it is evaluated.
    n_pre : int, optional
        Periods of data before the start that the evaluation will use;
        default: every period of the history not needed for ``n_post``.
        ``n_pre + n_post`` must not exceed the periods in the history; each
        placebo pilot places this window at random in the history.
    effects : array-like, optional
        Effects to evaluate, in outcome units (default: 21 points from 0 to
        twice the simulated MDE).
    n_sims : int
        Placebo pilots (each a random window and a random treated set).
    seed : int or None
        Seed of ``numpy.random.default_rng``; :data:`impact.results.DEFAULT_SEED`
        by default, so identical calls give identical numbers; None for fresh draws.
    alpha : float
        Significance level of the two-sided test.
    power : float
        Target power for the MDE.
    test : {"cluster", "randomization"}
        ``"cluster"``: the t test the evaluation would run, unit-clustered
        (CR1) standard errors against Student t with ``G - 1`` degrees of
        freedom. ``"randomization"``: reject when ``|estimate|`` exceeds the
        ``1 - alpha`` quantile of the placebo estimates with no effect, a
        Fisher-style test whose size is right by construction.
    unit_label, period_label : str
        Plural nouns for the sentence in :meth:`PowerResult.summary`
        (e.g. "cities", "quarters").

    Returns
    -------
    PowerResult

    Notes
    -----
    Each placebo pilot draws ``n_treated`` units without replacement and a
    window of ``n_pre + n_post`` consecutive periods uniformly, adds
    ``effect`` to the treated units' post-period outcomes and estimates the
    effect by two-way fixed effects with a common start, which on a balanced
    panel is the difference of mean changes. The simulated power is the
    share of pilots whose test rejects no effect. It rests on: a homogeneous
    additive effect; treated units that are like a random draw from the
    history's units (no selection on trends); and a future that behaves like
    the history (same variance and serial correlation). Unlike the analytic
    formulas it does not assume a correlation structure, and it shows the
    size distortion of clustered standard errors with few treated units.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> history = pd.DataFrame({"city": np.repeat(np.arange(40), 24), "quarter": np.tile(np.arange(24), 40),
    ...                         "days": rng.normal(30, 3, 960)})
    >>> res = simulate_power(history, "days", "city", "quarter", n_treated=5, n_pre=8, n_post=8, seed=1)
    >>> res.to_frame().columns.tolist()
    ['effect', 'relative_effect', 'power', 'power_se', 'analytic_power']
    >>> print(res.sentence())  # doctest: +ELLIPSIS
    With 5 of 40 units treated for 8 periods (after 8 periods before the start), the minimum detectable effect on days ...

    References
    ----------
    Burlig, F., Preonas, L. & Woerman, M. (2020). Panel data and experimental
    design. *Journal of Development Economics* 144, 102458.
    https://doi.org/10.1016/j.jdeveco.2020.102458

    Bertrand, M., Duflo, E. & Mullainathan, S. (2004). How much should we trust
    differences-in-differences estimates? *Quarterly Journal of Economics*
    119(1), 249-275. https://doi.org/10.1162/003355304772839588

    Conley, T. G. & Taber, C. R. (2011). Inference with "difference in
    differences" with a small number of policy changes. *Review of Economics
    and Statistics* 93(1), 113-125. https://doi.org/10.1162/REST_a_00049

    MacKinnon, J. G. & Webb, M. D. (2018). The wild bootstrap for few (treated)
    clusters. *The Econometrics Journal* 21(2), 114-135.
    https://doi.org/10.1111/ectj.12107
    """
    alpha = check_alpha(alpha)
    target = check_power(power)
    check_choice("test", test, TESTS)
    n_sims = check_int("n_sims", n_sims, minimum=100)
    seed = check_seed(seed)
    y, units, periods = _history_matrix(data, outcome, unit, time)
    n_units, n_periods = y.shape

    n_treated = check_int("n_treated", n_treated, minimum=1)
    if n_treated >= n_units:
        raise ConfigError(
            f"n_treated must be smaller than the {n_units} units in column {unit!r} so that some are left as "
            f"controls (got n_treated={n_treated})"
        )
    if n_units < 3:
        raise DataError(f"column {unit!r} has {n_units} units; clustered inference needs at least 3")
    n_post = check_int("n_post", n_post, minimum=1)
    if n_pre is None:
        n_pre = n_periods - n_post
        if n_pre < 1:
            raise ConfigError(
                f"n_post={n_post} leaves no pre-period in a history of {n_periods} periods; "
                f"n_post must be at most {n_periods - 1}"
            )
    n_pre = check_int("n_pre", n_pre, minimum=1)
    if n_pre + n_post > n_periods:
        raise ConfigError(
            f"n_pre + n_post = {n_pre} + {n_post} = {n_pre + n_post} periods exceed the {n_periods} periods of the "
            f"history in column {time!r}; shorten n_pre or n_post, or provide a longer history"
        )

    d = _window_changes(y, n_pre, n_post)
    if not np.ptp(d, axis=1).max() > 0:
        raise DataError(f"outcome column {outcome!r} changes by the same amount in every unit; there is nothing to detect")
    rng = np.random.default_rng(seed)
    window, treated = _draw_pilots(d.shape[0], n_units, n_treated, n_sims, rng)
    estimate, se = _twfe_estimates(d[window], treated, n_pre + n_post)
    lower, upper = _rejection_bounds(estimate, se, alpha, test, n_units)
    mde_sim = _smallest_effect(lower, upper, target)

    if effects is None:
        effects = np.linspace(0.0, 2 * mde_sim, 21) if np.isfinite(mde_sim) else np.zeros(1)
    effects = np.atleast_1d(np.asarray(effects, dtype=float))
    if effects.ndim != 1 or not np.all(np.isfinite(effects)):
        raise ConfigError(f"effects must be a list of finite numbers (got {effects!r})")
    simulated = _power_at(effects, lower, upper)

    # Analytic benchmark: normal formula with Var(d_i) pooled over window placements.
    analytic_se = np.sqrt(d.var(axis=1, ddof=1).mean() * (1 / n_treated + 1 / (n_units - n_treated)))
    crit = stats.norm.ppf(1 - alpha / 2)
    analytic = stats.norm.sf(crit - np.abs(effects) / analytic_se) + stats.norm.cdf(-crit - np.abs(effects) / analytic_se)
    mean_outcome = float(y.mean())
    frame = pd.DataFrame(
        {
            "effect": effects,
            "relative_effect": effects / mean_outcome if mean_outcome else np.nan,
            "power": simulated,
            "power_se": np.sqrt(simulated * (1 - simulated) / n_sims),
            "analytic_power": analytic,
        }
    )
    return PowerResult(
        outcome=outcome,
        frame=frame,
        mde=mde_sim,
        analytic_mde=float((crit + stats.norm.ppf(target)) * analytic_se),
        size=float(_power_at(0.0, lower, upper)),
        mean_outcome=mean_outcome,
        n_units=n_units,
        n_treated=n_treated,
        n_pre=n_pre,
        n_post=n_post,
        n_periods=n_periods,
        n_windows=d.shape[0],
        n_sims=n_sims,
        alpha=alpha,
        target_power=target,
        test=test,
        seed=seed,
        unit_label=unit_label,
        period_label=period_label,
        placebo_estimates=estimate,
        placebo_se=se,
    )
