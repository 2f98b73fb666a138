"""Discount rates, official discount schedules, discount factors and deflators.

A :class:`DiscountSchedule` gives the annual discount rate for each year after
the base year; a constant rate is a schedule with one band. Factors follow the
compounding convention of the UK Green Book for stepped schedules: the factor
for year ``t`` is ``prod_{s=1..t} 1 / (1 + r_s)``, where ``r_s`` is the rate of
the band that year ``s`` belongs to, so that a new band continues compounding
from the factor reached at the end of the previous one (it does not restart
``(1 + r)^-t`` at the new rate). Year 0 is undiscounted.

:data:`SCHEDULES` holds named official schedules; each one's docstring names
its source. Flows are in real terms (constant prices) unless deflated
otherwise: :func:`to_real` converts nominal flows with a deflator series.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from impact.errors import ConfigError, DataError

__all__ = [
    "DiscountSchedule",
    "SCHEDULES",
    "constant",
    "stepped",
    "france_2021",
    "discount_factors",
    "resolve_schedule",
    "check_rate",
    "to_real",
]


def check_rate(value, name: str = "rate") -> float:
    """A discount rate as a fraction in [0, 1); the message says how to fix it."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ConfigError(f"{name} must be a number such as 0.035 for 3.5% (got {value!r})")
    value = float(value)
    if not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number such as 0.035 for 3.5% (got {value!r})")
    if value < 0:
        raise ConfigError(f"{name} must be zero or positive (got {value!r}); a social discount rate is a fraction such as 0.035")
    if value >= 1:
        raise ConfigError(
            f"{name} must be a fraction below 1 (got {value!r}); for {value:g}% pass {value / 100:g}"
        )
    return value


@dataclass(frozen=True)
class DiscountSchedule:
    """Annual discount rates by band of years after the base year.

    ``bands`` is a tuple of ``(first_year, rate)`` pairs, sorted, the first
    starting at year 0 or 1: the rate of a band applies to every year from
    its ``first_year`` up to the year before the next band starts, and the
    last band applies for ever after. ``source`` cites the guidance.
    """

    name: str
    bands: tuple[tuple[int, float], ...]
    source: str = ""
    description: str = field(default="", repr=False)

    def __post_init__(self):
        if not self.bands:
            raise ConfigError(f"discount schedule {self.name!r} has no bands; give at least one (first_year, rate) pair")
        starts = [b[0] for b in self.bands]
        if starts[0] not in (0, 1) or any(b <= a for a, b in zip(starts, starts[1:])):
            raise ConfigError(
                f"discount schedule {self.name!r}: band start years must increase from 0 or 1 (got {starts})"
            )
        for start, rate in self.bands:
            check_rate(rate, f"rate of the band starting in year {start} of schedule {self.name!r}")
        # Each named schedule documents itself: what it is and where it comes from.
        doc = " ".join(part for part in (self.description, f"Source: {self.source}." if self.source else "") if part)
        if doc:
            object.__setattr__(self, "__doc__", doc)

    @property
    def is_constant(self) -> bool:
        return len(self.bands) == 1

    def rates(self, years) -> np.ndarray:
        """Rate that applies to each year ``t`` (the step from ``t-1`` to ``t``)."""
        years = np.asarray(years)
        starts = np.array([b[0] for b in self.bands])
        rates = np.array([b[1] for b in self.bands], dtype=float)
        # Year 0 and 1 both fall in the first band.
        idx = np.searchsorted(starts, np.maximum(years, starts[0]), side="right") - 1
        return rates[idx]

    def factors(self, years, mid_year: bool = False) -> np.ndarray:
        """Discount factors for years counted from the base year (0 = undiscounted).

        With ``mid_year`` the flows of year ``t >= 1`` are taken to arrive in
        the middle of the year, at ``t - 1/2``: half a year's discounting at
        year ``t``'s rate on top of the factor for ``t - 1``. Year 0 stays 1.
        """
        years = np.asarray(years)
        if years.size == 0:
            return np.zeros(0)
        if not np.issubdtype(years.dtype, np.integer):
            if not np.all(np.isfinite(years)) or np.any(years != np.round(years)):
                raise ConfigError(f"years must be whole numbers counted from the base year (got {years.tolist()[:5]})")
            years = years.astype(np.int64)
        if years.min() < 0:
            raise ConfigError(
                f"years must be 0 or later, counted from the base year (got {int(years.min())}); "
                "choose an earlier base_year to discount earlier flows"
            )
        horizon = int(years.max())
        log_step = np.log1p(self.rates(np.arange(1, horizon + 1)))
        cum = np.concatenate([[0.0], np.cumsum(log_step)])  # cum[t] = sum_{s<=t} log(1+r_s)
        if not mid_year:
            return np.exp(-cum[years])
        prev = cum[np.maximum(years - 1, 0)]
        half = 0.5 * np.concatenate([[0.0], log_step])[years]
        return np.where(years == 0, 1.0, np.exp(-(prev + half)))

    def label(self) -> str:
        if self.is_constant:
            return f"{self.name} ({100 * self.bands[0][1]:g}%)" if self.name != "constant" else f"constant {100 * self.bands[0][1]:g}%"
        return self.name


