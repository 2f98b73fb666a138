"""Report labels and number formats in English and French.

French typography: thin no-break space as thousands separator, comma as
decimal mark (``1 234,5``), a no-break space before ``%`` and the currency.
"""

from __future__ import annotations

import math

__all__ = ["LABELS", "labels", "fmt_number", "fmt_money", "fmt_pct", "fmt_interval", "check_lang"]

LANGS = ("en", "fr")

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "report": "Evaluation report",
        "what_was_done": "What was done",
        "design": "Design and data",
        "trends": "Trends in treated and comparison units",
        "headline": "Estimated effect",
        "robustness": "Robustness: other estimators",
        "event_study": "Effect over time (event study)",
        "synthetic": "The pilot site and its synthetic comparison",
        "synthetic_text": "The synthetic comparison is a weighted mix of {n} comparison units ({top}). Its pre-pilot fit error (RMSPE) is {rmspe}. Placebo test: the pilot's post/pre fit ratio ranks {rank} of {total} ({p}).",
        "assumptions": "Do the assumptions hold?",
        "cost_benefit": "Costs and benefits",
        "monte_carlo": "Uncertainty in the appraisal",
        "verdict": "Verdict",
        "appendix": "Appendix: provenance",
        "units": "Units",
        "treated_units": "Treated units",
        "comparison_units": "Comparison units",
        "periods": "Periods",
        "observations": "Observations",
        "adoption": "Adoption dates",
        "outcome": "Outcome",
        "estimator": "Estimator",
        "estimate": "Estimate",
        "std_error": "Std. error",
        "ci": "95% interval",
        "pvalue": "p-value",
        "note": "Note",
        "treated": "treated",
        "comparison": "comparison",
        "event_time": "periods since adoption",
        "effect": "effect",
        "pv_costs": "Present value of costs",
        "pv_benefits": "Present value of benefits",
        "npv": "Net present value",
        "bcr": "Benefit-cost ratio",
        "prob_negative": "Probability that NPV < 0",
        "break_even": "Break-even effect",
        "irr": "Internal rate of return",
        "payback": "Discounted payback year",
        "masked": "{n} values based on fewer than {k} units or people are masked (shown as '–').",
        "pretrend": "Joint test that all pre-adoption effects are zero: p = {p}.",
        "pretrend_fail": "Pre-adoption effects are jointly different from zero (p = {p}): the parallel-trends assumption is doubtful.",
        "pretrend_ok": "No evidence against parallel trends before adoption (p = {p}); this does not prove them.",
        "honest_rm": "Sensitivity (Rambachan & Roth 2023): the average effect over the first {k} periods after adoption remains different from zero as long as departures from parallel trends after adoption are at most {bd} times the largest departure seen before adoption.",
        "honest_inf": "Sensitivity (Rambachan & Roth 2023): the average effect over the first {k} periods after adoption remains different from zero for every bound tried on departures from parallel trends relative to those seen before adoption.",
        "honest_none": "Sensitivity (Rambachan & Roth 2023): the usual interval already includes zero, so no departure from parallel trends is needed to overturn the conclusion.",
        "honest_na": "Sensitivity analysis (Rambachan & Roth 2023) needs an event study normalised to the period before adoption; none is available for this design.",
        "v_effect": "The {outcome} changed by {est} (95% interval {lo} to {hi}) because of the initiative, according to {method}.",
        "v_zero": "The interval includes zero: the data cannot rule out that the initiative had no effect.",
        "v_good": "The change is in the intended direction and statistically clear at the 5% level.",
        "v_bad": "The change goes against the intended direction.",
        "v_npv_pos": "Discounted benefits exceed costs: NPV {npv}, benefit-cost ratio {bcr}.",
        "v_npv_neg": "Discounted costs exceed benefits: NPV {npv}, benefit-cost ratio {bcr}.",
        "v_risk": "Allowing for uncertainty in the effect and the costs, the probability of a negative NPV is {p}.",
        "v_breakeven": "The initiative pays for itself if the effect is at least {be} in absolute value; the least favourable end of the interval is {edge}.",
        "v_depends": "All benefits come from monetising the effect: NPV would fall to zero if that value were {pct} lower than assumed.",
        "v_pretrend": "Caution: trends before adoption differed, so the estimate may be biased.",
        "failed": "This report could not be produced",
        "failed_cell": "Failing step",
        "status": "Status",
        "initiative": "Initiative",
        "generated": "Generated",
        "data_sha": "Data SHA-256",
        "config_sha": "Configuration SHA-256",
        "versions": "Package versions",
        "commit": "Commit",
        "seed": "Seed",
        "parameters": "Parameters",
        "index_title": "Evaluation portfolio",
        "report_link": "report",
    },
    "fr": {
        "report": "Rapport d'évaluation",
        "what_was_done": "Ce qui a été fait",
        "design": "Protocole et données",
        "trends": "Évolution des unités traitées et témoins",
        "headline": "Effet estimé",
        "robustness": "Robustesse : autres estimateurs",
        "event_study": "Effet dans le temps (étude d'événement)",
        "synthetic": "Le site pilote et son témoin synthétique",
        "synthetic_text": "Le témoin synthétique est une combinaison pondérée de {n} unités ({top}). Son erreur d'ajustement avant le pilote (RMSPE) est de {rmspe}. Test placebo : le ratio après/avant du pilote est classé {rank} sur {total} ({p}).",
        "assumptions": "Les hypothèses tiennent-elles ?",
        "cost_benefit": "Coûts et bénéfices",
        "monte_carlo": "Incertitude de l'évaluation socio-économique",
        "verdict": "Conclusion",
        "appendix": "Annexe : traçabilité",
        "units": "Unités",
        "treated_units": "Unités traitées",
        "comparison_units": "Unités témoins",
        "periods": "Périodes",
        "observations": "Observations",
        "adoption": "Dates d'adoption",
        "outcome": "Indicateur",
        "estimator": "Estimateur",
        "estimate": "Estimation",
        "std_error": "Erreur type",
        "ci": "Intervalle à 95 %",
        "pvalue": "p-valeur",
        "note": "Remarque",
        "treated": "traitées",
        "comparison": "témoins",
        "event_time": "périodes depuis l'adoption",
        "effect": "effet",
        "pv_costs": "Valeur actualisée des coûts",
        "pv_benefits": "Valeur actualisée des bénéfices",
        "npv": "Valeur actualisée nette",
        "bcr": "Ratio bénéfices/coûts",
        "prob_negative": "Probabilité que la VAN soit négative",
        "break_even": "Effet d'équilibre",
        "irr": "Taux de rentabilité interne",
        "payback": "Année de retour sur investissement (actualisé)",
        "masked": "{n} valeurs reposant sur moins de {k} unités ou personnes sont masquées (affichées « – »).",
        "pretrend": "Test joint de nullité des effets avant l'adoption : p = {p}.",
        "pretrend_fail": "Les effets avant l'adoption sont conjointement différents de zéro (p = {p}) : l'hypothèse de tendances parallèles est douteuse.",
        "pretrend_ok": "Rien ne contredit les tendances parallèles avant l'adoption (p = {p}), ce qui ne les prouve pas.",
        "honest_rm": "Sensibilité (Rambachan et Roth, 2023) : l'effet moyen sur les {k} premières périodes après l'adoption reste différent de zéro tant que les écarts aux tendances parallèles après l'adoption ne dépassent pas {bd} fois le plus grand écart observé avant l'adoption.",
        "honest_inf": "Sensibilité (Rambachan et Roth, 2023) : l'effet moyen sur les {k} premières périodes après l'adoption reste différent de zéro pour toutes les bornes essayées sur les écarts aux tendances parallèles, rapportés à ceux observés avant l'adoption.",
        "honest_none": "Sensibilité (Rambachan et Roth, 2023) : l'intervalle usuel contient déjà zéro ; aucun écart aux tendances parallèles n'est nécessaire pour remettre en cause la conclusion.",
        "honest_na": "L'analyse de sensibilité (Rambachan et Roth, 2023) requiert une étude d'événement normalisée sur la période précédant l'adoption ; aucune n'est disponible pour ce protocole.",
        "v_effect": "L'indicateur « {outcome} » a varié de {est} (intervalle à 95 % : {lo} à {hi}) du fait de l'initiative, selon {method}.",
        "v_zero": "L'intervalle contient zéro : les données ne permettent pas d'exclure une absence d'effet.",
        "v_good": "La variation va dans le sens recherché et est statistiquement nette au seuil de 5 %.",
        "v_bad": "La variation va à l'encontre du sens recherché.",
        "v_npv_pos": "Les bénéfices actualisés dépassent les coûts : VAN {npv}, ratio bénéfices/coûts {bcr}.",
        "v_npv_neg": "Les coûts actualisés dépassent les bénéfices : VAN {npv}, ratio bénéfices/coûts {bcr}.",
        "v_risk": "Compte tenu de l'incertitude sur l'effet et les coûts, la probabilité d'une VAN négative est de {p}.",
        "v_breakeven": "L'initiative est rentable si l'effet atteint au moins {be} en valeur absolue ; la borne la plus défavorable de l'intervalle est {edge}.",
        "v_depends": "Tous les bénéfices viennent de la valorisation de l'effet : la VAN serait nulle si cette valeur était inférieure de {pct} à l'hypothèse retenue.",
        "v_pretrend": "Prudence : les tendances différaient avant l'adoption, l'estimation peut être biaisée.",
        "failed": "Ce rapport n'a pas pu être produit",
        "failed_cell": "Étape en échec",
        "status": "Statut",
        "initiative": "Initiative",
        "generated": "Produit le",
        "data_sha": "SHA-256 des données",
        "config_sha": "SHA-256 de la configuration",
        "versions": "Versions des paquets",
        "commit": "Commit",
        "seed": "Graine aléatoire",
        "parameters": "Paramètres",
        "index_title": "Portefeuille d'évaluations",
        "report_link": "rapport",
    },
}


