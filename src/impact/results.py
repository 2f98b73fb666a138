"""The one results protocol every estimator shares.

A result is an immutable record of what was estimated. Its tidy frame, its
text summary and its HTML representation are all derived from one
:class:`Summary`, built once, so that the three never disagree.

Every result carries the headline fields of the public contract
(``estimate``, ``se``, ``ci_low``, ``ci_high``, ``pvalue``, ``n_obs``,
``n_units``) and the assumptions the estimate rests on.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Mapping

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "DEFAULT_SEED",
    "TERM_COLUMNS",
    "Summary",
    "SummaryText",
    "SummaryDisplay",
    "check_seed",
    "seed_label",
    "EffectResult",
    "EventStudyResult",
    "normal_ci",
    "normal_pvalue",
    "tidy_terms",
    "headline",
]

#: Columns every ``to_frame()`` starts with, in this order. Estimators may add
#: ``cohort``, ``period``, ``event_time``, ``type``, ``weight`` and the like after them.
TERM_COLUMNS = ("term", "estimate", "se", "ci_low", "ci_high", "pvalue")

#: Seed of every function that draws (bootstraps, placebos, Monte Carlo, power simulations) unless
#: ``seed=`` says otherwise: identical calls give identical numbers. ``seed=None`` asks for fresh draws.
DEFAULT_SEED = 0


def check_seed(seed, name: str = "seed"):
    """Validate a ``seed=`` argument: a non-negative integer, ``None`` (fresh draws) or a NumPy Generator.

    Returns it unchanged (an integer as ``int``); raises :class:`~impact.errors.ConfigError` otherwise.
    """
    from impact.errors import ConfigError

    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"{name} must be a non-negative integer, or None for fresh draws (got {seed!r})")
    return int(seed)


def seed_label(seed) -> str:
    """How a summary states the seed: the number, or that the draws were fresh (not reproducible)."""
    if seed is None:
        return "none (fresh draws, not reproducible)"
    if isinstance(seed, np.random.Generator):
        return "a caller-supplied Generator"
    return str(seed)


def normal_ci(estimate, se, alpha: float = 0.05, crit: float | None = None):
    """Two-sided confidence interval ``estimate -/+ crit * se``.

    ``crit`` defaults to the standard normal quantile for ``alpha``; pass a
    t quantile or a uniform-band critical value to override it.
    """
    if crit is None:
        crit = stats.norm.ppf(1 - alpha / 2)
    estimate = np.asarray(estimate, dtype=float)
    se = np.asarray(se, dtype=float)
    return estimate - crit * se, estimate + crit * se


def normal_pvalue(estimate, se, df: float | None = None):
    """Two-sided p-value of ``estimate / se`` against the normal (or Student t with ``df``)."""
    estimate = np.asarray(estimate, dtype=float)
    se = np.asarray(se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.abs(estimate / se)
    if df is None:
        return 2 * stats.norm.sf(z)
    return 2 * stats.t.sf(z, df)


def tidy_terms(terms, estimate, se, alpha=0.05, crit=None, df=None, **extra) -> pd.DataFrame:
    """Build a tidy frame with :data:`TERM_COLUMNS` plus ``extra`` columns.

    With ``df`` the interval and p-value use the Student t distribution,
    otherwise the normal (or ``crit`` for the interval when given).
    """
    estimate = np.atleast_1d(np.asarray(estimate, dtype=float))
    se = np.atleast_1d(np.asarray(se, dtype=float))
    if crit is None and df is not None:
        crit = stats.t.ppf(1 - alpha / 2, df)
    lo, hi = normal_ci(estimate, se, alpha, crit)
    frame = pd.DataFrame(
        {
            "term": list(np.atleast_1d(terms)),
            "estimate": estimate,
            "se": se,
            "ci_low": lo,
            "ci_high": hi,
            "pvalue": normal_pvalue(estimate, se, df),
        }
    )
    for name, values in extra.items():
        frame[name] = values
    return frame


def headline(row) -> dict:
    """The headline fields of a result (``estimate``, ``se``, ``ci_low``, ``ci_high``, ``pvalue``) from a tidy row."""
    return {k: float(row[k]) for k in ("estimate", "se", "ci_low", "ci_high", "pvalue")}


class SummaryText(str):
    """The text of a :class:`Summary` that also renders as a table in Jupyter.

    A ``str`` subclass, so code that searches, splits or compares the
    summary keeps working, while ``print()`` shows the text, a terminal's
    ``repr`` shows it laid out (not one quoted line full of ``\\n``) and a
    notebook renders :meth:`_repr_html_`, as statsmodels' ``Summary`` does.
    """

    __slots__ = ("_html", "_source")

    def __new__(cls, text: str, html_text: str = "", *, source: "Summary | None" = None):
        obj = super().__new__(cls, text)
        obj._html = html_text
        # The Summary the text came from: its HTML is built only when a notebook asks for it, since
        # print(result.summary()) in a script or a log never shows it.
        obj._source = source
        return obj

    def __repr__(self) -> str:
        return str.__str__(self)

    def as_text(self) -> str:
        """The plain text (a ``str``)."""
        return str.__str__(self)

    def as_html(self) -> str:
        """The HTML table."""
        if not self._html and self._source is not None:
            self._html = self._source.as_html()
        return self._html or f"<pre>{html.escape(str.__str__(self))}</pre>"

    def _repr_html_(self) -> str:
        return self.as_html()

    def __reduce__(self):
        return (SummaryText, (str.__str__(self), self.as_html()))


class SummaryDisplay:
    """``summary()``, ``str()`` and the notebook view of a result, all from its ``_summary`` (a :class:`Summary`).

    For result classes outside the effect protocol (appraisals, power, indicators, feedback) that build one
    :class:`Summary` and show it the same three ways.
    """

    def summary(self) -> SummaryText:
        """The summary as text that also renders as a table in a notebook."""
        return self._summary.as_text()

    def __str__(self) -> str:
        return str.__str__(self.summary())

    def _repr_html_(self) -> str:
        return self._summary.as_html()


@dataclass(frozen=True)
class Summary:
    """What a result says about itself, built once.

    ``header`` holds label/value pairs (method, sample, assumptions);
    ``table`` the tidy terms; ``notes`` free sentences (warnings, caveats).
    """

    title: str
    header: tuple[tuple[str, str], ...]
    table: pd.DataFrame
    notes: tuple[str, ...] = ()

    def as_text(self) -> SummaryText:
        """The summary as text, a :class:`SummaryText` (a ``str`` that also renders as HTML in notebooks)."""
        return SummaryText(self._text(), source=self)

    def __str__(self) -> str:
        return self._text()

    def _repr_html_(self) -> str:
        return self.as_html()

    def _text(self) -> str:
        width = max([len(k) for k, _ in self.header] + [8])
        lines = [self.title, "=" * len(self.title)]
        lines += [f"{k:<{width}}  {v}" for k, v in self.header]
        lines.append("")
        with pd.option_context("display.width", 120, "display.max_columns", 20):
            lines.append(self.table.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
        if self.notes:
            lines.append("")
            lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)

    def as_html(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in self.header
        )
        table = self.table.to_html(index=False, float_format=lambda x: f"{x:.4g}", border=0)
        notes = "".join(f"<p><em>{html.escape(n)}</em></p>" for n in self.notes)
        return (
            f"<div class='impact-result'><h4>{html.escape(self.title)}</h4>"
            f"<table>{rows}</table>{table}{notes}</div>"
        )


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    return str(value)


@dataclass(frozen=True, kw_only=True)
class EffectResult:
    """Base result: one headline effect and a tidy table of every estimated term.

    Subclasses add fields (an event-study frame, group-time influence
    functions, weights) and override :meth:`plot`; they never mutate.
    """

    method: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    pvalue: float
    n_obs: int
    n_units: int | None = None
    alpha: float = 0.05
    terms: pd.DataFrame = field(repr=False)
    assumptions: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame: one row per estimated quantity, columns start with :data:`TERM_COLUMNS`."""
        return self.terms.copy()

    @cached_property
    def _summary(self) -> Summary:
        level = f"{100 * (1 - self.alpha):g}%"
        header = [
            ("Method", self.method),
            ("Estimate", _fmt(self.estimate)),
            ("Std. error", _fmt(self.se)),
            (f"{level} CI", f"[{_fmt(self.ci_low)}, {_fmt(self.ci_high)}]"),
            ("p-value", _fmt(self.pvalue)),
            ("Observations", _fmt(self.n_obs)),
        ]
        if self.n_units is not None:
            header.append(("Units", _fmt(self.n_units)))
        header += [(k, str(v)) for k, v in self.assumptions.items()]
        return Summary(self.method, tuple(header), self.to_frame(), tuple(self.notes))

    def summary(self) -> SummaryText:
        """Headline, sample, assumptions and the table of terms.

        A :class:`SummaryText`: a ``str`` (print it, search it) that renders as
        an HTML table when it is the last line of a notebook cell.
        """
        return self._summary.as_text()

    def __str__(self) -> str:
        return self._summary._text()

    def _repr_html_(self) -> str:
        return self._summary.as_html()

    def plot(self, ax=None, **kwargs):
        """Coefficient plot of every term with its confidence interval; returns the Axes."""
        from impact.plots import coefficient_plot

        return coefficient_plot(self.to_frame(), ax=ax, **kwargs)


