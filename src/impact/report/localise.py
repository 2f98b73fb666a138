"""An initiative's own words in the report's language.

Every text an initiative's author writes in ``initiative.yaml`` (title,
description, outcome label, indicator labels, question labels, case study,
cost and benefit category names, owner) may be a plain string, used in every
language, or a mapping of language codes to strings::

    title: {en: "Digital housing applications", fr: "Demandes de logement social dématérialisées"}

:func:`localise_config` resolves a whole configuration once, right after
loading, for one report language, so that the rest of the report keeps
seeing plain strings. Only the known text keys are visited: data column
names, ids, dates and numbers are never touched. Cost and benefit categories
are keys of their flows, so their names in other languages are given beside
them in ``cost_benefit.labels`` (``{category: {fr: "..."}}``; the key is the
name in the initiative's ``language:``) and the categories are renamed,
everywhere they appear, to the resolved name.
"""

from __future__ import annotations

import copy
import re
from typing import Any

__all__ = ["localise", "localise_config", "check_texts", "TEXT_KEYS"]

_CODE = re.compile(r"^[a-z]{2,3}([_-][A-Za-z]{2})?$")
# Where an author's texts live: top-level keys, keys of `data`, of each indicator, of each feedback question and of
# the case study. Anything else (columns, ids, dates, amounts) is data and is never resolved.
TEXT_KEYS = {
    "": ("title", "description", "owner"),
    "data": ("outcome_label",),
    "indicators[]": ("label", "unit", "source"),
    "feedback.questions[]": ("label",),
    "case_study": ("context", "what_was_done", "results", "lessons", "quotes"),
}
_FLOWS = ("costs", "benefits", "effect_benefits")


