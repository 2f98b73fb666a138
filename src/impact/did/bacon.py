"""Goodman-Bacon (2021) decomposition of the two-way fixed-effects estimator.

Under staggered adoption the TWFE coefficient on a 0/1 treatment is a
weighted average of every 2x2 difference-in-differences that compares one
timing group with another over a window in which only one of them changes
treatment status. Some of those comparisons use already-treated units as
controls ("later vs earlier"); when effects grow over time they pull the TWFE
estimate away from any average treatment effect. The decomposition shows how
much weight each comparison gets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from impact.checks import check_given
from impact.data import validate_panel
from impact.did._ols import absorbed_ols
from impact.errors import DataError
from impact.did._args import accepts_r_names
from impact.results import EffectResult, normal_ci, normal_pvalue

__all__ = ["bacon_decomposition", "BaconResult"]

COMPARISON_TYPES = ("treated_vs_never", "earlier_vs_later", "later_vs_earlier", "treated_vs_always")


@dataclass(frozen=True, kw_only=True)
class BaconResult(EffectResult):
    """TWFE coefficient (headline) and its decomposition into 2x2 comparisons.

    ``to_frame()`` has one row per comparison with columns ``term``,
    ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``pvalue`` (the last four
    NaN: the decomposition is an identity, not an inference), ``type``,
    ``treated_cohort``, ``control_cohort`` (NaN for the never-treated) and
    ``weight``. The weights sum to one and ``sum(weight * estimate)`` equals
    the headline ``estimate``.
    """

    def by_type(self) -> pd.DataFrame:
        """Total weight and weighted mean estimate of each comparison type (R ``bacon_summary``)."""
        frame = self.to_frame()
        frame["weighted"] = frame["weight"] * frame["estimate"]
        out = frame.groupby("type", sort=False)[["weight", "weighted"]].sum()
        out["estimate"] = out["weighted"] / out["weight"]
        return out[["weight", "estimate"]].reset_index()

    def plot(self, ax=None, **kwargs):
        """Bacon scatter: each comparison's weight (x) against its estimate (y), marked by type."""
        from impact.plots import _axes

        ax = _axes(ax)
        frame = self.to_frame()
        markers = dict(zip(COMPARISON_TYPES, ("o", "^", "v", "s")))
        for i, kind in enumerate(COMPARISON_TYPES):
            rows = frame[frame["type"] == kind]
            if len(rows):
                ax.scatter(rows["weight"], rows["estimate"], marker=markers[kind], color=f"C{i}",
                           label=kind.replace("_", " "), **kwargs)
        ax.axhline(self.estimate, color="black", lw=0.8, ls="--", label=f"TWFE = {self.estimate:.4g}")
        ax.axhline(0, color="grey", lw=0.6)
        ax.set_xlabel("weight")
        ax.set_ylabel("2x2 DiD estimate")
        ax.legend(frameon=False, fontsize="small")
        return ax


