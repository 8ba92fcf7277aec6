"""Languages: which one a request speaks, and its messages.

English is the source language: its text is in the code and templates, marked with ``_()``
(``gettext``), ``ngettext`` or, for text fixed at import time such as form labels,
``lazy_gettext``. Each other language is a catalogue of ``.po`` files under
``app/translations/<language>/``: several files, one per area, so the work of translating can be
split, read at first use and merged in memory into one catalogue per language. No compiled
``.mo`` file is kept in the repository or written at run time.

The request's language: the visitor's choice (a cookie, and for a signed-in user their saved
preference) if it is one we have, else the best match of the browser's ``Accept-Language``,
else English.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from babel.core import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Flask, Response, g, has_request_context, request
from flask_babel import Babel, Domain, get_locale
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from werkzeug.local import LocalProxy

SOURCE = "en"
LANGUAGES = {"en": "English", "es": "Español"}  # code -> the language's own name, for the switcher
# The locale each language formats money and dates in (Babel's data): British English; Spain.
FORMAT_LOCALES = {"en": "en_GB", "es": "es_ES"}
COOKIE = "lang"
COOKIE_SECONDS = 365 * 24 * 3600  # the choice is kept a year
CATALOGUES = Path(__file__).resolve().parents[1] / "translations"  # app/translations


def catalogue_files(language: str) -> list[Path]:
    return sorted((CATALOGUES / language).glob("*.po"))


@lru_cache(maxsize=len(LANGUAGES))
def merged_catalogue(language: str) -> Catalog:
    """Every ``.po`` file of ``language`` as one catalogue. A message in two files keeps the
    first file's translation (files sorted by name); tests/foundation/test_i18n.py checks that
    no two files translate one message differently."""
    merged = Catalog(locale=language, domain="messages")
    for path in catalogue_files(language):
        with path.open("rb") as fh:
            for message in read_po(fh, locale=language):
                if message.id and message.id not in merged:
                    merged[message.id] = message
    return merged


class CatalogueTranslations(Translations):
    """Babel's translations, reading a plural message also when the catalogue keeps its two
    English forms as two plain messages (as ``app.platform.i18n_audit --add-to`` writes them: one
    ``msgid`` for "%(num)d venue", another for "%(num)d venues"). Our languages have English's
    two plural forms (one; other), so the form ``plural(n)`` picks is the matching message."""

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        form = self.plural(n)
        if (msgid1, form) not in self._catalog:
            split = self._catalog.get(msgid1 if form == 0 else msgid2)
            if split:
                return split
        return super().ngettext(msgid1, msgid2, n)

    ungettext = ngettext


@lru_cache(maxsize=len(LANGUAGES))
def translations_for(language: str) -> NullTranslations:
    if language == SOURCE or language not in LANGUAGES:
        return NullTranslations()
    buffer = io.BytesIO()
    write_mo(buffer, merged_catalogue(language))
    buffer.seek(0)
    return CatalogueTranslations(fp=buffer, domain="messages")


def current_locale() -> Locale | None:
    """The current locale (the request's, or the one ``force_locale`` set; None outside an app
    context). Pages ask for it for every message and every date or price they print, so it
    reads what Flask-Babel keeps for the context (``g._flask_babel.babel_locale``) directly and
    asks ``get_locale`` only when none is chosen yet: Flask-Babel's own path costs 3.7 us a
    message, a template's ``_()`` 8.3 us (docs/benchmarks.md, "Signed-in request cost")."""
    try:
        locale = g._flask_babel.babel_locale
    except (AttributeError, RuntimeError):  # not chosen yet in this context; no app context
        locale = None
    return locale if locale is not None else get_locale()


def translations() -> NullTranslations:
    """The catalogue of the current language."""
    locale = current_locale()
    return translations_for(locale.language if locale is not None else SOURCE)


class CatalogueDomain(Domain):
    """Flask-Babel's domain, reading our merged in-memory catalogues instead of ``.mo`` files."""

    def get_translations(self) -> NullTranslations:
        return translations()


