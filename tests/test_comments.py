"""Beneficiaries' comments: personal-data masking, themes, topics and quotes (issue 12)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from impact.errors import ConfigError, DataError
from impact.feedback.comments import (
    FRAME_COLUMNS,
    MASK_KINDS,
    analyse_comments,
    iban_is_valid,
    mask_comments,
    mask_personal_data,
    nir_is_valid,
)
from impact.feedback.themes import resolve_themes


def _nir_key(body: str) -> str:
    """INSEE's key written independently of the module: Corsica read as 20, minus 1 or 2 million."""
    number = int(body.replace("2A", "20").replace("2B", "20"))
    number -= 1_000_000 if "2A" in body else 2_000_000 if "2B" in body else 0
    return f"{97 - number % 97:02d}"


# Each planted example with its exact masked form (French placeholders).
PLANTED = {
    "email": [
        ("Mon mail : jean.dupont@example.fr merci", "Mon mail : [courriel] merci"),
        ("écrire à marie_x+rsa@mairie-lyon.gouv.fr.", "écrire à [courriel]."),
        ("contact JEAN.DUPONT@EXAMPLE.COM svp", "contact [courriel] svp"),
        ("jean.dupont(at)gmail.com", "[courriel]"),
        ("adresse: jean arobase free.fr", "adresse: [courriel]"),
        ("écrire à jean-paul.durand@lapos merci", "écrire à [courriel] merci"),  # cut off, still personal
    ],
    "phone": [
        ("Appelez le 06 12 34 56 78.", "Appelez le [téléphone]."),
        ("tel 06.12.34.56.78 le matin", "tel [téléphone] le matin"),
        ("tel 0612345678", "tel [téléphone]"),
        ("01-23-45-67-89 au bureau", "[téléphone] au bureau"),
        ("portable +33 6 12 34 56 78", "portable [téléphone]"),
        ("ou +33 (0)6 12 34 56 78", "ou [téléphone]"),
        ("ou +33612345678", "ou [téléphone]"),
        ("ou 0033 6 12 34 56 78", "ou [téléphone]"),
        ("London +44 20 7946 0958", "London [téléphone]"),
        ("US +1 (555) 123-4567", "US [téléphone]"),
        ("Berlin +49 30 1234567", "Berlin [téléphone]"),
    ],
    "nir": [
        ("NIR 1 85 05 78 006 084 " + _nir_key("1850578006084") + " ok", "NIR [NIR] ok"),
        ("secu 185057800608491", "secu [NIR]"),
        ("2 69 05 2A 123 456 " + _nir_key("269052A123456"), "[NIR]"),
        ("n° 269052B123456" + _nir_key("269052B123456"), "n° [NIR]"),
        ("sans clé 1 85 05 78 006 084", "sans clé [NIR]"),
        ("clé fausse 1 85 05 78 006 084 12", "clé fausse [NIR]"),
    ],
    "iban": [
        ("IBAN FR76 3000 6000 0112 3456 7890 189 merci", "IBAN [IBAN] merci"),
        ("FR7630006000011234567890189", "[IBAN]"),
        ("fr76 3000 6000 0112 3456 7890 189", "[IBAN]"),
        ("FR14 2004 1010 0505 0001 3M02 606 pour le virement", "[IBAN] pour le virement"),
        ("GB82 WEST 1234 5698 7654 32", "[IBAN]"),
        ("DE89 3704 0044 0532 0130 00 tout", "[IBAN] tout"),
        ("NO93 8601 1117 947", "[IBAN]"),
    ],
    "address": [
        ("J'habite 12 rue de la Paix, 75002 Paris et personne ne répond",
         "J'habite [adresse] et personne ne répond"),
        ("3 bis avenue Jean Jaurès 69007 Lyon", "[adresse]"),
        ("au 5 bd Saint-Michel depuis", "au [adresse] depuis"),
        ("12, chemin des Vignes", "[adresse]"),
        ("4 allée des Lilas, 35000 Rennes.", "[adresse]."),
        ("1 place de la Mairie", "[adresse]"),
        ("8 impasse du Moulin 44000 Nantes Cedex 1 merci", "[adresse] merci"),
        ("27 route de Lorient", "[adresse]"),
        ("12 cours Mirabeau, 13100 Aix-en-Provence", "[adresse]"),
        ("2 square Gabriel Fauré", "[adresse]"),
        ("9 quai des Chartrons", "[adresse]"),
        ("12 RUE DE LA PAIX", "[adresse]"),
        ("quartier 20090 Ajaccio", "quartier [adresse]"),
        ("10 Downing Street, London SW1A 2AA", "[adresse]"),
        ("221B Baker Street", "[adresse]"),
        ("1600 Pennsylvania Avenue NW, Washington, DC 20500", "[adresse]"),
        ("12 Main St, Springfield, IL 62701", "[adresse]"),
    ],
    "name": [
        ("Mme Martin m'a très bien reçue", "[nom] m'a très bien reçue"),
        ("merci à Monsieur Jean-Pierre Durand", "merci à [nom]"),
        ("grâce à M. Dupont et Madame Lefèvre", "grâce à [nom] et [nom]"),
        ("Dr Lee was kind", "[nom] was kind"),
    ],
}
CASES = [(kind, raw, expected) for kind, pairs in PLANTED.items() for raw, expected in pairs]

