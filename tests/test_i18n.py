"""A French report is wholly in French: catalogue coverage, Babel formats, chart texts and report HTML.

Charts are checked through their SVG text (``figure_texts``): every title,
axis label, tick label and legend entry. The HTML check strips the
initiative's own words (title, description, category names: data, not
interface) and looks for any English message of the catalogue and any
number not in French format.
"""

import re
from functools import lru_cache
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from babel.messages.pofile import read_po  # noqa: E402

from impact.errors import ConfigError  # noqa: E402
from impact.report.figures import chart_labels, figure_html, figure_texts  # noqa: E402
from impact.report.i18n import (  # noqa: E402
    catalogue_path,
    check_lang,
    fmt_date,
    fmt_money,
    fmt_number,
    fmt_pct,
    fmt_pvalue,
    fmt_quantity,
    labels,
    languages,
)
from impact.report.wording import effect_sentence, note_words  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HOUSING = ROOT / "data" / "initiatives" / "housing-digital"
NNBSP, NBSP, MINUS = "\u202f", "\u00a0", "\u2212"


def _catalogue(lang):
    with open(catalogue_path(lang), "rb") as handle:
        return {m.context: m for m in read_po(handle) if m.id and m.context}


# --------------------------------------------------------------------------- the catalogue


def test_every_message_has_a_french_translation_with_the_same_placeholders():
    english, french = _catalogue("en"), _catalogue("fr")
    assert len(english) > 150
    assert set(english) == set(french), "the .pot and fr .po list different keys"
    for key, message in english.items():
        fr = french[key]
        assert fr.string and not fr.fuzzy, f"{key}: no reviewed French translation"
        assert fr.id == message.id, f"{key}: the French entry translates an outdated English text"
        assert set(re.findall(r"\{(\w+)\}", message.id)) == set(re.findall(r"\{(\w+)\}", fr.string)), key


def test_a_missing_language_says_how_to_add_it():
    assert languages()[:2] == ("en", "fr")
    assert check_lang("fr") == "fr"
    with pytest.raises(ConfigError, match=r"lang must be one of en, fr \(got 'de'\).*LC_MESSAGES/impact.po"):
        check_lang("de")


def test_a_third_language_needs_only_a_po_file(tmp_path, monkeypatch):
    import impact.report.export as export
    import impact.report.i18n as i18n

    root = tmp_path / "templates"
    (root / "locale" / "de" / "LC_MESSAGES").mkdir(parents=True)
    (root / "locale" / "impact.pot").write_bytes(catalogue_path("en").read_bytes())
    (root / "locale" / "de" / "LC_MESSAGES" / "impact.po").write_text(
        'msgid ""\nmsgstr "Language: de\\n"\n\nmsgctxt "npv"\nmsgid "Net present value"\nmsgstr "Kapitalwert"\n',
        encoding="utf-8")
    monkeypatch.setattr(export, "TEMPLATES", root)
    assert i18n.languages() == ("en", "de")
    de = i18n.labels("de")
    assert de["npv"] == "Kapitalwert"
    assert de["bcr"] == "Benefit-cost ratio"  # untranslated: English, as gettext does
    assert i18n.fmt_number(1234.5, "de") == "1.234,5"


# --------------------------------------------------------------------------- formats (Babel, CLDR)


def test_french_numbers_money_percentages_and_p_values():
    assert fmt_number(1234.5, "fr") == f"1{NNBSP}234,5"
    assert fmt_number(-64.07, "fr", 0) == f"{MINUS}64"
    assert fmt_money(1_802_871, "fr") == f"1,8{NBSP}M{NBSP}€"
    assert fmt_money(-108_291, "fr") == f"{MINUS}108{NNBSP}291{NBSP}€"
    assert fmt_money(34_024_401, "en") == "€34M"
    assert fmt_pct(0.143, "fr", 1) == f"14,3{NBSP}%"
    assert fmt_pvalue(0.0, "fr") == f"p{NBSP}<{NBSP}0,001"
    assert fmt_pvalue(0.0234, "en") == f"p{NBSP}={NBSP}0.023"
    assert fmt_date("2023-07-01", "fr") == "1 juillet 2023"
    assert fmt_date("2023-07-01", "en") == "July 1, 2023"
    assert fmt_quantity(64, "days", "fr", 0) == f"64{NBSP}jours"
    assert fmt_quantity(1, "days", "en", 0) == "1 day"


