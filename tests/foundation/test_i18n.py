"""Languages: the request's language, the merged catalogues, translated pages."""

from __future__ import annotations

from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext

from app.platform import i18n


def test_language_of_accepts_only_languages_we_have():
    assert i18n.language_of("es") == "es"
    assert i18n.language_of("es-ES") == "es"
    assert i18n.language_of("ES_mx") == "es"
    assert i18n.language_of("fr") is None
    assert i18n.language_of("") is None
    assert i18n.language_of(None) is None


def test_browser_language_chooses_the_page_language(client):
    spanish = client.get("/", headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"})
    english = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    unknown = client.get("/", headers={"Accept-Language": "fr-FR"})
    assert "Privacidad" in spanish.get_data(as_text=True)
    assert "Privacy" in english.get_data(as_text=True)
    assert "Privacy" in unknown.get_data(as_text=True)  # a language we don't have: English


def test_the_language_cookie_wins_over_the_browser(client):
    client.set_cookie(i18n.COOKIE, "es")
    assert "Privacidad" in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    client.set_cookie(i18n.COOKIE, "xx")  # not a language we have: the browser's
    assert "Privacy" in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_no_two_catalogue_files_translate_a_message_differently():
    for language in i18n.LANGUAGES:
        if language == i18n.SOURCE:
            continue
        seen: dict[str, tuple[str, str]] = {}
        for path in i18n.catalogue_files(language):
            with path.open("rb") as fh:
                for message in read_po(fh, locale=language):
                    if not message.id:
                        continue
                    if message.id in seen:
                        first_file, first = seen[message.id]
                        assert first == message.string, (
                            f"{message.id!r}: {first_file} says {first!r}, {path.name} says {message.string!r}"
                        )
                    else:
                        seen[message.id] = (path.name, message.string)


def test_a_cached_public_page_is_kept_per_language(client, page_cache):
    for _ in range(2):  # the second round is served from the page cache
        spanish = client.get("/", headers={"Accept-Language": "es"}).get_data(as_text=True)
        english = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert "Privacidad" in spanish and "Privacy" not in spanish
        assert "Privacy" in english and "Privacidad" not in english


def test_pages_tell_shared_caches_they_vary_by_language(client):
    assert "Accept-Language" in client.get("/").headers.get("Vary", "")


# -- Python text: marked, and translated -------------------------------------------------------


def test_python_text_a_user_sees_goes_through_gettext():
    """flash(...), a raised user-facing error, a WTForms label, choice, description or message:
    never a plain string (app/platform/i18n_audit.py lists the classes and the reasoned exceptions)."""
    from app.platform import i18n_audit

    unmarked = [f for path in i18n_audit.python_files() for f in i18n_audit.unmarked_python(path)]
    assert unmarked == [], "\n".join(f"{f.path}:{f.line}: {f.text}" for f in unmarked)


def test_the_guard_catches_each_kind_of_plain_text(tmp_path, monkeypatch):
    from app.platform import i18n_audit

    source = tmp_path / "app" / "demo_forms.py"
    source.parent.mkdir()
    source.write_text(
        "from flask_babel import gettext as _\n"
        "flash('Saved.')\n"
        "flash(_('Saved.'))\n"
        "raise ValidationFailed(f'Too many: {n}')\n"
        "raise ValidationFailed(_('Too many: %(n)s', n=n))\n"
        "raise InvalidEvent('for the webhook')\n"
        "name = StringField('Name', validators=[Length(max=5, message='Too long.')])\n"
        "kind = SelectField(_l('Kind'), choices=[('a', 'Apple'), ('b', _l('Banana'))])\n"
        "raise ValueError('Enter a whole number.')\n"
    )
    monkeypatch.setattr(i18n_audit, "ROOT", tmp_path)
    found = sorted((f.line, f.text.split("(")[0]) for f in i18n_audit.unmarked_python(source))
    assert found == [
        (2, "flash"),
        (4, "raise ValidationFailed"),
        (7, "Length"),
        (7, "StringField"),
        (8, "SelectField"),
        (9, "raise ValueError"),  # a forms module: WTForms shows a parser's ValueError
    ]


def test_every_python_message_has_a_spanish_translation():
    from app.platform import i18n_audit

    missing = i18n_audit.untranslated("es", i18n_audit.python_files())
    assert missing == [], "\n".join(f"{f.path}:{f.line}: {f.text}" for f in missing[:50])


# -- the guard: no text left untranslated in the second language ------------------------


def test_every_template_text_is_marked():
    from app.platform import i18n_audit

    unmarked = [f for path in i18n_audit.template_files() for f in i18n_audit.unmarked_text(path)]
    assert unmarked == [], "\n".join(f"{f.path}:{f.line}: {f.text}" for f in unmarked[:50])


def test_every_marked_message_in_code_and_templates_has_a_spanish_translation():
    from app.platform import i18n_audit

    # app/, search/ and templates/ (every template, email and the words static/js shows)
    assert any(p.suffix == ".html" for p in i18n_audit.source_files())
    missing = i18n_audit.untranslated("es")
    assert missing == [], "\n".join(f"{f.path}:{f.line}: {f.text}" for f in missing[:50])


def test_plural_messages_are_translated_by_their_number(app):
    from flask_babel import force_locale, ngettext

    with app.app_context(), app.test_request_context(), force_locale("es"):
        assert ngettext("%(num)d venue", "%(num)d venues", 1) == "1 centro"
        assert ngettext("%(num)d venue", "%(num)d venues", 3) == "3 centros"
    with app.app_context(), app.test_request_context():
        assert ngettext("%(num)d venue", "%(num)d venues", 3) == "3 venues"


def test_a_flash_message_speaks_the_visitors_language(web, client, customer):
    web.sign_in_as(customer)
    client.set_cookie(i18n.COOKIE, "es")
    page = web.post("/account/sign-out", follow_redirects=True).get_data(as_text=True)
    assert "Has cerrado sesión." in page and "You are signed out." not in page


def test_error_pages_speak_the_visitors_language(client):
    spanish = client.get("/no-such-page", headers={"Accept-Language": "es"})
    assert spanish.status_code == 404 and "Página no encontrada" in spanish.get_data(as_text=True)
    english = client.get("/no-such-page", headers={"Accept-Language": "en"})
    assert "Page not found" in english.get_data(as_text=True)


# -- money and dates: one helper, the request's locale ------------------------------------------


def test_money_and_dates_are_formatted_in_the_requests_locale(app):
    from datetime import date

    from app.platform.money import format_money
    from app.platform.timefmt import LONG_DAY, day_words

    day = date(2026, 10, 25)
    # Each request has its own application context (and so its own language), as in production.
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "en"}):
        assert i18n.format_locale() == "en_GB"
        assert format_money(4500, "GBP") == "£45.00"
        assert format_money(4500, "GBP", whole_units=True) == "£45"
        assert day_words(day) == "Sun 25 Oct 2026"
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "es"}):
        assert i18n.format_locale() == "es_ES"
        assert format_money(4500, "GBP") == "45,00\xa0GBP"  # how Spain (CLDR) writes pounds
        assert format_money(123456, "EUR") == "1.234,56\xa0€"
        assert day_words(day, LONG_DAY) == "domingo 25 octubre 2026"
    # Outside a request (a job): English, unless an email forces its recipient's language.
    assert format_money(4500, "GBP") == "£45.00"