NEGATIVE = [
    "Ça m'a coûté 1 200 € en 2023",
    "rendez-vous le 12/03/2024 à 14h30",
    "le 12.03.2024 puis le 2024-03-15",
    "j'ai attendu 3 semaines et 2 jours",
    "dossier n° 12345, 12 000 personnes",
    "en 2024 Paris a changé",
    "payé 45,50 euros, 2 000 000 € de budget",
    "note 10/10, 95 % satisfaits",
    "ouvert de 9h à 12h, 3 fois 20 minutes",
    "12 rue",
    "j'ai appelé 15 fois en 2 mois",
    "la RN12 vers 2024 la",
    "Madame la Maire, Monsieur le directeur",
    "il reste 1 place de parking, j'ai suivi 3 cours de français",
    "1 passage au guichet, 2 voies de recours",
]


@pytest.mark.parametrize("kind, raw, expected", CASES, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(CASES)])
def test_each_kind_of_personal_data_is_masked(kind, raw, expected):
    assert mask_personal_data(raw) == expected
    masked, counts = mask_comments([raw])
    assert counts[kind] >= 1
    assert sum(counts.values()) == counts[kind]  # counted once, as its own kind


@pytest.mark.parametrize("text", NEGATIVE)
def test_amounts_dates_years_and_numbers_are_left_alone(text):
    assert mask_personal_data(text) == text


def test_placeholders_follow_the_language():
    text = "mail a.b@example.org, phone +44 20 7946 0958, 221B Baker Street, FR7630006000011234567890189"
    assert mask_personal_data(text, language="en") == "mail [email], phone [phone], [address], [IBAN]"


def test_mask_comments_counts_by_kind_and_keeps_missing_values():
    texts = pd.Series(["a@b.fr et c@d.fr", None, "06 12 34 56 78", "rien", np.nan], index=list("vwxyz"))
    masked, counts = mask_comments(texts)
    assert counts == {"iban": 0, "email": 2, "nir": 0, "phone": 1, "address": 0, "name": 0}
    assert list(masked.index) == list("vwxyz")
    assert masked["v"] == "[courriel] et [courriel]" and masked["x"] == "[téléphone]"
    assert pd.isna(masked["w"]) and pd.isna(masked["z"]) and masked["y"] == "rien"


def test_nir_and_iban_keys():
    assert nir_is_valid("1 85 05 78 006 084 " + _nir_key("1850578006084"))
    assert nir_is_valid("2 69 05 2A 123 456 " + _nir_key("269052A123456"))
    assert nir_is_valid("269052B123456" + _nir_key("269052B123456"))
    assert not nir_is_valid("1 85 05 78 006 084 12")
    assert not nir_is_valid("1 85 05 78 006 084")
    # Published example IBANs (ECBS/SWIFT registry examples) and a one-digit typo.
    for iban in ["GB82 WEST 1234 5698 7654 32", "FR14 2004 1010 0505 0001 3M02 606", "DE89 3704 0044 0532 0130 00"]:
        assert iban_is_valid(iban)
    assert not iban_is_valid("GB82 WEST 1234 5698 7654 33")


def test_mask_rejects_non_text():
    with pytest.raises(DataError, match="text must be a string"):
        mask_personal_data(None)
    with pytest.raises(ConfigError, match="language"):
        mask_personal_data("x", language="de")


# --- themes --------------------------------------------------------------------------------------