def test_tick_labels_keep_the_decimals_their_step_needs():
    import matplotlib.pyplot as plt

    from impact.formats import axis_formatter

    fig, ax = plt.subplots()
    ax.set_xlim(-7.5, 12.5)
    ax.set_xticks([-5, -2.5, 0, 2.5, 5, 7.5, 10, 12.5])
    ax.xaxis.set_major_formatter(axis_formatter("fr"))
    fig.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    plt.close(fig)
    assert ticks == ["−5,0", "−2,5", "0,0", "2,5", "5,0", "7,5", "10,0", "12,5"]


def test_effect_in_plain_words_with_its_unit():
    fr = effect_sentence("délai (days)", -64.07, -66.95, -61.19, "la méthode de Callaway et Sant'Anna (2021)", "fr")
    assert fr.startswith(f"L'indicateur «{NBSP}délai{NBSP}» a baissé de 64{NBSP}jours")
    assert f"intervalle à 95{NBSP}%{NBSP}: 61 à 67{NBSP}jours" in fr
    en = effect_sentence("satisfaction (0-10)", 0.12, -0.3, 0.54, "a method", "en")
    assert "rose by 0.12 (95% interval: −0.30 to 0.54)" in en  # interval across zero keeps its signs


def test_library_notes_are_said_in_french():
    text, known = note_words("only 9 clusters: cluster-robust errors can be too small; check with wild_cluster_bootstrap", "fr")
    assert known and text.startswith("Seulement 9 groupes")
    text, known = note_words("something new", "fr")
    assert not known and "(en anglais)" in text


# --------------------------------------------------------------------------- charts


@lru_cache(maxsize=1)
def _english_fragments():
    """Static pieces (3+ words) of every English chart text: none may appear on a French chart."""
    english = chart_labels("en")
    pieces = set()
    for text in english.values():
        for part in re.split(r"\{\w+\}", text):
            part = part.strip(" :()=,.")
            if len(part.split()) >= 2 and part != chart_labels("fr").get(part):
                pieces.add(part)
    from impact.cba.plots import _TEXT as cba_text
    from impact.plots import _TEXT as shared_text

    for text in [*cba_text.values(), *shared_text.values(), "original", "robust", "breakdown", "leave-one-out",
                 "synthetic", "gap", "confidence set", "Monte Carlo NPV", "Synthetic control"]:
        pieces.add(re.split(r"\{\w+\}", text)[0].strip(" :()=,."))
    return {p for p in pieces if p}


def _assert_french(texts):
    english = _english_fragments()
    for text in texts:
        for piece in english:
            found = re.search(rf"(?<!\w){re.escape(piece)}(?!\w)", text, flags=re.I)
            assert not found, f"English {piece!r} on a French chart: {text!r}"
        assert not re.search(r"\d\.\d|\de[+-]?\d|(?<![\w])-\d", text), f"number not in French format: {text!r}"


def _frames():
    years = np.arange(6)
    net = np.array([-4.3e6, 8e6, 8e6, 7.8e6, 7.6e6, 7.4e6])
    cash = pd.DataFrame({"year": years, "discounted_net": net, "cumulative_discounted_net": net.cumsum()})
    tornado = pd.DataFrame({"factor": ["earlier support", "staff"], "npv_low": [-3e6, 2.9e7], "npv_high": [6e7, 3.6e7]})
    event = pd.DataFrame({"event_time": np.arange(-4, 5), "estimate": [0.2, -0.1, 0.3, 0.0, -17.5, -35, -51, -69, -70],
                          "ci_low": [-1.5, -2, -1, 0, -19, -37, -54, -72, -73],
                          "ci_high": [2, 1.6, 1.8, 0, -16, -33, -48, -66, -67],
                          "cband_low": np.nan, "cband_high": np.nan})
    event.loc[3, ["ci_low", "ci_high"]] = np.nan
    return cash, tornado, event