def _is_translations(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(isinstance(k, str) and _CODE.match(k) for k in value)


def localise(value: Any, lang: str | None, fallback: str | None = None) -> Any:
    """The text of ``value`` in ``lang``.

    A plain string is returned as is (it serves every language); a mapping of
    language codes to texts gives its text in ``lang``, else in ``fallback``
    (the initiative's ``language:``), else in English, else the first one
    given. A list (lessons, quotes) is resolved item by item. Anything else
    (``None``, a number) is returned unchanged.
    """
    if isinstance(value, list):
        return [localise(v, lang, fallback) for v in value]
    if not isinstance(value, dict) or not value:
        return value
    for code in (lang, fallback, "en"):
        if code is not None and code in value:
            return value[code]
    return next(iter(value.values()))


def _category_name(category: Any, value: Any, lang: str | None, fallback: str | None) -> Any:
    """A cost or benefit category's name in ``lang``: its key is its name in the initiative's own language."""
    if isinstance(value, dict):
        value = {fallback or "en": category, **value}
    return localise(value, lang, fallback)


def _text_places(config: dict):
    """``(container, key, location)`` of every text the author may translate."""
    for section, keys in TEXT_KEYS.items():
        if section == "":
            containers = [(config, "")]
        elif section.endswith("[]"):
            head = section[:-2].split(".")
            node: Any = config
            for part in head:
                node = node.get(part) if isinstance(node, dict) else None
            containers = [(item, f"{section[:-2]}[{i}].") for i, item in enumerate(node)
                          if isinstance(item, dict)] if isinstance(node, list) else []
        else:
            node = config.get(section)
            containers = [(node, f"{section}.")] if isinstance(node, dict) else []
        for container, where in containers:
            for key in keys:
                if key in container:
                    yield container, key, f"{where}{key}"


def _check_text(value: Any, where: str, lists: bool) -> list[str]:
    if isinstance(value, list) and lists:
        return [p for i, v in enumerate(value) for p in _check_text(v, f"{where}[{i}]", False)]
    if not isinstance(value, dict):
        return []  # plain texts (and their type errors) are checked with the rest of the configuration
    example = f'e.g. {{en: "...", fr: "..."}}'
    if not value:
        return [f"{where}: an empty mapping; give a text or texts by language, {example}"]
    problems = []
    for code, text in value.items():
        if not (isinstance(code, str) and _CODE.match(code)):
            problems.append(f"{where}: {code!r} is not a language code such as en or fr; a text by language is "
                            f"written {example}")
        elif not ((isinstance(text, str) and text.strip()) or (lists and isinstance(text, list)
                                                               and all(isinstance(t, str) for t in text))):
            problems.append(f"{where}.{code}: must be a non-empty text (got {text!r})")
    return problems


def check_texts(config: Any) -> list[str]:
    """Problems of the texts given by language, each with its location (``indicators[0].label.fr: ...``)."""
    if not isinstance(config, dict):
        return []
    problems = []
    for container, key, where in _text_places(config):
        problems += _check_text(container[key], where, lists=key in ("lessons", "quotes"))
    cba = config.get("cost_benefit")
    names = cba.get("labels") if isinstance(cba, dict) else None
    if names is None:
        return problems
    if not isinstance(names, dict):
        return problems + [f"cost_benefit.labels: must map a category to its names by language, e.g. "
                           f'{{development: {{fr: "développement"}}}} (got {names!r})']
    categories = {c for k in _FLOWS if isinstance(cba.get(k), dict) for c in cba[k]}
    for cat, value in names.items():
        if cat not in categories:
            problems.append(f"cost_benefit.labels.{cat}: no such cost or benefit category; "
                            f"categories: {', '.join(map(str, sorted(categories, key=str))) or 'none'}")
        elif not isinstance(value, (str, dict)):
            problems.append(f"cost_benefit.labels.{cat}: must be a text or texts by language (got {value!r})")
        else:
            problems += _check_text(value, f"cost_benefit.labels.{cat}", lists=False)
    # Categories are renamed in each language: two may not end up with the same name in any of them.
    fallback = config.get("language") if isinstance(config.get("language"), str) else None
    codes = {c for v in names.values() if isinstance(v, dict) for c in v} | {None}
    for code in sorted(codes, key=str):
        renamed = [_category_name(c, names[c], code, fallback) if isinstance(names.get(c), (str, dict)) else c
                   for c in categories]
        if len(set(map(str, renamed))) < len(categories):
            problems.append(f"cost_benefit.labels: two categories would have the same name"
                            f"{f' in {code!r}' if code else ''}; give each its own")
            break
    return problems


def localise_config(config: dict, lang: str | None = None) -> dict:
    """A copy of ``config`` with every author's text resolved for ``lang`` (default: the initiative's language).

    The configuration must have passed :func:`check_texts`; a mapping that is
    not texts by language is left for validation to report.
    """
    if not isinstance(config, dict):
        return config
    config = copy.deepcopy(config)
    fallback = config.get("language") if isinstance(config.get("language"), str) else None
    lang = lang or fallback
    for container, key, _ in _text_places(config):
        value = container[key]
        if _is_translations(value) or (isinstance(value, list) and any(_is_translations(v) for v in value)):
            container[key] = localise(value, lang, fallback)
    cba = config.get("cost_benefit")
    if isinstance(cba, dict) and "labels" in cba:
        names = cba.pop("labels")
        if isinstance(names, dict):
            rename = {cat: _category_name(cat, v, lang, fallback) for cat, v in names.items()
                      if isinstance(v, (str, dict))}
            rename = {cat: new for cat, new in rename.items() if isinstance(new, str)}
            # The same category is named in its flows and in monte_carlo.uncertain; both follow the new name.
            for key in _FLOWS:
                if isinstance(cba.get(key), dict):
                    cba[key] = {rename.get(c, c): v for c, v in cba[key].items()}
            mc = cba.get("monte_carlo")
            if isinstance(mc, dict) and isinstance(mc.get("uncertain"), dict):
                mc["uncertain"] = {rename.get(c, c): v for c, v in mc["uncertain"].items()}
    return config
