"""Synthetic difference-in-differences (Arkhangelsky, Athey, Hirshberg, Imbens & Wager, 2021).

SDID reweights the control units (weights ``omega``) so that their
pre-treatment trajectory is parallel to the treated units', and reweights the
pre-treatment periods (weights ``lambda``) so that they resemble the
post-treatment periods, then takes a weighted difference in differences. The
same machinery gives the synthetic-control (``"sc"``: unit weights without
intercept, no time weights) and plain difference-in-differences (``"did"``:
uniform weights) estimates, as in the R package ``synthdid``.

The weights are fitted by Frank-Wolfe with exact line search, followed by one
sparsification step (weights below a quarter of the largest are zeroed and
the solver restarted from there), which is Algorithm 1 of the paper as
implemented in ``synthdid``. Placebo and bootstrap replications are solved
as one batch: every replication is a slice of a 3-d array and the
Frank-Wolfe iterations run on all slices at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from impact.data import check_alpha, check_choice, check_columns, check_int, check_numeric, show
from impact.did.simplex import _fw_weights
from impact.did.synthetic import _wide_panel
from impact.errors import ConfigError, DataError, EstimationError
from impact.periods import axis_values
from impact.did._args import accepts_r_names
from impact.results import DEFAULT_SEED, EffectResult, check_seed, normal_ci, normal_pvalue, seed_label, tidy_terms

__all__ = ["synthetic_did", "SyntheticDiDResult"]

Estimator = Literal["sdid", "sc", "did"]
SEMethod = Literal["placebo", "jackknife", "bootstrap"]
ESTIMATORS = ("sdid", "sc", "did")
SE_METHODS = ("placebo", "jackknife", "bootstrap")


def _masked_mean(values, mask, axis):
    return (values * mask).sum(axis=axis) / mask.sum(axis=axis)


@dataclass(frozen=True)
class _Options:
    """What a replication re-uses from the original fit (``synthdid``'s ``opts``)."""

    zeta_omega: float
    zeta_lambda: float
    omega_intercept: bool
    update_omega: bool
    update_lambda: bool
    min_decrease: float
    max_iter: int
    sparsify: bool = True


def _fit(Y, treated, T0, omega0, lambda0, opts: _Options):
    """Unit weights, time weights and estimates for a batch of panels.

    ``Y`` is (R, N, T); ``treated`` (R, N) marks the treated rows of each
    replication (the others are controls; a row may repeat in a bootstrap
    draw). ``omega0`` (R, N) and ``lambda0`` (R, T0) are the starting (or,
    when not updated, the fixed) weights. Returns ``(tau, omega, lambda)``.
    """
    R, N, T = Y.shape
    ctrl = ~treated
    n0 = ctrl.sum(axis=1).astype(float)
    n1 = treated.sum(axis=1).astype(float)
    pre, post = Y[:, :, :T0], Y[:, :, T0:]
    omega, lam = omega0, lambda0
    md = opts.min_decrease

    if opts.update_lambda:
        # Regress the controls' post-period mean on their pre-period outcomes across
        # control units, with an intercept (columns centred over the controls).
        A = np.concatenate([pre, post.mean(axis=2, keepdims=True)], axis=2)
        A = (A - _masked_mean(A, ctrl[:, :, None], axis=1)[:, None, :]) * ctrl[:, :, None]
        col_ok = np.ones((R, T0), dtype=bool)
        lam = _fw_weights(
            A[:, :, :T0], A[:, :, T0], lambda0, opts.zeta_lambda, n0, col_ok, md, opts.max_iter, opts.sparsify
        )

    if opts.update_omega:
        # Regress the treated units' mean pre-period path on the controls' paths across
        # pre-periods; the intercept lets the synthetic control sit at a different level.
        target = _masked_mean(pre, treated[:, :, None], axis=1)  # (R, T0)
        A = np.swapaxes(pre, 1, 2) * ctrl[:, None, :]  # (R, T0, N)
        if opts.omega_intercept:
            A = (A - A.mean(axis=1, keepdims=True)) * ctrl[:, None, :]
            target = target - target.mean(axis=1, keepdims=True)
        n_rows = np.full(R, float(T0))
        omega = _fw_weights(A, target, omega0, opts.zeta_omega, n_rows, ctrl, md, opts.max_iter, opts.sparsify)

    unit_w = np.where(ctrl, -omega, 1.0 / n1[:, None])
    time_w = np.concatenate([-lam, np.full((R, T - T0), 1.0 / (T - T0))], axis=1)
    tau = np.einsum("rn,rnt,rt->r", unit_w, Y, time_w)
    return tau, omega, lam


def _sum_normalize(x, mask):
    """Renormalise to sum one over ``mask``; uniform over ``mask`` where the weights sum to zero."""
    x = np.where(mask, x, 0.0)
    total = x.sum(axis=1, keepdims=True)
    uniform = mask / mask.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, x / total, uniform)