def test_no_page_module_hard_codes_a_formatting_locale():
    from app.platform import i18n_audit

    offenders = [
        f"{path.relative_to(i18n_audit.ROOT)}"
        for path in i18n_audit.python_files()
        if path.name != "i18n.py" and ('"en_GB"' in path.read_text() or "'en_GB'" in path.read_text())
    ]
    assert offenders == []


# -- the visitor's choice: the footer's switcher -------------------------------------------------


def test_the_footer_offers_each_language_in_its_own_name(client):
    html = client.get("/").get_data(as_text=True)
    assert 'action="/language"' in html and 'name="language"' in html
    assert '<option value="es" lang="es">Español</option>' in html
    assert '<option value="en" lang="en" selected>English</option>' in html
    assert 'name="next" value="/"' in html


def test_choosing_a_language_sets_the_cookie_and_goes_back(web, client):
    response = web.post("/language", {"language": "es", "next": "/search?q=spa"})
    assert response.status_code == 303 and response.headers["Location"] == "/search?q=spa"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=es;") and "Max-Age=31536000" in cookie and "SameSite=Lax" in cookie
    assert "Privacidad" in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_an_external_next_is_refused_for_home(web):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = web.post("/language", {"language": "es", "next": target})
        assert response.status_code == 303 and response.headers["Location"] == "/"


def test_a_language_we_dont_have_is_a_clear_400_and_changes_nothing(web, client):
    response = web.post("/language", {"language": "fr", "next": "/"})
    assert response.status_code == 400
    assert "Choose one of the languages offered: English, Español." in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers or "lang=" not in response.headers["Set-Cookie"]
    assert "Privacy" in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_without_a_token_only_a_same_origin_form_is_accepted(client):
    # A page shared by every anonymous visitor (the page cache) carries no token.
    forged = client.post("/language", data={"language": "es"}, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 400
    ours = client.post("/language", data={"language": "es"}, headers={"Origin": "http://localhost"})
    assert ours.status_code == 303 and "lang=es" in ours.headers["Set-Cookie"]


def test_a_signed_in_users_choice_is_saved_and_followed_without_the_cookie(web, client, customer):
    from app.platform.extensions import db

    web.sign_in_as(customer)
    without_token = client.post("/language", data={"language": "es"}, headers={"Origin": "http://localhost"})
    assert without_token.status_code == 400  # a signed-in browser always has a token
    assert web.post("/language", {"language": "es", "next": "/"}).status_code == 303
    db.session.refresh(customer)
    assert customer.language == "es"
    client.delete_cookie(i18n.COOKIE)  # another browser of the same user: no cookie yet
    assert "Privacidad" in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_every_gettext_call_in_python_reaches_the_catalogue():
    """A message Babel's extractor can't see (say, nested inside another gettext call's
    arguments) would never be translated: every literal given to _()/_l()/ngettext is extracted."""
    import ast

    from app.platform import i18n_audit

    extracted = set()
    for _path, _line, msgid in i18n_audit.marked_messages(i18n_audit.python_files()):
        extracted.update(msgid if isinstance(msgid, tuple) else (msgid,))
    missed = []
    for path in i18n_audit.python_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and i18n_audit._name(node.func) in ("_", "_l", "gettext", "lazy_gettext", "ngettext")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and node.args[0].value not in extracted
            ):
                missed.append(f"{path.name}:{node.lineno}: {node.args[0].value}")
    assert missed == []