@dataclass(frozen=True, kw_only=True)
class EventStudyResult(EffectResult):
    """Effects by event time (periods since adoption), with the reference period marked.

    ``terms`` has one row per event time with an integer ``event_time``
    column; the reference period, normalised to zero, is kept as a row with
    ``se`` NaN so that tables and plots show it. ``vcov`` is the covariance
    matrix of the estimated (non-reference) event-time coefficients, indexed
    by event time, which pre-trend tests and HonestDiD sensitivity use.
    Optional ``cband_low``/``cband_high`` columns hold a simultaneous
    (uniform) confidence band. ``n_clusters``, ``cov_df`` and ``cov_scale``
    describe how ``vcov`` was estimated, for the small-sample (Hotelling)
    pre-trend test of :func:`impact.did.pretrend_test`.

    The headline fields give the average of the post-treatment effects
    (event time >= 0), weighted as the estimator documents.
    """

    vcov: pd.DataFrame | None = field(default=None, repr=False)
    reference: int | None = -1
    #: Independent clusters behind ``vcov``; None means ``n_units``.
    n_clusters: int | None = None
    #: Degrees of freedom of ``vcov`` as an estimate: clusters minus the means estimated within them
    #: (``n_clusters - 1`` for a cluster-robust CRV1 regression covariance, the default).
    cov_df: int | None = None
    #: Factor that makes ``vcov`` an unbiased small-sample covariance: 1 for CRV1, which already carries
    #: G/(G-1); n_clusters / cov_df for an influence-function (HC0-type) covariance.
    cov_scale: float = 1.0
    #: Cluster scores (clusters x the coefficients of ``vcov``, same order) with ``vcov = scores' scores``,
    #: when the estimator has them: pretrend_test then counts the clusters that carry the leads (their
    #: effective number) instead of assuming all clusters weigh alike.
    scores: np.ndarray | None = field(default=None, repr=False)
    #: What one step of event time is on the data's calendar ("month", "quarter", "year", "week", "day"
    #: or "period" for plain integers), so that axes say "months since adoption", never bare codes.
    time_unit: str = "period"

    def event_time_label(self, lang: str = "en") -> str:
        """Axis title for event time in ``lang``: ``months since adoption`` / ``mois depuis l'adoption``."""
        from impact.periods import period_text, unit_name

        return period_text("event_time", lang, unit=unit_name(self.time_unit, lang))

    def pre_trend_terms(self) -> pd.DataFrame:
        """Rows for event times before adoption, the reference period excluded."""
        frame = self.to_frame()
        keep = (frame["event_time"] < 0) & frame["se"].notna()
        return frame.loc[keep]

    def plot(self, ax=None, **kwargs):
        """Event-study plot: estimates with pointwise (and uniform, if any) bands, reference marked."""
        from impact.plots import event_study_plot

        if self.time_unit != "period":  # plain integer periods keep the plot's own wording
            kwargs.setdefault("xlabel", self.event_time_label(kwargs.get("lang", "en")))
        return event_study_plot(self.to_frame(), reference=self.reference, ax=ax, **kwargs)