# A template's ``_()``, ``gettext`` and ``ngettext``, as Jinja's "newstyle" gettext behaves (the
# message is a format string, its variables escaped when the template autoescapes), calling the
# catalogue directly rather than through Jinja's wrapper and Flask-Babel's lookups.


@pass_context
def template_gettext(context: Context, message: str, /, **variables: object) -> str:
    text = translations().ugettext(message)
    return (Markup(text) if context.eval_ctx.autoescape else text) % variables  # noqa: S704 - our catalogue's text; variables escaped


@pass_context
def template_ngettext(context: Context, singular: str, plural: str, num: int, /, **variables: object) -> str:
    variables.setdefault("num", num)
    text = translations().ungettext(singular, plural, num)
    return (Markup(text) if context.eval_ctx.autoescape else text) % variables  # noqa: S704 - as template_gettext


def language_of(value: str | None) -> str | None:
    """``value`` if it names a language we have ("es", "es-ES", "es_ES" -> "es"), else None."""
    if not value:
        return None
    code = value.replace("-", "_").split("_")[0].lower()
    return code if code in LANGUAGES else None


def select_language() -> str:
    """The request's language: the visitor's choice (the cookie, else a signed-in user's saved
    language), else the browser's, else English. Outside a request (jobs): English, unless the
    caller forces one (``flask_babel.force_locale``, as emails do)."""
    if not has_request_context():
        return SOURCE
    environ = request.environ  # read directly: a cached page asks this on every hit
    chosen = (language_of(request.cookies.get(COOKIE)) if "HTTP_COOKIE" in environ else None) or _saved_language()
    if chosen:
        return chosen
    if not environ.get("HTTP_ACCEPT_LANGUAGE"):
        return SOURCE
    return request.accept_languages.best_match(list(LANGUAGES), default=SOURCE)


def _saved_language() -> str | None:
    """The signed-in user's saved language, from the user row the session's user loader has
    already loaded (before_request hooks load it on every signed-in request): no query of its
    own, and never a load of its own (text translated while the user is being loaded, such as
    a refused session's message, would otherwise load it again, endlessly)."""
    user = g.get("_login_user")
    if user is None or isinstance(user, LocalProxy):  # login_user(current_user) stores the proxy itself
        return None
    return language_of(getattr(user, "language", None))


def remember_choice(response: Response, language: str) -> None:
    """Keep ``language`` (one of LANGUAGES) in the visitor's cookie: a year, SameSite=Lax,
    Secure exactly when the session cookie is."""
    from flask import current_app

    response.set_cookie(
        COOKIE,
        language,
        max_age=COOKIE_SECONDS,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
    )


def current_language() -> str:
    """The language of the current request ("en" outside one)."""
    locale = current_locale()
    return locale.language if locale is not None else SOURCE


def format_locale() -> str:
    """The Babel locale the current request formats money and dates in ("en_GB", "es_ES")."""
    return FORMAT_LOCALES[current_language()]


def vary_on_language(response: Response) -> Response:
    """A page's words follow the browser's language: shared caches must keep one per language."""
    if "Accept-Language" in response.headers.get("Vary", ""):
        return response  # a cached page keeps its Vary (app/web/page_cache.py)
    if response.headers.get("Content-Type", "").startswith("text/html"):
        response.vary.add("Accept-Language")
    return response


def init_app(app: Flask) -> None:
    babel = Babel()
    babel.init_app(app, default_locale=SOURCE, locale_selector=select_language)
    babel.domain_instance = CatalogueDomain()  # cached_property: set once, read by get_domain()
    app.after_request(vary_on_language)
    app.jinja_env.policies["ext.i18n.trimmed"] = True  # {% trans %} blocks: whitespace folded
    # After Babel's own: the same newstyle behaviour, a shorter path (``translations``).
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext, ngettext=template_ngettext)
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["current_language"] = current_language
    for language in LANGUAGES:  # read the catalogues now, not in the first request
        translations_for(language)