def _mean_by(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Each row's group mean of ``values``."""
    return (np.bincount(codes, values) / np.bincount(codes))[codes]


def _window_did(Ybar: np.ndarray, treat: int, control: int, lo: int, switch: int, hi: int) -> float:
    """2x2 DiD of group means over periods [lo, hi), treated group switching at ``switch``."""
    gap = Ybar[treat] - Ybar[control]
    return float(gap[switch:hi].mean() - gap[lo:switch].mean())


@accepts_r_names
def bacon_decomposition(data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str) -> BaconResult:
    """Decompose the TWFE estimate into its 2x2 difference-in-differences comparisons.

    Parameters
    ----------
    data : pandas.DataFrame
        Balanced long-form panel, one row per unit and period.
    outcome, unit, time : str
        Column names.
    cohort : str
        First treated period of each unit; 0, NaN or missing for never
        treated. Units treated at or before the first period are
        "always treated"; units treated after the last period count as never
        treated within the sample. Treatment is ``1{time >= cohort}``.

    Returns
    -------
    BaconResult
        Headline ``estimate`` is the TWFE coefficient on ``1{time >= cohort}``
        with unit and period fixed effects, its standard error clustered by
        unit (CR1, fixest's small-sample correction). ``to_frame()`` lists the
        comparisons; ``by_type()`` sums them by type; ``plot()`` draws the
        Bacon scatter.

    Raises
    ------
    DataError
        Missing columns, non-numeric outcome, duplicated unit-period rows,
        an unbalanced panel, or no timing variation to decompose.

    Notes
    -----
    Goodman-Bacon (2021, Theorem 1): with timing groups ``k`` (share ``n_k``
    of units, share ``D_k`` of periods treated), the TWFE coefficient equals
    ``sum s_kU b_kU + sum_{k<l} (s_kl^k b_kl^k + s_kl^l b_kl^l)``, where
    ``b_kU`` compares group ``k`` with the never treated over all periods,
    ``b_kl^k`` compares earlier group ``k`` with later group ``l`` before
    ``l`` is treated, and ``b_kl^l`` compares ``l`` with ``k`` after ``k`` is
    treated (the "forbidden" comparison). Each weight is proportional to the
    squared size of the subsample times the variance of the demeaned
    treatment within it. Always-treated units act as controls in
    ``treated_vs_always`` comparisons. The weights are computed from the
    formulas (not rescaled), so their sum being one is itself a check of the
    identity. The theorem needs a balanced panel and no covariates.

    References
    ----------
    Goodman-Bacon, A. (2021). Difference-in-differences with variation in
    treatment timing. *Journal of Econometrics*, 225(2), 254-277.
    https://doi.org/10.1016/j.jeconom.2021.03.014

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from impact.did import bacon_decomposition
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"id": np.repeat(np.arange(30), 6), "t": np.tile(np.arange(6), 30)})
    >>> df["g"] = np.repeat(rng.choice([0, 2, 4], 30), 6)
    >>> df["y"] = rng.normal(size=len(df)) + ((df.g > 0) & (df.t >= df.g))
    >>> res = bacon_decomposition(df, "y", "id", "t", "g")
    >>> bool(np.isclose((res.to_frame().weight * res.to_frame().estimate).sum(), res.estimate))
    True
    """
    check_given("bacon_decomposition", outcome=outcome, unit=unit, time=time, cohort=cohort)
    panel = validate_panel(data, outcome, unit, time, cohort=cohort, require_untreated=False)
    if not panel.balanced:
        raise DataError(
            f"bacon_decomposition needs a balanced panel: {len(panel.data)} rows for {panel.n_units} units "
            f"x {panel.n_periods} periods of {time!r}; the decomposition theorem holds only for balanced panels "
            "(keep the units observed in every period)"
        )
    T = panel.n_periods
    codes = panel.cohort_codes.copy()
    codes[codes >= T] = -1  # treated after the sample: never treated within it
    D = ((codes >= 0) & (panel.time_codes >= codes)).astype(float)
    unit_cohort = np.full(panel.n_units, -1, dtype=np.int64)
    unit_cohort[panel.unit_codes] = codes
    timing = np.unique(unit_cohort[unit_cohort > 0])
    if timing.size == 0:
        raise DataError(
            f"cohort column {cohort!r} has no unit that adopts within the sample (between the second and the "
            f"last period of {time!r}); there is no timing variation to decompose"
        )

    # TWFE coefficient and its unit-clustered standard error.
    fit = absorbed_ols(panel.y, D, [panel.unit_codes, panel.time_codes], clusters=panel.unit_codes,
                       names=["treatment"])
    estimate, se = float(fit.beta[0]), float(np.sqrt(fit.vcov[0, 0]))
    # Variance of the two-way demeaned treatment (balanced panel: closed form).
    Dt = D - _mean_by(D, panel.unit_codes) - _mean_by(D, panel.time_codes) + D.mean()
    var_d = float(Dt @ Dt) / len(Dt)

    # Group-by-period mean outcomes: rows are timing groups (never = index T, always = 0).
    group = np.where(unit_cohort < 0, T, unit_cohort)
    row_group = group[panel.unit_codes]
    sums = np.zeros((T + 1, T))
    np.add.at(sums, (row_group, panel.time_codes), panel.y)
    n_units = np.bincount(group, minlength=T + 1).astype(float)
    Ybar = sums / np.where(n_units > 0, n_units, 1.0)[:, None]
    N = float(panel.n_units)

    def weight(n_a: float, n_b: float, periods: int, share_treated: float) -> float:
        share = n_a / (n_a + n_b)
        raw = ((n_a + n_b) * periods) ** 2 * share * (1 - share) * share_treated * (1 - share_treated)
        return raw / ((N * T) ** 2 * var_d)

    rows = []
    label = lambda g: panel.period_label(g).item()  # noqa: E731
    for k in timing:
        if n_units[T] > 0:
            rows.append(("treated_vs_never", k, None, _window_did(Ybar, k, T, 0, k, T),
                         weight(n_units[k], n_units[T], T, (T - k) / T)))
        if n_units[0] > 0:
            rows.append(("treated_vs_always", k, 0, _window_did(Ybar, k, 0, 0, k, T),
                         weight(n_units[k], n_units[0], T, (T - k) / T)))
        for l in timing[timing > k]:
            rows.append(("earlier_vs_later", k, l, _window_did(Ybar, k, l, 0, k, l),
                         weight(n_units[k], n_units[l], l, (l - k) / l)))
            rows.append(("later_vs_earlier", l, k, _window_did(Ybar, l, k, k, l, T),
                         weight(n_units[l], n_units[k], T - k, (T - l) / (T - k))))

    kinds, treated, control, est, wts = zip(*rows)
    treated_lab = [label(g) for g in treated]
    control_lab = [np.nan if c is None else label(c) for c in control]
    terms = [f"{t} vs {'never' if c is None else ('always' if k == 'treated_vs_always' else label(c))}"
             for k, t, c in zip(kinds, treated_lab, control)]
    nan = np.full(len(rows), np.nan)
    frame = pd.DataFrame({
        "term": terms, "estimate": np.asarray(est), "se": nan, "ci_low": nan, "ci_high": nan, "pvalue": nan,
        "type": list(kinds), "treated_cohort": treated_lab, "control_cohort": control_lab,
        "weight": np.asarray(wts),
    })
    lo, hi = normal_ci(estimate, se)
    return BaconResult(
        method="Goodman-Bacon decomposition of TWFE",
        estimate=estimate,
        se=se,
        ci_low=float(lo),
        ci_high=float(hi),
        pvalue=float(normal_pvalue(estimate, se)),
        n_obs=len(panel.data),
        n_units=panel.n_units,
        terms=frame,
        assumptions={
            "Headline": "TWFE coefficient on 1{time >= cohort}, unit and period fixed effects, SE clustered by unit",
            "Decomposition": "exact for a balanced panel without covariates (Goodman-Bacon 2021, Theorem 1)",
            "Comparisons": f"{len(frame)} 2x2 DiDs; 'later_vs_earlier' use already-treated units as controls",
        },
    )
