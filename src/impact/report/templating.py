"""HTML from Jinja2 templates with autoescaping, numbers formatted for the report's language.

Python hands a template numbers and plain strings; the template formats the
numbers with Babel through filters (``{{ x | number(2) }}``, ``| money``,
``| pct``, ``| pvalue``, ``| interval(hi)``) and escapes every string, so a
title holding ``<script>`` is shown, never run. The templates live in
``templates/report/*.html.j2``; their words come from the message catalogue
(``L.key``), so a template is the same in every language.
"""

from __future__ import annotations

from functools import lru_cache

from impact.report.i18n import (
    _templates,
    fmt_date,
    fmt_interval,
    fmt_money,
    fmt_number,
    fmt_pct,
    fmt_pvalue,
    fmt_quantity,
    labels,
)

__all__ = ["render", "environment"]


def _clean(value):
    # Control characters from a user's file are not allowed in HTML; strip them before escaping.
    if isinstance(value, str):
        from impact.report.sanitize import clean_text

        return clean_text(value)
    return "" if value is None else value


@lru_cache(maxsize=1)
def environment():
    """The report's :class:`jinja2.Environment`: autoescaping on, undefined names are errors."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_templates() / "report")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_clean,
        keep_trailing_newline=False,
    )

    def lang_filter(func):
        @jinja2.pass_context
        def filt(ctx, value, *args, **kwargs):
            return func(value, ctx["lang"], *args, **kwargs)

        return filt

    env.filters.update(
        number=lang_filter(fmt_number),
        money=lang_filter(fmt_money),
        pct=lang_filter(fmt_pct),
        pvalue=lang_filter(fmt_pvalue),
        date=lang_filter(fmt_date),
        quantity=lang_filter(lambda x, lang, unit=None, digits=1: fmt_quantity(x, unit, lang, digits)),
        interval=lang_filter(lambda lo, lang, hi, digits=1: fmt_interval(lo, hi, lang, digits)),
    )
    return env


def render(name: str, lang: str, **context) -> str:
    """Render ``templates/report/<name>`` in ``lang`` with ``L`` (the messages) and ``context``."""
    return environment().get_template(name).render(lang=lang, L=labels(lang), **context).strip()
