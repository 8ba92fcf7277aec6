"""How a kind of notice is declared once and told to a person.

A kind of notice (catalogue.py lists them all) is a function that writes what one person is
told (a ``Told``), under ``@declare``, which names the rest once:

- ``in_app``: the kind of its in-app notice in the notification centre (centre.py), or None for
  a notice that is only sent. The notice's ``key`` is the repeat window: once per person and
  key. A key told before tells nothing again, by any channel, and ``send`` returns None.
- ``preference``: the kind of message (preferences.KINDS) whose channels it goes on; None when
  it is not a choice (a receipt, a listing's decision): then it goes on every channel it has.
- ``email``: its template (``templates/emails/<email>``); ``sms``: whether it has a text
  version. A person who turned on SMS for a kind gets no text of a notice without one.

``kind.send(person, **about)`` writes it, adds the in-app notice, then sends the email and
the text (jobs, sent after the caller's transaction commits) on the person's channels, and
returns those channels. Links in notices are paths on this site (``site_path``); emails carry
the full address (``site_url``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from app.notifications.centre import notify
from app.notifications.preferences import EMAIL, SMS, channels_for, get_sms_number
from app.notifications.sms import deliver_sms, send_sms_later
from app.platform.email import send_email
from app.platform.urls import absolute_url


@dataclass(frozen=True)
class Address:
    """Where to reach someone at addresses the venue took rather than their account's (a client
    booked at the front desk); None where there is none."""

    email: str | None
    number: str | None


@dataclass(frozen=True)
class Told:
    """What one person is told."""

    title: object = ""  # the in-app notice's title, and the email's subject unless ``subject``
    link: str = ""  # where the in-app notice leads: a path on this site
    key: str | None = None  # the repeat window: once per person and key
    body: object = ""  # the in-app notice's text, or a function writing it in their language
    # The email template's values, or a function returning them (called only when an email
    # goes); a "subject" among them is the email's subject, else the title is.
    email: Mapping[str, object] | Callable[[], Mapping[str, object]] = field(default_factory=dict)
    sms: str | None = None  # the text message (None: no text this time)
    sms_key: str | None = None  # deliver the text now, once under this key, instead of queueing it
    to: Address | None = None  # addresses other than the person's account's


@dataclass(frozen=True)
class NoticeKind:
    """A kind of notice, declared once with ``@declare`` (see the module docstring)."""

    name: str
    write: Callable[..., Told]
    in_app: str | None
    preference: str | None
    email: str | None
    sms: bool

    def channels(self, person: object) -> tuple[str, ...]:
        """The channels ``person`` gets this notice on, besides the in-app notice."""
        offered = tuple(channel for channel, has in ((EMAIL, self.email), (SMS, self.sms)) if has)
        if self.preference is None or not offered:
            return offered
        return tuple(channel for channel in channels_for(person, self.preference) if channel in offered)

    def send(self, person: object, *, on: tuple[str, ...] | None = None, **about: object) -> tuple[str, ...] | None:
        """Tell ``person`` (a User, or None for a client without an account) about ``about``;
        ``on`` gives the channels when the caller asked already. Returns the channels used, or
        None when the notice's key was told to them before (then nothing is sent)."""
        told = self.write(person, **about)
        if self.in_app is not None and self._notify(person, told) is None:
            return None  # told before: the key is taken
        channels = self.channels(person) if on is None else on
        user_id = getattr(person, "id", None)
        if EMAIL in channels and self.email:
            address = told.to.email if told.to else person.email
            if address:
                values = dict(told.email() if callable(told.email) else told.email)
                subject = values.pop("subject", told.title)
                send_email(address, subject, self.email, user=person, **values)
        if SMS in channels and told.sms:
            number = told.to.number if told.to else get_sms_number(user_id) or ""
            if told.sms_key:
                deliver_sms(number, told.sms, key=told.sms_key, user_id=user_id)
            elif number:
                send_sms_later(number, told.sms, user_id=user_id)
        return channels

    def _notify(self, person: object, told: Told) -> int | None:
        return notify(person, self.in_app, told.title, body=told.body, link=told.link, key=told.key)


def declare(
    *, in_app: str | None = None, preference: str | None = None, email: str | None = None, sms: bool = False
) -> Callable[[Callable[..., Told]], NoticeKind]:
    """Declare a kind of notice: ``@declare(in_app=..., preference=..., email=..., sms=...)``
    over the function that writes what one person is told."""

    def declared(write: Callable[..., Told]) -> NoticeKind:
        return NoticeKind(write.__name__, write, in_app, preference, email, sms)

    return declared


def site_path(endpoint: str, **values: object) -> str:
    """The path (and query) of a page on this site, for a notice's link: BASE_URL's, never the
    request's, so it is the same in a job as in a request."""
    parts = urlsplit(absolute_url(endpoint, **values))
    return parts.path + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")


def site_url(path: str) -> str:
    """A ``site_path`` as a full address for an email: BASE_URL's scheme and host."""
    base = urlsplit(absolute_url("main.index"))
    return f"{base.scheme}://{base.netloc}{path}"