def check_lang(lang: str) -> str:
    from impact.errors import ConfigError

    if lang not in LANGS:
        raise ConfigError(f"lang must be one of {', '.join(LANGS)} (got {lang!r})")
    return lang


def labels(lang: str) -> dict[str, str]:
    return LABELS[check_lang(lang)]


def fmt_number(x, lang: str = "en", digits: int = 1) -> str:
    """``1,234.5`` in English, ``1 234,5`` in French; '–' for missing values."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    text = f"{x:,.{digits}f}"
    if lang == "fr":
        text = text.replace(",", "\u202f").replace(".", ",")
    return text.replace("-", "−") if lang == "fr" else text


def fmt_pct(x, lang: str = "en", digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return fmt_number(100 * x, lang, digits) + ("\u00a0%" if lang == "fr" else "%")


def fmt_money(x, lang: str = "en", currency: str = "EUR") -> str:
    """``−€1.80m`` / ``€759,073`` in English, ``−1,80 M €`` / ``759 073 €`` in French."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    symbol = {"EUR": "€", "GBP": "£", "USD": "$"}.get(currency, currency)
    sign = "−" if x < 0 else ""
    x = abs(x)
    if x >= 1e6:
        body = fmt_number(x / 1e6, lang, 2) + ("\u00a0M" if lang == "fr" else "m")
    else:
        body = fmt_number(x, lang, 0)
    if lang == "fr":
        return f"{sign}{body}\u00a0{symbol}"
    return f"{sign}{symbol}{body}" if symbol in "€£$" else f"{sign}{body} {symbol}"


def fmt_interval(lo, hi, lang: str = "en", digits: int = 1) -> str:
    sep = " ; " if lang == "fr" else ", "
    return f"[{fmt_number(lo, lang, digits)}{sep}{fmt_number(hi, lang, digits)}]"