def constant(rate: float, name: str = "constant", source: str = "") -> DiscountSchedule:
    """A single rate for every year."""
    return DiscountSchedule(name, ((0, check_rate(rate)),), source)


def stepped(bands: Mapping[int, float], name: str = "stepped", source: str = "") -> DiscountSchedule:
    """A stepped schedule from ``{first_year: rate}``, e.g. ``{0: 0.035, 31: 0.03, 76: 0.025}``."""
    if not isinstance(bands, Mapping) or not bands:
        raise ConfigError(f"bands must be a non-empty mapping {{first_year: rate}} (got {bands!r})")
    pairs = []
    for start, rate in bands.items():
        try:
            start_int = int(start)
        except (TypeError, ValueError):
            raise ConfigError(f"band start {start!r} of schedule {name!r} must be a whole year number") from None
        pairs.append((start_int, check_rate(rate, f"rate for the band starting in year {start_int}")))
    return DiscountSchedule(name, tuple(sorted(pairs)), source)


_GREEN_BOOK_SOURCE = (
    "HM Treasury (2022), The Green Book: Central Government Guidance on Appraisal and Evaluation, "
    "Annex A6 (Discounting), table of long-term discount rates (first published as Table 6.1 of Annex 6, 2003)"
)

_UK_GREEN_BOOK = DiscountSchedule(
    "uk_green_book",
    ((0, 0.035), (31, 0.030), (76, 0.025), (126, 0.020), (201, 0.015), (301, 0.010)),
    _GREEN_BOOK_SOURCE,
    "Social time preference rate of 3.5% for years 0-30, declining to 3.0% (31-75), 2.5% (76-125), "
    "2.0% (126-200), 1.5% (201-300) and 1.0% (301 and after).",
)

_UK_GREEN_BOOK_HEALTH = DiscountSchedule(
    "uk_green_book_health",
    ((0, 0.015), (31, 0.0129), (76, 0.0107), (126, 0.0086), (201, 0.0064), (301, 0.0043)),
    _GREEN_BOOK_SOURCE + "; health rate (STPR without the wealth effect)",
    "Rate for health and life values (QALYs, VPF): 1.5% for years 0-30, then 1.29%, 1.07%, 0.86%, 0.64%, 0.43% "
    "in the same bands as the standard schedule.",
)

_FRANCE_SOURCE = (
    "France Strategie (2021), Guide de l'evaluation socioeconomique des investissements publics, "
    "Complement operationnel I: Revision du taux d'actualisation (valide le 21 octobre 2021)"
)


def france_2021(beta: float = 1.0) -> DiscountSchedule:
    """French public discount rate (France Strategie, 2021): 1.2% risk-free plus ``beta`` x 2% risk premium.

    Parameters
    ----------
    beta : float, default 1
        The project's socio-economic beta: the elasticity of its net benefits
        to GDP per head (its exposure to macroeconomic, systematic risk).
        ``beta = 1`` (3.2%) is the convention when it cannot be estimated;
        ``beta = 0`` gives the risk-free 1.2%; a project whose benefits rise
        when the economy falters (e.g. hospital demand) has a negative beta.

    Notes
    -----
    The rate is ``0.012 + 0.02 * beta``, constant over the horizon. The 2021
    revision also discusses flows in the very long run (beyond 2070); that
    treatment is **not** encoded here: check the Complement operationnel I
    before appraising flows that far ahead, and pass a :func:`stepped`
    schedule if it applies.

    References
    ----------
    France Strategie (2021), Revision du taux d'actualisation, Complement
    operationnel I au Guide de l'evaluation socioeconomique des
    investissements publics.
    """
    if isinstance(beta, bool) or not isinstance(beta, (int, float, np.integer, np.floating)) or not math.isfinite(beta):
        raise ConfigError(f"beta must be a finite number, 1 by convention (got {beta!r})")
    rate = 0.012 + 0.02 * float(beta)
    if rate < 0:
        raise ConfigError(f"beta = {beta!r} gives a negative discount rate ({rate:.2%}); beta must be at least -0.6")
    name = "france_2021" if beta == 1 else f"france_2021(beta={beta:g})"
    return DiscountSchedule(
        name,
        ((0, rate),),
        _FRANCE_SOURCE,
        f"1.2% risk-free + {beta:g} x 2% risk premium = {100 * rate:.2f}%.",
    )


