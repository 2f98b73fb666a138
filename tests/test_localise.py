"""An initiative's own words in the report's language (``impact.report.localise``)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from impact.errors import ConfigError
from impact.report import load_initiative
from impact.report.initiative import initiative_ident, validate_initiative
from impact.report.localise import check_texts, localise, localise_config

ROOT = Path(__file__).resolve().parents[1] / "data" / "initiatives"
EXAMPLES = ["housing-digital", "rsa-first-appointment", "co-created-service", "seniors-access-pilot"]
RSA = ROOT / "rsa-first-appointment"


def _config(name: str) -> dict:
    return yaml.safe_load((ROOT / name / "initiative.yaml").read_text(encoding="utf-8"))


def test_resolution_order():
    both = {"en": "Housing", "fr": "Logement", "de": "Wohnen"}
    assert localise(both, "fr", "en") == "Logement"
    assert localise({"en": "Housing", "de": "Wohnen"}, "fr", "de") == "Wohnen"  # the initiative's language
    assert localise({"de": "Wohnen", "en": "Housing"}, "fr", "es") == "Housing"  # then English
    assert localise({"de": "Wohnen", "it": "Alloggio"}, "fr", "es") == "Wohnen"  # then the first given
    assert localise("Housing", "fr", "en") == "Housing"  # a plain string serves every language
    assert localise([{"en": "a", "fr": "b"}, "c"], "fr") == ["b", "c"]
    assert localise(None, "fr") is None and localise(3, "fr") == 3


def test_config_is_resolved_on_text_keys_only_and_never_in_place():
    config = _config("rsa-first-appointment")
    before = copy.deepcopy(config)
    fr = localise_config(config, "fr")
    assert config == before
    assert fr["title"].startswith("RSA : un premier rendez-vous")
    assert fr["indicators"][0]["unit"] == "jours" and fr["indicators"][0]["id"] == "delay"
    assert fr["data"]["outcome"] == "delay_days" and fr["data"]["unit"] == "departement"
    assert fr["case_study"]["lessons"][0].startswith("Proposer le rendez-vous")
    # Categories are renamed in their flows and in the Monte Carlo's uncertain factors alike; labels go.
    cba = fr["cost_benefit"]
    assert "labels" not in cba and "formation" in cba["costs"] and "référents supplémentaires" in cba["costs"]
    assert set(cba["monte_carlo"]["uncertain"]) == {"plateforme d'orientation", "référents supplémentaires",
                                                    "accompagnement plus précoce"}
    en = localise_config(config)  # default: the initiative's own language
    assert en["title"] == config["title"]["en"] and "training" in en["cost_benefit"]["costs"]
    assert localise_config(config, "de")["title"] == config["title"]["en"]  # no German: the initiative's language


@pytest.mark.parametrize("edit, message", [
    (lambda c: c.update(title={"english": "X"}), "title: 'english' is not a language code"),
    (lambda c: c.update(title={}), "title: an empty mapping"),
    (lambda c: c["indicators"][0].update(label={"en": "Delay", "fr": 3}), "indicators[0].label.fr: must be a non-empty text"),
    (lambda c: c["case_study"].update(quotes=["ok", {"fr": ""}]), "case_study.quotes[1].fr: must be a non-empty text"),
    (lambda c: c["cost_benefit"]["labels"].update(nothing={"fr": "rien"}), "cost_benefit.labels.nothing: no such cost"),
    (lambda c: c["cost_benefit"]["labels"].update(training={"fr": "plateforme d'orientation"}),
     "cost_benefit.labels: two categories would have the same name in 'fr'"),
    (lambda c: c["cost_benefit"].update(labels=["x"]), "cost_benefit.labels: must map a category"),
])
def test_bad_texts_are_reported_with_their_place(edit, message):
    config = _config("rsa-first-appointment")
    edit(config)
    problems = validate_initiative(config, RSA, check_data=False)
    assert any(p.startswith(message) for p in problems), problems


def test_examples_validate_and_every_text_is_given_in_french():
    for name in EXAMPLES:
        config = _config(name)
        assert validate_initiative(config, ROOT / name, check_data=False) == [], name
        assert check_texts(config) == []
        assert isinstance(config["title"], dict) and {"en", "fr"} <= set(config["title"]), name
        assert "fr" in config["data"]["outcome_label"], name
        assert all("fr" in spec["label"] for spec in config.get("indicators") or []), name
        assert all("fr" in q["label"] for q in (config.get("feedback") or {}).get("questions", [])), name
        cats = {c for k in ("costs", "benefits", "effect_benefits") for c in config["cost_benefit"].get(k) or {}}
        assert set(config["cost_benefit"]["labels"]) == cats, name


def test_a_mistranslated_file_fails_to_load(tmp_path):
    config = _config("rsa-first-appointment")
    config["title"] = {"en": "RSA", "fr": ["not", "a", "text"]}
    (tmp_path / "initiative.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"title\.fr: must be a non-empty text"):
        load_initiative(tmp_path)
    assert initiative_ident(RSA, "fr")[1].startswith("RSA : un premier")
    assert initiative_ident(RSA)[1].startswith("RSA: a first")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_report_sections_speak_the_report_language(lang):
    from impact.report import evaluation as E
    from impact.report import sections as S
    from impact.report.estimate import prepare

    ini = load_initiative(RSA, check_data=False, lang=lang)
    data = prepare(ini)
    page = S.header(ini, lang) + E.indicators_table(E.compute_indicators(ini, data), lang) + E.case_study_opening(ini, lang)
    french = ["RSA : un premier rendez-vous", "Laboratoire d'innovation publique (exemple)", "Une réforme de l",
              "Délai avant le premier rendez-vous", "Nouveaux allocataires reçus", "jours",
              "Toute personne qui entre au RSA"]
    english = ["RSA: a first appointment", "Lab d&#x27;innovation publique (example)", "A reform of how new RSA",
               "Delay before the first appointment", "New beneficiaries seeing", "A person entering the RSA"]
    import html

    text = html.unescape(page)
    want, avoid = (french, english) if lang == "fr" else (english, french)
    for phrase in want:
        assert html.unescape(phrase) in text, phrase
    for phrase in avoid:
        if phrase != "jours":
            assert html.unescape(phrase) not in text, phrase
