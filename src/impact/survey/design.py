"""A complex-sample survey design: weights, strata, first-stage clusters, fpc, replicate weights.

:class:`SurveyDesign` checks the design once, keeps it as integer codes
(stratum, PSU) and per-stratum factors, and estimates means, totals, ratios,
proportions, differences between domains and barometer statistics with
Taylor-linearised or replicate-weight variances.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Sequence

import numpy as np
import pandas as pd

from impact.data import check_alpha, check_choice, check_columns, check_int, read_table, show
from impact.errors import ConfigError, DataError
from impact.survey.checks import column_name, column_names, finite_number
from impact.survey.linearize import Layout
from impact.survey.replicate import REPLICATE_TYPES, ReplicateSpec, replicate_spec

__all__ = ["SurveyDesign", "LONELY_PSU"]

LonelyPSU = Literal["error", "certainty", "adjust", "remove"]
#: Ways to treat a stratum with a single sampled PSU, as R ``survey``'s ``survey.lonely.psu``.
LONELY_PSU = ("error", "certainty", "adjust", "remove")


def _codes(series: pd.Series, role: str, column: str) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of a design column (sorted labels); missing values are an error."""
    codes, labels = pd.factorize(series, sort=True)
    if (codes < 0).any():
        rows = series.index[codes < 0]
        raise DataError(
            f"{role} column {column!r} has {rows.size} missing value(s) (first at row {show(rows[0])}); "
            f"every respondent needs a {role}: fill them in or drop those rows before building the design"
        )
    return codes.astype(np.int64), pd.Index(labels)


def _positive_finite(values: np.ndarray, role: str, column: str, index: pd.Index, allow_zero: bool = False) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        raise DataError(
            f"{role} column {column!r} has {int(bad.sum())} missing or infinite value(s) "
            f"(first at row {show(index[np.flatnonzero(bad)[0]])}); fill them in or drop those rows"
        )
    bad = values < 0 if allow_zero else values <= 0
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        fix = (
            "sampling weights must be > 0: drop respondents outside the sample or fix the weights "
            "(a domain is chosen with by= or where=, not with zero weights)"
            if role == "weights"
            else "fpc must be > 0: the population number of PSUs in the stratum, or the sampling fraction"
        )
        raise DataError(
            f"{role} column {column!r} has {int(bad.sum())} {'negative' if allow_zero else 'zero or negative'} "
            f"value(s) (first at row {show(index[first])}: {values[first]:g}); {fix}"
        )


def _numeric(data: pd.DataFrame, column: str, role: str) -> np.ndarray:
    series = data[column]
    if pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=float)
    if not pd.api.types.is_numeric_dtype(series):
        sample = series.dropna().astype(str).head(3).tolist()
        raise DataError(
            f"{role} column {column!r} must be numeric (got dtype {series.dtype}, values like {sample}); "
            "convert it, e.g. pd.to_numeric(df[col].str.replace(',', '.'))"
        )
    return series.to_numpy(dtype=float, na_value=np.nan)


def _unsampled_share(data, fpc: str, group: np.ndarray, labels, n_sampled: np.ndarray, group_word: str,
                     unit_word: str) -> np.ndarray:
    """``1 - n_g / N_g`` per group from an fpc column holding ``N_g`` (values >= 1) or ``n_g / N_g`` (<= 1).

    The column must be constant within each group (a stratum at the first
    stage, a PSU at the second) and ``N_g`` at least the number sampled.
    """
    values = _numeric(data, fpc, "fpc")
    _positive_finite(values, "fpc", fpc, data.index)
    first = np.zeros(len(labels), dtype=np.int64)
    first[group[::-1]] = np.arange(values.size)[::-1]  # each group's first row
    value = values[first]
    varies = np.bincount(group, weights=~np.isclose(values, value[group], rtol=1e-9, atol=0), minlength=len(labels)) > 0
    if varies.any():
        g = int(np.flatnonzero(varies)[0])
        inside = values[group == g]
        raise DataError(
            f"fpc column {fpc!r} varies within {group_word} {show(labels[g])} ({inside.min():g} to {inside.max():g}); "
            f"it must hold one population size (or fraction) per {group_word}"
        )
    if (value > 1).any() and (value < 1).any():
        raise ConfigError(
            f"fpc column {fpc!r} mixes sampling fractions (<= 1) and population sizes (> 1); "
            f"use one or the other for every {group_word}"
        )
    population = value if (value > 1).any() else n_sampled / value
    small = population < n_sampled - 1e-9
    if small.any():
        g = int(np.flatnonzero(small)[0])
        raise DataError(
            f"fpc column {fpc!r} gives {group_word} {show(labels[g])} a population of {population[g]:g} {unit_word}, "
            f"smaller than the {int(n_sampled[g])} sampled there; fpc must be the population number of {unit_word} "
            f"in the {group_word} (or the sampling fraction, at most 1)"
        )
    return np.clip((population - n_sampled) / population, 0.0, 1.0)