# --------------------------------------------------------------------------- standard errors


def _placebo_replicates(Y0, N1, T0, omega, lam, opts, n_reps, rng):
    """Algorithm 4: controls only, ``N1`` of them relabelled as treated in each replication."""
    N0 = Y0.shape[0]
    perms = rng.permuted(np.tile(np.arange(N0), (n_reps, 1)), axis=1)
    Yb = Y0[perms]
    treated = np.zeros((n_reps, N0), dtype=bool)
    treated[:, N0 - N1:] = True
    omega0 = _sum_normalize(omega[perms], ~treated)
    lambda0 = np.tile(lam, (n_reps, 1))
    return _fit(Yb, treated, T0, omega0, lambda0, opts)[0]


def _bootstrap_replicates(Y, is_treated, T0, omega_full, lam, opts, n_reps, rng):
    """Algorithm 2: resample units with replacement, dropping draws without both groups."""
    N = Y.shape[0]
    draws = np.empty((0, N), dtype=np.int64)
    while len(draws) < n_reps:
        ind = np.sort(rng.integers(0, N, size=(n_reps, N)), axis=1)
        n_tr = is_treated[ind].sum(axis=1)
        draws = np.concatenate([draws, ind[(n_tr > 0) & (n_tr < N)]])
    ind = draws[:n_reps]
    treated = is_treated[ind]
    omega0 = _sum_normalize(omega_full[ind], ~treated)
    lambda0 = np.tile(lam, (n_reps, 1))
    return _fit(Y[ind], treated, T0, omega0, lambda0, opts)[0]


def _jackknife_replicates(Y, is_treated, T0, omega_full, lam):
    """Algorithm 3 (fixed weights): drop each unit in turn, renormalising the remaining unit weights."""
    T1 = Y.shape[1] - T0
    d = Y @ np.concatenate([-lam, np.full(T1, 1.0 / T1)])
    ctrl = ~is_treated
    w, dc, dt = omega_full[ctrl], d[ctrl], d[is_treated]
    n1 = dt.size
    # Leaving out control j: its weight goes, the others are rescaled to sum to one.
    rest = 1.0 - w
    with np.errstate(divide="ignore", invalid="ignore"):
        ctrl_term = np.where(rest > 0, (w @ dc - w * dc) / rest, (dc.sum() - dc) / (dc.size - 1))
    drop_ctrl = dt.mean() - ctrl_term
    drop_treated = (dt.sum() - dt) / (n1 - 1) - w @ dc
    return np.concatenate([drop_ctrl, drop_treated])


def _replicate_se(values, jackknife=False):
    """``sqrt((n-1)/n) sd`` for placebo and bootstrap draws; ``sqrt((n-1)/n sum (u - mean u)^2)`` for the jackknife."""
    n = len(values)
    spread = np.sum((values - np.mean(values)) ** 2)
    return float(np.sqrt((n - 1) / n * spread / (1 if jackknife else n - 1)))


# --------------------------------------------------------------------------- input


