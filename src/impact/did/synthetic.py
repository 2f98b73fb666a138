"""Synthetic control (Abadie, Diamond & Hainmueller, 2010) with placebo inference.

One treated unit is compared with a weighted average of donor units, the
weights being non-negative and summing to one, chosen so that the synthetic
unit reproduces the treated unit before the intervention. The effect in each
post-treatment period is the gap between the treated unit and its synthetic
counterpart; inference compares that gap with the gaps obtained by
pretending, in turn, that each donor was treated (in-space placebos) or that
the intervention happened earlier (in-time placebos).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import optimize

from impact.data import check_alpha, period_position, show, wide_panel
from impact.did.simplex import simplex_weights
from impact.errors import ConfigError, DataError
from impact.periods import axis_values
from impact.did._args import accepts_r_names
from impact.results import EffectResult, normal_ci

__all__ = ["synthetic_control", "SyntheticControlResult"]


# --------------------------------------------------------------------------- panel helpers


def _wide_panel(data: pd.DataFrame, outcome: str, unit: str, time: str, columns: Sequence[str] = ()):
    """Balanced (units x periods) matrices; a gap is a DataError, since dropping a donor changes the comparison."""
    return wide_panel(data, outcome, unit, time, "synthetic weights", columns, role="predictor")


def _period_index(periods: np.ndarray, value, name: str) -> int:
    """Code of ``value`` on the calendar of ``periods`` (any written form); a DataError when it is outside the data."""
    k = period_position(periods, value, name)
    if k >= len(periods) or k <= 0:
        raise DataError(
            f"{name}={show(value)} is outside the data: periods run from {show(periods[0])} to {show(periods[-1])}, and "
            f"{name} must leave at least one period before it and one from it on"
        )
    return k


def _find_unit(units: np.ndarray, value, unit: str, name: str = "treated_unit") -> int:
    hits = np.flatnonzero(units == value)
    if hits.size == 0:
        # Units read from a CSV may be numbers while the caller passes a string, or the reverse.
        hits = np.flatnonzero(units.astype(str) == str(value))
    if hits.size == 0:
        labels = [str(u) for u in units]
        close = difflib.get_close_matches(str(value), labels, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise DataError(
            f"{name} {show(value)} not found in column {unit!r}; {hint}units include {', '.join(labels[:10])}"
        )
    return int(hits[0])


def _standardise(X: np.ndarray) -> np.ndarray:
    """Divide each predictor (row) by its standard deviation across units, as Synth does."""
    sd = X.std(axis=1, ddof=1, keepdims=True)
    return X / np.where(sd > 0, sd, 1.0)


@dataclass(frozen=True)
class _Fit:
    weights: np.ndarray  # (J,)
    v: np.ndarray | None  # (K,) predictor importance, None when fitting on outcomes only
    synthetic: np.ndarray  # (T,) synthetic path
    gap: np.ndarray  # (T,) treated minus synthetic


def _fit_sc(y1: np.ndarray, Y0: np.ndarray, T0: int, x1=None, X0=None, max_v_iter: int = 400) -> _Fit:
    """Weights for one treated path ``y1`` (T,) from donor paths ``Y0`` (J, T).

    Without predictors the weights minimise the pre-period outcome MSPE. With
    predictors (standardised ``x1`` (K,), ``X0`` (K, J)) the weights minimise
    ``sum_k v_k (x1_k - X0_k w)^2`` and ``v`` (non-negative, summing to one)
    is chosen to minimise the resulting pre-period outcome MSPE (the nested,
    data-driven V of Abadie, Diamond & Hainmueller 2010).
    """
    z1, Z0 = y1[:T0], Y0[:, :T0].T
    if x1 is None:
        w, v = simplex_weights(Z0, z1), None
    else:
        K = len(x1)

        def v_of(theta):
            sq = theta**2
            return sq / sq.sum() if sq.sum() > 0 else np.full(K, 1.0 / K)

        def loss(theta):
            w = simplex_weights(X0, x1, v_of(theta))
            return float(np.mean((z1 - Z0 @ w) ** 2))

        # Nelder-Mead on v = theta^2 / |theta|^2 from equal importance; the loss is
        # not convex in v, so this is a local optimum, as in Synth.
        theta0 = np.full(K, 1.0 / np.sqrt(K))
        best = optimize.minimize(loss, theta0, method="Nelder-Mead",
                                 options={"maxiter": max_v_iter, "xatol": 1e-6, "fatol": 1e-10})
        theta = best.x if best.fun <= loss(theta0) else theta0
        v = v_of(theta)
        w = simplex_weights(X0, x1, v)
    synthetic = w @ Y0
    return _Fit(w, v, synthetic, y1 - synthetic)


def _rmspe(gap: np.ndarray, T0: int) -> tuple[float, float]:
    return float(np.sqrt(np.mean(gap[..., :T0] ** 2, axis=-1))), float(np.sqrt(np.mean(gap[..., T0:] ** 2, axis=-1)))


def _predictor_matrix(mats, outcome, predictors, outcome_lags, periods, pre_mask, predictor_periods):
    """Predictor values (K, N): predictor means over the predictor periods, then outcome lags."""
    rows, names = [], []
    if predictors:
        if predictor_periods is None:
            use = pre_mask
        else:
            use = np.isin(periods, np.asarray(list(predictor_periods), dtype=periods.dtype)) & pre_mask
            if not use.any():
                raise ConfigError(
                    f"predictor_periods {list(predictor_periods)!r} contains no pre-treatment period "
                    f"(pre-treatment periods run from {show(periods[0])} to {show(periods[pre_mask][-1])})"
                )
        for col in predictors:
            rows.append(mats[col][:, use].mean(axis=1))
            names.append(f"{col} (mean)")
    for lag in outcome_lags or ():
        hits = np.flatnonzero((periods == lag) & pre_mask)
        if hits.size == 0:
            raise ConfigError(
                f"outcome_lags value {show(lag)} is not a pre-treatment period (pre-treatment periods run from "
                f"{show(periods[0])} to {show(periods[pre_mask][-1])})"
            )
        rows.append(mats[outcome][:, hits[0]])
        names.append(f"{outcome} ({lag})")
    return np.vstack(rows), names


# --------------------------------------------------------------------------- estimator


@accepts_r_names
def synthetic_control(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    treated_unit,
    start,
    predictors: Sequence[str] | None = None,
    *,
    outcome_lags: Sequence | None = None,
    predictor_periods: Sequence | None = None,
    donors: Sequence | None = None,
    placebos: bool = True,
    leave_one_out: bool = True,
    placebo_starts: Sequence | None = None,
    alpha: float = 0.05,
) -> "SyntheticControlResult":
    """Synthetic control for one treated unit, with in-space, in-time and leave-one-out placebos.

    Parameters
    ----------
    data : DataFrame
        Balanced long-form panel, one row per unit and period, no missing values.
    outcome, unit, time : str
        Column names.
    treated_unit
        The value of ``unit`` that was treated.
    start
        First treated period (a period label; a label between two observed
        periods means the next observed one).
    predictors : list of str, optional
        Columns averaged over the pre-treatment periods (or
        ``predictor_periods``) and matched with data-driven importance
        weights V. Without predictors or ``outcome_lags`` the weights match
        every pre-treatment outcome with equal importance.
    outcome_lags : list, optional
        Pre-treatment periods whose outcome is used as a predictor
        (ADH 2010 use cigarette sales in 1975, 1980 and 1988).
    predictor_periods : list, optional
        Periods over which ``predictors`` are averaged (default: all pre-treatment periods).
    donors : list, optional
        Units allowed in the synthetic control (default: every other unit).
    placebos : bool
        Run the in-space placebos (each donor in turn treated, the others as
        donors) that give the permutation p-value and the placebo standard error.
    leave_one_out : bool
        Refit without each donor that has positive weight.
    placebo_starts : list, optional
        Fake start periods before ``start`` for in-time placebos, fitted on
        the periods before the fake start and evaluated up to ``start``.
    alpha : float
        1 - confidence level of the placebo-based interval.

    Returns
    -------
    SyntheticControlResult
        ``estimate`` is the average post-treatment gap (treated minus
        synthetic); ``pvalue`` the permutation p-value of the post/pre RMSPE
        ratio, rank / (J + 1); ``se`` the standard deviation of the donors'
        placebo average gaps, with a normal interval from it.

    Notes
    -----
    The estimand is the treated unit's average effect over the
    post-treatment periods, :math:`\\frac{1}{T_1} \\sum_{t > T_0} (Y_{1t}(1)
    - Y_{1t}(0))`, with :math:`Y_{1t}(0)` estimated by :math:`\\sum_j w_j
    Y_{jt}`, :math:`w_j \\ge 0`, :math:`\\sum_j w_j = 1`. It rests on the
    treated unit's untreated outcome being (approximately) reproduced by a
    convex combination of donors, which a factor model with a good pre-period
    fit justifies; no anticipation; no effect on the donors (no spill-overs);
    donors hit by no similar intervention.

    The weights solve a simplex-constrained least-squares problem (a
    non-negative least-squares problem with the adding-up constraint as a
    heavily weighted extra row). With predictors, V is diagonal and chosen to
    minimise the pre-period outcome MSPE of the resulting synthetic control
    (nested optimisation, Nelder-Mead from equal importance: a local optimum,
    as in R ``Synth``); predictors are standardised by their standard
    deviation across units. Each placebo re-optimises its own weights (and V).

    References
    ----------
    Abadie, A., Diamond, A. & Hainmueller, J. (2010). Synthetic control
    methods for comparative case studies: estimating the effect of
    California's tobacco control program. *Journal of the American
    Statistical Association*, 105(490), 493-505.
    https://doi.org/10.1198/jasa.2009.ap08746

    Abadie, A. (2021). Using synthetic controls: feasibility, data
    requirements, and methodological aspects. *Journal of Economic
    Literature*, 59(2), 391-425. https://doi.org/10.1257/jel.20191450

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame([(u, t) for u in range(10) for t in range(12)], columns=["city", "year"])
    >>> df["y"] = df.city % 3 + 0.2 * df.year + rng.normal(0, 0.05, len(df))
    >>> df.loc[(df.city == 1) & (df.year >= 8), "y"] += 1.0
    >>> res = synthetic_control(df, "y", "city", "year", treated_unit=1, start=8)
    >>> round(res.estimate, 1)
    1.0
    """
    alpha = check_alpha(alpha)
    predictors = list(predictors or [])
    mats, units, periods = _wide_panel(data, outcome, unit, time, predictors)
    Y = mats[outcome]
    i1 = _find_unit(units, treated_unit, unit)
    T0 = _period_index(periods, start, "start")
    if T0 < 2:
        raise DataError(
            f"start={show(start)} leaves {T0} pre-treatment period ({show(periods[0])}); synthetic control needs at least "
            "two periods before the treatment to fit the weights"
        )
    if donors is None:
        pool = np.setdiff1d(np.arange(len(units)), [i1])
    else:
        pool = np.array(sorted({_find_unit(units, d, unit, "donor") for d in donors} - {i1}), dtype=int)
    if pool.size < 2:
        raise DataError(
            f"the donor pool has {pool.size} unit(s) besides {show(units[i1])}; synthetic control needs at least two donors"
        )
    T = len(periods)
    pre_mask = np.arange(T) < T0

    use_predictors = bool(predictors) or bool(outcome_lags)
    if use_predictors:
        X, predictor_names = _predictor_matrix(mats, outcome, predictors, outcome_lags, periods, pre_mask, predictor_periods)
        Xs = _standardise(X[:, np.r_[i1, pool]])
        Xs_all = np.empty_like(X)
        Xs_all[:, np.r_[i1, pool]] = Xs
    else:
        X, predictor_names, Xs_all = None, [], None

    def fit(target: int, pool_: np.ndarray, T0_: int, T_: int = T) -> _Fit:
        x1 = None if Xs_all is None else Xs_all[:, target]
        X0 = None if Xs_all is None else Xs_all[:, pool_]
        return _fit_sc(Y[target, :T_], Y[pool_, :T_], T0_, x1, X0)

    main = fit(i1, pool, T0)
    pre_rmspe, post_rmspe = _rmspe(main.gap, T0)
    estimate = float(main.gap[T0:].mean())

    # In-space placebos: one optimisation per donor (each is a separate problem
    # with its own weights and, with predictors, its own V).
    placebo_gaps = np.full((pool.size, T), np.nan)
    if placebos:
        for k, j in enumerate(pool):
            placebo_gaps[k] = fit(j, np.delete(pool, k), T0).gap
    all_gaps = np.vstack([main.gap[None], placebo_gaps])
    pre_all = np.sqrt(np.mean(all_gaps[:, :T0] ** 2, axis=1))
    post_all = np.sqrt(np.mean(all_gaps[:, T0:] ** 2, axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = post_all / pre_all
    notes = []
    if placebos:
        pvalue = float(np.mean(ratio >= ratio[0]))
        se = float(np.std(placebo_gaps[:, T0:].mean(axis=1), ddof=1))
        lo, hi = normal_ci(estimate, se, alpha)
        # Per-period permutation p-value: share of units whose |gap| is at least the treated one's.
        period_p = np.mean(np.abs(all_gaps) >= np.abs(main.gap)[None] - 1e-12, axis=0)
    else:
        pvalue = se = lo = hi = float("nan")
        period_p = np.full(T, np.nan)
        notes.append("placebos=False: no permutation p-value and no placebo standard error were computed.")
    notes.append(
        f"Pre-treatment RMSPE {pre_rmspe:.4g} (outcome scale): a synthetic control is credible only if it "
        "tracks the treated unit closely before the treatment."
    )

    placebo_table = pd.DataFrame(
        {
            "unit": units[np.r_[i1, pool]],
            "treated": np.r_[True, np.zeros(pool.size, dtype=bool)],
            "estimate": all_gaps[:, T0:].mean(axis=1),
            "pre_rmspe": pre_all,
            "post_rmspe": post_all,
            "ratio": ratio,
        }
    )
    placebo_long = pd.DataFrame(
        {
            "unit": np.repeat(units[np.r_[i1, pool]], T),
            "period": np.tile(periods, pool.size + 1),
            "gap": all_gaps.ravel(),
            "treated": np.repeat(placebo_table["treated"].to_numpy(), T),
        }
    )

    loo_rows = []
    if leave_one_out:
        for j in np.flatnonzero(main.weights > 1e-6):
            refit = fit(i1, np.delete(pool, j), T0)
            loo_rows.append(pd.DataFrame({"dropped": units[pool[j]], "period": periods, "synthetic": refit.synthetic, "gap": refit.gap}))
    loo = pd.concat(loo_rows, ignore_index=True) if loo_rows else pd.DataFrame(columns=["dropped", "period", "synthetic", "gap"])

    time_rows = []
    for fake in placebo_starts or ():
        k = _period_index(periods[:T0], fake, "placebo_starts value")
        if k < 2:
            raise DataError(f"placebo_starts value {show(fake)} leaves fewer than two periods before it")
        g = fit(i1, pool, k, T0).gap
        pre_f, post_f = _rmspe(g, k)
        time_rows.append({"start": periods[k], "estimate": float(g[k:].mean()), "pre_rmspe": pre_f,
                          "post_rmspe": post_f, "ratio": post_f / pre_f if pre_f > 0 else np.inf})
    time_placebos = pd.DataFrame(time_rows, columns=["start", "estimate", "pre_rmspe", "post_rmspe", "ratio"])

    gaps = pd.DataFrame(
        {
            "term": "gap",
            "estimate": main.gap,
            "se": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "pvalue": np.where(np.arange(T) >= T0, period_p, np.nan),
            "period": periods,
            "treated": Y[i1],
            "synthetic": main.synthetic,
            "gap": main.gap,
            "post": np.arange(T) >= T0,
        }
    )
    weights = pd.DataFrame({"unit": units[pool], "weight": main.weights}).sort_values(
        "weight", ascending=False, kind="stable").reset_index(drop=True)
    if use_predictors:
        balance = pd.DataFrame(
            {
                "predictor": predictor_names,
                "treated": X[:, i1],
                "synthetic": X[:, pool] @ main.weights,
                "donor_mean": X[:, pool].mean(axis=1),
                "v_weight": main.v,
            }
        )
    else:
        balance = pd.DataFrame(columns=["predictor", "treated", "synthetic", "donor_mean", "v_weight"])

    assumptions = {
        "Design": f"one treated unit ({show(units[i1])}) from {time}={show(periods[T0])}; {pool.size} donors; "
                  f"{T0} pre- and {T - T0} post-periods",
        "Weights": ("predictors with data-driven V (minimum pre-period outcome MSPE)" if use_predictors
                    else "all pre-period outcomes, equal importance"),
        "Identification": "the donors' convex combination reproduces the treated unit's untreated path; "
                          "no anticipation; no spill-overs to donors",
        "Inference": (f"in-space placebos ({pool.size}): p-value = rank of the post/pre RMSPE ratio / (J+1); "
                      "se = sd of the placebo average gaps" if placebos else "none"),
        "Pre-period RMSPE": f"{pre_rmspe:.4g}",
    }
    return SyntheticControlResult(
        method="Synthetic control",
        estimate=estimate,
        se=se,
        ci_low=float(lo),
        ci_high=float(hi),
        pvalue=pvalue,
        n_obs=int(Y[np.r_[i1, pool]].size),
        n_units=int(pool.size + 1),
        alpha=alpha,
        terms=gaps,
        assumptions=assumptions,
        notes=tuple(notes),
        treated_unit=units[i1],
        start=periods[T0],
        weights=weights,
        predictor_balance=balance,
        pre_rmspe=pre_rmspe,
        post_rmspe=post_rmspe,
        placebo_table=placebo_table,
        placebo_gaps=placebo_long,
        leave_one_out=loo,
        time_placebos=time_placebos,
    )


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, kw_only=True)
class SyntheticControlResult(EffectResult):
    """Synthetic-control estimate with weights, fit and placebo studies.

    ``to_frame()`` has one row per period: ``term`` ("gap"), ``estimate``
    (= ``gap``, treated minus synthetic), ``se``/``ci_low``/``ci_high``
    (NaN: no per-period standard error), ``pvalue`` (post-periods: share of
    units, treated included, whose placebo |gap| is at least the treated
    one's), ``period``, ``treated``, ``synthetic``, ``gap``, ``post``.
    ``weights``: ``unit, weight`` (donors, largest first);
    ``predictor_balance``: ``predictor, treated, synthetic, donor_mean,
    v_weight``; ``placebo_table``: one row per unit (treated first) with
    ``estimate`` (average post gap), ``pre_rmspe``, ``post_rmspe``,
    ``ratio``; ``placebo_gaps``: long ``unit, period, gap, treated``;
    ``leave_one_out``: ``dropped, period, synthetic, gap``;
    ``time_placebos``: ``start, estimate, pre_rmspe, post_rmspe, ratio``.
    """

    treated_unit: object = None
    start: object = None
    weights: pd.DataFrame = field(repr=False, default=None)
    predictor_balance: pd.DataFrame = field(repr=False, default=None)
    pre_rmspe: float = float("nan")
    post_rmspe: float = float("nan")
    placebo_table: pd.DataFrame = field(repr=False, default=None)
    placebo_gaps: pd.DataFrame = field(repr=False, default=None)
    leave_one_out: pd.DataFrame = field(repr=False, default=None)
    time_placebos: pd.DataFrame = field(repr=False, default=None)

    def plot(self, ax=None, kind: str = "trajectories", max_pre_rmspe_ratio: float | None = None,
             labels: dict | None = None, lang: str = "en", **kwargs):
        """Plot ``kind`` = "trajectories" (treated vs synthetic), "gaps", or "placebos" (placebo gaps).

        For "placebos", ``max_pre_rmspe_ratio`` drops placebos whose
        pre-period RMSPE exceeds that multiple of the treated unit's (ADH
        2010, figures 5-7, use MSPE multiples of 20, 5 and 2). ``labels``
        replaces the chart's texts (keys ``sc_synthetic``, ``sc_loo``,
        ``sc_gap``, ``sc_placebo_lines``, ``sc_title``, ``outcome``) and
        ``lang`` formats its numbers, for a report in another language.
        """
        from impact.data import check_choice
        from impact.formats import axis_formatter, fmt_number
        from impact.plots import _texts

        T = _texts({"sc_synthetic": "synthetic {unit}", "sc_loo": "leave-one-out", "outcome": kwargs.get("ylabel", "outcome"),
                    "sc_gap": "gap (unit - its synthetic control)", "sc_placebo_lines": "placebos",
                    "sc_title": "Synthetic control: average post-period gap {value}"}, labels)

        check_choice("kind", kind, ("trajectories", "gaps", "placebos"))
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        frame = self.terms
        x = axis_values(frame["period"].to_numpy())  # months and quarters on a time axis
        if kind == "trajectories":
            ax.plot(x, frame["treated"], color="C0", label=str(self.treated_unit))
            ax.plot(x, frame["synthetic"], color="C1", ls="--", label=T["sc_synthetic"].format(unit=self.treated_unit))
            if self.leave_one_out is not None and len(self.leave_one_out):
                for i, (_, g) in enumerate(self.leave_one_out.groupby("dropped", sort=False)):
                    ax.plot(axis_values(g["period"].to_numpy()), g["synthetic"], color="C7", lw=0.7, alpha=0.6,
                            label=T["sc_loo"] if i == 0 else None)
            ax.set_ylabel(T["outcome"])
        elif kind == "gaps":
            ax.plot(x, frame["gap"], color="C0")
            ax.axhline(0, color="grey", lw=0.8)
            ax.set_ylabel(T["sc_gap"])
        else:
            table = self.placebo_table
            keep = table["pre_rmspe"].notna()
            if max_pre_rmspe_ratio is not None:
                keep &= table["pre_rmspe"] <= max_pre_rmspe_ratio * self.pre_rmspe
            kept = set(table.loc[keep & ~table["treated"], "unit"])
            placebo = self.placebo_gaps
            for i, (u, g) in enumerate(placebo[~placebo["treated"]].groupby("unit", sort=False)):
                if u in kept:
                    ax.plot(axis_values(g["period"].to_numpy()), g["gap"], color="C7", lw=0.6, alpha=0.6, label=T["sc_placebo_lines"] if i == 0 else None)
            ax.plot(x, frame["gap"], color="C0", lw=2, label=str(self.treated_unit))
            ax.axhline(0, color="grey", lw=0.8)
            ax.set_ylabel(T["sc_gap"])
        ax.axvline(axis_values(self.start), color="grey", lw=0.8, ls=":")
        ax.set_title(T["sc_title"].format(value=fmt_number(self.estimate, lang, 2)))
        ax.yaxis.set_major_formatter(axis_formatter(lang))
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="best", fontsize="small")
        return ax
