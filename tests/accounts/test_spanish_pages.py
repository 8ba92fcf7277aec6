"""Spanish: the sign-in page, the privacy policy and the emails speak the visitor's (or the
recipient's) language, and English stays as it was."""

from __future__ import annotations

from pathlib import Path

from flask import render_template
from flask_babel import force_locale

from app.platform import i18n_audit

SPANISH = {"Accept-Language": "es-ES,es;q=0.9"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


def test_the_sign_in_page_speaks_spanish(client):
    spanish = client.get("/account/sign-in", headers=SPANISH).get_data(as_text=True)
    english = client.get("/account/sign-in", headers=ENGLISH).get_data(as_text=True)

    assert "Iniciar sesión con una llave de acceso" in spanish and "Sign in with a passkey" not in spanish
    assert "¿Has olvidado tu contraseña?" in spanish and "Forgot your password?" not in spanish
    assert '¿Eres nuevo en CozyWish? <a href="/account/sign-up">Crea una cuenta</a>' in spanish
    assert "Sign in with a passkey" in english and "Iniciar sesión" not in english


def test_the_privacy_policy_speaks_spanish(app, client):
    spanish = client.get("/privacy", headers=SPANISH).get_data(as_text=True)
    english = client.get("/privacy", headers=ENGLISH).get_data(as_text=True)

    assert '<h1 class="h2">Política de privacidad</h1>' in spanish
    assert f"esperamos {app.config['ACCOUNT_DELETION_GRACE_DAYS']} días" in spanish  # values still filled in
    assert "<strong>Acceso y portabilidad</strong>" in spanish  # markup inside a translated sentence stays markup
    assert "Information Commissioner's Office" in spanish  # a name stays as it is
    assert "What we collect and why" not in spanish and "Your rights" not in spanish
    assert '<h1 class="h2">Privacy policy</h1>' in english and "Política" not in english


def test_an_email_renders_in_spanish_under_the_recipients_locale(ctx, customer):
    context = {
        "user": customer,
        "app_name": "CozyWish",
        "subject": "-",
        "reset_url": "https://example.com/r?a=1&b=2",
        "minutes": 30,
    }
    with force_locale("es"):
        text = render_template("emails/reset_password.txt", **context)
        html = render_template("emails/reset_password.html", **context)
    english = render_template("emails/reset_password.txt", **context)

    first = customer.first_name
    assert text.startswith(f"Hola, {first}:")
    assert "El enlace funciona una sola vez, durante 30 minutos." in text
    assert "https://example.com/r?a=1&b=2" in text  # plain text: nothing escaped
    assert "request to reset" not in text
    assert '<html lang="es">' in html and "Elegir una contraseña nueva" in html
    assert "https://example.com/r?a=1&amp;b=2" in html  # HTML: escaped
    assert english.startswith(f"Hi {first},") and "The link works once, for 30 minutes." in english


def test_a_spanish_email_escapes_values_inside_a_translated_sentence_with_markup(ctx, customer):
    with force_locale("es"):
        html = render_template(
            "emails/email_change_notice.html", user=customer, app_name="CozyWish", subject="-", new_email="<b>x@y.es"
        )
    assert "<strong>&lt;b&gt;x@y.es</strong>" in html
    assert "No cambia nada hasta que se confirme la nueva dirección." in html


def test_the_audit_counts_the_words_of_a_trans_block_as_marked(tmp_path, monkeypatch):
    monkeypatch.setattr(i18n_audit, "ROOT", tmp_path)
    page = Path(tmp_path, "page.html")
    page.write_text(
        '{% trans url="/x" %}Read our <a href="{{ url }}">terms</a>.{% endtrans %}\n<p>Left unmarked</p>\n',
        encoding="utf-8",
    )
    assert [f.text for f in i18n_audit.unmarked_text(page)] == ["Left unmarked"]


def test_an_email_rendered_outside_a_request_speaks_english_unless_told(app, customer):
    context = {"user": customer, "app_name": "CozyWish", "subject": "-", "reset_url": "https://x", "minutes": 30}
    # A job has an application context and no request: no visitor, so no browser language.
    english = render_template("emails/reset_password.txt", **context)
    with force_locale("es"):
        spanish = render_template("emails/reset_password.txt", **context)
    assert english.startswith("Hi ") and spanish.startswith("Hola, ")