def _block_design(W, units, periods, treatment):
    """Check that treatment is a block (same start for every treated unit, never switched off)."""
    ever = W.any(axis=1)
    if not ever.any():
        raise DataError(f"no treated unit: treatment column {treatment!r} is 0 everywhere")
    if ever.all():
        raise DataError(f"no control unit: every unit is treated at some point according to {treatment!r}")
    first = np.argmax(W, axis=1)
    # Once started, treatment must stay on: a 0 at or after the first 1 is a reversal.
    switched_off = ever & ((np.arange(W.shape[1])[None, :] >= first[:, None]) & (W == 0)).any(axis=1)
    if switched_off.any():
        bad = units[np.flatnonzero(switched_off)[0]]
        raise DataError(
            f"treatment column {treatment!r} switches back to 0 for unit {show(bad)} "
            f"({int(switched_off.sum())} units in all); synthetic_did needs treatment that stays on once started"
        )
    starts = np.unique(first[ever])
    if starts.size > 1:
        detail = "; ".join(
            f"{show(periods[s])}: {', '.join(map(show, units[ever & (first == s)][:5]))}" for s in starts[:6]
        )
        raise ConfigError(
            f"synthetic_did needs every treated unit to start treatment in the same period (a block design), "
            f"but treatment starts at {starts.size} different periods ({detail}); staggered adoption is not "
            "supported: estimate each adoption cohort separately against the never-treated units, or use "
            "callaway_santanna"
        )
    return ever, int(starts[0])


# --------------------------------------------------------------------------- estimator