def test_every_report_chart_is_in_french():
    from types import SimpleNamespace

    import matplotlib.pyplot as plt

    from impact.cba.plots import break_even_plot, cumulative_plot, npv_histogram, tornado_plot
    from impact.design.plots import power_curve_plot
    from impact.did.gt_plots import group_time_heatmap
    from impact.plots import event_study_plot

    C = chart_labels("fr")
    cash, tornado, event = _frames()
    draws = np.random.default_rng(0).normal(2.5e7, 1.5e7, 2000)
    gt = pd.DataFrame({"cohort": [3, 3, 4, 4], "period": [3, 4, 3, 4], "estimate": [-1.25, -2.5, 0.1, -1.75],
                       "ci_low": [-2, -3, -0.5, -2.5], "ci_high": [-0.5, -2, 0.7, -1]})
    power = pd.DataFrame({"effect": [0, 1, 2, 3], "power": [0.05, 0.31, 0.78, 0.97], "power_se": [0.01, 0.02, 0.02, 0.01],
                          "analytic_power": [0.05, 0.29, 0.8, 0.98]})
    be = SimpleNamespace(estimate=-64.07, ci_low=-66.95, ci_high=-61.19, break_even=-41.62, category="délai")
    charts = [
        cumulative_plot(cash, payback=1, labels=C, lang="fr"),
        npv_histogram(draws, labels=C, lang="fr"),
        tornado_plot(tornado, 3.4e7, labels=C, lang="fr"),
        break_even_plot(be, labels=C, lang="fr"),
        event_study_plot(event, labels=C, lang="fr", xlabel=labels("fr")["event_time"], ylabel=labels("fr")["effect"]),
        group_time_heatmap(gt, labels=C, lang="fr"),
        power_curve_plot(power, mde=2.1, outcome="délai", labels=C, lang="fr"),
    ]
    try:
        for ax in charts:
            texts = figure_texts(ax.figure)
            assert texts, "the SVG dump found no text"
            _assert_french([t for t in texts if t not in ("earlier support", "staff", "délai")])
        money = [t for t in figure_texts(charts[0].figure) if "€" in t]
        assert f"30{NBSP}M{NBSP}€" in money and not any("e+" in t or "1e" in t for t in money)
        assert any(f"P(VAN{NBSP}<{NBSP}0){NBSP}={NBSP}" in t and f"{NBSP}%" in t for t in figure_texts(charts[1].figure))
    finally:
        plt.close("all")


def test_honest_and_synthetic_control_charts_are_in_french():
    import matplotlib.pyplot as plt

    from impact.did import honest_did, synthetic_control
    from impact.results import EventStudyResult, tidy_terms

    times = np.array([-3, -2, 0, 1])
    beta = np.array([0.01, -0.02, -0.5, -0.6])
    sigma = np.diag([0.02, 0.02, 0.03, 0.03]) ** 2
    es = EventStudyResult(method="es", estimate=0.0, se=1.0, ci_low=0.0, ci_high=0.0, pvalue=1.0, n_obs=1,
                          terms=tidy_terms([f"e={t}" for t in times], beta, np.sqrt(np.diag(sigma)), event_time=times),
                          vcov=pd.DataFrame(sigma, index=times, columns=times), reference=-1)
    honest = honest_did(es, "relative_magnitude", Mbar=[0.5, 1.0], e="average", seed=0)
    rng = np.random.default_rng(1)
    units, periods = 8, 12
    panel = pd.DataFrame({"unit": np.repeat([f"c{i}" for i in range(units)], periods),
                          "time": np.tile(np.arange(1, periods + 1), units)})
    panel["y"] = rng.normal(10, 1, len(panel)) + 0.1 * panel["time"]
    panel.loc[(panel["unit"] == "c0") & (panel["time"] >= 9), "y"] += 3
    sc = synthetic_control(panel, "y", "unit", "time", "c0", 9)
    C = chart_labels("fr")
    try:
        texts = figure_texts(honest.plot(labels=C, lang="fr").figure)
        assert any(t.startswith(f"Mbar{NBSP}:") for t in texts) and any(f"C-LF{NBSP}:" in t for t in texts)
        _assert_french(texts)
        for kind in ("trajectories", "placebos"):
            texts = figure_texts(sc.plot(kind=kind, labels={**C, "outcome": "délai"}, lang="fr").figure)
            _assert_french([t for t in texts if t not in ("c0",)])
    finally:
        plt.close("all")


def test_figure_html_has_alt_text_and_is_escaped():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    page = figure_html(fig, "fr", alt='Graphique "<b>"')
    assert 'alt="Graphique &#34;&lt;b&gt;&#34;"' in page and page.count("<img") == 1
    assert not plt.get_fignums()


def test_other_charts_get_french_ticks_when_embedded():
    import matplotlib.pyplot as plt

    from impact.report.figures import localise_axes

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0.25, 12_500_000.5])
    localise_axes(fig, "fr")
    ticks = [t for t in figure_texts(fig) if t]
    plt.close(fig)
    assert f"12{NNBSP}000{NNBSP}000" in ticks and "0,2" in ticks and not any("e" in t or "." in t for t in ticks)


# --------------------------------------------------------------------------- report HTML