_OMB_2003 = "US Office of Management and Budget (2003), Circular A-4: Regulatory Analysis, section E (Discount Rates)"
_OMB_2023 = "US Office of Management and Budget (2023), Circular A-4: Regulatory Analysis (revised 9 November 2023), section on discount rates"
_EU_2014 = (
    "European Commission, DG REGIO (2014), Guide to Cost-Benefit Analysis of Investment Projects: "
    "Economic appraisal tool for Cohesion Policy 2014-2020, section 2.8; Commission Delegated Regulation (EU) No 480/2014, art. 19"
)

_REGISTRY = {
    "uk_green_book": _UK_GREEN_BOOK,
    "uk_green_book_health": _UK_GREEN_BOOK_HEALTH,
    "france_2021": france_2021(1.0),
    "us_omb_a4_2003": DiscountSchedule(
        "us_omb_a4_2003", ((0, 0.07),), _OMB_2003,
        "7% real (the average pre-tax return on private capital, A-4's base case); A-4 asks for results at "
        "both 7% and 3%: see 'us_omb_a4_2003_3'.",
    ),
    "us_omb_a4_2003_7": DiscountSchedule("us_omb_a4_2003_7", ((0, 0.07),), _OMB_2003, "7% real (opportunity cost of capital)."),
    "us_omb_a4_2003_3": DiscountSchedule("us_omb_a4_2003_3", ((0, 0.03),), _OMB_2003, "3% real (consumption rate of interest)."),
    "us_omb_a4_2023": DiscountSchedule(
        "us_omb_a4_2023", ((0, 0.02),), _OMB_2023,
        "2.0% real (consumption rate of interest, to be updated every three years). Check which version of "
        "A-4 is in force for your analysis.",
    ),
    "eu_2014": DiscountSchedule(
        "eu_2014", ((0, 0.03),), _EU_2014,
        "Social discount rate of 3% real recommended for Member States outside the Cohesion countries; "
        "see 'eu_2014_cohesion' (5%) and 'eu_2014_financial' (4%, financial analysis).",
    ),
    "eu_2014_cohesion": DiscountSchedule("eu_2014_cohesion", ((0, 0.05),), _EU_2014, "Social discount rate of 5% real for Cohesion countries."),
    "eu_2014_financial": DiscountSchedule("eu_2014_financial", ((0, 0.04),), _EU_2014, "Financial discount rate of 4% real."),
}


class _Schedules(Mapping):
    """Read-only registry of named schedules; an unknown name suggests close ones."""

    def __init__(self, entries: dict[str, DiscountSchedule]):
        self._entries = dict(entries)

    def __getitem__(self, name: str) -> DiscountSchedule:
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            close = difflib.get_close_matches(str(name), list(self._entries), n=3, cutoff=0.5)
            hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
            raise ConfigError(
                f"unknown discount schedule {name!r}; {hint}known schedules: {', '.join(self._entries)}"
            ) from None

    def get(self, name, default=None):
        return self._entries.get(name, default)

    def __iter__(self):
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return "SCHEDULES(" + ", ".join(self._entries) + ")"

    def table(self) -> pd.DataFrame:
        """One row per schedule and band: name, first year, rate, source."""
        rows = [
            {"schedule": key, "first_year": start, "rate": rate, "source": s.source}
            for key, s in self._entries.items()
            for start, rate in s.bands
        ]
        return pd.DataFrame(rows)


#: Named official discount schedules. Each entry's ``source`` cites the guidance:
#:
#: - ``uk_green_book``: HM Treasury Green Book, 3.5% (years 0-30), 3.0% (31-75), 2.5% (76-125),
#:   2.0% (126-200), 1.5% (201-300), 1.0% (301+); ``uk_green_book_health``: 1.5% declining to 0.43%.
#: - ``france_2021``: France Strategie 2021, 1.2% + beta x 2% with beta = 1 (3.2%); other betas via
#:   :func:`france_2021`.
#: - ``us_omb_a4_2003`` (7%, with ``_7`` and ``_3`` variants) and ``us_omb_a4_2023`` (2%).
#: - ``eu_2014`` (3%), ``eu_2014_cohesion`` (5%), ``eu_2014_financial`` (4%): DG REGIO 2014 guide.
SCHEDULES = _Schedules(_REGISTRY)


