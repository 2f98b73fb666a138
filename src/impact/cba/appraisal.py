"""The appraisal: costs and benefits by category and year, and what they add up to.

An :class:`Appraisal` is immutable. It discounts each category's flows once
and keeps, for each category, its present value per unit of "level" (1 for an
ordinary category, one unit of effect for a benefit built from an estimate):
the NPV is then linear in the levels, so Monte Carlo draws, switching values
and the break-even effect are matrix products and linear equations, not
re-runs of the appraisal.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Mapping
from functools import cached_property

import numpy as np
import pandas as pd

from impact.cba.discounting import resolve_schedule, to_real
from impact.cba.flows import annuity_factor, as_flows, irr, payback_year, relative_years
from impact.cba.monetise import EffectBenefit, benefits_from_effect
from impact.data import check_choice
from impact.errors import ConfigError, DataError
from impact.results import DEFAULT_SEED, Summary

__all__ = ["Appraisal"]

RESIDUAL = "residual value"


def _money(x: float) -> str:
    """Amounts in a summary: thousands separators for large values, 4 significant digits for small ones."""
    if not math.isfinite(x):
        return str(x)
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def _close(name, options) -> str:
    close = difflib.get_close_matches(str(name), [str(o) for o in options], n=1, cutoff=0.5)
    return f"did you mean {close[0]!r}? " if close else ""


def _positive_number(value, name: str, minimum: float = 0.0, strict: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number (got {value!r})")
    if value < minimum or (strict and value == minimum):
        op = ">" if strict else ">="
        raise ConfigError(f"{name} must be {op} {minimum:g} (got {value!r})")
    return float(value)


class Appraisal:
    """A cost-benefit appraisal of an initiative.

    Parameters
    ----------
    costs, benefits : mapping of category -> flows
        Each category's flows by year (a ``{year: amount}`` mapping, a
        sequence starting at year 0, or a Series indexed by year), in money of
        one price base, costs as positive amounts. A benefit may also be an
        :class:`~impact.cba.EffectBenefit` from :func:`~impact.cba.benefits_from_effect`.
    rate, schedule :
        Constant discount rate, or a schedule name in
        :data:`~impact.cba.SCHEDULES` / a :class:`~impact.cba.DiscountSchedule`.
        Exactly one is required.
    base_year : int, optional
        The undiscounted year (default 0, or the first calendar year).
    mid_year : bool, default False
        Mid-year convention (flows of year ``t`` discounted by ``t - 1/2``).
    optimism_bias : float or mapping of cost category -> float, optional
        Uplift on cost categories (``0.24`` adds 24%), as in the Green Book's
        supplementary guidance on optimism bias; a float applies to every
        cost category.
    mcpf : float, default 1
        Marginal cost of public funds, as a factor on the public cost
        categories: 1.2 means each euro of public spending costs society
        1.2 euros (France uses 1.2 as its "cout d'opportunite des fonds
        publics"; the Green Book uses 1, i.e. no adjustment). Applied after
        optimism bias.
    public_costs : list of str, optional
        Cost categories paid from public funds (default: all of them); the
        MCPF applies to them and they form the denominator of
        :attr:`npv_per_public_euro`.
    residual_value : float or mapping, optional
        Value of assets at the end of the appraisal period, as a benefit in
        ``residual_year`` (default the last year), or ``{year: amount}``.
    prices : {"real", "nominal"}, default "real"
        Nominal flows are converted to real terms with ``deflator`` (a
        ``{year: index}`` mapping or a constant inflation rate) in the
        prices of ``price_base_year`` (default the base year). Unit values
        of benefits built from an estimate are taken to be in those real
        prices already and are not deflated.

    Notes
    -----
    ``NPV = PV(benefits) - PV(costs)`` where every category is discounted
    with the same factors; the costs include the optimism-bias uplift and the
    MCPF. The appraisal assumes the flows are additional to the
    counterfactual (what would have happened without the initiative) and in
    real terms; benefits built from an estimate inherit the estimator's
    identifying assumptions.

    References
    ----------
    HM Treasury (2022), The Green Book. France Strategie and Direction
    generale du Tresor (2017), Guide de l'evaluation socioeconomique des
    investissements publics. Boardman, Greenberg, Vining & Weimer (2018),
    Cost-Benefit Analysis: Concepts and Practice, 5th ed., Cambridge
    University Press, doi:10.1017/9781108235594.

    Examples
    --------
    >>> from impact.cba import Appraisal
    >>> a = Appraisal(costs={"build": {0: 100}}, benefits={"time saved": {1: 60, 2: 60}}, rate=0.05)
    >>> round(a.npv, 4), round(a.bcr, 4)
    (11.5646, 1.1156)
    """

    def __init__(
        self,
        costs: Mapping | None = None,
        benefits: Mapping | None = None,
        rate=None,
        schedule=None,
        *,
        base_year: int | None = None,
        mid_year: bool = False,
        optimism_bias=None,
        mcpf: float = 1.0,
        public_costs=None,
        residual_value=None,
        residual_year: int | None = None,
        prices: str = "real",
        deflator=None,
        price_base_year: int | None = None,
        name: str = "appraisal",
    ):
        self._inputs = dict(
            costs=costs, benefits=benefits, rate=rate, schedule=schedule, base_year=base_year, mid_year=mid_year,
            optimism_bias=optimism_bias, mcpf=mcpf, public_costs=public_costs, residual_value=residual_value,
            residual_year=residual_year, prices=prices, deflator=deflator, price_base_year=price_base_year, name=name,
        )
        self.name = str(name)
        self.schedule = resolve_schedule(rate, schedule)
        self.mid_year = bool(mid_year)
        self._build()
        self._frozen = True

    def __setattr__(self, name, value):
        if getattr(self, "_frozen", False):
            raise AttributeError(f"an Appraisal is immutable (cannot set {name!r}); use replace() or with_discounting()")
        object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ construction

    def _build(self) -> None:
        inp = self._inputs
        costs = self._categories(inp["costs"], "costs")
        benefits = self._categories(inp["benefits"], "benefits")
        clash = set(costs) & set(benefits)
        if clash:
            raise ConfigError(f"category {sorted(clash)[0]!r} is both a cost and a benefit; give categories distinct names")
        if not costs and not benefits:
            raise ConfigError("an appraisal needs at least one cost or benefit category")
        check_choice("prices", inp["prices"], ("real", "nominal"))

        cats, kinds, year_maps, effects = [], [], [], {}
        for kind, group in (("cost", costs), ("benefit", benefits)):
            for cat, flows in group.items():
                if isinstance(flows, EffectBenefit):
                    if kind == "cost":
                        raise ConfigError(f"cost category {cat!r} is an estimated effect; put effects among the benefits")
                    effects[cat] = flows
                    years, amounts = as_flows(flows.per_unit, f"benefits[{cat!r}]")
                else:
                    years, amounts = as_flows(flows, f"{kind}s[{cat!r}]")
                    if kind == "cost" and np.all(amounts <= 0) and np.any(amounts < 0):
                        raise DataError(
                            f"cost category {cat!r} holds only negative amounts; enter costs as positive amounts"
                        )
                cats.append(cat)
                kinds.append(kind)
                year_maps.append(dict(zip(years.tolist(), amounts.tolist())))

        residual = inp["residual_value"]
        if residual is not None:
            if RESIDUAL in cats:
                raise ConfigError(f"category name {RESIDUAL!r} is reserved for residual_value; rename the category")
            last = max(max(m) for m in year_maps)
            if isinstance(residual, Mapping):
                years, amounts = as_flows(residual, "residual_value")
                rmap = dict(zip(years.tolist(), amounts.tolist()))
            else:
                ryear = last if inp["residual_year"] is None else inp["residual_year"]
                if isinstance(ryear, bool) or not isinstance(ryear, (int, np.integer)):
                    raise ConfigError(f"residual_year must be a whole year such as {last} (got {ryear!r})")
                rmap = {int(ryear): _positive_number(residual, "residual_value", minimum=-math.inf)}
            cats.append(RESIDUAL)
            kinds.append("benefit")
            year_maps.append(rmap)

        all_years = sorted({y for m in year_maps for y in m})
        rel, base = relative_years(np.array(all_years), inp["base_year"])
        self.base_year = base
        first, last = min(all_years[0], base), all_years[-1]
        self.years = np.arange(first, last + 1)

        if inp["prices"] == "nominal":
            if inp["deflator"] is None:
                raise ConfigError("prices='nominal' needs a deflator ({year: index} or an inflation rate such as 0.02)")
            pbase = base if inp["price_base_year"] is None else int(inp["price_base_year"])
            year_maps = [
                m if cat in effects else to_real(m, inp["deflator"], pbase) for cat, m in zip(cats, year_maps)
            ]
            self.price_base_year = pbase
        else:
            self.price_base_year = base if inp["price_base_year"] is None else int(inp["price_base_year"])

        matrix = np.zeros((len(cats), len(self.years)))
        for i, m in enumerate(year_maps):
            idx = np.array(list(m)) - first
            matrix[i, idx] = list(m.values())

        cost_names = [c for c, k in zip(cats, kinds) if k == "cost"]
        uplift = self._per_cost_category(inp["optimism_bias"], cost_names, "optimism_bias", default=0.0)
        mcpf = _positive_number(inp["mcpf"], "mcpf", minimum=0.0, strict=True)
        public = cost_names if inp["public_costs"] is None else list(inp["public_costs"])
        for p in public:
            if p not in cost_names:
                raise ConfigError(f"public_costs names {p!r}, which is not a cost category; {_close(p, cost_names)}cost categories: {cost_names}")
        ob = np.array([uplift.get(c, 0.0) for c in cats])
        is_public = np.array([c in public for c in cats])
        factor = (1 + ob) * np.where(is_public, mcpf, 1.0)
        self._raw = matrix
        self._matrix = matrix * factor[:, None]
        self._public_factor = np.where(is_public, (1 + ob), 0.0)  # public money spent, before the MCPF

        self.categories = tuple(cats)
        self._kind = np.array(kinds)
        self._sign = np.where(self._kind == "cost", -1.0, 1.0)
        self._effects = effects
        self._level = np.array([effects[c].estimate if c in effects else 1.0 for c in cats])
        self.relative_years = self.years - base
        self.discount_factors = self.schedule.factors(self.relative_years, mid_year=self.mid_year)
        self._unit_pv = self._matrix @ self.discount_factors
        self._optimism_bias = uplift
        self._mcpf = mcpf
        self._public = tuple(public)

    @staticmethod
    def _categories(group, label: str) -> dict:
        if group is None:
            return {}
        if not isinstance(group, Mapping):
            raise ConfigError(f"{label} must be a mapping {{category: {{year: amount}}}} (got {type(group).__name__})")
        for cat in group:
            if not isinstance(cat, str) or not cat.strip():
                raise ConfigError(f"{label} category names must be non-empty strings (got {cat!r})")
        return dict(group)

    @staticmethod
    def _per_cost_category(value, cost_names, name: str, default: float) -> dict:
        if value is None:
            return {}
        if isinstance(value, Mapping):
            out = {}
            for cat, v in value.items():
                if cat not in cost_names:
                    raise ConfigError(
                        f"{name} names {cat!r}, which is not a cost category; {_close(cat, cost_names)}cost categories: {cost_names}"
                    )
                out[cat] = _positive_number(v, f"{name}[{cat!r}]")
            return out
        v = _positive_number(value, name)
        return {c: v for c in cost_names}

    def replace(self, **changes) -> "Appraisal":
        """A new appraisal with some constructor arguments changed (the original is untouched)."""
        unknown = set(changes) - set(self._inputs)
        if unknown:
            raise ConfigError(f"unknown Appraisal argument(s) {sorted(unknown)}; allowed: {sorted(self._inputs)}")
        inputs = {**self._inputs, **changes}
        if "rate" in changes and "schedule" not in changes:
            inputs["schedule"] = None
        if "schedule" in changes and "rate" not in changes:
            inputs["rate"] = None
        return Appraisal(**inputs)

    def with_discounting(self, rate=None, schedule=None, *, mid_year: bool | None = None) -> "Appraisal":
        """The same flows discounted with another rate or schedule."""
        mid = self.mid_year if mid_year is None else mid_year
        return self.replace(rate=rate, schedule=schedule, mid_year=mid)

    def scaled(self, multipliers: Mapping[str, float]) -> "Appraisal":
        """The same appraisal with some categories' flows multiplied (e.g. to check a switching value)."""
        self._check_categories(multipliers, "multipliers")
        costs = dict(self._inputs["costs"] or {})
        benefits = dict(self._inputs["benefits"] or {})
        residual = self._inputs["residual_value"]
        for cat, m in multipliers.items():
            m = float(m)
            if cat == RESIDUAL:
                residual = {y: v * m for y, v in residual.items()} if isinstance(residual, Mapping) else residual * m
                continue
            group = costs if cat in costs else benefits
            flows = group[cat]
            if isinstance(flows, EffectBenefit):
                group[cat] = dataclasses.replace(flows, per_unit={y: v * m for y, v in flows.per_unit.items()})
            else:
                years, amounts = as_flows(flows, cat)
                group[cat] = dict(zip(years.tolist(), (amounts * m).tolist()))
        return self.replace(costs=costs, benefits=benefits, residual_value=residual)

    def _check_categories(self, mapping, name: str) -> None:
        if not isinstance(mapping, Mapping):
            raise ConfigError(f"{name} must be a mapping {{category: ...}} (got {type(mapping).__name__})")
        for cat in mapping:
            if cat not in self.categories:
                raise ConfigError(
                    f"{name} names category {cat!r}, which is not in the appraisal; {_close(cat, self.categories)}"
                    f"categories: {list(self.categories)}"
                )

    @classmethod
    def from_dict(cls, spec: Mapping, effect=None) -> "Appraisal":
        """Build an appraisal from a plain mapping, such as the cost-benefit section of an initiative's YAML.

        Keys: ``rate`` or ``schedule`` (with ``beta`` for ``france_2021``),
        ``costs`` and ``benefits`` (``{category: {year: amount}}``),
        ``effect_benefits`` (``{category: {population, unit_value, first_year,
        last_year}}`` or ``years: [...]``, monetising ``effect``), and any
        keyword argument of :class:`Appraisal` (``base_year``, ``mid_year``,
        ``optimism_bias``, ``mcpf``, ``public_costs``, ``residual_value``,
        ``prices``, ``deflator``, ``price_base_year``, ``name``). ``effect`` is
        a result with ``estimate`` and ``se``, or a mapping from effect-benefit
        category to such results. Unknown keys raise :class:`ConfigError`.
        """
        from impact.cba.discounting import france_2021

        if not isinstance(spec, Mapping):
            raise ConfigError(f"the cost-benefit specification must be a mapping (got {type(spec).__name__})")
        spec = dict(spec)
        allowed = {"rate", "schedule", "beta", "costs", "benefits", "effect_benefits", "uncertain", "n_draws", "seed",
                   *(k for k in ("base_year", "mid_year", "optimism_bias", "mcpf", "public_costs", "residual_value",
                                 "residual_year", "prices", "deflator", "price_base_year", "name"))}
        unknown = [k for k in spec if k not in allowed]
        if unknown:
            raise ConfigError(f"unknown cost-benefit key {unknown[0]!r}; {_close(unknown[0], allowed)}allowed keys: {sorted(allowed)}")
        schedule = spec.pop("schedule", None)
        beta = spec.pop("beta", None)
        if beta is not None:
            if schedule not in (None, "france_2021"):
                raise ConfigError(f"beta applies to schedule 'france_2021' only (schedule is {schedule!r})")
            schedule = france_2021(beta)
        benefits = dict(spec.pop("benefits", None) or {})
        for cat, item in (spec.pop("effect_benefits", None) or {}).items():
            if cat in benefits:
                raise ConfigError(f"effect benefit {cat!r} is also a plain benefit; give it one name only")
            if not isinstance(item, Mapping):
                raise ConfigError(f"effect_benefits[{cat!r}] must be a mapping with population, unit_value and years")
            result = effect.get(cat) if isinstance(effect, Mapping) else effect
            if result is None:
                raise ConfigError(f"effect_benefits[{cat!r}] needs an estimate: pass effect= (a result with estimate and se)")
            item = dict(item)
            if "years" in item:
                years = item["years"]
            elif "first_year" in item and "last_year" in item:
                years = range(int(item["first_year"]), int(item["last_year"]) + 1)
            else:
                raise ConfigError(f"effect_benefits[{cat!r}] needs years: [...] or first_year and last_year")
            for key in ("population", "unit_value"):
                if key not in item:
                    raise ConfigError(f"effect_benefits[{cat!r}] needs {key}")
            benefits[cat] = benefits_from_effect(result, item["population"], item["unit_value"], years, label=cat)
        for key in ("uncertain", "n_draws", "seed"):
            spec.pop(key, None)  # Monte Carlo settings: read by the caller, see monte_carlo()
        return cls(benefits=benefits, schedule=schedule, **spec)

    # ------------------------------------------------------------------ headline numbers

    @property
    def pv_by_category(self) -> pd.Series:
        """Present value of each category (costs positive), including uplifts and MCPF."""
        return pd.Series(self._unit_pv * self._level, index=list(self.categories), name="pv")

    @property
    def pv_costs(self) -> float:
        return float((self._unit_pv * self._level)[self._kind == "cost"].sum())

    @property
    def pv_benefits(self) -> float:
        return float((self._unit_pv * self._level)[self._kind == "benefit"].sum())

    @property
    def npv(self) -> float:
        """Net present value: PV(benefits) - PV(costs)."""
        return float(self._sign @ (self._unit_pv * self._level))

    @property
    def bcr(self) -> float:
        """Benefit-cost ratio PV(benefits) / PV(costs); NaN when there are no costs."""
        return self.pv_benefits / self.pv_costs if self.pv_costs > 0 else math.nan

    @property
    def pv_public_costs(self) -> float:
        """Present value of public money spent (public cost categories, optimism bias included, MCPF excluded)."""
        return float((self._raw @ self.discount_factors * self._public_factor * self._level).sum())

    @property
    def npv_per_public_euro(self) -> float:
        """NPV per euro of public money spent (France's "VAN par euro public"); NaN without public costs."""
        public = self.pv_public_costs
        return self.npv / public if public > 0 else math.nan

    @cached_property
    def yearly(self) -> pd.DataFrame:
        """Flows by year and category at the point estimate (costs positive)."""
        values = self._matrix * self._level[:, None]
        return pd.DataFrame(values.T, index=pd.Index(self.years, name="year"), columns=list(self.categories))

    @property
    def net_flows(self) -> np.ndarray:
        return (self._matrix * (self._sign * self._level)[:, None]).sum(axis=0)

    @property
    def irr(self) -> float | None:
        """Internal rate of return of the net flows; ``None`` (with a warning) when not unique."""
        return irr(dict(zip(self.years.tolist(), self.net_flows.tolist())))

    @property
    def payback_year(self):
        """First year from which the cumulative discounted net flow stays >= 0; ``None`` if never."""
        return payback_year(self.years, self.net_flows, self.discount_factors)

    @property
    def equivalent_annual_value(self) -> float:
        """The constant yearly amount over years 1..T whose PV equals the NPV (T = last appraisal year).

        This is the Green Book's equivalent annual cost convention: ``NPV /
        sum_{t=1..T} DF(t)``, with the appraisal's own discounting.
        """
        horizon = int(self.relative_years.max())
        return self.npv / annuity_factor(horizon, schedule=self.schedule, mid_year=self.mid_year)

    def headline(self) -> dict:
        """Headline numbers as plain floats (NaN as ``None``), ready for ``summary.json``."""

        def clean(x):
            return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else x

        return {
            "npv": clean(self.npv),
            "pv_benefits": clean(self.pv_benefits),
            "pv_costs": clean(self.pv_costs),
            "bcr": clean(self.bcr),
            "npv_per_public_euro": clean(self.npv_per_public_euro),
            "irr": clean(_quiet_irr(self)),
            "payback_year": self.payback_year,
            "equivalent_annual_value": clean(self.equivalent_annual_value) if self.relative_years.max() >= 1 else None,
            "schedule": self.schedule.label(),
            "base_year": int(self.base_year),
        }

    def cost_effectiveness(self, outcome, *, discount: bool = True) -> float:
        """Cost per unit of outcome: PV(costs) / (discounted) outcome quantity.

        Parameters
        ----------
        outcome : float or flows
            A total quantity (used as it is) or quantities by year (e.g.
            QALYs, jobs, avoided visits), discounted with the appraisal's
            factors when ``discount`` is true, as the Green Book and NICE do
            for health outcomes.
        """
        if isinstance(outcome, (int, float, np.integer, np.floating)) and not isinstance(outcome, bool):
            total = float(outcome)
        else:
            years, amounts = as_flows(outcome, "outcome")
            rel = years - self.base_year
            if rel.min() < 0:
                raise ConfigError(f"outcome starts in year {years.min()}, before the base year {self.base_year}")
            total = float(amounts @ self.schedule.factors(rel, mid_year=self.mid_year)) if discount else float(amounts.sum())
        if not (math.isfinite(total) and total != 0):
            raise DataError(f"outcome quantity must be non-zero and finite (got {total!r})")
        return self.pv_costs / total

    # ------------------------------------------------------------------ uncertainty (see uncertainty.py)

    def monte_carlo(self, n: int = 10_000, seed=DEFAULT_SEED, uncertain=None, *, effect_uncertainty: bool = True, alpha: float = 0.05):
        """Monte Carlo distribution of the NPV; see :func:`impact.cba.uncertainty.monte_carlo`."""
        from impact.cba.uncertainty import monte_carlo

        return monte_carlo(self, n=n, seed=seed, uncertain=uncertain, effect_uncertainty=effect_uncertainty, alpha=alpha)

    def switching_values(self) -> pd.DataFrame:
        """Multiplier on each category's flows at which the NPV is zero; see :func:`impact.cba.uncertainty.switching_values`."""
        from impact.cba.uncertainty import switching_values

        return switching_values(self)

    def sensitivity(self, ranges=None, *, low: float = 0.8, high: float = 1.2, uncertain=None, quantiles=(0.05, 0.95), rates=None):
        """One-way sensitivity table (tornado); see :func:`impact.cba.uncertainty.sensitivity`."""
        from impact.cba.uncertainty import sensitivity

        return sensitivity(self, ranges, low=low, high=high, uncertain=uncertain, quantiles=quantiles, rates=rates)

    def break_even_effect(self, category: str | None = None):
        """Smallest effect at which NPV >= 0, beside the estimate's interval; see :func:`impact.cba.uncertainty.break_even_effect`."""
        from impact.cba.uncertainty import break_even_effect

        return break_even_effect(self, category)

    # ------------------------------------------------------------------ presentation

    def to_frame(self) -> pd.DataFrame:
        """Yearly table: year, costs, benefits, net, discount_factor, discounted_net, cumulative_discounted_net."""
        values = self._matrix * self._level[:, None]
        costs = values[self._kind == "cost"].sum(axis=0)
        benefits = values[self._kind == "benefit"].sum(axis=0)
        net = benefits - costs
        disc = net * self.discount_factors
        return pd.DataFrame(
            {
                "year": self.years,
                "costs": costs,
                "benefits": benefits,
                "net": net,
                "discount_factor": self.discount_factors,
                "discounted_net": disc,
                "cumulative_discounted_net": np.cumsum(disc),
            }
        )

    @cached_property
    def _summary(self) -> Summary:
        irr_value = _quiet_irr(self)
        header = [
            ("Discounting", f"{self.schedule.label()}, {'mid-year' if self.mid_year else 'end-of-year'}; base year {self.base_year} undiscounted"),
            ("Source", self.schedule.source or "user-supplied rate"),
            ("Years", f"{self.years[0]}-{self.years[-1]}, real prices of {self.price_base_year}"),
            ("PV benefits", _money(self.pv_benefits)),
            ("PV costs", _money(self.pv_costs)),
            ("NPV", _money(self.npv)),
            ("BCR", f"{self.bcr:.3g}"),
            ("NPV per public euro", f"{self.npv_per_public_euro:.3g}"),
            ("IRR", "not unique or none" if irr_value is None else f"{irr_value:.2%}"),
            ("Discounted payback", "never" if self.payback_year is None else str(self.payback_year)),
            ("Equivalent annual value", _money(self.equivalent_annual_value) if len(self.years) > 1 else "-"),
        ]
        if self._optimism_bias:
            header.append(("Optimism bias", ", ".join(f"{c} +{v:.0%}" for c, v in self._optimism_bias.items())))
        if self._mcpf != 1:
            header.append(("MCPF", f"{self._mcpf:g} on {', '.join(self._public)}"))
        table = pd.DataFrame(
            {
                "category": list(self.categories),
                "kind": self._kind,
                "pv": self._unit_pv * self._level,
                "undiscounted": self._matrix.sum(axis=1) * self._level,
            }
        )
        notes = ["Flows are additional to the counterfactual and in real terms; costs include optimism bias and MCPF."]
        for cat, eff in self._effects.items():
            lo, hi = eff.interval
            notes.append(
                f"{cat!r} monetises an estimated effect of {eff.estimate:.4g} (SE {eff.se:.4g}, "
                f"{100 * (1 - eff.alpha):g}% CI [{lo:.4g}, {hi:.4g}]), assumed to persist over {min(eff.per_unit)}-{max(eff.per_unit)}."
            )
        return Summary(f"Cost-benefit appraisal: {self.name}", tuple(header), table, tuple(notes))

    def summary(self) -> str:
        """Text summary: discounting and its source, PVs, NPV, BCR, IRR, payback, and PV by category."""
        return self._summary.as_text()

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return f"Appraisal({self.name!r}, npv={self.npv:.4g}, bcr={self.bcr:.3g}, schedule={self.schedule.label()!r})"

    def _repr_html_(self) -> str:
        return self._summary.as_html()

    def plot(self, ax=None, **kwargs):
        """Cumulative discounted net cash flow by year, with the payback year marked; returns the Axes."""
        from impact.cba.plots import cumulative_plot

        return cumulative_plot(self.to_frame(), payback=self.payback_year, ax=ax, **kwargs)


def _quiet_irr(appraisal: Appraisal):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return appraisal.irr