@accepts_r_names
def synthetic_did(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    treatment: str,
    *,
    estimator: Estimator = "sdid",
    se_method: SEMethod = "placebo",
    n_reps: int = 200,
    seed: int | None = DEFAULT_SEED,
    alpha: float = 0.05,
    eta_omega: float | None = None,
    eta_lambda: float = 1e-6,
    sparsify: bool = True,
    max_iter: int = 10_000,
) -> "SyntheticDiDResult":
    """Synthetic difference-in-differences for one or several units treated from the same period.

    Parameters
    ----------
    data : DataFrame
        Balanced long-form panel: one row per unit and period, no missing outcome.
    outcome, unit, time : str
        Column names.
    treatment : str
        0/1 column, 1 for treated units from the adoption period on. Every
        treated unit must start in the same period and stay treated.
    estimator : {"sdid", "sc", "did"}
        ``"sdid"`` (unit and time weights, unit intercept); ``"sc"``
        synthetic control as in ``synthdid::sc_estimate`` (unit weights with
        a negligible ridge penalty, no intercept, no time weights); ``"did"``
        (uniform weights: the two-way fixed-effects estimate).
    se_method : {"placebo", "jackknife", "bootstrap"}
        Placebo (Algorithm 4: controls relabelled as treated; the only option
        with one treated unit, needs more controls than treated units);
        jackknife (Algorithm 3, fixed weights; needs two or more treated
        units and, for "sc", two controls with positive weight); bootstrap
        (Algorithm 2, units resampled, weights re-estimated; needs two or
        more treated units).
    n_reps : int
        Placebo or bootstrap replications (ignored by the jackknife).
    seed : int or None
        Seed for ``numpy.random.default_rng`` (placebo and bootstrap);
        :data:`impact.results.DEFAULT_SEED` by default, so identical calls
        give identical numbers; None for fresh draws.
    alpha : float
        1 - confidence level of the interval ``estimate -/+ z * se``.
    eta_omega : float, optional
        Unit-weight regularisation ``zeta_omega = eta_omega * sigma``, default
        ``(N_tr * T_post) ** (1/4)`` for "sdid" and ``1e-6`` for "sc".
    eta_lambda : float
        Time-weight regularisation ``zeta_lambda = eta_lambda * sigma``.
    sparsify : bool
        Second Frank-Wolfe round from the weights with those below a quarter
        of the largest set to zero, as ``synthdid`` does by default.
    max_iter : int
        Frank-Wolfe iterations at most (per round).

    Returns
    -------
    SyntheticDiDResult

    Notes
    -----
    The estimand is the average effect on the treated units over the
    post-treatment periods, :math:`\\tau = \\frac{1}{N_{tr} T_{post}}
    \\sum_{i\\,treated} \\sum_{t > T_{pre}} (Y_{it}(1) - Y_{it}(0))`.
    SDID solves :math:`\\min_{\\tau, \\mu, \\alpha, \\beta} \\sum_{it}
    (Y_{it} - \\mu - \\alpha_i - \\beta_t - W_{it} \\tau)^2 \\hat\\omega_i
    \\hat\\lambda_t`. The unit weights minimise the squared pre-period
    discrepancy between the treated mean path and the weighted control path up
    to a constant, plus :math:`\\zeta_\\omega^2 T_{pre} |\\omega|^2`, with
    :math:`\\zeta_\\omega = (N_{tr} T_{post})^{1/4} \\hat\\sigma` and
    :math:`\\hat\\sigma` the standard deviation of the controls' first
    differences over the pre-period; the time weights make the weighted
    pre-period of the controls match their post-period mean up to a constant,
    with a negligible penalty. Identification rests on the outcome following
    a latent factor model that the weights balance (or parallel trends for
    the weighted units and periods), no anticipation, and no spill-over to
    the controls. The placebo standard error assumes homoskedasticity across
    units (the controls' placebo effects stand in for the treated units').
    The weights are found by Frank-Wolfe with the stopping rule of
    ``synthdid`` (objective decrease below ``(1e-5 sigma)^2``), so the point
    estimates match ``synthdid`` to its own precision.

    References
    ----------
    Arkhangelsky, D., Athey, S., Hirshberg, D. A., Imbens, G. W. & Wager, S.
    (2021). Synthetic difference-in-differences. *American Economic Review*,
    111(12), 4088-4118. https://doi.org/10.1257/aer.20190159

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> units, years = np.arange(20), np.arange(2000, 2012)
    >>> df = pd.DataFrame([(u, y) for u in units for y in years], columns=["city", "year"])
    >>> df["treated"] = ((df.city == 0) & (df.year >= 2008)).astype(int)
    >>> df["y"] = df.city * 0.5 + 0.1 * (df.year - 2000) + 2.0 * df.treated + rng.normal(0, 0.01, len(df))
    >>> res = synthetic_did(df, "y", "city", "year", "treated", seed=1)
    >>> round(res.estimate, 1)
    2.0
    """
    check_choice("estimator", estimator, ESTIMATORS)
    check_choice("se_method", se_method, SE_METHODS)
    n_reps = check_int("n_reps", n_reps, minimum=2)
    max_iter = check_int("max_iter", max_iter, minimum=1)
    alpha = check_alpha(alpha)
    check_columns(data, treatment=treatment)
    check_numeric(data, treatment, "treatment")
    values = data[treatment].to_numpy()
    if pd.isna(values).any() or not np.isin(values, [0, 1]).all():
        bad = values[pd.isna(values) | ~np.isin(values, [0, 1])][0]
        raise DataError(f"treatment column {treatment!r} must hold only 0 and 1 (found {show(bad)})")

    mats, units, periods = _wide_panel(data, outcome, unit, time, [treatment] if treatment != outcome else [])
    Y, W = mats[outcome], mats[treatment]
    is_treated, T0 = _block_design(W == 1, units, periods, treatment)
    if T0 < 2:
        raise DataError(
            f"treatment starts in {time}={show(periods[T0])}, leaving {T0} pre-treatment period; synthetic_did needs "
            "at least two periods before treatment to fit the weights"
        )
    n_ctrl, n_tr = int((~is_treated).sum()), int(is_treated.sum())
    if n_ctrl < 2:
        raise DataError(f"only {n_ctrl} control unit (never treated according to {treatment!r}); synthetic_did needs at least two")

    # Controls first, then treated, each in sorted order, as synthdid::panel.matrices does.
    order = np.concatenate([np.flatnonzero(~is_treated), np.flatnonzero(is_treated)])
    Y, units = Y[order], units[order]
    treated = np.arange(len(units)) >= n_ctrl
    T = Y.shape[1]
    T1 = T - T0

    sigma = float(np.std(np.diff(Y[:n_ctrl, :T0], axis=1), ddof=1))
    if eta_omega is None:
        eta_omega = (n_tr * T1) ** 0.25 if estimator == "sdid" else 1e-6
    opts = _Options(
        zeta_omega=float(eta_omega) * sigma,
        zeta_lambda=float(eta_lambda) * sigma,
        omega_intercept=estimator != "sc",
        update_omega=estimator != "did",
        update_lambda=estimator == "sdid",
        min_decrease=1e-5 * sigma,
        max_iter=max_iter,
        sparsify=bool(sparsify),
    )
    omega0 = np.where(treated, 0.0, 1.0 / n_ctrl)
    lambda0 = np.zeros(T0) if estimator == "sc" else np.full(T0, 1.0 / T0)
    tau, omega_full, lam = _fit(Y[None], treated[None], T0, omega0[None], lambda0[None], opts)
    tau, omega_full, lam = float(tau[0]), omega_full[0], lam[0]

    seed = check_seed(seed)
    rng = np.random.default_rng(seed)
    replicates = _standard_error_replicates(
        se_method, Y, treated, T0, omega_full, lam, opts, n_reps, rng, estimator, units
    )
    se = _replicate_se(replicates, jackknife=se_method == "jackknife")
    lo, hi = normal_ci(tau, se, alpha)
    pvalue = float(normal_pvalue(tau, se))

    unit_weights = pd.DataFrame({"unit": units[:n_ctrl], "weight": omega_full[:n_ctrl]})
    time_weights = pd.DataFrame({"period": periods[:T0], "weight": lam})
    omega_traj = omega_full[:n_ctrl] @ Y[:n_ctrl]
    trajectories = pd.DataFrame(
        {
            "period": periods,
            "treated": Y[n_ctrl:].mean(axis=0),
            "control": omega_traj,
            "post": np.arange(T) >= T0,
        }
    )
    names = {"sdid": "Synthetic difference-in-differences", "sc": "Synthetic control (synthdid)", "did": "Difference-in-differences"}
    terms = tidy_terms(
        [estimator], [tau], [se], alpha=alpha,
        n_treated=[n_tr], n_controls=[n_ctrl], n_pre=[T0], n_post=[T1],
    )
    notes = []
    if se_method == "placebo":
        notes.append(
            "Placebo standard error: controls relabelled as treated; valid when treated and control units have "
            "similar noise (homoskedasticity across units)."
        )
    assumptions = {
        "Design": f"block: {n_tr} treated unit(s) from {time}={show(periods[T0])}, {n_ctrl} controls, {T0} pre- and {T1} post-periods",
        "Identification": _IDENTIFICATION[estimator],
        "Standard errors": (f"{se_method} ({len(replicates)} replications, seed {seed_label(seed)})"
                            if se_method != "jackknife" else "jackknife (fixed weights)"),
        "Regularisation": f"zeta_omega = {opts.zeta_omega:.4g}, zeta_lambda = {opts.zeta_lambda:.3g} (sigma = {sigma:.4g})",
    }
    return SyntheticDiDResult(
        method=names[estimator],
        estimate=tau,
        se=se,
        ci_low=float(lo),
        ci_high=float(hi),
        pvalue=pvalue,
        n_obs=int(Y.size),
        n_units=len(units),
        alpha=alpha,
        terms=terms,
        assumptions=assumptions,
        notes=tuple(notes),
        estimator=estimator,
        se_method=se_method,
        unit_weights=unit_weights,
        time_weights=time_weights,
        trajectories=trajectories,
        replicates=tuple(float(r) for r in replicates),
        zeta_omega=opts.zeta_omega,
        zeta_lambda=opts.zeta_lambda,
        noise_level=sigma,
    )