class SurveyDesign:
    """A stratified, clustered, weighted sample with its variance estimator.

    Parameters
    ----------
    data : DataFrame or path
        One row per respondent (or a CSV, Excel or Parquet file of them, read
        with :func:`impact.data.read_table`).
    weights : str, optional
        Column of sampling weights (inverse inclusion probabilities), all
        > 0. Default: ``N_h / n_h`` from ``fpc`` when it is given (every
        unit of a sampled PSU in the sample, as R's ``svydesign``), else
        equal weights of 1 (estimates of totals are then sample sums).
    strata : str, optional
        Stratum column. Default: one stratum.
    psu : str, optional
        First-stage cluster (primary sampling unit). Default: each row.
        Later stages are not modelled: the variance is the "ultimate
        cluster" estimator, exact for with-replacement first-stage sampling
        and conservative otherwise (R ``svydesign(id=~psu)``; with ``fpc``,
        R's one-stage without-replacement estimator, which leaves out the
        within-PSU variance of a two-stage sample: R's
        ``svydesign(id=~dnum+snum, fpc=~fpc1+fpc2)`` adds it, this does not).
    fpc : str, optional
        Column giving, per stratum, either the population number of PSUs
        (values >= 1) or the first-stage sampling fraction (values <= 1).
        Constant within a stratum.
    nest : bool
        True when PSU ids are only unique within a stratum.
    lonely_psu : {"error", "certainty", "adjust", "remove"}
        A stratum with one sampled PSU (and a sampling fraction below 1):
        ``"error"`` raises a :class:`DataError` naming it; ``"certainty"``
        and ``"remove"`` give it no variance; ``"adjust"`` centres its PSU
        total at the sample grand mean of PSU totals instead of the stratum
        mean (R ``options(survey.lonely.psu=...)``).
    replicate_weights : list of str, optional
        Replicate weight columns; the variance is then computed from the
        replicates (one matrix product) instead of by linearisation.
    replicate_type : {"JK1", "JKn", "BRR", "Fay", "bootstrap"}
        How the replicates were made; sets the default multipliers
        (see :mod:`impact.survey.replicate`).
    fay_rho : float, optional
        Fay's perturbation factor for ``replicate_type="Fay"``.
    replicate_scale, replicate_rscales : optional
        Override the overall and per-replicate variance multipliers.
    mse : bool
        Centre replicate deviations at the full-sample estimate instead of
        the replicate mean (R's ``mse=TRUE``).
    ssu, fpc2 : str, optional
        Second-stage units (e.g. schools within sampled districts) and their
        population count per PSU (or sampling fraction), for a two-stage
        sample drawn without replacement at both stages with ``fpc``: the
        variance then adds the within-PSU term, as R's
        ``svydesign(id=~psu+ssu, fpc=~fpc+fpc2)``. Without them the
        ultimate-cluster variance is used.
    min_cell_size : int
        Estimates resting on fewer respondents are masked in tables and
        plots (default 11).
    alpha : float
        1 - confidence level of the intervals.

    Notes
    -----
    Degrees of freedom are the number of PSUs minus the number of strata
    (Korn & Graubard 1999), or for replicate designs the rank of the
    replicate weights minus one, as R ``survey``'s ``degf``.

    References
    ----------
    Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R. Wiley.
    https://doi.org/10.1002/9780470580066
    Korn, E. L., & Graubard, B. I. (1999). Analysis of Health Surveys.
    Wiley. https://doi.org/10.1002/9781118032619

    Examples
    --------
    >>> import pandas as pd
    >>> from impact.survey import SurveyDesign
    >>> df = pd.DataFrame({"w": [10, 10, 20, 20], "s": [1, 1, 2, 2], "score": [7, 9, 6, 8]})
    >>> round(SurveyDesign(df, weights="w", strata="s").mean("score").estimate, 3)
    7.333
    """

    def __init__(
        self,
        data: pd.DataFrame,
        weights: str | None = None,
        strata: str | None = None,
        psu: str | None = None,
        fpc: str | None = None,
        nest: bool = False,
        lonely_psu: LonelyPSU = "error",
        replicate_weights: Sequence[str] | None = None,
        replicate_type: str | None = None,
        fay_rho: float | None = None,
        *,
        replicate_scale: float | None = None,
        replicate_rscales: Sequence[float] | None = None,
        mse: bool = False,
        ssu: str | None = None,
        fpc2: str | None = None,
        min_cell_size: int = 11,
        alpha: float = 0.05,
    ):
        for role, value in (("weights", weights), ("strata", strata), ("psu", psu), ("fpc", fpc), ("ssu", ssu),
                            ("fpc2", fpc2)):
            column_name(role, value)
        if replicate_weights is not None:
            replicate_weights = column_names("replicate_weights", replicate_weights)
        if isinstance(data, (str, Path)):
            data = read_table(data)  # a CSV, Excel or Parquet export of the survey
        check_columns(data, weights=weights, strata=strata, psu=psu, fpc=fpc, replicate_weights=replicate_weights,
                      ssu=ssu, fpc2=fpc2)
        check_choice("lonely_psu", lonely_psu, LONELY_PSU)
        for name, flag in (("nest", nest), ("mse", mse)):
            if not isinstance(flag, (bool, np.bool_)):
                raise ConfigError(f"{name} must be True or False (got {flag!r})")
        if len(data) == 0:
            raise DataError("data has no rows; a survey design needs respondents")
        self.data = data
        self.weights, self.strata, self.psu, self.fpc = weights, strata, psu, fpc
        self.nest, self.lonely_psu = bool(nest), lonely_psu
        self.min_cell_size = check_int("min_cell_size", min_cell_size, minimum=1)
        self.alpha = check_alpha(alpha)
        n = len(data)
        if weights is None:
            self._w = np.ones(n)
        else:
            self._w = _numeric(data, weights, "weights")
            _positive_finite(self._w, "weights", weights, data.index)
        self._stratum, self._stratum_labels = (
            _codes(data[strata], "strata", strata) if strata else (np.zeros(n, dtype=np.int64), pd.Index([None]))
        )
        self._psu_codes(data, psu, strata)
        self.replicates: ReplicateSpec | None = None
        self.lonely_strata: list = []
        self._margins = None
        self._w_design = None  # the weights before raking, once raked
        self.raked_on: tuple[str, ...] = ()
        finite = self._finite_fraction(data, fpc)
        if weights is None and fpc is not None:
            # as R's svydesign: without weights, the fpc gives them (N_h / n_h PSUs; every unit of a PSU taken)
            self._w = (1.0 / (1.0 - finite))[self._stratum]
        if replicate_weights is not None:
            self._set_replicates(data, list(replicate_weights), replicate_type, fay_rho, replicate_scale,
                                 replicate_rscales, mse, finite if fpc else None)
            self.layout = self._layout(finite, check_lonely=False)
            self.df = self.replicates.df
        else:
            given = [name for name, value in (("replicate_type", replicate_type), ("fay_rho", fay_rho),
                                              ("replicate_scale", replicate_scale),
                                              ("replicate_rscales", replicate_rscales)) if value is not None]
            given += ["mse"] * bool(mse)
            if given:
                raise ConfigError(f"{', '.join(given)} need{'s' * (len(given) == 1)} replicate_weights= (the replicate "
                                  "weight columns); without them the variance is linearised")
            self.layout = self._layout(finite, check_lonely=True)
            self.df = max(self.layout.n_psus - self.n_strata, 1)
        self.ssu, self.fpc2 = ssu, fpc2
        self.layout2 = self._second_stage(data, ssu, fpc2, finite, weights is None)

    # ------------------------------------------------------------------ construction

    def _psu_codes(self, data: pd.DataFrame, psu: str | None, strata: str | None) -> None:
        n = len(data)
        if psu is None:
            self._psu = np.arange(n, dtype=np.int64)
            self._psu_stratum = self._stratum.copy()
            self._psu_labels = data.index.to_numpy()
            return
        raw, labels = _codes(data[psu], "psu", psu)
        pair = self._stratum * len(labels) + raw
        codes, uniq_pair = pd.factorize(pair, sort=True)
        if not self.nest and strata is not None:
            per_psu = np.bincount(uniq_pair % len(labels), minlength=len(labels))
            if (per_psu > 1).any():
                bad = int(np.flatnonzero(per_psu > 1)[0])
                where = self._stratum_labels[uniq_pair[uniq_pair % len(labels) == bad] // len(labels)]
                raise DataError(
                    f"PSU {show(labels[bad])} of psu column {psu!r} appears in {per_psu[bad]} strata "
                    f"({', '.join(show(s) for s in where[:5])}); if PSU ids are numbered within each stratum "
                    "pass nest=True, otherwise fix the psu or strata column"
                )
        self._psu = codes.astype(np.int64)
        self._psu_stratum = (uniq_pair // len(labels)).astype(np.int64)
        self._psu_labels = labels[uniq_pair % len(labels)]

    def _finite_fraction(self, data: pd.DataFrame, fpc: str | None) -> np.ndarray:
        """Per stratum, ``1 - f_h``: the share of the stratum's PSUs not sampled (1 without fpc)."""
        if fpc is None:
            return np.ones(self.n_strata)
        n_psu = np.bincount(self._psu_stratum, minlength=self.n_strata).astype(float)
        return _unsampled_share(data, fpc, self._stratum, self._stratum_labels, n_psu, "stratum", "PSUs")

    def _second_stage(self, data, ssu, fpc2, finite, weights_from_fpc: bool) -> Layout | None:
        """The second stage of a two-stage sample drawn without replacement at both stages (R's ``id=~psu+ssu``).

        Its variance adds, for each PSU ``i``, ``f1 (1 - f2_i) n2_i / (n2_i - 1)
        sum_j (t_ij - mean_i t)^2`` over the totals of its sampled SSUs, where
        ``f1`` is the PSU's first-stage sampling fraction (Sarndal, Swensson &
        Wretman 1992, ch. 4.3; R ``survey``'s ``svyrecvar``).
        """
        if ssu is None:
            if fpc2 is not None:
                raise ConfigError("fpc2 (second-stage population sizes) needs ssu=, the second-stage unit column")
            return None
        if self.replicates is not None or self.psu is None or self.fpc is None or fpc2 is None:
            raise ConfigError(
                "ssu= adds the second-stage variance of a two-stage sample drawn without replacement: it needs psu=, "
                "fpc= (PSUs per stratum) and fpc2= (SSUs per PSU), and no replicate weights; without fpc= the "
                "PSU-level (ultimate cluster) variance already covers every stage"
            )
        raw, labels = _codes(data[ssu], "ssu", ssu)
        pair = self._psu * len(labels) + raw  # SSUs are nested in their PSU, whatever their numbering
        codes, uniq = pd.factorize(pair, sort=True)
        ssu_psu = (uniq // len(labels)).astype(np.int64)
        n2 = np.bincount(ssu_psu, minlength=self.n_psus).astype(float)
        finite2 = _unsampled_share(data, fpc2, self._psu, self._psu_labels, n2, "PSU", "SSUs")
        sampled1 = (1.0 - finite)[self._psu_stratum]
        multi = n2 > 1
        scale = np.where(multi, sampled1 * finite2 * n2 / np.where(multi, n2 - 1, 1), 0.0)
        lonely = ~multi & (finite2 > 1e-7) & (sampled1 > 0)
        if lonely.any() and self.lonely_psu == "error":
            names = ", ".join(show(p) for p in self._psu_labels[lonely][:10])
            raise DataError(
                f"{int(lonely.sum())} PSU(s) of {self.psu!r} have a single sampled SSU out of several ({names}), so "
                "their second-stage variance cannot be estimated; pass lonely_psu='certainty' or 'remove' to leave it out"
            )
        if weights_from_fpc:
            self._w = self._w / (1.0 - finite2)[self._psu]
        return Layout(codes.astype(np.int64), ssu_psu, n2, scale, np.zeros(self.n_psus, dtype=bool))

    def _layout(self, finite: np.ndarray, check_lonely: bool) -> Layout:
        n_psu = np.bincount(self._psu_stratum, minlength=self.n_strata).astype(float)
        multi = n_psu > 1
        scale = np.where(multi, finite * n_psu / np.where(multi, n_psu - 1, 1), 0.0)
        lonely = (~multi) & (finite > 1e-7)
        grand = np.zeros(self.n_strata, dtype=bool)
        self.lonely_strata = [self._stratum_labels[h] for h in np.flatnonzero(lonely)]
        if lonely.any() and check_lonely:
            if self.lonely_psu == "error":
                names = ", ".join(show(s) for s in self.lonely_strata[:10])
                raise DataError(
                    f"{len(self.lonely_strata)} stratum/strata of {self.strata!r} have a single PSU ({names}), "
                    "so their sampling variance cannot be estimated; merge them with similar strata or pass "
                    "lonely_psu='adjust' (conservative), 'certainty' or 'remove'"
                )
            if self.lonely_psu == "adjust":
                scale = np.where(lonely, finite, scale)
                grand = lonely
        return Layout(self._psu, self._psu_stratum, n_psu, scale, grand)

    def _set_replicates(self, data, names, rtype, fay_rho, scale, rscales, mse, finite) -> None:
        if rtype is None:
            raise ConfigError(f"replicate_weights need replicate_type, one of {', '.join(REPLICATE_TYPES)}")
        check_choice("replicate_type", rtype, REPLICATE_TYPES)
        matrix = np.column_stack([_numeric(data, c, "replicate_weights") for c in names])
        bad = ~np.isfinite(matrix)
        if bad.any():
            col = names[int(np.flatnonzero(bad.any(axis=0))[0])]
            raise DataError(f"replicate weight column {col!r} has missing or infinite values; fill them in")
        n_psu = np.bincount(self._psu_stratum, minlength=self.n_strata).astype(float)
        stratum = self._stratum if self.strata else None
        self.replicates = replicate_spec(matrix, names, rtype, fay_rho, scale, rscales, mse, stratum, n_psu, finite)

    # ------------------------------------------------------------------ description

    @property
    def n_strata(self) -> int:
        return int(self._stratum_labels.size)

    @property
    def n_psus(self) -> int:
        return int(self._psu_stratum.size)

    def describe(self) -> str:
        """One line: strata, PSUs, rows and the variance method."""
        parts = [f"{self.n_strata} strata" if self.strata else "unstratified"]
        parts.append(f"{self.n_psus} PSUs" if self.psu else "each row its own PSU")
        parts.append(f"{len(self.data)} rows")
        if self.replicates is not None:
            method = f"{self.replicates.type} replicate weights ({self.replicates.weights.shape[1]} replicates)"
        elif self.layout2 is not None:
            method = f"Taylor linearisation, two stages ({self.layout2.n_psus} SSUs) with fpc"
        else:
            method = "Taylor linearisation" + (" with fpc" if self.fpc else " (with-replacement first stage)")
            if self.lonely_strata:
                method += f"; {len(self.lonely_strata)} lonely PSU stratum/strata: {self.lonely_psu}"
        if self.raked_on:
            method += f"; weights raked on {', '.join(self.raked_on)}"
        return ", ".join(parts) + f"; {method}; df {self.df}"

    # ------------------------------------------------------------------ calibration

    def rake(self, margins, *, max_iter: int = 100, tol: float = 1e-10) -> "SurveyDesign":
        """A new design whose weights are raked to known population margins (R ``survey::rake``).

        Parameters
        ----------
        margins : dict
            ``{column: {category: population count}}``, every margin summing
            to the same population size, e.g.
            ``{"sex": {"F": 5200, "M": 4800}, "age": {"<40": 4000, "40+": 6000}}``.
        max_iter, tol : int, float
            Iterative proportional fitting stops when every weighted count is
            within ``tol`` (relative) of its target.

        Notes
        -----
        Replicate weights are raked column by column, so replicate variances
        include the calibration; linearised variances use the residuals of
        the linearised variable from its weighted projection on the margin
        indicators (Deville & Sarndal 1992, https://doi.org/10.1080/01621459.1992.10475217),
        as R's ``calibrate(..., calfun="raking")``.
        """
        import copy
        import dataclasses

        from impact.survey.calibrate import margins as code_margins, rake_weights, with_design_weights

        if self.raked_on:
            raise ConfigError(f"this design is already raked on {', '.join(self.raked_on)}; rake the original design once with every margin")
        max_iter = check_int("max_iter", max_iter, minimum=1)
        tol = finite_number("tol", tol, positive=True, hint="the largest relative gap to a margin, e.g. 1e-10")
        spec = code_margins(self.data, margins)
        raked = copy.copy(self)
        raked._w = rake_weights(self._w, spec, max_iter, tol)
        raked._w_design = self._w
        if self.replicates is not None:
            raked.replicates = dataclasses.replace(
                self.replicates, weights=rake_weights(self.replicates.weights, spec, max_iter, tol)
            )
        else:
            raked._margins = with_design_weights(spec, self._w)
        raked.raked_on = spec.names
        return raked

    def __repr__(self) -> str:
        return f"SurveyDesign({self.describe()})"

    # ------------------------------------------------------------------ estimates

    def mean(self, column: str, by: str | None = None, where=None, *, min_cell_size: int | None = None):
        """Design-based mean of ``column`` (ratio estimator ``sum w y / sum w``), by domain.

        ``by`` is a column (one domain per value) or a list of columns
        (crossed domains); ``where`` a boolean mask or column restricting
        every estimate to a subpopulation, on the full design. Missing answers are item non-response: excluded from the estimate and
        counted in ``n_missing``; the respondent's PSU stays in the design.
        Returns a :class:`impact.survey.SurveyResult`.
        """
        from impact.survey.estimate import estimate_ratio

        return estimate_ratio(self, "mean", column, None, by, where, min_cell_size)

    def total(self, column: str, by: str | None = None, where=None, *, min_cell_size: int | None = None):
        """Design-based (Horvitz-Thompson) total of ``column``, by domain."""
        from impact.survey.estimate import estimate_ratio

        return estimate_ratio(self, "total", column, None, by, where, min_cell_size)

    def ratio(self, numerator: str, denominator: str, by: str | None = None, where=None, *,
              min_cell_size: int | None = None):
        """Ratio of two totals ``sum w y / sum w x``, by domain (rows missing either are left out).

        A domain whose ``denominator`` totals zero has no ratio: its row is
        masked (``masked=True``, no estimate) with a note naming it, as R's
        ``svyratio`` prints NaN there; a zero total over every respondent in
        ``where`` is a :class:`~impact.errors.DataError`.
        """
        from impact.survey.estimate import estimate_ratio

        return estimate_ratio(self, "ratio", numerator, denominator, by, where, min_cell_size)

    def proportion(self, column: str, level=None, by: str | None = None, ci: str = "logit", where=None, *,
                   min_cell_size: int | None = None):
        """Share of respondents in each level of ``column`` (or only ``level``, or each of a list of levels), by domain.

        ``level`` is one answer value as it appears in the column (``5``,
        ``"yes"``) or a list of them; each must occur. ``ci`` is ``"logit"`` (R ``svyciprop``'s default), ``"wald"`` or
        ``"wilson"`` (score interval with the design's effective sample size).
        """
        from impact.survey.estimate import estimate_proportion

        return estimate_proportion(self, column, level, by, where, ci, min_cell_size)

    def compare(self, column: str, by: str, statistic: str = "mean", level=None, *, groups=None, where=None,
                threshold=None, min_cell_size: int | None = None):
        """Difference of ``statistic`` between two domains of ``by`` (second minus first), with their covariance.

        ``statistic`` is ``"mean"``, ``"proportion"`` (of ``level``),
        ``"total"`` or ``"top_box"`` (share at or above ``threshold``);
        ``level`` and ``threshold`` are refused with any other statistic.
        ``groups=(first, second)`` picks two levels when ``by`` has more.

        Both domains are estimated on the same design, so the variance of the
        difference is ``V1 + V2 - 2 C12`` with the covariance from the joint
        linearisation (or the replicates): positive when the waves share
        PSUs (a panel of sites), zero when each wave was drawn independently.
        Two independently drawn waves are two strata of one design: build it
        with the wave in the strata (e.g. a column ``wave_region``) so that
        their PSUs never mix.
        """
        from impact.survey.estimate import compare

        return compare(self, column, by, statistic, level, groups, where, threshold, min_cell_size)

    def top_box(self, column: str, threshold, by: str | None = None, where=None, ci: str = "logit", *,
                min_cell_size: int | None = None):
        """Share of answers at or above ``threshold`` (e.g. 8 on a 0-10 scale), by domain."""
        from impact.survey.barometer import top_box

        return top_box(self, column, threshold, by, where, ci, min_cell_size)

    def net_satisfaction(self, column: str, satisfied, dissatisfied=None, by: str | None = None, where=None, *,
                         scale=None, min_cell_size: int | None = None):
        """Share satisfied (``>= satisfied``) minus share dissatisfied (``<= dissatisfied``), by domain.

        Without ``dissatisfied``, ``scale=(lowest, highest)`` gives it as the
        mirror image of ``satisfied`` (top boxes minus as many bottom boxes:
        4 on a 1-5 scale gives 2, 8 on 0-10 gives 2).
        """
        from impact.survey.barometer import net_satisfaction

        return net_satisfaction(self, column, satisfied, dissatisfied, by, where, min_cell_size, scale=scale)