def resolve_schedule(rate=None, schedule=None) -> DiscountSchedule:
    """The schedule meant by ``rate=`` or ``schedule=`` (exactly one of them).

    ``schedule`` may be a name in :data:`SCHEDULES`, a :class:`DiscountSchedule`
    or a ``{first_year: rate}`` mapping for a custom stepped schedule.
    """
    if rate is not None and schedule is not None:
        raise ConfigError(
            f"give either rate= or schedule=, not both (got rate={rate!r}, schedule={schedule!r})"
        )
    if rate is None and schedule is None:
        raise ConfigError(
            "no discount rate: pass rate= (e.g. 0.035) or schedule= (one of "
            f"{', '.join(SCHEDULES)}); an appraisal must state its discounting"
        )
    if rate is not None:
        return constant(rate)
    if isinstance(schedule, DiscountSchedule):
        return schedule
    if isinstance(schedule, str):
        return SCHEDULES[schedule]
    if isinstance(schedule, Mapping):
        return stepped(schedule)
    raise ConfigError(
        f"schedule must be a name such as 'uk_green_book', a DiscountSchedule or a {{first_year: rate}} mapping "
        f"(got {type(schedule).__name__})"
    )


def discount_factors(years, rate=None, schedule=None, *, mid_year: bool = False) -> np.ndarray:
    """Discount factors for years counted from the base year.

    Parameters
    ----------
    years : int or array-like of int
        Years after the base year; year 0 is undiscounted.
    rate : float, optional
        A constant annual rate, e.g. ``0.035``.
    schedule : str, DiscountSchedule or mapping, optional
        A name in :data:`SCHEDULES`, a schedule, or ``{first_year: rate}``.
    mid_year : bool, default False
        Flows arrive mid-year (``t - 1/2``) instead of at the end of year ``t``.

    Returns
    -------
    numpy.ndarray or float
        ``prod_{s=1..t} (1 + r_s)^-1`` for each year ``t`` (a float for a single year).

    Examples
    --------
    >>> from impact.cba import discount_factors
    >>> discount_factors([0, 1, 2], rate=0.05).round(4).tolist()
    [1.0, 0.9524, 0.907]
    """
    sched = resolve_schedule(rate, schedule)
    arr = np.atleast_1d(np.asarray(years))
    out = sched.factors(arr, mid_year=bool(mid_year))
    return float(out[0]) if np.ndim(years) == 0 else out


def to_real(flows: Mapping, deflator, base_year: int) -> dict:
    """Convert nominal flows ``{year: amount}`` to real terms in the prices of ``base_year``.

    Parameters
    ----------
    flows : mapping
        ``{year: nominal amount}``.
    deflator : mapping, pandas Series or float
        A price index by year covering every year of ``flows`` and
        ``base_year`` (e.g. a GDP deflator), or a constant annual inflation
        rate such as ``0.02``.
    base_year : int
        The price base: real amounts are in ``base_year`` prices.

    Returns
    -------
    dict
        ``{year: nominal * index[base_year] / index[year]}``.
    """
    if isinstance(deflator, (int, float, np.integer, np.floating)) and not isinstance(deflator, bool):
        infl = float(deflator)
        if not math.isfinite(infl) or infl <= -1:
            raise ConfigError(f"inflation rate must be a finite number above -1 (got {deflator!r})")
        return {y: float(v) / (1 + infl) ** (int(y) - int(base_year)) for y, v in flows.items()}
    if isinstance(deflator, pd.Series):
        deflator = deflator.to_dict()
    if not isinstance(deflator, Mapping):
        raise ConfigError(
            f"deflator must be a {{year: index}} mapping, a pandas Series or an inflation rate (got {type(deflator).__name__})"
        )
    index = {}
    for y, v in deflator.items():
        try:
            index[int(y)] = float(v)
        except (TypeError, ValueError):
            raise DataError(f"deflator value for year {y!r} is not a number ({v!r})") from None
    needed = sorted({int(y) for y in flows} | {int(base_year)})
    missing = [y for y in needed if y not in index]
    if missing:
        raise DataError(
            f"deflator has no value for year(s) {missing}; it must cover every year of the flows and the price base year {base_year}"
        )
    bad = [y for y in needed if not (index[y] > 0 and math.isfinite(index[y]))]
    if bad:
        raise DataError(f"deflator must be positive; check year(s) {bad}")
    return {y: float(v) * index[int(base_year)] / index[int(y)] for y, v in flows.items()}