_IDENTIFICATION = {
    "sdid": "weighted parallel trends (unit and time weights balance a latent factor model); no anticipation; no spill-overs",
    "sc": "the weighted controls reproduce the treated units' untreated path (level included); no anticipation; no spill-overs",
    "did": "parallel trends between the treated and the average control; no anticipation; no spill-overs",
}


def _standard_error_replicates(se_method, Y, treated, T0, omega_full, lam, opts, n_reps, rng, estimator, units):
    n_tr = int(treated.sum())
    n_ctrl = len(treated) - n_tr
    if se_method == "placebo":
        if n_ctrl <= n_tr:
            raise ConfigError(
                f"se_method='placebo' needs more controls than treated units (got {n_ctrl} controls, {n_tr} treated); "
                "use se_method='bootstrap' or 'jackknife'"
            )
        return _placebo_replicates(Y[:n_ctrl], n_tr, T0, omega_full[:n_ctrl], lam, opts, n_reps, rng)
    if n_tr < 2:
        raise ConfigError(
            f"se_method={se_method!r} is not valid with a single treated unit ({show(units[-1])}): Arkhangelsky et al. "
            "(2021, Section 5) justify it only with several treated units; use se_method='placebo'"
        )
    if se_method == "bootstrap":
        return _bootstrap_replicates(Y, treated, T0, omega_full, lam, opts, n_reps, rng)
    # Frank-Wolfe leaves weights of order 1e-13 on controls it has all but dropped; dropping the one
    # control that carries the weight would rescale that numerical dust into a new synthetic control.
    if (omega_full[:n_ctrl] > 1e-10).sum() < 2:
        raise EstimationError(
            f"the fixed-weights jackknife is undefined when a single control has positive weight "
            f"({show(units[np.argmax(omega_full)])} for estimator={estimator!r}); use se_method='bootstrap' or 'placebo'"
        )
    return _jackknife_replicates(Y, treated, T0, omega_full, lam)


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, kw_only=True)
class SyntheticDiDResult(EffectResult):
    """Synthetic DiD (or SC, or DiD) estimate with its weights.

    ``unit_weights`` has ``unit, weight`` for the controls; ``time_weights``
    ``period, weight`` for the pre-treatment periods (all zero for "sc",
    uniform for "did"); ``trajectories`` ``period, treated`` (mean of the
    treated units), ``control`` (omega-weighted controls) and ``post``;
    ``replicates`` the placebo, bootstrap or jackknife estimates behind the
    standard error.
    """

    estimator: str = "sdid"
    se_method: str = "placebo"
    unit_weights: pd.DataFrame = field(repr=False, default=None)
    time_weights: pd.DataFrame = field(repr=False, default=None)
    trajectories: pd.DataFrame = field(repr=False, default=None)
    replicates: tuple[float, ...] = field(repr=False, default=())
    zeta_omega: float = float("nan")
    zeta_lambda: float = float("nan")
    noise_level: float = float("nan")

    def effect_curve(self) -> pd.DataFrame:
        """Effect by post-treatment period: ``period, effect``; their mean is the estimate.

        The effect in period t is the treated-minus-control gap in t, less the
        lambda-weighted pre-treatment gap (for "sc" no pre-period gap is
        subtracted).
        """
        traj = self.trajectories
        gap = (traj["treated"] - traj["control"]).to_numpy()
        pre = ~traj["post"].to_numpy()
        base = gap[pre] @ self.time_weights["weight"].to_numpy()
        return pd.DataFrame({"period": traj.loc[~pre, "period"].to_numpy(), "effect": gap[~pre] - base})

    def plot(self, ax=None, kind: str = "trajectories", **kwargs):
        """Plot the trajectories with the time weights (``kind="trajectories"``) or the unit weights (``"weights"``)."""
        check_choice("kind", kind, ("trajectories", "weights"))
        import matplotlib.pyplot as plt

        if ax is None:
            n_bars = int((self.unit_weights["weight"] > 0).sum())
            _, ax = plt.subplots(figsize=(7, 4) if kind == "trajectories" else (6, 0.25 * n_bars + 1))
        if kind == "weights":
            w = self.unit_weights.sort_values("weight")
            zero = int((w["weight"] <= 0).sum())
            w = w[w["weight"] > 0]
            ax.barh(w["unit"].astype(str), w["weight"], color="C1")
            ax.set_xlabel("unit weight (omega)" + (f"; {zero} controls with weight 0 not shown" if zero else ""))
            ax.set_title(f"{self.method}: control unit weights")
            return ax
        traj = self.trajectories
        x = axis_values(traj["period"].to_numpy())  # months and quarters on a time axis
        ax.plot(x, traj["treated"], color="C0", label="treated")
        # As in synthdid's plot, the control path is shifted by the lambda-weighted
        # pre-period gap so that the parallel-trends comparison is visible.
        pre = ~traj["post"].to_numpy()
        shift = 0.0
        if self.estimator != "sc":
            shift = (traj["treated"] - traj["control"]).to_numpy()[pre] @ self.time_weights["weight"].to_numpy()
        ax.plot(x, traj["control"] + shift, color="C1", ls="--", label="weighted controls (shifted)" if shift else "weighted controls")
        ax.axvline(x[~pre][0], color="grey", lw=0.8, ls=":")
        lam = self.time_weights["weight"].to_numpy()
        if lam.max() > 0:
            lo, hi = ax.get_ylim()
            height = (hi - lo) / 5
            ax.bar(x[pre], height * lam / lam.max(), bottom=lo, color="C1", alpha=0.3, label="time weights (lambda)")
            ax.set_ylim(lo, hi)
        ax.set_ylabel(kwargs.get("ylabel", "outcome"))
        ax.set_title(f"{self.method}: {self.estimate:.4g}")
        ax.legend(loc="best", fontsize="small")
        return ax