FR_CORPUS = [
    ("Trois semaines d'attente pour un rendez-vous, c'est trop long.", {"waiting_times"}),
    ("Les délais sont interminables", {"waiting_times"}),
    ("Accueil chaleureux et agents très aimables", {"reception", "staff"}),
    ("L'agent était désagréable au guichet", {"staff", "reception"}),
    ("Le site internet plante, impossible de me connecter", {"digital_access"}),
    ("Les explications n'étaient pas claires", {"clarity"}),
    ("Trop cher pour moi", {"cost"}),
    ("Fermé le samedi, horaires impossibles", {"opening_hours"}),
    ("Le dossier à remplir est compliqué", {"paperwork"}),
    ("Personne ne répond au téléphone", {"phone_contact"}),
    ("Merci pour tout", set()),
    ("Les delais sont longs mais l'accueil est bien", {"waiting_times", "reception"}),  # no accents
    (None, None),
    ("   ", None),
]
EN_CORPUS = [
    ("I waited six weeks for an appointment", {"waiting_times"}),
    ("The staff were rude and dismissive", {"staff"}),
    ("The website kept logging me out, I could not upload documents", {"digital_access", "paperwork"}),
    ("Clear explanations, I understood everything", {"clarity"}),
    ("Too expensive, the fees are high", {"cost"}),
    ("Closed on Saturdays", {"opening_hours"}),
    ("Nobody answered the phone", {"phone_contact"}),
    ("They helped me find a solution", {"support"}),
    ("Friendly reception desk", {"reception", "staff"}),
    ("Nothing to add", set()),
    ("Delays, delays and more delays", {"waiting_times"}),
]


def _expected_counts(corpus):
    sets = [s for _, s in corpus if s is not None]
    themes = sorted(set().union(*sets))
    return {t: sum(t in s for s in sets) for t in themes}, len(sets)


@pytest.mark.parametrize("language, corpus", [("fr", FR_CORPUS), ("en", EN_CORPUS)])
def test_themes_counted_on_a_planted_corpus(language, corpus):
    result = analyse_comments([t for t, _ in corpus], language=language, min_cell_size=5, n_topics=None)
    expected, n = _expected_counts(corpus)
    assert result.n_comments == n and result.n_total == len(corpus)
    got = result.themes.set_index("theme")
    for theme in got.index:
        assert got.loc[theme, "count"] == expected.get(theme, 0), theme
        assert got.loc[theme, "share"] == pytest.approx(expected.get(theme, 0) / n)
    assert list(got["count"]) == sorted(got["count"], reverse=True)
    # Quotes are members of their theme.
    members = {t: {text for text, s in corpus if s and t in s} for t in expected}
    for theme, quotes in got["quotes"].items():
        assert set(quotes) <= {q.strip() for q in members.get(theme, set())}
        assert len(quotes) == min(3, expected.get(theme, 0))


def test_user_themes_extend_or_replace_the_default():
    texts = ["Le loyer est trop élevé", "Mon logement est humide", "Attente trop longue"] * 4
    extended = analyse_comments(texts, themes={"housing": {"label": "Logement", "keywords": ["loyer", "logement"]}})
    counts = extended.themes.set_index("theme")["count"]
    assert counts["housing"] == 8 and counts["waiting_times"] == 4
    assert extended.themes.set_index("theme").loc["housing", "label"] == "Logement"
    replaced = analyse_comments(texts, themes={"mode": "replace", "housing": ["loyer"]})
    assert list(replaced.themes["theme"]) == ["housing"] and replaced.themes["count"].iloc[0] == 4
    more = analyse_comments(texts, themes={"waiting_times": ["humide"], "cost": None})
    assert more.themes.set_index("theme").loc["waiting_times", "count"] == 8
    assert "cost" not in set(more.themes["theme"])
    labelled = resolve_themes({"housing": {"label": {"fr": "Logement"}, "keywords": ["loyer"]}}, label_language="en")
    assert labelled["housing"]["label"] == "Logement" and labelled["waiting_times"]["label"] == "Waiting times"
    per_language = resolve_themes({"housing": {"label": {"fr": "Logement", "en": "Housing"},
                                               "keywords": {"fr": ["loyer"], "en": ["rent"]}}}, language="en")
    assert per_language["housing"] == {"label": "Housing", "keywords": ("rent",)}


