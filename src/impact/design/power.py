"""Analytic power and minimum detectable effect for difference-in-differences.

The design is a balanced panel of ``n_units`` units observed for ``n_pre``
periods before and ``n_post`` periods after a common start date, of which
``n_treated`` are treated. With unit and time fixed effects (or, equivalently
on such a panel, the difference of mean changes) the estimator is

    beta_hat = mean_{treated}(d_i) - mean_{control}(d_i),
    d_i = mean_{post}(y_it) - mean_{pre}(y_it) = a' y_i,

with ``a`` equal to ``-1/n_pre`` on pre-periods and ``1/n_post`` on
post-periods. If every unit's outcome vector has the same covariance matrix
``Sigma`` over the ``n_pre + n_post`` periods, then exactly

    Var(beta_hat) = a' Sigma a * (1/n_treated + 1/n_control).

This is the serial-correlation-robust formula of Burlig, Preonas & Woerman
(2020, eq. 5 with P = n_treated/n_units); with an exchangeable correlation
``rho`` it reduces to McKenzie's (2012) ``sigma^2 (1 - rho)(1/m + 1/r)``, and
with one period on each side to the 2x2 panel DiD. Because ``a`` sums to zero,
a unit random effect (a constant added to every entry of ``Sigma``) leaves it
unchanged: only the part of the serial correlation that the unit fixed effect
does not absorb matters.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, stats

from impact.data import check_alpha, check_fraction, check_int
from impact.errors import ConfigError

__all__ = ["mde", "power", "did_variance", "serial_covariance", "check_power"]

_STRUCTURES = ("exchangeable", "ar1")


# --------------------------------------------------------------------------- checks


def check_power(value, name: str = "power") -> float:
    """A target power strictly between 0 and 1."""
    return check_fraction(name, value, "0.8 is the usual target")


def _check_design(n_units, n_treated, n_pre, n_post) -> tuple[int, int, int, int]:
    n_units = check_int("n_units", n_units, minimum=2)
    n_treated = check_int("n_treated", n_treated, minimum=1)
    if n_treated >= n_units:
        raise ConfigError(
            f"n_treated must be smaller than n_units so that some units are left as controls "
            f"(got n_treated={n_treated}, n_units={n_units})"
        )
    n_pre = check_int("n_pre", n_pre, minimum=1)
    n_post = check_int("n_post", n_post, minimum=1)
    return n_units, n_treated, n_pre, n_post


def _check_positive(name: str, value) -> float:
    try:
        ok = np.isfinite(float(value)) and float(value) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ConfigError(f"{name} must be a positive number (got {value!r})")
    return float(value)


# --------------------------------------------------------------------------- variance


def serial_covariance(n_periods: int, sigma: float = 1.0, rho: float = 0.0, structure: str = "exchangeable") -> np.ndarray:
    """Covariance matrix of one unit's outcomes over ``n_periods`` periods.

    Parameters
    ----------
    n_periods : int
        Number of periods (``n_pre + n_post``).
    sigma : float
        Standard deviation of the outcome of one unit in one period.
    rho : float
        Correlation between two periods of the same unit: the same for every
        pair (``"exchangeable"``, as in McKenzie 2012) or ``rho**|s - t|``
        (``"ar1"``).
    structure : {"exchangeable", "ar1"}

    Returns
    -------
    numpy.ndarray
        ``(n_periods, n_periods)`` matrix.
    """
    n_periods = check_int("n_periods", n_periods, minimum=2)
    sigma = _check_positive("sigma", sigma)
    if structure not in _STRUCTURES:
        raise ConfigError(f"structure must be one of {', '.join(map(repr, _STRUCTURES))} (got {structure!r})")
    try:
        rho = float(rho)
    except (TypeError, ValueError):
        raise ConfigError(f"rho must be a number (got {rho!r})") from None
    lag = np.abs(np.subtract.outer(np.arange(n_periods), np.arange(n_periods)))
    if structure == "ar1":
        if not -1 < rho < 1:
            raise ConfigError(f"rho must be strictly between -1 and 1 for an AR(1) correlation (got {rho})")
        corr = rho**lag
    else:
        low = -1 / (n_periods - 1)
        if not low <= rho < 1:
            raise ConfigError(
                f"rho must lie in [{low:.3g}, 1) for an exchangeable correlation over {n_periods} periods (got {rho})"
            )
        corr = np.where(lag == 0, 1.0, rho)
    return sigma**2 * corr


def _check_cov(cov, n_periods: int) -> np.ndarray:
    cov = np.asarray(cov, dtype=float)
    if cov.shape != (n_periods, n_periods):
        raise ConfigError(
            f"cov must be a {n_periods}x{n_periods} matrix (n_pre + n_post periods), got shape {cov.shape}"
        )
    if not np.all(np.isfinite(cov)) or not np.allclose(cov, cov.T):
        raise ConfigError("cov must be a finite symmetric covariance matrix")
    if np.linalg.eigvalsh(cov).min() < -1e-10 * max(1.0, np.abs(cov).max()):
        raise ConfigError("cov is not positive semi-definite; it cannot be a covariance matrix")
    return cov


def did_variance(
    *,
    n_units: int,
    n_treated: int,
    n_pre: int,
    n_post: int,
    sigma: float = 1.0,
    rho: float = 0.0,
    structure: str = "exchangeable",
    cov=None,
) -> float:
    """Sampling variance of the DiD (two-way fixed effects) estimate under the design.

    ``Var = a' Sigma a (1/n_treated + 1/n_control)`` with ``a`` the contrast
    ``-1/n_pre`` before and ``1/n_post`` after; ``Sigma`` is ``cov`` when given
    (periods in time order, pre-periods first), else built from ``sigma``,
    ``rho`` and ``structure`` by :func:`serial_covariance`. See the module
    notes and :func:`mde` for assumptions and references.
    """
    n_units, n_treated, n_pre, n_post = _check_design(n_units, n_treated, n_pre, n_post)
    n_periods = n_pre + n_post
    if cov is None:
        cov = serial_covariance(n_periods, sigma, rho, structure)
    else:
        cov = _check_cov(cov, n_periods)
    a = np.r_[np.full(n_pre, -1.0 / n_pre), np.full(n_post, 1.0 / n_post)]
    return float(a @ cov @ a) * (1.0 / n_treated + 1.0 / (n_units - n_treated))


# --------------------------------------------------------------------------- power and MDE


def _power_from_se(effect, se, alpha: float, df):
    """Two-sided rejection probability of a test of ``effect / se`` (normal or noncentral t)."""
    delta = np.abs(np.asarray(effect, dtype=float)) / se
    if df is None:
        crit = stats.norm.ppf(1 - alpha / 2)
        return stats.norm.sf(crit - delta) + stats.norm.cdf(-crit - delta)
    crit = stats.t.ppf(1 - alpha / 2, df)
    return stats.nct.sf(crit, df, delta) + stats.nct.cdf(-crit, df, delta)


def _check_df(df):
    if df is None:
        return None
    try:
        ok = np.isfinite(float(df)) and float(df) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ConfigError(f"df must be a positive number of degrees of freedom or None for the normal (got {df!r})")
    return float(df)


def power(
    effect,
    *,
    n_units: int,
    n_treated: int,
    n_pre: int = 1,
    n_post: int = 1,
    sigma: float = 1.0,
    rho: float = 0.0,
    structure: str = "exchangeable",
    cov=None,
    alpha: float = 0.05,
    df: float | None = None,
):
    """Probability that a two-sided DiD test at level ``alpha`` detects ``effect``.

    Parameters
    ----------
    effect : float or array-like
        True average effect on the treated, in outcome units.
    n_units, n_treated : int
        Units in the panel and how many of them are treated.
    n_pre, n_post : int
        Periods observed before and after the start (1 and 1 is the 2x2 DiD).
    sigma, rho, structure, cov
        Outcome covariance of one unit over the ``n_pre + n_post`` periods;
        see :func:`serial_covariance`. ``cov`` overrides the other three.
    alpha : float
        Significance level of the two-sided test.
    df : float, optional
        Degrees of freedom of a Student t test (e.g. ``n_units - 2``); the
        power then uses the noncentral t distribution. ``None`` (default)
        uses the normal approximation, as McKenzie (2012) and Burlig et al.
        (2020) do.

    Returns
    -------
    float or numpy.ndarray
        Power, with the shape of ``effect``.

    Notes
    -----
    Power is ``P(|Z| > z_{1-alpha/2})`` for ``Z ~ N(effect / SE, 1)`` (or a
    noncentral t), with ``SE`` the square root of :func:`did_variance`. It
    assumes a balanced panel, a common start date, a homogeneous additive
    effect, parallel trends, units independent of each other, and the same
    outcome covariance in both groups. It ignores estimation error in the
    standard error itself: with few treated units a cluster-robust t test is
    oversized (Conley & Taber 2011; MacKinnon & Webb 2018), which
    :func:`impact.design.simulate_power` shows on the lab's own data.

    References
    ----------
    McKenzie, D. (2012). Beyond baseline and follow-up: the case for more T in
    experiments. *Journal of Development Economics* 99(2), 210-221.
    https://doi.org/10.1016/j.jdeveco.2012.01.002

    Burlig, F., Preonas, L. & Woerman, M. (2020). Panel data and experimental
    design. *Journal of Development Economics* 144, 102458.
    https://doi.org/10.1016/j.jdeveco.2020.102458

    Examples
    --------
    >>> round(float(power(0.5, n_units=40, n_treated=20, sigma=1.0)), 3)
    0.201
    """
    alpha = check_alpha(alpha)
    df = _check_df(df)
    effect_arr = np.asarray(effect, dtype=float)
    if not np.all(np.isfinite(effect_arr)):
        raise ConfigError(f"effect must be finite numbers (got {effect!r})")
    se = np.sqrt(did_variance(n_units=n_units, n_treated=n_treated, n_pre=n_pre, n_post=n_post,
                              sigma=sigma, rho=rho, structure=structure, cov=cov))
    result = _power_from_se(effect_arr, se, alpha, df)
    return float(result) if effect_arr.ndim == 0 else result


def mde(
    *,
    n_units: int,
    n_treated: int,
    n_pre: int = 1,
    n_post: int = 1,
    sigma: float = 1.0,
    rho: float = 0.0,
    structure: str = "exchangeable",
    cov=None,
    alpha: float = 0.05,
    power: float = 0.8,
    df: float | None = None,
) -> float:
    """Minimum detectable effect of a DiD design: the smallest effect found with probability ``power``.

    Parameters are those of :func:`power`, with ``power`` the target
    probability of detection instead of an effect.

    Returns
    -------
    float
        The MDE in outcome units. With the normal approximation (``df=None``)
        it is ``(z_{1-alpha/2} + z_{power}) * SE`` (Bloom 1995), ``SE`` the
        square root of :func:`did_variance`; with ``df`` it solves the
        noncentral-t power equation.

    Notes
    -----
    The closed form neglects the (tiny) chance of rejecting in the wrong tail,
    as Bloom (1995), McKenzie (2012) and Burlig et al. (2020) do; :func:`power`
    counts both tails, so ``power(mde(...))`` exceeds the target by at most
    ``Phi(-2 z_{1-alpha/2} - z_{power})`` (3e-6 at the defaults). Assumptions
    as in :func:`power`.

    References
    ----------
    Bloom, H. S. (1995). Minimum detectable effects: a simple way to report
    the statistical power of experimental designs. *Evaluation Review* 19(5),
    547-556. https://doi.org/10.1177/0193841X9501900504

    McKenzie (2012) and Burlig, Preonas & Woerman (2020): see :func:`power`.

    Examples
    --------
    Forty cities, five treated, eight quarters before and after, outcome
    standard deviation 10 and serial correlation 0.5:

    >>> round(mde(n_units=40, n_treated=5, n_pre=8, n_post=8, sigma=10, rho=0.5), 2)
    4.74
    """
    alpha = check_alpha(alpha)
    target = check_power(power)
    df = _check_df(df)
    se = np.sqrt(did_variance(n_units=n_units, n_treated=n_treated, n_pre=n_pre, n_post=n_post,
                              sigma=sigma, rho=rho, structure=structure, cov=cov))
    normal = (stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(target)) * se
    if df is None:
        return float(normal)
    # The t-based MDE exceeds the normal one; bracket it and solve.
    hi = normal
    while _power_from_se(hi, se, alpha, df) < target:
        hi *= 2
    return float(optimize.brentq(lambda e: _power_from_se(e, se, alpha, df) - target, 0.0, hi, xtol=1e-12 * se))
