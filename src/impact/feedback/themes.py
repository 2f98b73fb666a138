"""Theme dictionaries and the text normalisation shared by themes and topics.

A comment is reduced to a sequence of normalised tokens: lower case, split
on anything that is not a letter, stripped of accents, then
Snowball-stemmed in the comment's language (Porter 2001, the Snowball
French and English stemmers). Accents go first because beneficiaries often
type without them: "délais" and "delais" must give the same token, which
they would not if the stemmer read the accent in one and not the other.

A theme is a list of keywords; a comment belongs to a theme when its token
sequence contains one keyword's token sequence. The default dictionary
(``themes.yaml`` beside this module) covers what beneficiaries of a public
service usually talk about; an initiative extends or replaces it.

References
----------
Porter, M. F. (2001). Snowball: a language for stemming algorithms.
https://snowballstem.org/texts/introduction.html
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from impact.data import check_choice
from impact.errors import ConfigError

__all__ = [
    "LANGUAGES",
    "DEFAULT_THEMES_FILE",
    "default_themes",
    "resolve_themes",
    "token_table",
    "joined_tokens",
    "normalise_words",
    "stop_tokens",
    "keyword_patterns",
    "match_themes",
    "check_language",
]

LANGUAGES = ("fr", "en")
_STEMMERS = {"fr": "french", "en": "english"}
DEFAULT_THEMES_FILE = Path(__file__).with_name("themes.yaml")

# Letters only: digits, punctuation and apostrophes split words, so "l'accueil" gives "l" and "accueil".
_WORD = re.compile(r"[^\W\d_]+")
# Ligatures have no Unicode decomposition; spell them out so "cœur" and "coeur" agree.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})


def check_language(language) -> str:
    """The comments' language: one of :data:`LANGUAGES`."""
    check_choice("language", language, LANGUAGES)
    return language


@lru_cache(maxsize=None)
def _stemmer(language: str):
    import snowballstemmer

    return snowballstemmer.stemmer(_STEMMERS[language])


def normalise_words(words, language: str) -> pd.Series:
    """Map lower-case words to their normalised token (the stem of the accent-free word), indexed by word.

    Works on the distinct words only, so a corpus costs one stemmer call per
    vocabulary entry, not per occurrence.
    """
    words = pd.Index(pd.unique(np.asarray(words, dtype=object)))
    plain = (
        pd.Series(words, index=words, dtype=object)
        .str.translate(_LIGATURES)
        .str.normalize("NFKD")
        .str.replace(r"[\u0300-\u036f]", "", regex=True)
    )
    return pd.Series(_stemmer(language).stemWords(list(plain)), index=words, dtype=object)


def token_table(texts: pd.Series, language: str) -> pd.DataFrame:
    """One row per word occurrence: ``doc`` (the index label of its text), ``word`` (lower case), ``token``.

    Rows keep the order of the words within each text.
    """
    words = texts.fillna("").astype(str).str.lower().str.findall(_WORD).explode().dropna()
    if words.empty:
        return pd.DataFrame({"doc": pd.Series(dtype=texts.index.dtype), "word": pd.Series(dtype=object),
                             "token": pd.Series(dtype=object)})
    tokens = words.map(normalise_words(words.to_numpy(), language))
    return pd.DataFrame({"doc": words.index, "word": words.to_numpy(), "token": tokens.to_numpy()})


def joined_tokens(table: pd.DataFrame, index: pd.Index) -> pd.Series:
    """Each text's tokens joined by single spaces (``""`` for a text without words), on ``index``."""
    if table.empty:
        return pd.Series("", index=index, dtype=object)
    # One C-level join of the whole table, cut at the rows where the text changes (rows of a text are
    # contiguous), instead of one Python join per text.
    docs = table["doc"].to_numpy()
    last = np.r_[docs[1:] != docs[:-1], True]
    parts = np.empty(2 * len(table), dtype=object)
    parts[0::2] = table["token"].to_numpy(dtype=object)
    parts[1::2] = np.where(last, "\n", " ")
    joined = pd.Series("".join(parts)[:-1].split("\n"), index=docs[last], dtype=object)
    return joined.reindex(index, fill_value="").astype(object)