@pytest.mark.parametrize(
    "themes, message",
    [
        (["attente"], "themes must be a mapping"),
        ({"housing": [3]}, r"themes\.housing\.keywords must be a list of non-empty strings"),
        ({"housing": {"words": ["loyer"]}}, r"themes\.housing: unknown key"),
        ({"nothing": None}, "no default theme 'nothing'"),
        ({"housing": {"keywords": {"de": ["Miete"]}}}, "unknown language"),
        ({"housing": ["123"]}, "contain no letters"),
        ({"mode": "merge"}, "themes mode must be one of"),
    ],
)
def test_bad_theme_settings_name_the_culprit(themes, message):
    with pytest.raises(ConfigError, match=message):
        analyse_comments(["attente"] * 12, themes=themes)


# --- topics --------------------------------------------------------------------------------------

def _two_topic_corpus(n=60, seed=1, language="fr"):
    """Comments drawn from two disjoint vocabularies (waiting vs online access) plus shared filler words."""
    rng = np.random.default_rng(seed)
    vocab, filler = {
        "fr": ([["attente", "délai", "semaines", "retard", "lenteur", "patienter"],
                ["internet", "connexion", "bug", "ordinateur", "identifiant", "plateforme"]],
               ["service", "vraiment", "dossier", "mairie", "franchement", "encore"]),
        "en": ([["waiting", "delay", "weeks", "queue", "slow", "backlog"],
                ["website", "login", "password", "crash", "browser", "upload"]],
               ["really", "council", "office", "honestly", "again", "service"]),
    }[language]
    truth = np.arange(n) % 2
    texts = [
        " ".join(rng.permutation(list(rng.choice(vocab[t], 3, replace=False)) + list(rng.choice(filler, 2))))
        for t in truth
    ]
    return texts, truth, vocab


@pytest.mark.parametrize("language", ["fr", "en"])
def test_topics_recover_two_planted_topics(language):
    texts, truth, vocab = _two_topic_corpus(language=language)
    result = analyse_comments(texts, language=language, n_topics=2)
    topics = result.topics
    assert list(topics["topic"]) == [1, 2] and topics["count"].sum() == len(texts)
    assert sorted(topics["count"]) == [30, 30]
    for terms, quotes in zip(topics["terms"], topics["quotes"]):
        group = 0 if terms[0] in vocab[0] else 1
        assert set(terms[:4]) <= set(vocab[group]), terms  # top terms all from one planted vocabulary
        for quote in quotes:
            assert truth[texts.index(quote)] == group
    assert {topics["terms"][0][0] in vocab[0], topics["terms"][1][0] in vocab[0]} == {True, False}


def test_topics_are_deterministic_for_a_seed():
    texts, _, _ = _two_topic_corpus(n=80, seed=3)
    first = analyse_comments(texts, seed=7)
    again = analyse_comments(texts, seed=7)
    pd.testing.assert_frame_equal(first.topics, again.topics)
    pd.testing.assert_frame_equal(first.themes, again.themes)
    assert first.n_topics == 4  # sqrt(80 / 5)


def test_too_few_comments_give_no_topics_and_withhold_themes():
    result = analyse_comments(["Attente trop longue", "Accueil parfait", None], min_cell_size=11)
    assert result.n_comments == 2 and result.topics.empty and result.n_topics == 0
    assert result.themes["masked"].all() and result.themes["count"].isna().all()
    assert all(q == () for q in result.themes["quotes"])
    assert "moins que min_cell_size=11" in result.summary()
    assert result.note_codes == (("too_few_comments", {"n": 2, "min_cell_size": 11}),)
    english = analyse_comments(["Attente trop longue", "Accueil parfait"], output_language="en")
    assert "fewer than min_cell_size=11" in english.summary()
    assert "Waiting times" in set(english.themes["label"]) and english.plot().get_xlabel() == "share of comments (%)"


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"texts": pd.DataFrame({"c": ["a"]})}, DataError, "not a DataFrame"),
        ({"texts": "une seule chaîne"}, DataError, "single string"),
        ({"texts": [7, 8, 9]}, DataError, "holds no text"),
        ({"language": "de"}, ConfigError, "language must be one of"),
        ({"n_topics": 0}, ConfigError, "n_topics must be at least 1"),
        ({"n_quotes": -1}, ConfigError, "n_quotes must be at least 0"),
        ({"min_cell_size": 0}, ConfigError, "min_cell_size must be at least 1"),
        ({"seed": 1.5}, ConfigError, "seed must be an integer"),
    ],
)
def test_bad_arguments_raise_named_errors(kwargs, error, message):
    kwargs = {"texts": ["attente"] * 12, **kwargs}
    with pytest.raises(error, match=message):
        analyse_comments(**kwargs)


# --- no personal data anywhere -------------------------------------------------------------------