# -- dates in templates and emails: one filter, the request's locale -----------------------------


def test_the_date_filter_writes_month_names_in_the_requests_language(app):
    from datetime import UTC, date, datetime

    from app.platform.timefmt import date_words

    moment = datetime(2026, 10, 5, 14, 3, tzinfo=UTC)
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "en"}):
        assert date_words(moment) == "05 Oct 2026"  # what strftime("%d %b %Y") wrote
        assert date_words(moment, "dd MMMM yyyy") == "05 October 2026"
        assert date_words(moment, "dd MMM yyyy HH:mm 'UTC'") == "05 Oct 2026 14:03 UTC"
        assert date_words(None) == "—"
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "es"}):
        assert date_words(moment) == "05 oct 2026"
        assert date_words(date(2026, 12, 1), "dd MMMM yyyy") == "01 diciembre 2026"
        # a local (naive) time is written as it is, never shifted
        assert date_words(datetime(2026, 10, 5, 9, 30), "EEE dd MMM, HH:mm") == "lun 05 oct, 09:30"


def test_the_legal_pages_date_is_in_the_visitors_language(client):
    spanish = client.get("/privacy", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "22 de noviembre de 2026" in spanish and "November" not in spanish
    english = client.get("/privacy", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Last updated 22 November 2026" in english


def test_an_email_to_a_spanish_speaker_names_the_month_in_spanish(app, outbox, run_jobs):
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from app.platform.email import send_email

    user = SimpleNamespace(first_name="Ana", language="es")
    with app.test_request_context(headers={"Accept-Language": "en"}):  # the sender's language is not used
        send_email(
            "ana@example.com",
            "Subject",
            "account_deletion_scheduled",
            user=user,
            due_at=datetime(2026, 12, 5, 10, 0, tzinfo=UTC),
            days=30,
            sign_in_url="https://cozywish.test/sign-in",
        )
    run_jobs()
    message = outbox[-1]
    assert "05 diciembre 2026" in message.body and "December" not in message.body
    assert "05 diciembre 2026" in message.alternatives[0][0]


# -- the words static/js shows: a JSON data block in the page's language -------------------------


def test_a_spanish_page_carries_the_javascripts_words_and_an_english_page_needs_none(client):
    import json
    import re

    page = client.get("/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    block = re.search(r'<script type="application/json" id="js-text">(.*?)</script>', page, re.S)
    assert block is not None
    words = json.loads(block.group(1))
    assert words["Starting the camera…"] == "Encendiendo la cámara…"  # static/js/check-in.js
    assert words["The feed link is copied."] == "Se ha copiado el enlace del calendario."  # calendar.js
    assert words["Read {code}. Checking in…"] == "Leído {code}. Registrando la llegada…"  # placeholder kept
    # the keys are exactly the English texts the scripts pass to words(): each one is in static/js
    from pathlib import Path

    scripts = "".join(p.read_text(encoding="utf-8") for p in Path(i18n.__file__).parents[2].glob("static/js/*.js"))
    assert [key for key in words if f'"{key}"' not in scripts] == []
    english = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'id="js-text"' not in english


def test_a_templates_messages_follow_the_request_and_a_forced_language(app):
    """Templates reach the catalogue by ``i18n.translations`` (a shorter path than Flask-Babel's):
    the same language as Python's ``gettext``, ``force_locale`` followed, variables escaped as
    Jinja's newstyle gettext escapes them, even one named ``message``."""
    page = app.jinja_env.from_string(
        "{{ _('Cancel') }}|{{ ngettext('%(num)d venue', '%(num)d venues', 3) }}|"
        "{% trans %}Cancel{% endtrans %}|{{ _('%(message)s by email', message='<b>') }}"
    )
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        spanish = page.render()
        assert gettext("Cancel") == "Cancelar"
        with force_locale("en"):
            forced = page.render()
            assert gettext("Cancel") == "Cancel"
        assert page.render() == spanish  # back to the request's own
    assert spanish.split("|")[:3] == ["Cancelar", "3 centros", "Cancelar"]
    assert "&lt;b&gt;" in spanish.split("|")[3] and "<b>" not in spanish
    assert forced.split("|")[:3] == ["Cancel", "3 venues", "Cancel"]
    with app.app_context():  # a job: English
        assert page.render().startswith("Cancel|3 venues|")
