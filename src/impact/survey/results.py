"""The result of a survey estimate: one row per domain (or level), masked where too few answered.

A :class:`SurveyResult` is an :class:`impact.results.EffectResult` (same
headline fields, summary, HTML and plot protocol) with the survey's own
fields: the statistic, the design's degrees of freedom, the design effect,
and the publication threshold ``min_cell_size``. Its ``terms`` keep every
number; :meth:`SurveyResult.to_frame`, the summary and the plot mask the
rows resting on fewer than ``min_cell_size`` respondents, with a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from impact.errors import ConfigError
from impact.results import EffectResult, Summary, _fmt

__all__ = ["SurveyResult", "MASKED_COLUMNS", "FRAME_COLUMNS"]

#: Columns set to NaN in a masked row.
MASKED_COLUMNS = ("estimate", "se", "ci_low", "ci_high", "pvalue", "deff")

#: Columns of ``to_frame()`` after :data:`impact.results.TERM_COLUMNS` and the ``by`` column
#: (``level`` only for proportions by level).
FRAME_COLUMNS = ("n_obs", "n_missing", "df", "deff", "masked")


@dataclass(frozen=True, kw_only=True)
class SurveyResult(EffectResult):
    """Design-based estimate(s) of one statistic, by domain or level.

    ``to_frame()`` has one row per domain (a column named after ``by``) or
    per level (a ``level`` column) with ``term, estimate, se, ci_low,
    ci_high, pvalue`` then ``n_obs`` (respondents in the domain),
    ``n_missing`` (item non-response in the domain), ``df``, ``deff`` and
    ``masked``. The headline fields (``estimate``, ``se``, ...) give the
    statistic over all respondents in ``where`` (for :meth:`compare`, the
    difference; for a categorical proportion without ``level``, its first
    level). ``deff`` is the headline design effect, ``df`` the degrees of
    freedom of every interval.
    """

    statistic: str
    column: str
    by: str | tuple[str, ...] | None = None
    df: float
    deff: float
    min_cell_size: int = 11
    design: str = ""

    def to_frame(self, masked: bool = True) -> pd.DataFrame:
        """Tidy frame, one row per domain or level; ``masked=False`` shows the small cells too.

        Masked rows keep their ``n_obs`` and have NaN estimates so that a
        table prints a dash and a plot leaves a gap.
        """
        if not isinstance(masked, (bool, np.bool_)):
            raise ConfigError(f"masked must be True or False (got {masked!r})")
        frame = self.terms.copy()
        if masked and frame["masked"].any():
            hidden = list(MASKED_COLUMNS) + [c for c in frame.columns if str(c).startswith("share_")]
            frame.loc[frame["masked"], hidden] = np.nan
        return frame

    @property
    def n_masked(self) -> int:
        """Number of rows masked for resting on fewer than ``min_cell_size`` respondents."""
        return int(self.terms["masked"].sum())

    @cached_property
    def _summary(self) -> Summary:
        level = f"{100 * (1 - self.alpha):g}%"
        header = [
            ("Statistic", self.method),
            ("Design", self.design),
            ("Estimate" if self.by is None or self.statistic == "difference" else "Estimate, all respondents",
             _fmt(self.estimate)),
            ("Std. error", _fmt(self.se)),
            (f"{level} CI", f"[{_fmt(self.ci_low)}, {_fmt(self.ci_high)}] (Student t, {_fmt(self.df)} df)"),
            ("Design effect", _fmt(self.deff)),
            ("Respondents", _fmt(self.n_obs)),
        ]
        header += [(k, str(v)) for k, v in self.assumptions.items()]
        notes = list(self.notes)
        # rows without an estimate at all (a ratio over a zero denominator) are explained by their own note
        small = int((self.terms["masked"] & self.terms["estimate"].notna()).sum())
        if small:
            notes.append(
                f"{small} estimate(s) resting on fewer than {self.min_cell_size} respondents "
                "are masked (min_cell_size)."
            )
        return Summary(self.method, tuple(header), self.to_frame(), tuple(notes))

    def plot(self, ax=None, color: str = "C0", label: str | None = None):
        """Point-and-interval plot, one row per domain or level; masked rows are left empty.

        A reference line at zero is drawn only for a difference (``compare``).
        """
        import matplotlib.pyplot as plt

        frame = self.to_frame()
        if label is not None:
            if label not in frame.columns:
                raise ConfigError(f"label must be a column of to_frame() naming each row, e.g. "
                                  f"{self.by if isinstance(self.by, str) else 'term'!r} (got {label!r})")
            keys = [label]
        elif isinstance(self.by, tuple):
            keys = list(self.by)
        elif self.by is not None:
            keys = [self.by]
        else:
            keys = ["level"] if "level" in frame.columns else ["term"]
        parts = frame[keys].astype(object).where(frame[keys].notna(), None)
        names = [
            ", ".join(str(v) for v in row if v is not None) or term
            for row, term in zip(parts.itertuples(index=False), frame["term"])
        ]
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.6 + 0.45 * len(frame)))
        y = np.arange(len(frame))
        ax.errorbar(
            frame["estimate"], y,
            xerr=[frame["estimate"] - frame["ci_low"], frame["ci_high"] - frame["estimate"]],
            fmt="o", color=color, capsize=3,
        )
        ax.set_yticks(y, names)
        ax.invert_yaxis()
        if self.statistic == "difference":
            ax.axvline(0, color="grey", lw=0.8, ls="--")
        ax.set_xlabel(f"{self.statistic} of {self.column} ({100 * (1 - self.alpha):g}% CI)")
        if self.n_masked:
            ax.set_title(f"{self.n_masked} masked: fewer than {self.min_cell_size} respondents", fontsize=9)
        return ax