def test_no_personal_data_in_any_output():
    texts, _, _ = _two_topic_corpus(n=40, seed=5)
    planted = [raw for _, raw, _ in CASES]
    # Plant each example inside an otherwise typical comment, so it is quoted if anything is.
    texts = [f"{t} {planted[i % len(planted)]}" for i, t in enumerate(texts)] + [
        f"attente {raw} délai semaines" for raw in planted
    ]
    result = analyse_comments(texts, n_quotes=5)
    frame = result.to_frame()
    assert list(frame.columns) == list(FRAME_COLUMNS)
    outputs = [result.summary(), result._repr_html_(), repr(result), frame.to_csv(), frame.to_json()]
    ax = result.plot()
    outputs.append(" ".join(t.get_text() for t in ax.get_yticklabels()))
    quoted = [q for qs in frame["quotes"] for q in qs]
    assert quoted, "the corpus should yield quotes"
    needles = ["jean", "dupont", "example", "mairie-lyon", "gmail", "free.fr", "Paix", "Jaurès", "Saint-Michel",
               "Vignes", "Lilas", "Mairie", "Moulin", "Lorient", "Ajaccio", "Downing", "Baker", "Pennsylvania",
               "Springfield", "WEST", "3M02", "Martin", "Durand", "Dupont", "Lefèvre", "Lee"]
    runs = {run for raw in planted for run in re.findall(r"\d[\d .\-()]{6,}\d", raw)}
    runs |= {re.sub(r"\D", "", run) for run in runs}
    for out in outputs:
        for needle in needles + sorted(runs):
            assert needle not in out, needle
    assert sum(result.n_masked.values()) >= len(planted)
    assert set(result.n_masked) == set(MASK_KINDS)


def test_html_escapes_comment_text():
    texts = ["<script>alert('x')</script> attente & délai trop longue"] * 6 + ["<b>accueil</b> parfait"] * 6
    html = analyse_comments(texts)._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html and "<b>" not in html


def test_plot_draws_one_bar_per_theme():
    import matplotlib

    matplotlib.use("Agg")
    result = analyse_comments([t for t, _ in FR_CORPUS], min_cell_size=5)
    ax = result.plot()
    assert len(ax.patches) == len(result.themes)
    widths = sorted(round(p.get_width(), 9) for p in ax.patches)
    assert widths == sorted(round(100 * s, 9) for s in result.themes["share"])


def test_placeholders_are_not_counted_as_words():
    # "[courriel]" must not make a comment about reaching the service by e-mail, nor "[téléphone]" by phone.
    texts = ["Écrivez-moi à jean.dupont@example.fr", "Mon numéro : 06 12 34 56 78"] * 6
    result = analyse_comments(texts)
    assert result.themes.set_index("theme").loc["phone_contact", "count"] == 0
    assert result.n_masked["email"] == 6 and result.n_masked["phone"] == 6


def test_degenerate_corpora_give_notes_not_errors():
    empty = analyse_comments([None, "", "   "])
    assert empty.n_comments == 0 and empty.topics.empty and empty.themes["count"].isna().all()
    no_words = analyse_comments(["!!!", "1 200 €", "ok"] * 5)  # only stop words, numbers and symbols
    assert no_words.topics.empty and [c for c, _ in no_words.note_codes] == ["no_topics"]
    texts, _, _ = _two_topic_corpus(n=30)
    many = analyse_comments(texts, n_topics=25)
    assert many.n_topics == len(many.topics) < 25
    assert many.note_codes[0] == ("topics_reduced", {"asked": 25, "k": many.n_topics, "n_terms": many.note_codes[0][1]["n_terms"]})
    assert "ramené de 25" in many.notes[0]


def test_labels_and_axis_follow_the_language():
    import matplotlib

    matplotlib.use("Agg")
    texts = [t for t, s in EN_CORPUS if s is not None] * 2
    result = analyse_comments(texts, language="en")
    assert "Waiting times" in set(result.themes["label"])
    assert result.plot().get_xlabel() == "share of comments (%)"
    assert analyse_comments([t for t, _ in FR_CORPUS], min_cell_size=5).plot().get_xlabel() == "part des commentaires (%)"


