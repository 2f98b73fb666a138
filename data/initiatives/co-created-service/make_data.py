"""Generate the example data for the co-created public services barometer.

Scenario: a satisfaction barometer surveys users of 24 public services
(family-allowance offices, prefecture permits desks, job-centre branches...)
every half-year from the first half of 2021 (wave 1) to the second half of
2024 (wave 8). Each wave interviews different people (repeated cross-
sections): a quota of 150 to 250 respondents per service, met to within
5 % each wave, except two small rural outreach services with a handful to
about 20 respondents per wave, so that some service-wave cells fall below
the minimum cell size of 11 and must be masked in any table by service.
Each row is one respondent: `respondent_id`, `service`, `wave`,
`satisfaction` (0-10, a whole number), `codesign_wave` (first wave after the
service was redesigned with its users; 0 = never) and `respondents` (= 1,
the number of people behind the row, for small-cell masking).

Nine services were redesigned with their users during the second half of
2022 and are surveyed after the redesign from wave 5 (first half of 2023);
the other 15 were never redesigned. (A single adoption date keeps the naive
two-by-two comparison, shown as a robustness check, on the same estimand as
the headline; with staggered dates it would mix not-yet-redesigned waves
into the "after" period.)

Untreated satisfaction: a latent score with service levels between 5.5 and
7.5, a common wave effect (a slow rise and a dip in wave 3), a small
service-wave shock (sd 0.08) and a respondent term (sd 2); the answer is the
latent score rounded to a whole number and clipped to 0-10.

TRUE effect (documented here and written to truth.json): co-design raises
the latent score by 0.8 points for every respondent of a redesigned service
from its co-design wave on. Because answers are rounded and clipped, the
effect on the reported score is computed exactly from each treated
respondent's two potential answers (with and without the +0.8, same noise):
`att` in truth.json is the estimand of Callaway-Sant'Anna's "simple"
aggregation for repeated cross-sections, the average of the cells' effects
ATT(g, t) over t >= g weighted by the cohort's share of respondents (with
one cohort, the plain average over waves 5-8); it is slightly below 0.8
(rounding, clipping at 10). `att_by_cohort_wave` lists ATT(g, t); `respondent_att`,
the mean effect over the redesigned services' respondents from wave 5 on,
is the two-by-two comparison's estimand.

The same barometer as a weighted, stratified survey (`survey.csv`, read by
the report's feedback section): each half-yearly wave (labelled by its
fieldwork month, 2021-05 ... 2024-11) draws an independent sample of the
service's users, stratified by service (a stratum is one service in one
wave, column `stratum`), with 30 to 50 respondents per stratum whatever the
service's size (4 to 21 in the two small outreach services), so the design
weight `weight` = users / respondents varies from about 40 to 1,300 and the
unweighted mean is biased towards small services. `users` is the service's
number of users per half-year (between 2,000 and 40,000; 150 to 300 for the
outreach services), the stratum population for the finite-population
correction. Two questions: `satisfaction` (0-10, the same latent model as
data.csv with the +0.8 effect of co-design) and `clarity` ("was the
information clear?", 1-5: a latent score per service between 2.8 and 3.8,
+0.5 after co-design, respondent sd 1, rounded and clipped). About a
third of respondents leave a French free-text `comment`, built from phrases
about one or two themes (waiting times, reception, clarity, digital access,
cost), negative more often when satisfaction is low. Fifteen comments carry
planted personal data, three of each kind (e-mail address, phone number,
French social-security number NIR, IBAN, postal address): every planted
string is listed in truth.json and must never reach a report.

TRUE survey values (truth.json, `survey`): per wave, the population mean
satisfaction, top-box share (8 or more) and clarity statistics, computed
exactly from the normal latent model (the answer is at least k when the
latent score is at least k - 0.5), weighting services by their users; and
the change from the first to the last wave. These are the design-based
estimands (superpopulation values of the stratified population).

Run: python make_data.py   (seeded: the same file every time)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

SEED = 20230115
N_SERVICES, N_WAVES = 24, 8
COHORTS = {5: 9}  # co-design wave -> number of services
SMALL = 2  # small outreach services with very few respondents per wave
EFFECT = 0.8  # on the latent 0-10 score
WAVE_EFFECT = np.array([0.0, 0.05, -0.25, 0.05, 0.1, 0.15, 0.2, 0.25])


def main(out: Path = Path(__file__).parent) -> None:
    rng = np.random.default_rng(SEED)
    services = np.array([f"svc-{i:02d}" for i in range(1, N_SERVICES + 1)])
    # The small services are never treated, so that the treated cohorts are not driven by them.
    cohort = np.zeros(N_SERVICES, dtype=int)
    order = SMALL + rng.permutation(N_SERVICES - SMALL)
    first = 0
    for g, size in COHORTS.items():
        cohort[order[first:first + size]] = g
        first += size
    level = rng.uniform(5.5, 7.5, N_SERVICES)

    # Respondents per service and wave: a quota per service (150-250), met to within a few percent
    # each wave; the small services sometimes fall below 11.
    quota = rng.integers(150, 251, N_SERVICES)
    n_cell = np.rint(quota[:, None] * rng.uniform(0.95, 1.05, (N_SERVICES, N_WAVES))).astype(int)
    n_cell[:SMALL] = rng.integers(4, 22, (SMALL, N_WAVES))
    svc = np.repeat(np.repeat(np.arange(N_SERVICES), N_WAVES), n_cell.ravel())
    wave = np.repeat(np.tile(np.arange(1, N_WAVES + 1), N_SERVICES), n_cell.ravel())
    cell_shock = rng.normal(0, 0.08, (N_SERVICES, N_WAVES))

    latent0 = level[svc] + WAVE_EFFECT[wave - 1] + cell_shock[svc, wave - 1] + rng.normal(0, 2.0, svc.size)
    treated_now = (cohort[svc] > 0) & (wave >= cohort[svc])
    y0 = np.clip(np.rint(latent0), 0, 10)
    y1 = np.clip(np.rint(latent0 + EFFECT), 0, 10)
    y = np.where(treated_now, y1, y0).astype(int)

    frame = pd.DataFrame(
        {
            "respondent_id": np.arange(1, svc.size + 1),
            "service": services[svc],
            "wave": wave,
            "codesign_wave": cohort[svc],
            "satisfaction": y,
            "respondents": 1,
        }
    )
    frame.to_csv(out / "data.csv", index=False)

    # Callaway-Sant'Anna (repeated cross-sections) weights each cohort by its share of all rows.
    gain = y1 - y0
    cells, num, den = {}, 0.0, 0.0
    for g in COHORTS:
        share = float(np.mean(cohort[svc] == g))
        for t in range(g, N_WAVES + 1):
            att_gt = float(gain[(cohort[svc] == g) & (wave == t)].mean())
            cells[f"{g},{t}"] = att_gt
            num += share * att_gt
            den += share
    truth = {
        "att": num / den,
        "estimand": "Callaway-Sant'Anna simple aggregation (repeated cross-sections): ATT(g,t), t >= g, "
                    "weighted by the cohort's share of respondents",
        "latent_effect": EFFECT,
        "att_by_cohort_wave": cells,
        "respondent_att": float(gain[treated_now].mean()),
        "n_services": N_SERVICES,
        "n_codesigned": int((cohort > 0).sum()),
        "n_cells_below_11": int((n_cell < 11).sum()),
        "n_respondents": int(svc.size),
        "seed": SEED,
    }
    truth["survey"] = make_survey(out, services, cohort, level, cell_shock)
    (out / "truth.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n")


WAVE_LABELS = [f"{2021 + i // 2}-{'05' if i % 2 == 0 else '11'}" for i in range(N_WAVES)]
THRESHOLD, CLARITY_THRESHOLD, CLARITY_LOW = 8, 4, 2
CLARITY_EFFECT = 0.5
# Phrases about one theme each, (positive, negative); their words match only that theme's keywords.
PHRASES = {
    "waiting_times": (["Rendez-vous obtenu rapidement.", "Très peu d'attente cette fois."],
                      ["Beaucoup trop d'attente avant la réponse.", "Le délai de réponse est interminable."]),
    "reception": (["L'accueil était chaleureux.", "Un accueil agréable au guichet."],
                  ["Accueil froid au guichet.", "Le hall est bruyant et sombre."]),
    "clarity": (["Les explications étaient claires.", "Courrier clair et compréhensible."],
                ["Je n'ai rien compris au courrier.", "Les informations sont confuses."]),
    "digital_access": (["Tout se fait en ligne, c'est pratique.", "Le site internet marche bien maintenant."],
                       ["Impossible de me connecter, le site refuse mon mot de passe.",
                        "L'application plante sans arrêt."]),
    "cost": (["Le service est gratuit, tant mieux.", "Aucun frais, c'est appréciable."],
             ["Les frais sont trop élevés pour moi.", "Il a fallu payer une copie, ce n'est pas normal."]),
}
THEME_SHARE = np.array([0.35, 0.2, 0.2, 0.15, 0.1])
# Personal data planted in comments: three of each kind (NIR keys and IBANs are valid checksums).
PLANTED = {
    "email": ["claire.martin@exemple.fr", "jean-paul.durand@laposte.net", "m.benali@gmail.com"],
    "phone": ["06 12 34 56 78", "+33 6 98 76 54 32", "01.45.67.89.10"],
    "nir": ["1 85 05 78 006 084 91", "2 70 03 75 112 233 18", "192016912304545"],
    "iban": ["FR76 3000 6000 0112 3456 7890 189", "FR1420041010050500013M02606",
             "FR76 1027 8060 6100 0102 0480 178"],
    "address": ["12 rue des Lilas, 75011 Paris", "3 bis avenue Jean Jaurès 69007 Lyon",
                "45, boulevard Victor Hugo, 13001 Marseille"],
}
PLANTED_SENTENCE = {"email": "Écrivez-moi : {}.", "phone": "Mon numéro : {}.", "nir": "Mon numéro de sécu est le {}.",
                    "iban": "Mon RIB : {}.", "address": "J'habite au {}."}


def _at_least(k: np.ndarray, mu: np.ndarray, sd: float) -> np.ndarray:
    """P(answer >= k) for answer = round(latent), latent ~ N(mu, sd): the latent is at least k - 0.5."""
    return norm.sf((k - 0.5 - mu) / sd)


def make_survey(out: Path, services, cohort, level, cell_shock) -> dict:
    """Write survey.csv (the barometer as a weighted stratified sample) and return its truths."""
    rng = np.random.default_rng([SEED, 2])  # a stream of its own: data.csv stays as it was
    n_svc = len(services)
    users = rng.integers(2000, 40001, n_svc)
    users[:SMALL] = rng.integers(150, 301, SMALL)
    clarity_level = rng.uniform(2.8, 3.8, n_svc)
    n_cell = rng.integers(30, 51, (n_svc, N_WAVES))
    n_cell[:SMALL] = rng.integers(4, 22, (SMALL, N_WAVES))
    svc = np.repeat(np.repeat(np.arange(n_svc), N_WAVES), n_cell.ravel())
    wave = np.repeat(np.tile(np.arange(1, N_WAVES + 1), n_svc), n_cell.ravel())
    treated = (cohort[svc] > 0) & (wave >= cohort[svc])
    mu_sat = level[svc] + WAVE_EFFECT[wave - 1] + cell_shock[svc, wave - 1] + EFFECT * treated
    satisfaction = np.clip(np.rint(mu_sat + rng.normal(0, 2.0, svc.size)), 0, 10).astype(int)
    mu_clar = clarity_level[svc] + CLARITY_EFFECT * treated
    clarity = np.clip(np.rint(mu_clar + rng.normal(0, 1.0, svc.size)), 1, 5).astype(int)

    # Comments: a third of respondents; one or two themes; negative more often when dissatisfied.
    has_comment = rng.random(svc.size) < 1 / 3
    n_themes = 1 + (rng.random(svc.size) < 0.3)
    theme1 = rng.choice(len(PHRASES), svc.size, p=THEME_SHARE)
    theme2 = (theme1 + 1 + rng.integers(0, len(PHRASES) - 1, svc.size)) % len(PHRASES)
    p_negative = np.select([satisfaction <= 4, satisfaction >= 8], [0.9, 0.1], 0.5)
    negative1, negative2 = (rng.random((2, svc.size)) < p_negative)
    pick1, pick2 = rng.integers(0, 2, (2, svc.size))
    names = list(PHRASES)
    phrase = np.array([[PHRASES[t][neg][k] for neg in (0, 1) for k in (0, 1)] for t in names])  # theme x (neg, k)
    first = phrase[theme1, 2 * negative1 + pick1]
    second = np.where(n_themes == 2, " " + phrase[theme2, 2 * negative2 + pick2], "")
    # object dtype: a fixed-width string array would silently cut the planted sentences appended below
    comment = np.where(has_comment, np.char.add(first.astype(str), second.astype(str)), "").astype(object)
    commented = np.flatnonzero(has_comment)
    chosen = rng.choice(commented, 3 * len(PLANTED), replace=False)
    for i, (kind, values) in enumerate(PLANTED.items()):
        for j, value in enumerate(values):
            row = chosen[3 * i + j]
            comment[row] = f"{comment[row]} {PLANTED_SENTENCE[kind].format(value)}"

    frame = pd.DataFrame({
        "respondent_id": np.arange(1, svc.size + 1),
        "wave": np.array(WAVE_LABELS)[wave - 1],
        "service": services[svc],
        "stratum": np.char.add(np.char.add(np.array(WAVE_LABELS)[wave - 1], "/"), services[svc]),
        "users": users[svc],
        "weight": np.round(users[svc] / n_cell[svc, wave - 1], 4),
        "satisfaction": satisfaction,
        "clarity": clarity,
        "comment": comment,
    })
    frame.to_csv(out / "survey.csv", index=False)

    # Population values per wave: services weighted by their users, exact probabilities of each answer.
    t_grid = (cohort[:, None] > 0) & (np.arange(1, N_WAVES + 1)[None, :] >= cohort[:, None])
    mu = level[:, None] + WAVE_EFFECT[None, :] + cell_shock + EFFECT * t_grid
    mu_c = clarity_level[:, None] + CLARITY_EFFECT * t_grid
    share = users / users.sum()
    k_sat, k_clar = np.arange(1, 11), np.arange(2, 6)
    mean_sat = _at_least(k_sat[:, None, None], mu[None], 2.0).sum(axis=0)
    top_sat = _at_least(THRESHOLD, mu, 2.0)
    mean_clar = 1 + _at_least(k_clar[:, None, None], mu_c[None], 1.0).sum(axis=0)
    top_clar = _at_least(CLARITY_THRESHOLD, mu_c, 1.0)
    net_clar = top_clar - (1 - _at_least(CLARITY_LOW + 1, mu_c, 1.0))
    values = {
        ("satisfaction", "mean"): mean_sat, ("satisfaction", "top_box"): top_sat,
        ("clarity", "mean"): mean_clar, ("clarity", "top_box"): top_clar,
        ("clarity", "net_satisfaction"): net_clar,
    }
    by_wave = {f"{q}.{s}": dict(zip(WAVE_LABELS, (share @ v).tolist())) for (q, s), v in values.items()}
    return {
        "estimand": "population value per wave: services weighted by their users, exact answer "
                    "probabilities under the latent normal model",
        "by_wave": by_wave,
        "change_first_to_last": {k: v[WAVE_LABELS[-1]] - v[WAVE_LABELS[0]] for k, v in by_wave.items()},
        "n_respondents": int(svc.size),
        "n_comments": int(has_comment.sum()),
        "planted_theme_comments": {t: int(((theme1 == i) | ((n_themes == 2) & (theme2 == i)))[has_comment].sum())
                                   for i, t in enumerate(names)},
        "n_strata_below_11": int((n_cell < 11).sum()),
        "thresholds": {"satisfaction": THRESHOLD, "clarity": CLARITY_THRESHOLD, "clarity_dissatisfied": CLARITY_LOW},
        "planted_personal_data": PLANTED,
    }


if __name__ == "__main__":
    main()
