"""Email: rendered in the request, delivered by a job after the transaction commits.

Delivery is idempotent. ``send_email`` gives every message a random key, stored in the
job's arguments, so every run of that job (a retry after a failure, or after a worker died
mid-job) carries the same key. The job claims the key in ``email_deliveries`` and sends in
one transaction: a second run finds the key taken and sends nothing. The key is also the
message's Message-ID, so in the one window left (the process dies after the mail server
accepted the message but before the commit) the resent copy has the same Message-ID, which
mail servers and clients use to drop duplicates. A commit lost to a PostgreSQL restart is
not that window: the job records the sent message again once the database is back.
"""

from __future__ import annotations

import logging
import secrets
import time
from datetime import datetime, timedelta
from email.utils import parseaddr

from flask import current_app, render_template
from flask_babel import force_locale
from flask_mailman import EmailMultiAlternatives
from procrastinate import RetryStrategy
from sqlalchemy import DateTime, String, delete, func, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, mapped_column

from app.platform import i18n, metrics
from app.platform.extensions import db
from app.platform.jobs import enqueue, every, job

log = logging.getLogger(__name__)

# Long enough for any retry of a stalled job; older rows only grow the table.
DELIVERY_RECORD_DAYS = 90
# How long a sent message's record is retried while the database restarts.
RECORD_RETRY_SECONDS = 60.0


class EmailDelivery(db.Model):
    """One message handed to the mail server, by its delivery key."""

    __tablename__ = "email_deliveries"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)


def send_email(
    to: str,
    subject: str,
    template: str,
    *,
    attachment: tuple[str, str, str] | None = None,
    language: str | None = None,
    **context,
) -> int:
    """Render ``templates/emails/<template>.{txt,html}`` and enqueue its delivery.

    The message speaks its recipient's language: ``language``, else the saved language of the
    ``user`` in the context (the recipient, by convention), else English; never the language of
    whoever's request happens to send it. ``subject`` is best a lazy string (``_l(...)``): it is
    read in that language too, like the money and dates the templates format.

    ``attachment`` is (filename, text content, mime type), e.g. an .ics calendar entry.
    """
    context.setdefault("app_name", current_app.config["APP_NAME"])
    with force_locale(recipient_language(language, context.get("user"))):
        subject = str(subject)
        text_body = render_template(f"emails/{template}.txt", subject=subject, **context)
        html_body = render_template(f"emails/{template}.html", subject=subject, **context)
    return enqueue(
        deliver_email,
        to=to,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        attachment=list(attachment) if attachment else None,
        key=secrets.token_hex(16),
    )


def recipient_language(language: str | None, user: object = None) -> str:
    """The language an email to ``user`` is written in: ``language`` if given and ours, else the
    user's saved one, else English."""
    return i18n.language_of(language) or i18n.language_of(getattr(user, "language", None)) or i18n.SOURCE


def speaking_to(user: object, language: str | None = None):
    """``with speaking_to(user):`` text, money and dates for an email to ``user`` (gettext,
    ``format_money``, ``timefmt``) come out in the recipient's language."""
    return force_locale(recipient_language(language, user))


def message_id(key: str) -> str:
    """The Message-ID header for delivery ``key``: the same on every attempt."""
    domain = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1].rpartition("@")[2] or "cozywish.invalid"
    return f"<{key}@{domain}>"


def _build_message(
    to: str, subject: str, text_body: str, html_body: str, attachment: list[str] | None, key: str | None
) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=subject,
        body=text_body,
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=[to],
        headers={"Message-ID": message_id(key)} if key else None,
    )
    message.attach_alternative(html_body, "text/html")
    if attachment:
        filename, content, mimetype = attachment
        message.attach(filename, content, mimetype)
    return message


def _claim_delivery(key: str) -> bool:
    """Record ``key`` as sent; False if it already is. Waits while another run holds it."""
    inserted = db.session.execute(
        text("INSERT INTO email_deliveries (key) VALUES (:key) ON CONFLICT DO NOTHING RETURNING key"),
        {"key": key},
    )
    return inserted.first() is not None


# A failed delivery (mail server or database briefly away) waits 2, 4, 8, 16, 32 s between tries.
@job(name="email.deliver", retry=RetryStrategy(max_attempts=6, exponential_wait=2))
def deliver_email(
    to: str,
    subject: str,
    text_body: str,
    html_body: str,
    attachment: list[str] | None = None,
    key: str | None = None,
) -> None:
    message = _build_message(to, subject, text_body, html_body, attachment, key)
    if key is None:  # a job queued before delivery keys existed
        message.send()
        metrics.notification_sent("email")
        return
    # The claim and the send share a savepoint: a send that fails takes its claim back, so
    # the retry sends; a send that succeeds commits the claim, so a retry does not.
    claimed = sent = False
    try:
        with db.session.begin_nested():
            claimed = _claim_delivery(key)
            if claimed:
                message.send()
                sent = True
        db.session.commit()
    except OperationalError:
        if not sent:
            raise
        _record_sent_after_lost_connection(key)
    if sent:
        metrics.notification_sent("email")
    if not claimed:
        log.info("email %s was already sent; this run sends nothing", key)


def _record_sent_after_lost_connection(key: str) -> None:
    """The message went out but the database went away before its claim committed (a
    PostgreSQL restart): record it on a new connection, or a retry would send it again."""
    deadline = time.monotonic() + RECORD_RETRY_SECONDS
    delay = 0.5
    while True:
        try:
            db.session.rollback()
            _claim_delivery(key)  # a commit that did land before the drop makes this a no-op
            db.session.commit()
        except OperationalError:
            if time.monotonic() > deadline:
                log.error("email %s was sent but could not be recorded; a retry may send it again", key)
                raise
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
        else:
            log.warning("email %s: recorded after the database connection dropped", key)
            return


@job(name="email.purge_deliveries")
def purge_deliveries_job(timestamp: int | None = None) -> None:
    cutoff = func.now() - timedelta(days=DELIVERY_RECORD_DAYS)
    db.session.execute(delete(EmailDelivery).where(EmailDelivery.sent_at < cutoff))
    db.session.commit()


def init_app(app) -> None:
    """Put the daily purge of old delivery records on the job schedule."""
    every("17 3 * * *", "purge-email-deliveries", purge_deliveries_job)
