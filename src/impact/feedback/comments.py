"""Beneficiaries' free-text comments: personal data masked, themes, topics and quotes.

Everything here runs offline and without a language model: regular
expressions mask personal data, a keyword dictionary counts themes, and
scikit-learn's TF-IDF with non-negative matrix factorisation finds
data-driven topics. Personal data are masked first, before anything is
counted or quoted, so no e-mail address, phone number, social-security
number (NIR), IBAN or postal address reaches a table, a quote or a plot.

References
----------
Lee, D. D. and Seung, H. S. (1999). Learning the parts of objects by
non-negative matrix factorization. Nature 401, 788-791.
https://doi.org/10.1038/44565
Salton, G. and Buckley, C. (1988). Term-weighting approaches in automatic
text retrieval. Information Processing & Management 24(5), 513-523.
https://doi.org/10.1016/0306-4573(88)90021-0
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import Mapping

import numpy as np
import pandas as pd

from impact.data import check_int
from impact.errors import DataError
from impact.feedback.themes import (
    check_language,
    joined_tokens,
    match_themes,
    resolve_themes,
    stop_tokens,
    token_table,
)
from impact.results import Summary, SummaryDisplay

__all__ = [
    "MASK_KINDS",
    "PLACEHOLDERS",
    "CommentsResult",
    "analyse_comments",
    "mask_comments",
    "mask_personal_data",
    "nir_is_valid",
    "iban_is_valid",
]

#: Kinds of personal data masked, in order of priority where two could match at the same place
#: (long digit runs first, so that an IBAN is not half-read as a phone number).
MASK_KINDS = ("iban", "email", "nir", "phone", "address", "name")

#: Placeholder that replaces each kind, in the comments' language.
PLACEHOLDERS = {
    "fr": {"iban": "[IBAN]", "email": "[courriel]", "nir": "[NIR]", "phone": "[téléphone]", "address": "[adresse]",
           "name": "[nom]"},
    "en": {"iban": "[IBAN]", "email": "[email]", "nir": "[NIR]", "phone": "[phone]", "address": "[address]",
           "name": "[name]"},
}

_SEP = r"[ .\-]?"  # one optional separator between digit groups: space, dot or hyphen
# Street names: words after the street type; particles let "de la Paix" through, a capital continues the
# name ("Jean Jaurès"), and the first lower-case word after that ends it ("... et personne ne répond").
_PART = r"(?:(?:de|du|des|la|le|les|aux|au|sur|sous|en)\s+|[dlDL]['’]\s?)"
_WORD = r"[^\W\d_][\w'’\-]*"
_CAP = r"[A-ZÀ-ÖØ-Þ][\w'’\-]*"
_FR_STREET = (
    r"(?i:rue|avenue|av\.?|boulevard|bd|blvd|chemin|ch\.|all[ée]e|impasse|imp\.|route|rte"
    r"|quai|cit[ée]|r[ée]sidence|lotissement|faubourg|fbg|esplanade|parvis|lieu-dit|chauss[ée]e)"
)
# Street types that are also common words ("1 place de parking", "3 cours de français"): the name after
# them must be capitalised ("place de la Mairie", "cours Mirabeau").
_FR_STREET_WORD = (
    r"(?i:place|pl\.|cours|passage|voie|villa|clos|domaine|square|promenade|sentier|mont[ée]e|hameau)"
)
_FR_POSTCODE = r"(?:0[1-9]|[1-8]\d|9[0-8]|2[AB])\s?\d{3}"
_CITY = rf"{_WORD}(?:[\s\-]+(?:(?i:cedex)(?:\s*\d{{1,2}}\b)?|{_PART}*{_CAP}))*"
_EN_STREET = (
    r"(?i:street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|court|ct|close|way|place|pl"
    r"|terrace|crescent|square|sq|gardens|grove|parkway|pkwy|highway|hwy|row|mews)"
)
_EN_CITY = r"[A-Z][a-z][\w'’\-]*"  # a postcode ("SW1A") is not a city word
_TITLE = r"(?:M\.|Mr\.?|Mrs\.?|Ms\.?|Mme|Mlle|Mmes|Monsieur|Madame|Mademoiselle|Dr\.?|Docteur|Doctor)"
_UK_POSTCODE = r"(?:GIR\s?0AA|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2})"

# In order of priority: where two patterns match at the same place, the first one wins.
_PATTERNS: tuple[tuple[str, str], ...] = tuple(
    (kind, pattern)
    for kind, pattern in [
        # ISO 13616 IBAN: country, check digits, then groups of four; a group after the bank code holds a
        # digit, so a following word is not swallowed; at least 8 digits in all (an IBAN has 11 or more).
        ("iban", r"(?<![\w])[A-Za-z]{2}\d{2}(?=(?:[ \-]?[A-Za-z]{0,4}[ \-]?\d){8})"
                 r"(?:[ \-]?[A-Za-z0-9]{4})(?:[ \-]?(?=[A-Za-z]{0,3}\d)[A-Za-z0-9]{4}){1,7}"
                 r"(?:[ \-]?\d{1,3})?(?![\w])"),
        # The look-behind starts a match only at the start of a word: without it a long run of letters is
        # rescanned from every position (quadratic time).
        # With a real '@' any domain will do: a cut-off address ('j.durand@lapos') still names its owner.
        ("email", r"(?<![\w.+%\-])[\w.+%\-]+(?:@[\w\-]+(?:\.[\w\-]+)*"
                  r"|(?:\s?[\(\[]at[\)\]]\s?|\s(?i:arobase)\s)[\w\-]+(?:\.[\w\-]+)*\.[A-Za-z]{2,}\b)"),
        # NIR: sex, year, month, department (2A/2B for Corsica), commune, order number, optional key.
        ("nir", r"(?<![\w+])[1-478]" + _SEP + r"\d{2}" + _SEP + r"\d{2}" + _SEP + r"(?:\d{2}|2[AaBb])"
                + _SEP + r"\d{3}" + _SEP + r"\d{3}(?:" + _SEP + r"\d{2})?(?![\w])"),
        # International numbers: + or 00, country code, then groups; at least 8 digits in all.
        ("phone", r"(?<![\w+])(?:\+|00)(?=(?:[ .\-()]*\d){8})\d{1,3}"
                  r"(?:" + _SEP + r"(?:\(\d{1,4}\)|\d{1,4})){2,7}(?!\d)"),
        ("phone", r"(?<![\w])0[1-9](?:" + _SEP + r"\d{2}){4}(?!\d)"),
        ("phone", r"(?<![\w(])(?:\(\d{3}\)\s?|\d{3}[.\-])\d{3}[.\-]\d{4}(?!\d)"),
        ("address", rf"(?<![\w])\d{{1,4}}(?:\s?(?i:bis|ter|quater)|[a-dA-D])?,?\s+"
                    rf"(?:{_FR_STREET}\b\.?\s+{_PART}*{_WORD}|{_FR_STREET_WORD}\b\.?\s+{_PART}*{_CAP})"
                    rf"(?:\s+{_PART}*{_CAP})*"
                    rf"(?:\s*,?\s*{_FR_POSTCODE}\s+{_CITY})?"),
        ("address", rf"(?<![\w])\d{{1,5}}[A-Za-z]?\s+(?:(?:{_CAP}|\d+(?:st|nd|rd|th))\s+){{1,4}}{_EN_STREET}\b\.?"
                    rf"(?:\s+(?:NW|NE|SW|SE|N|S|E|W)\b)?(?:,\s*{_EN_CITY}(?:\s+{_EN_CITY})*)?"
                    rf"(?:,?\s*(?:[A-Z]{{2}}\s+\d{{5}}(?:-\d{{4}})?|{_UK_POSTCODE}))?"),
        ("address", rf"(?<![\w])(?:0[1-9]|[1-8]\d|9[0-8]|2[AB])\d{{3}}\s+{_CAP}(?:[\s\-]+{_PART}*{_CAP})*"),
        ("address", rf"\b{_UK_POSTCODE}\b"),
        # A person named after a title ("Mme Martin", "Mr John Smith"); names without a title are not found.
        ("name", rf"\b{_TITLE}\s+{_CAP}(?:[\s\-]+{_CAP})?"),
    ]
)
# One pass over each comment: an alternation of named groups ("phone_4"), whose name gives the kind.
_PERSONAL_DATA = re.compile("|".join(f"(?P<{kind}_{i}>{pattern})" for i, (kind, pattern) in enumerate(_PATTERNS)))
# Every pattern needs a digit, except e-mail addresses and titled names; comments with none of these are
# skipped, and most have none.
_CANDIDATE = re.compile(rf"[\d@]|(?i:arobase)|[\(\[](?i:at)[\)\]]|\b{_TITLE}\s")
_PLACEHOLDER_RE = re.compile(
    r"\[(?:" + "|".join(sorted({re.escape(p[1:-1]) for d in PLACEHOLDERS.values() for p in d.values()})) + r")\]"
)


def nir_is_valid(nir: str) -> bool:
    """Whether a French social-security number's two-digit key checks: ``key == 97 - (number mod 97)``.

    ``nir`` holds 13 characters and the key, with or without spaces; for
    Corsica the department ``2A`` counts as 19 and ``2B`` as 18 (INSEE's
    rule: subtract 1,000,000 or 2,000,000 from the number read with 20).
    Masking does not depend on this check: anything NIR-shaped is masked.
    """
    digits = re.sub(r"[\s.\-]", "", str(nir)).upper()
    if len(digits) != 15:
        return False
    body = digits[:5] + digits[5:7].replace("2A", "19").replace("2B", "18") + digits[7:13]
    if not (body + digits[13:]).isdigit():
        return False
    return int(digits[13:]) == 97 - int(body) % 97


def iban_is_valid(iban: str) -> bool:
    """Whether an IBAN's check digits verify (ISO 13616 / ISO 7064 mod 97-10)."""
    text = re.sub(r"[\s\-]", "", str(iban)).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", text):
        return False
    moved = text[4:] + text[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _texts(texts, name: str = "texts") -> pd.Series:
    """Comments as a Series of strings (missing kept as NaN); reject what cannot be comments."""
    if isinstance(texts, pd.DataFrame):
        raise DataError(f"{name} must be one column of comments, not a DataFrame; pass e.g. data['comment']")
    if isinstance(texts, (str, bytes)):
        raise DataError(f"{name} must be a list or Series of comments (got a single string); wrap it: [text]")
    if texts is None or not hasattr(texts, "__iter__"):
        raise DataError(f"{name} must be a list or Series of comments (got {type(texts).__name__}); "
                        "pass e.g. data['comment']")
    try:
        series = pd.Series(texts, dtype=object) if not isinstance(texts, pd.Series) else texts.astype(object)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be a list or Series of comments (got {type(texts).__name__}): {exc}") from None
    present = series.notna()
    is_str = series[present].map(type).isin([str]).to_numpy()
    if present.any() and not is_str.any():
        sample = series[present].head(3).tolist()
        raise DataError(
            f"{name} holds no text (values like {sample}); pass the free-text comment column, "
            "not a numeric question"
        )
    return series.where(~present, series.astype(str))


def mask_comments(texts, *, language: str = "fr") -> tuple[pd.Series, dict[str, int]]:
    """Mask personal data in every comment; also count what was masked, by kind.

    Returns the masked comments (missing values stay missing) and a dict
    ``{kind: count}`` over :data:`MASK_KINDS`. See :func:`mask_personal_data`.
    """
    language = check_language(language)
    series = _texts(texts)
    present = series.notna()
    masked = series[present].astype(str)
    counts = dict.fromkeys(MASK_KINDS, 0)
    placeholders = PLACEHOLDERS[language]

    def placeholder(match: re.Match) -> str:
        kind = match.lastgroup.rsplit("_", 1)[0]
        counts[kind] += 1
        return placeholders[kind]

    candidates = masked.str.contains(_CANDIDATE).to_numpy(dtype=bool)
    masked[candidates] = masked[candidates].str.replace(_PERSONAL_DATA, placeholder, regex=True)
    return series.where(~present, masked), counts


def mask_personal_data(text: str, *, language: str = "fr") -> str:
    """Replace personal data in ``text`` by placeholders in the comment's language.

    Masked (where two kinds could match at one place, the first listed wins): IBANs (any country, grouped or not),
    e-mail addresses (also written ``(at)``, ``[at]`` or ``arobase``),
    French social-security numbers (NIR: 13 characters and an optional key,
    with or without spaces, Corsica's 2A/2B included, whether the key
    checks or not), phone numbers (French ``06 12 34 56 78``,
    ``06.12.34.56.78``, ``+33 6 ...``, ``0033 ...``, other ``+``
    international numbers and North American ``(555) 123-4567``) and
    postal addresses (a French street number and type, ``12 rue de la Paix,
    75002 Paris``, ``3 bis avenue ...``, ``bd``, ``chemin``, ``allée``,
    ``place``, ``impasse``, ``route`` ...; a postcode and capitalised city;
    English street addresses and UK postcodes), and names after a title
    (``Mme Martin``, ``Monsieur Durand``, ``Mr Smith``, ``Dr Lee``). Each
    becomes ``[IBAN]``, ``[courriel]``/``[email]``, ``[NIR]``,
    ``[téléphone]``/``[phone]``, ``[adresse]``/``[address]``, ``[nom]``/``[name]``.

    Parameters
    ----------
    text : str
        One comment.
    language : {"fr", "en"}
        Language of the placeholders.

    Notes
    -----
    Patterns, not understanding: names without a title, and addresses
    written without a street number or postcode ("chez moi, rue de la
    Paix"), are not recognised. Amounts (``1 200 €``), dates (``12/03/2024``), years
    and ordinary numbers are left alone. Masking errs towards masking: a
    capitalised word after a postcode is taken for a city.

    Examples
    --------
    >>> mask_personal_data("Appelez-moi au 06 12 34 56 78 ou jean.dupont@example.fr")
    'Appelez-moi au [téléphone] ou [courriel]'
    """
    if not isinstance(text, str):
        raise DataError(f"text must be a string (got {type(text).__name__}); for many comments use mask_comments")
    masked, _ = mask_comments([text], language=language)
    return masked.iloc[0]


def _shorten(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"


def _quotes(X, members: np.ndarray, centre, texts: np.ndarray, n: int, max_chars: int) -> tuple[str, ...]:
    """The ``n`` members most similar (cosine) to ``centre``, short ones first; deterministic ties by position.

    ``centre`` defaults to the members' mean TF-IDF vector (the theme's centroid).
    """
    idx = np.flatnonzero(members)
    if n == 0 or idx.size == 0:
        return ()
    rows = X[idx]
    centre = np.asarray(rows.mean(axis=0)).ravel() if centre is None else np.asarray(centre, dtype=float)
    norm = np.linalg.norm(centre)
    sim = rows @ centre / norm if norm > 0 else np.zeros(idx.size)
    chosen = texts[idx]
    too_long = pd.Series(chosen, dtype=object).str.len().to_numpy() > max_chars
    order = np.lexsort((idx, -np.round(sim, 12), too_long))
    picked = pd.unique(pd.Series(chosen[order], dtype=object))[:n]
    return tuple(_shorten(t, max_chars) for t in picked)


def _n_topics(n_topics, n_docs: int, n_terms: int, min_cell_size: int) -> tuple[int, int | None]:
    """Number of topics, and the number asked for when it had to be reduced."""
    if n_topics is None:
        # A topic needs enough comments to be worth quoting: about sqrt(n/5), at most 10, and at
        # least min_cell_size comments per topic on average.
        k = min(int(round(np.sqrt(n_docs / 5))), n_docs // min_cell_size, 10)
        k = max(k, 2) if n_docs // min_cell_size >= 2 else 0
    else:
        k = check_int("n_topics", n_topics, minimum=1)
    limit = min(n_docs, n_terms)
    if k <= limit:
        return k, None
    if limit < 2:
        return 0, None
    return limit, k


_NMF_MAX_ITER = 500


def _topics(X, vocab_words: np.ndarray, texts: np.ndarray, k: int, seed: int, n_quotes: int, max_chars: int):
    """NMF of the TF-IDF matrix: one row per topic (labelled by its top words), sorted by size."""
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning

    model = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=_NMF_MAX_ITER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        W = model.fit_transform(X)
    H = model.components_
    dominant = np.where(W.max(axis=1) > 0, W.argmax(axis=1), -1)
    sizes = np.bincount(dominant[dominant >= 0], minlength=k)
    top = np.argsort(-H, axis=1, kind="stable")[:, :8]
    rows = []
    for t in np.argsort(-sizes, kind="stable"):
        terms = tuple(vocab_words[j] for j in top[t] if H[t, j] > 0)
        rows.append({
            "label": " / ".join(terms[:3]),
            "terms": terms,
            "count": int(sizes[t]),
            "share": float(sizes[t] / len(texts)),
            "quotes": _quotes(X, dominant == t, H[t], texts, n_quotes, max_chars),
        })
    frame = pd.DataFrame(rows, columns=["label", "terms", "count", "share", "quotes"])
    frame.insert(0, "topic", np.arange(1, len(frame) + 1))
    return frame, int(model.n_iter_)


_THEME_COLUMNS = ["theme", "label", "count", "share", "masked", "quotes"]
_TOPIC_COLUMNS = ["topic", "label", "terms", "count", "share", "quotes"]
#: Columns of :meth:`CommentsResult.to_frame`, in order.
FRAME_COLUMNS = ("kind", "id", "label", "count", "share", "masked", "terms", "quotes")


# Each caveat once per language; the parameters come with the code in CommentsResult.note_codes.
_NOTE_TEXT = {
    "too_few_comments": {
        "en": "only {n} non-empty comments (fewer than min_cell_size={min_cell_size}): themes and quotes "
              "withheld, no topics",
        "fr": "seulement {n} commentaires non vides (moins que min_cell_size={min_cell_size}) : thèmes et "
              "citations non publiés, pas de sujets",
    },
    "topics_reduced": {
        "en": "n_topics reduced from {asked} to {k}: only {n_terms} words appear in two comments or more",
        "fr": "nombre de sujets ramené de {asked} à {k} : seuls {n_terms} mots figurent dans deux "
              "commentaires ou plus",
    },
    "no_topics": {
        "en": "no topics: {n} comments, {n_terms} words appearing in two comments or more, at least "
              "{min_cell_size} comments per topic",
        "fr": "pas de sujets : {n} commentaires, {n_terms} mots présents dans deux commentaires ou plus, au moins "
              "{min_cell_size} commentaires par sujet",
    },
    "nmf_not_converged": {
        "en": "NMF stopped at {max_iter} iterations before converging; topics are approximate",
        "fr": "la factorisation NMF s'est arrêtée à {max_iter} itérations sans converger ; sujets approximatifs",
    },
}

_PLOT_WORDS = {
    "fr": {"xlabel": "part des commentaires (%)", "empty": "trop peu de commentaires"},
    "en": {"xlabel": "share of comments (%)", "empty": "too few comments"},
}


@dataclass(frozen=True, kw_only=True)
class CommentsResult(SummaryDisplay):
    """What beneficiaries' comments say: themes, topics and quotes, all from masked text.

    Attributes
    ----------
    themes : DataFrame
        One row per dictionary theme, most frequent first: ``theme`` (id),
        ``label``, ``count`` (comments mentioning it), ``share`` (of
        non-empty comments; a comment may count for several themes),
        ``masked`` (True when withheld because there are fewer than
        ``min_cell_size`` comments) and ``quotes`` (a tuple of masked quotes).
    topics : DataFrame
        One row per data-driven topic, largest first: ``topic`` (1, 2, ...),
        ``label`` (its three top words), ``terms`` (up to eight top words),
        ``count`` and ``share`` (comments whose dominant topic it is),
        ``quotes``. Empty when there are too few comments.
    n_comments : int
        Non-empty comments analysed.
    n_masked : dict
        Personal-data items masked, by kind (see :data:`MASK_KINDS`).
    notes : tuple of str
        Caveats (too few comments, fewer topics than asked) in ``output_language``;
        ``note_codes`` gives each as ``(code, parameters)``, codes being the keys of ``_NOTE_TEXT``.
    """

    themes: pd.DataFrame = field(repr=False)
    topics: pd.DataFrame = field(repr=False)
    n_comments: int
    n_masked: Mapping[str, int]
    n_total: int = 0
    language: str = "fr"
    output_language: str = "fr"
    n_topics: int = 0
    seed: int = 0
    min_cell_size: int = 11
    notes: tuple[str, ...] = ()
    note_codes: tuple[tuple[str, dict], ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """Themes then topics in one tidy frame with columns :data:`FRAME_COLUMNS`.

        ``kind`` is "theme" or "topic"; ``id`` the theme id or topic number;
        ``terms`` is empty for themes; ``quotes`` is a tuple of masked quotes.
        """
        themes = self.themes.rename(columns={"theme": "id"}).assign(kind="theme", terms=[()] * len(self.themes))
        topics = self.topics.rename(columns={"topic": "id"}).assign(kind="topic", masked=False)
        frames = [f.reindex(columns=FRAME_COLUMNS) for f in (themes, topics) if len(f)]
        if not frames:
            return pd.DataFrame(columns=FRAME_COLUMNS)
        out = pd.concat(frames, ignore_index=True)
        out["id"] = out["id"].astype(str)
        return out

    @cached_property
    def _summary(self) -> Summary:
        masked = ", ".join(f"{k} {v}" for k, v in self.n_masked.items() if v) or "none found"
        header = (
            ("Comments analysed", f"{self.n_comments}" + (
                f" (of {self.n_total}; the others are empty)" if self.n_total > self.n_comments else "")),
            ("Language", self.language),
            ("Personal data masked", masked),
            ("Themes", f"keyword dictionary, {len(self.themes)} themes, matched on Snowball stems"),
            ("Topics", f"TF-IDF + NMF, {self.n_topics} topics, seed {self.seed}" if self.n_topics else "none"),
            ("Small cells", f"fewer than {self.min_cell_size} comments are not reported"),
        )
        table = self.to_frame().drop(columns=["quotes", "terms"])
        quotes = tuple(
            f"{kind} '{label}': " + " | ".join(f"« {q} »" for q in qs)
            for kind, label, qs in self.to_frame()[["kind", "label", "quotes"]].itertuples(index=False)
            if len(qs)
        )
        return Summary("Beneficiaries' comments", header, table, tuple(self.notes) + quotes)


    def plot(self, ax=None, color: str = "C0", xlabel: str | None = None):
        """Horizontal bar chart of the share of comments mentioning each theme; returns the Axes.

        The axis is labelled in ``output_language`` unless ``xlabel`` says otherwise.
        """
        from impact.plots import _axes

        words = _PLOT_WORDS[self.output_language]
        shown = self.themes[~self.themes["masked"]].iloc[::-1]
        ax = _axes(ax, figsize=(7, 0.6 + 0.35 * max(len(shown), 1)))
        ax.barh(shown["label"].astype(str), 100 * shown["share"].astype(float), color=color)
        ax.set_xlabel(words["xlabel"] if xlabel is None else xlabel)
        ax.set_xlim(0, 100)
        if shown.empty:
            ax.text(0.5, 0.5, words["empty"], transform=ax.transAxes, ha="center", va="center")
        return ax


def analyse_comments(
    texts,
    language: str = "fr",
    themes=None,
    n_topics: int | None = None,
    n_quotes: int = 3,
    seed: int = 0,
    min_cell_size: int = 11,
    *,
    themes_mode: str = "extend",
    max_quote_chars: int = 240,
    output_language: str | None = None,
) -> CommentsResult:
    """Themes, topics and representative quotes of beneficiaries' free-text comments.

    Personal data are masked first (:func:`mask_comments`); every count,
    topic and quote is computed from the masked text, with the placeholders
    themselves removed before counting.

    Parameters
    ----------
    texts : Series or list of str
        The comments; missing and blank ones are counted as empty.
    language : {"fr", "en"}
        Language of the comments: stemmer, stop words, keywords, labels and placeholders.
    themes : mapping, path or None
        The initiative's own themes, extending the default dictionary (see
        :func:`impact.feedback.themes.resolve_themes`).
    n_topics : int or None
        Number of NMF topics; ``None`` picks about ``sqrt(n / 5)`` (at most
        10, at least 2, and no more than one per ``min_cell_size`` comments).
    n_quotes : int
        Quotes per theme and topic.
    seed : int
        Seed of the NMF initialisation (``nndsvda`` is deterministic; the
        seed only matters for ties), so the same seed gives the same topics.
    min_cell_size : int
        With fewer non-empty comments, themes are withheld and no topic is fitted.
    themes_mode : {"extend", "replace"}
        Whether ``themes`` extends or replaces the default dictionary.
    max_quote_chars : int
        Longer comments are quoted only when no shorter one is as typical, and then cut at a word.
    output_language : {"fr", "en"} or None
        Language of theme labels, notes and the plot's axis (default: the
        comments' language), for an English report on French comments.
        ``note_codes`` holds the notes as ``(code, parameters)`` for a
        report that translates them itself.

    Returns
    -------
    CommentsResult

    Notes
    -----
    Themes: a comment belongs to a theme when its stemmed, accent-free
    tokens contain one of the theme's keywords; shares are out of non-empty
    comments and may add up to more than 1. Quotes are the members most
    similar (cosine of TF-IDF vectors) to the theme's centroid. Topics:
    TF-IDF (sublinear term frequency, Salton & Buckley 1988) of the stemmed
    comments without stop words, factorised by NMF (Lee & Seung 1999); each
    comment goes to its dominant topic; a topic is named by the most
    frequent surface form of its top stems. Topics are descriptive: they
    depend on the number chosen and on the vocabulary of the sample.
    """
    language = check_language(language)
    output_language = language if output_language is None else check_language(output_language)
    n_quotes = check_int("n_quotes", n_quotes, minimum=0)
    seed = check_int("seed", seed, minimum=0)
    min_cell_size = check_int("min_cell_size", min_cell_size, minimum=1)
    max_quote_chars = check_int("max_quote_chars", max_quote_chars, minimum=20)
    if n_topics is not None:
        check_int("n_topics", n_topics, minimum=1)
    dictionary = resolve_themes(themes, language=language, mode=themes_mode, label_language=output_language)

    masked, counts = mask_comments(texts, language=language)
    clean = masked.fillna("").str.replace(r"\s+", " ", regex=True).str.strip()
    clean = clean[clean != ""].reset_index(drop=True)
    n = len(clean)
    quotes_text = clean.to_numpy(dtype=object)
    # Placeholders are not words of the comment: "[courriel]" must not count as a mention of e-mail.
    table = token_table(clean.str.replace(_PLACEHOLDER_RE, " ", regex=True), language)
    hits = match_themes(joined_tokens(table, clean.index), dictionary, language)
    notes = []

    # Single-word keywords stay in the topic vocabulary even when the stop list holds them ("help"); the
    # little words inside phrases ("mot de passe") do not.
    single = sorted({k for s in dictionary.values() for k in s["keywords"] if " " not in k and "'" not in k})
    keep = set(token_table(pd.Series(single, dtype=object), language)["token"])
    content = table[(table["token"].str.len() > 1) & ~table["token"].isin(stop_tokens(language, keep))]
    X, vocab_words, n_terms = _tfidf(content, n)

    small = n < min_cell_size
    themes_frame = pd.DataFrame({
        "theme": list(dictionary),
        "label": [s["label"] for s in dictionary.values()],
        "count": hits.sum(axis=0).to_numpy(dtype=float) if n else np.zeros(len(dictionary)),
        "share": (hits.mean(axis=0).to_numpy(dtype=float) if n else np.full(len(dictionary), np.nan)),
        "masked": small,
        "quotes": [
            () if small else _quotes(X, hits[t].to_numpy(), None, quotes_text, n_quotes, max_quote_chars)
            for t in dictionary
        ],
    }, columns=_THEME_COLUMNS)
    themes_frame = themes_frame.sort_values("count", ascending=False, kind="stable").reset_index(drop=True)
    if small:
        themes_frame[["count", "share"]] = np.nan
        notes.append(("too_few_comments", {"n": n, "min_cell_size": min_cell_size}))
    else:
        themes_frame["count"] = themes_frame["count"].astype(int)

    topics_frame = pd.DataFrame(columns=_TOPIC_COLUMNS)
    k = 0
    if not small:
        usable = np.asarray((X > 0).sum(axis=0)).ravel() >= 2  # a word in one comment cannot define a topic
        k, asked = _n_topics(n_topics, n, int(usable.sum()), min_cell_size)
        if asked:
            notes.append(("topics_reduced", {"asked": asked, "k": k, "n_terms": int(usable.sum())}))
        if k >= 2 or (n_topics == 1 and k == 1):  # one topic only when asked for
            topics_frame, n_iter = _topics(X[:, usable], vocab_words[usable], quotes_text, k, seed, n_quotes,
                                           max_quote_chars)
            if n_iter >= _NMF_MAX_ITER:
                notes.append(("nmf_not_converged", {"max_iter": _NMF_MAX_ITER}))
        else:
            k = 0
            notes.append(("no_topics", {"n": n, "n_terms": int(usable.sum()), "min_cell_size": min_cell_size}))
    return CommentsResult(
        themes=themes_frame, topics=topics_frame, n_comments=n, n_masked=counts,
        n_total=int(len(masked)), language=language, output_language=output_language, n_topics=k, seed=seed,
        min_cell_size=min_cell_size,
        notes=tuple(_NOTE_TEXT[code][output_language].format(**params) for code, params in notes),
        note_codes=tuple(notes),
    )


def _tfidf(content: pd.DataFrame, n_docs: int):
    """TF-IDF matrix (documents x stems), each stem's most frequent surface word, and the vocabulary size."""
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfTransformer

    if content.empty or n_docs == 0:
        return sparse.csr_matrix((n_docs, 0)), np.array([], dtype=object), 0
    stems, col = np.unique(content["token"].to_numpy(dtype=str), return_inverse=True)
    counts = sparse.coo_matrix(
        (np.ones(len(content)), (content["doc"].to_numpy(dtype=int), col)), shape=(n_docs, len(stems))
    ).tocsr()
    X = TfidfTransformer(sublinear_tf=True).fit_transform(counts)
    # Name a stem by its most frequent spelling; on a tie the accented one ("délais" over "delais"), then
    # alphabetical, so labels are reproducible.
    forms = content.groupby(["token", "word"]).size().rename("n").reset_index()
    forms["ascii"] = forms["word"].str.isascii()
    forms = forms.sort_values(["token", "n", "ascii", "word"], ascending=[True, False, True, True])
    forms = forms.drop_duplicates("token")
    words = forms.set_index("token")["word"].reindex(stems).to_numpy(dtype=object)
    return X, words, len(stems)
