"""Email: rendered in the request, delivered by a job after the transaction commits."""

from __future__ import annotations

from flask import current_app, render_template
from flask_mailman import EmailMultiAlternatives

from app.jobs import enqueue, job


def send_email(
    to: str, subject: str, template: str, *, attachment: tuple[str, str, str] | None = None, **context
) -> int:
    """Render ``templates/emails/<template>.{txt,html}`` and enqueue its delivery.

    ``attachment`` is (filename, text content, mime type), e.g. an .ics calendar entry.
    """
    context.setdefault("app_name", current_app.config["APP_NAME"])
    text_body = render_template(f"emails/{template}.txt", subject=subject, **context)
    html_body = render_template(f"emails/{template}.html", subject=subject, **context)
    return enqueue(
        deliver_email,
        to=to,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        attachment=list(attachment) if attachment else None,
    )


@job(name="email.deliver", retry=3)
def deliver_email(to: str, subject: str, text_body: str, html_body: str, attachment: list[str] | None = None) -> None:
    message = EmailMultiAlternatives(
        subject=subject,
        body=text_body,
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=[to],
    )
    message.attach_alternative(html_body, "text/html")
    if attachment:
        filename, content, mimetype = attachment
        message.attach(filename, content, mimetype)
    message.send()