@lru_cache(maxsize=None)
def _stop_tokens(language: str) -> frozenset:
    from stop_words import get_stop_words

    words = pd.Series(get_stop_words(language), dtype=object).str.lower()
    table = token_table(words, language)
    return frozenset(table["token"])


def stop_tokens(language: str, keep=()) -> frozenset:
    """Normalised stop words of ``language`` (from the ``stop-words`` package), minus the tokens in ``keep``.

    The package's English list is long (it holds "help", "information",
    "clear"); passing the theme keywords' tokens as ``keep`` lets a topic
    be named by the words a theme is about.
    """
    return _stop_tokens(check_language(language)) - frozenset(keep)


@lru_cache(maxsize=None)
def default_themes() -> dict:
    """The default theme dictionary, as read from ``themes.yaml`` (theme id -> ``{label, keywords}``)."""
    import yaml

    with open(DEFAULT_THEMES_FILE, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _localised(value, language: str, what: str):
    """A per-language value (``{fr: ..., en: ...}``) or a plain one that applies to ``language``."""
    if isinstance(value, Mapping):
        unknown = sorted(set(map(str, value)) - set(LANGUAGES))
        if unknown:
            raise ConfigError(f"{what}: unknown language(s) {unknown}; use {', '.join(LANGUAGES)}")
        return value.get(language)
    return value


def _keywords(raw, theme: str, language: str) -> tuple[str, ...]:
    raw = _localised(raw, language, f"themes.{theme}.keywords")
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, Sequence) or not all(isinstance(k, str) and k.strip() for k in raw):
        raise ConfigError(
            f"themes.{theme}.keywords must be a list of non-empty strings (got {raw!r}); "
            "e.g. keywords: [attente, délai, 'trop long']"
        )
    return tuple(k.strip() for k in raw)


def _theme_entry(theme: str, spec, language: str, label_language: str) -> tuple[str | None, tuple[str, ...]]:
    """(label or None, keywords) from a user's theme: a list of keywords or ``{label, keywords}``.

    The label is taken in ``label_language``, else in ``language``.
    """
    if isinstance(spec, (str, Sequence)) and not isinstance(spec, Mapping):
        return None, _keywords(spec, theme, language)
    if not isinstance(spec, Mapping):
        raise ConfigError(
            f"themes.{theme} must be a list of keywords or a mapping with 'label' and 'keywords' (got {spec!r})"
        )
    unknown = sorted(set(map(str, spec)) - {"label", "keywords"})
    if unknown:
        raise ConfigError(f"themes.{theme}: unknown key(s) {unknown}; a theme has 'label' and 'keywords'")
    what = f"themes.{theme}.label"
    label = _localised(spec.get("label"), label_language, what) or _localised(spec.get("label"), language, what)
    if label is not None and not isinstance(label, str):
        raise ConfigError(f"themes.{theme}.label must be a string (got {label!r})")
    return label, _keywords(spec.get("keywords"), theme, language)


