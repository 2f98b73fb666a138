"""Barometer statistics on a satisfaction score, and intervals for proportions.

A public-service barometer reports shares: users rating a service 8/10 or
more ("top box"), or the share satisfied minus the share dissatisfied (net
satisfaction). Both are domain means of a per-respondent variable, so they
carry the design's linearised (or replicate) variance like any mean.

Intervals for a proportion ``p`` with design standard error ``se`` and
``t = t_{df, 1 - alpha/2}``:

- ``"logit"``: ``expit(logit(p) -/+ t se / (p (1 - p)))``, the interval of
  R ``survey``'s ``svyciprop(method="logit")`` (a Wald interval for the
  intercept of a survey-weighted logistic regression, whose standard error
  is exactly ``se / (p (1 - p))``);
- ``"wald"``: ``p -/+ t se``;
- ``"wilson"``: the Wilson score interval with the effective sample size
  ``n_eff = p (1 - p) / se^2`` (Korn & Graubard 1998).

At ``p`` equal to 0 or 1 the logit and Wilson intervals use the number of
respondents as the sample size, since the design variance is then zero.

References
----------
Korn, E. L., & Graubard, B. I. (1998). Confidence intervals for proportions
with small expected number of positive counts estimated from survey data.
Survey Methodology 24(2), 193-201.
Wilson, E. B. (1927). Probable inference, the law of succession, and
statistical inference. JASA 22(158), 209-212.
https://doi.org/10.1080/01621459.1927.10502953
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit

from impact.errors import ConfigError
from impact.survey.estimate import _values, domains, fit, headline_fit, make_result, t_quantile

__all__ = ["CI_METHODS", "proportion_ci", "top_box", "net_satisfaction", "mirror_threshold"]

CI_METHODS = ("logit", "wald", "wilson")


def _wilson(p, n, t):
    centre = (p + t**2 / (2 * n)) / (1 + t**2 / n)
    half = t / (1 + t**2 / n) * np.sqrt(p * (1 - p) / n + t**2 / (4 * n**2))
    return centre - half, centre + half


def proportion_ci(method: str, df: float, alpha: float):
    """A function ``(p, se, n) -> (low, high)`` computing the chosen interval for arrays of proportions."""
    t = t_quantile(alpha, df)

    def interval(p, se, n):
        p = np.asarray(p, dtype=float)
        se = np.asarray(se, dtype=float)
        n = np.asarray(n, dtype=float)
        if method == "wald":
            return p - t * se, p + t * se
        edge = (p <= 0) | (p >= 1) | (se <= 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            if method == "logit":
                inner = np.clip(p, 1e-300, 1 - 1e-16)
                half = t * se / (inner * (1 - inner))
                low, high = expit(logit(inner) - half), expit(logit(inner) + half)
            else:
                n_eff = np.where(edge, n, p * (1 - p) / se**2)
                low, high = _wilson(p, n_eff, t)
            wl, wh = _wilson(p, n, t)
        return np.where(edge, wl, low), np.where(edge, wh, high)

    return interval


def top_box(design, column, threshold, by=None, where=None, ci="logit", min_cell_size=None):
    """Share of answers at or above ``threshold``, by domain, with a proportion interval.

    Missing scores are item non-response (left out, counted). Returns a
    :class:`impact.survey.SurveyResult` whose ``statistic`` is ``"top_box"``.
    """
    if ci not in CI_METHODS:
        raise ConfigError(f"ci must be one of {', '.join(map(repr, CI_METHODS))} (got {ci!r})")
    _check_threshold("threshold", threshold)
    y, respond = _values(design, column)
    a = np.where(respond, y >= threshold, 0.0).astype(float)
    dom = domains(design, by, where)
    fit_ = fit(design, a, None, respond, dom, "mean")
    headline = headline_fit(design, a, None, respond, dom, "mean", fit_)
    return make_result(
        design, method=f"Share of {column} at or above {threshold:g}", statistic="top_box", column=column,
        dom=dom, fit_=fit_, headline=headline, terms_label=f"top_box({column}>={threshold:g})",
        min_cell_size=min_cell_size, ci=proportion_ci(ci, design.df, design.alpha),
    )


def mirror_threshold(satisfied, scale, where: str = "scale") -> float:
    """The default ``dissatisfied`` cut: ``satisfied`` reflected about the middle of ``scale`` (low + high - satisfied).

    Net satisfaction then counts as many bottom boxes as top boxes (the
    barometer convention of the examples: 4 and 5 against 1 and 2 on a 1-5
    scale). A ``satisfied`` at or below the middle has no such mirror.
    """
    if isinstance(scale, np.ndarray):
        scale = scale.tolist()
    if (not isinstance(scale, (list, tuple)) or len(scale) != 2
            or any(isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) for v in scale)
            or not scale[0] < scale[1]):
        raise ConfigError(f"{where} must be [lowest, highest] answer, e.g. [0, 10] (got {scale!r})")
    low = scale[0] + scale[1] - satisfied
    if not low < satisfied:
        raise ConfigError(
            f"satisfied threshold {satisfied:g} is not above the middle of the scale {list(scale)}, so it has no "
            "mirror image to count as dissatisfied; give dissatisfied= explicitly"
        )
    return low


def net_satisfaction(design, column, satisfied, dissatisfied=None, by=None, where=None, min_cell_size=None, *,
                     scale=None):
    """Share at or above ``satisfied`` minus share at or below ``dissatisfied``, by domain.

    The statistic is the domain mean of ``1{y >= satisfied} - 1{y <= dissatisfied}``,
    between -1 and 1, with a Student t interval; the frame adds the two
    shares (``share_satisfied``, ``share_dissatisfied``). Without
    ``dissatisfied``, ``scale=(lowest, highest)`` sets it to the mirror image
    of ``satisfied`` (:func:`mirror_threshold`).
    """
    _check_threshold("satisfied", satisfied)
    if dissatisfied is None:
        if scale is None:
            raise ConfigError(
                "net_satisfaction needs dissatisfied= (the highest answer counted as dissatisfied, e.g. satisfied=9, "
                "dissatisfied=6 on 0-10) or scale=(lowest, highest) to count as many bottom answers as top ones"
            )
        dissatisfied = mirror_threshold(satisfied, scale)
    _check_threshold("dissatisfied", dissatisfied)
    if not dissatisfied < satisfied:
        raise ConfigError(
            f"dissatisfied ({dissatisfied!r}) must be below satisfied ({satisfied!r}), e.g. satisfied=9, dissatisfied=6"
        )
    y, respond = _values(design, column)
    up = np.where(respond, y >= satisfied, 0.0).astype(float)
    down = np.where(respond, y <= dissatisfied, 0.0).astype(float)
    dom = domains(design, by, where)
    fit_ = fit(design, up - down, None, respond, dom, "mean")
    headline = headline_fit(design, up - down, None, respond, dom, "mean", fit_)
    code = np.where(respond, dom.code, -1)
    inside = code >= 0
    weight = np.bincount(code[inside], weights=design._w[inside], minlength=len(dom.labels))
    shares = {
        "share_satisfied": np.bincount(code[inside], weights=(design._w * up)[inside], minlength=len(dom.labels)) / weight,
        "share_dissatisfied": np.bincount(code[inside], weights=(design._w * down)[inside], minlength=len(dom.labels)) / weight,
    }
    return make_result(
        design, method=f"Net satisfaction on {column} (>= {satisfied:g} minus <= {dissatisfied:g})",
        statistic="net_satisfaction", column=column, dom=dom, fit_=fit_, headline=headline,
        terms_label=f"net_satisfaction({column}: >={satisfied:g} minus <={dissatisfied:g})",
        min_cell_size=min_cell_size, extra=shares,
    )


def _check_threshold(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not np.isfinite(value):
        raise ConfigError(f"{name} must be a finite number on the score's scale (got {value!r})")