def test_tfidf_and_quote_choice_agree_with_scikit_learn():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    from impact.feedback.comments import _quotes, _tfidf
    from impact.feedback.themes import joined_tokens, token_table

    texts, _, _ = _two_topic_corpus(n=24, seed=11)
    table = token_table(pd.Series(texts), "fr")
    X, words, n_terms = _tfidf(table, len(texts))
    reference = TfidfVectorizer(token_pattern=r"\S+", lowercase=False, sublinear_tf=True)
    expected = reference.fit_transform(joined_tokens(table, pd.RangeIndex(len(texts))))
    assert n_terms == len(reference.vocabulary_)
    np.testing.assert_allclose(X.toarray(), expected.toarray(), atol=1e-12)
    # The first quote is the member most similar to the members' centroid.
    members = np.arange(len(texts)) % 3 == 0
    centroid = np.asarray(expected[members].mean(axis=0))
    similarity = cosine_similarity(expected[members], centroid).ravel()
    best = np.flatnonzero(members)[np.argmax(similarity)]
    quotes = _quotes(X, members, None, np.array(texts, dtype=object), 2, 240)
    assert quotes[0] == texts[best] and len(quotes) == 2


def test_example_barometer_comments_match_their_documented_truth():
    """The co-created-services example plants theme phrases and personal data with a seeded script (make_data.py)."""
    import json
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "data" / "initiatives" / "co-created-service"
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    comments_truth = truth.get("survey", {})
    if not {"planted_theme_comments", "planted_personal_data"} <= set(comments_truth):
        pytest.skip("the example's truth.json documents no planted comment themes")
    survey = pd.read_csv(folder / "survey.csv")
    result = analyse_comments(survey["comment"], n_topics=2)
    assert result.n_comments == comments_truth["n_comments"]
    counts = result.themes.set_index("theme")["count"]
    for theme, n in comments_truth["planted_theme_comments"].items():
        assert counts[theme] == n, theme
    planted = comments_truth["planted_personal_data"]
    assert {k: result.n_masked[k] for k in planted} == {k: len(v) for k, v in planted.items()}
    outputs = [result.summary(), result._repr_html_(), result.to_frame().to_csv()]
    for values in planted.values():
        for value in values:
            assert not any(value in out for out in outputs), value


def _random_cases(seed=2024, n=200):
    """Seeded random personal data (with its kind) and random harmless numbers, written as people write them."""
    rng = np.random.default_rng(seed)
    sep = lambda: rng.choice([" ", ".", "-", ""])  # noqa: E731
    cases = []
    for _ in range(n):
        s = sep()
        pairs = [f"{rng.integers(0, 100):02d}" for _ in range(4)]
        cases.append(("phone", f"0{rng.integers(1, 10)}{s}" + s.join(pairs)))
        cases.append(("phone", f"+33{rng.choice([' ', ''])}{rng.integers(1, 10)}{s}" + s.join(pairs)))
        dept = rng.choice([f"{rng.integers(1, 96):02d}", "2A", "2B"])
        body = f"{rng.choice([1, 2])}{rng.integers(0, 100):02d}{rng.integers(1, 13):02d}{dept}" \
               f"{rng.integers(1, 1000):03d}{rng.integers(1, 1000):03d}"
        spaced = " ".join([body[0], body[1:3], body[3:5], body[5:7], body[7:10], body[10:13], _nir_key(body)])
        cases.append(("nir", rng.choice([spaced, body + _nir_key(body)])))
        digits = "".join(str(d) for d in rng.integers(0, 10, 23))
        iban = f"FR{rng.integers(10, 100)}{digits}"
        cases.append(("iban", rng.choice([iban, " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))])))
        cases.append(("none", f"{rng.integers(1, 100)} {rng.integers(0, 1000):03d} €"))
        cases.append(("none", f"{rng.integers(1, 29):02d}/{rng.integers(1, 13):02d}/{rng.integers(1990, 2031)}"))
        cases.append(("none", f"{rng.integers(1, 60)} minutes, {rng.integers(1, 12)} semaines, en {rng.integers(1990, 2031)}"))
    return cases


def test_seeded_random_personal_data_is_masked_and_numbers_are_not():
    cases = _random_cases()
    texts = pd.Series([f"Mon numéro : {raw}, merci." for _, raw in cases])
    masked, counts = mask_comments(texts)
    kinds = pd.Series([k for k, _ in cases])
    placeholder = {"phone": "[téléphone]", "nir": "[NIR]", "iban": "[IBAN]"}
    for kind, text in placeholder.items():
        assert (masked[kinds == kind] == f"Mon numéro : {text}, merci.").all(), masked[kinds == kind].head()
        assert counts[kind] == (kinds == kind).sum()
    assert (masked[kinds == "none"] == texts[kinds == "none"]).all()