def resolve_themes(
    themes=None, language: str = "fr", mode: str = "extend", label_language: str | None = None
) -> dict[str, dict]:
    """The theme dictionary to use: the default one, extended or replaced by ``themes``.

    Parameters
    ----------
    themes : mapping, path or None
        ``None`` keeps the default dictionary. A mapping (or the path of a
        YAML file holding one) from theme id to either a list of keywords
        or ``{label: ..., keywords: ...}``, where ``label`` and
        ``keywords`` may be given per language (``{fr: ..., en: ...}``).
        With ``mode="extend"`` a new id adds a theme, a known id adds its
        keywords to the default ones (and takes the label, when given), and
        an id mapped to ``null`` or ``false`` drops that theme. A reserved
        key ``mode`` in the mapping overrides the argument, so a YAML file
        can say ``mode: replace``.
    language : {"fr", "en"}
        Which keywords (and, by default, labels) apply.
    mode : {"extend", "replace"}
        ``replace`` ignores the default dictionary.
    label_language : {"fr", "en"} or None
        Language of the labels, when it differs from the comments' (an
        English report on French comments); a label missing in it falls
        back to ``language``, then to the theme id.

    Returns
    -------
    dict
        Theme id -> ``{"label": str, "keywords": tuple[str, ...]}``, in
        dictionary order (defaults first, then the user's new themes).
    """
    language = check_language(language)
    label_language = language if label_language is None else check_language(label_language)
    if isinstance(themes, (str, Path)):
        themes = _read_yaml(Path(themes))
    if themes is not None and not isinstance(themes, Mapping):
        raise ConfigError(
            f"themes must be a mapping from theme id to keywords (got {type(themes).__name__}); "
            "e.g. themes: {attente: [attente, délai]}"
        )
    themes = dict(themes or {})
    mode = themes.pop("mode", mode)
    check_choice("themes mode", mode, ("extend", "replace"))
    out: dict[str, dict] = {}
    if mode == "extend":
        for theme, spec in default_themes().items():
            label, keywords = _theme_entry(theme, spec, language, label_language)
            out[theme] = {"label": label or theme, "keywords": keywords}
    for theme, spec in themes.items():
        theme = str(theme)
        if spec is None or spec is False:
            if theme not in out:
                raise ConfigError(
                    f"themes.{theme} is null, which drops a default theme, but there is no default theme "
                    f"{theme!r}; default themes: {', '.join(default_themes())}"
                )
            del out[theme]
            continue
        label, keywords = _theme_entry(theme, spec, language, label_language)
        if theme in out:
            merged = out[theme]["keywords"] + tuple(k for k in keywords if k not in out[theme]["keywords"])
            out[theme] = {"label": label or out[theme]["label"], "keywords": merged}
        elif not keywords:
            raise ConfigError(
                f"themes.{theme} has no keywords for language {language!r}; add keywords: {{{language}: [...]}}"
            )
        else:
            out[theme] = {"label": label or theme, "keywords": keywords}
    out = {k: v for k, v in out.items() if v["keywords"]}
    if not out:
        raise ConfigError(
            f"the theme dictionary is empty for language {language!r}; give at least one theme with keywords"
        )
    return out


def _read_yaml(path: Path) -> Mapping:
    import yaml

    if not path.is_file():
        raise ConfigError(f"themes file {str(path)!r} not found; give a YAML mapping of theme id to keywords")
    with open(path, encoding="utf-8") as handle:
        try:
            return yaml.safe_load(handle) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"themes file {str(path)!r} is not valid YAML: {exc}") from None


def keyword_patterns(themes: Mapping[str, Mapping], language: str) -> dict[str, str]:
    """One regular expression per theme, matching any of its keywords' token sequences in a joined text."""
    keywords = pd.Series(
        [k for spec in themes.values() for k in spec["keywords"]],
        index=[t for t, spec in themes.items() for _ in spec["keywords"]],
        dtype=object,
    )
    # Tokenise every keyword in one pass; index positions keep keyword -> theme.
    positions = pd.RangeIndex(len(keywords))
    phrases = joined_tokens(token_table(keywords.set_axis(positions), language), positions)
    empty = keywords[(phrases == "").to_numpy()]
    if len(empty):
        raise ConfigError(
            f"theme keyword(s) {list(empty)} (theme {empty.index[0]!r}) contain no letters; "
            "keywords are words, e.g. 'attente'"
        )
    phrases.index = keywords.index
    # Sorted so that the pattern, and any error message quoting it, is the same from run to run.
    alternatives = {
        theme: "|".join(sorted({re.escape(p) for p in phrases.loc[[theme]]}, key=len, reverse=True)) for theme in themes
    }
    return {theme: rf"(?:^| )(?:{alt})(?= |$)" for theme, alt in alternatives.items()}


def match_themes(joined: pd.Series, themes: Mapping[str, Mapping], language: str) -> pd.DataFrame:
    """Boolean frame, one row per text and one column per theme: does the text contain one of the theme's keywords?"""
    patterns = keyword_patterns(themes, language)
    return pd.DataFrame(
        {theme: joined.str.contains(pattern, regex=True) for theme, pattern in patterns.items()},
        index=joined.index,
    ).astype(bool)