def _visible(page: str) -> str:
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r'src="data:[^"]*"', "", page)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def _english_messages() -> list[str]:
    english, french = labels("en"), labels("fr")
    out = []
    for key, text in english.items():
        for part in re.split(r"\{\w+\}", text):
            part = part.strip(" :()=,.;")
            if len(part.split()) >= 3 and part not in french.values():
                out.append(part)
    return out


def assert_french_page(page: str, user_texts=()):
    """No English message and no English-formatted number in the visible text of a French page."""
    from html import unescape

    text = unescape(_visible(page))
    for own in sorted(user_texts, key=len, reverse=True):
        text = text.replace(own, " ")
    for message in _english_messages():
        assert message not in text, f"English message {message!r} in a French page"
    for bad in ("callaway_santanna", "two_by_two", "group-time", "ATT", "p = 0,000"):
        assert bad not in text, bad
    assert not re.search(r"\d\.\d", text), re.search(r".{30}\d\.\d.{30}", text)
    assert not re.search(r"(?<![\w-])-\d", text), re.search(r".{30}(?<![\w-])-\d.{30}", text)
    assert not re.search(r"\d,\d{3},\d{3}", text)


@pytest.fixture(scope="module")
def housing():
    from impact.report import load_initiative
    from impact.report.estimate import prepare, run_estimator

    ini = load_initiative(HOUSING, check_data=True)
    data = prepare(ini, ini.read_data())
    return ini, data, run_estimator(ini, data, "twfe")


def _user_texts(ini):
    cb = ini.cost_benefit or {}
    cats = [*cb.get("costs", {}), *cb.get("benefits", {}), *cb.get("effect_benefits", {})]
    return [ini.title, str(ini.config.get("description") or "").strip(), str(ini.config.get("owner") or ""),
            ini.data_spec.get("outcome_label") or "", *cats]


def test_report_sections_are_in_french(housing):
    from impact.report import sections as S
    from impact.report.estimate import comparison_table
    from impact.report.glance import glance

    ini, data, main = housing
    appraisal = S.build_appraisal(ini, main)
    mc = appraisal.monte_carlo(n=400, seed=1)
    be = appraisal.break_even_effect()
    page = "".join([
        S.header(ini, "fr"),
        S.heading("impact", "fr"),
        S.estimates_table(comparison_table({"twfe": main}), "fr", headline="twfe"),
        S.notes(main.notes, "fr"),
        S.appraisal_table(appraisal, mc, be, "fr", "EUR"),
        S.verdict(ini, main, "fr", appraisal, mc, be, None),
        glance(ini, main, "fr", appraisal=appraisal, mc=mc),
    ])
    assert_french_page(page, _user_texts(ini))
    assert "régression à effets fixes par unité et par période" in page
    assert re.search(r"a baissé de \d+\u00a0jours", page)
    assert "<script" not in page


def test_initiative_text_is_escaped_by_the_templates(housing):
    from impact.report import sections as S

    ini, _, _ = housing
    ini.config["owner"] = "<script>alert(1)</script>"
    try:
        page = S.header(ini, "fr")
    finally:
        ini.config["owner"] = "Lab d'innovation publique (example)"
    assert "<script>" not in page and "&lt;script&gt;" in page


def _strings(value):
    """Every string in an initiative's configuration: the initiative's own words, which the report shows as data."""
    if isinstance(value, str):
        yield value.strip()
        yield from (line.strip() for line in value.splitlines())
        yield from (p.strip() for p in value.split("\n\n"))
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


@pytest.mark.slow
def test_a_whole_french_report_is_french(tmp_path):
    """Run the report notebook on an example initiative in French and read the page a reader gets."""
    import yaml

    from impact.report.execute import run_one

    record = run_one(HOUSING, tmp_path, lang="fr", force=True, cell_timeout=300)
    assert record["status"] == "ok", record.get("error")
    page = (tmp_path / "housing-digital" / "report.html").read_text(encoding="utf-8")
    config = yaml.safe_load((HOUSING / "initiative.yaml").read_text(encoding="utf-8"))
    own = [s for s in _strings(config) if len(s) > 2] + ["month", "city"]
    # The appendix lists package versions and hashes: provenance, not prose.
    body = page.split('id="method-provenance"')[0]
    assert_french_page(body, own)
    assert 'lang="fr"' in page and "En bref" in page
    assert re.findall(r'<img [^>]*alt="([^"]+)"', page), "every chart needs a text alternative"
    assert not re.search(r"<img (?![^>]*alt=)", page)
