"""The client book's use cases: a venue's clients found, listed with their figures, added at
the desk, noted, tagged, blocked; the customer's own rows exported and anonymised.

Every lookup is inside the venue (``get_client``): another venue's client id is simply not
found. Services take plain values; the page module (app/clients/views/) reads the request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Integer, func, select, text
from sqlalchemy.dialects.postgresql import insert

from app.accounts.models import User
from app.audit import service as audit
from app.booking.models import Booking, Order
from app.clients.models import VenueClient
from app.platform.errors import InvalidTransition, NotFound, ValidationFailed
from app.platform.extensions import db
from app.platform.form_fields import required_text
from app.platform.sqlutil import one_or_not_found

PAGE_SIZE = 25
MAX_TAGS = 10
TAG_LENGTH = 40
NOTES_LENGTH = 4000
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{5,30}$")


# -- who is a client ------------------------------------------------------------------------------


def client_for_user(venue_id: int, user: User) -> VenueClient:
    """The venue's client row for this account, made the first time (safe under races: the
    unique index on (venue, user) decides, the loser reads the winner's row)."""
    db.session.execute(
        insert(VenueClient)
        .values(venue_id=venue_id, user_id=user.id, name=(user.name or user.email)[:120], email=user.email)
        .on_conflict_do_nothing(index_elements=["venue_id", "user_id"], index_where=text("user_id IS NOT NULL"))
    )
    client = db.session.scalar(
        select(VenueClient).where(VenueClient.venue_id == venue_id, VenueClient.user_id == user.id)
    )
    assert client is not None
    return client


def link_order(order: Order) -> None:
    """Every booking of a paid online order belongs to its venue's client for the customer."""
    if order.customer is None:
        return
    clients: dict[int, VenueClient] = {}
    for booking in order.bookings:
        if booking.client_id is not None:
            continue
        if booking.venue_id not in clients:
            clients[booking.venue_id] = client_for_user(booking.venue_id, order.customer)
        booking.client_id = clients[booking.venue_id].id


def clean_contact(name: str, email: str, phone: str) -> tuple[str, str | None, str | None]:
    """A walk-in's details as given, checked; raises ValidationFailed naming the problem."""
    name = required_text(
        name,
        missing=_("Enter the client's name."),
        max_length=120,
        too_long=_("A name is at most 120 characters."),
        field="name",
    )
    email, phone = (email or "").strip().lower(), (phone or "").strip()
    if email and (len(email) > 254 or not EMAIL.match(email)):
        raise ValidationFailed(_("Enter a valid email address, or leave it empty."), field="email")
    if phone and not PHONE.match(phone):
        raise ValidationFailed(
            _("Enter a valid phone number (digits, spaces, +, - and brackets), or leave it empty."), field="phone"
        )
    return name, email or None, phone or None


def add_client(venue_id: int, *, name: str, email: str = "", phone: str = "") -> VenueClient:
    """A new client without an account (a walk-in or a phone caller)."""
    name, email_or_none, phone_or_none = clean_contact(name, email, phone)
    client = VenueClient(venue_id=venue_id, name=name, email=email_or_none, phone=phone_or_none)
    db.session.add(client)
    db.session.flush()
    return client


def get_client(venue_id: int, client_id: int, *, for_update: bool = False, member_id: int | None = None) -> VenueClient:
    """The venue's client; with ``member_id`` (a practitioner) only one they have a booking with."""
    query = select(VenueClient).where(VenueClient.id == client_id, VenueClient.venue_id == venue_id)
    if member_id is not None:
        query = query.where(
            select(Booking.id).where(Booking.client_id == VenueClient.id, Booking.team_member_id == member_id).exists()
        )
    return one_or_not_found(query, _("That client is not in your client book."), for_update=for_update)


def desk_client(
    venue_id: int, *, client_id: int | None, name: str = "", email: str = "", phone: str = ""
) -> VenueClient:
    """The client of a desk booking: one from the client book, or a new one with at least a name
    (the desk page's and the API's rule)."""
    if client_id is not None:
        return get_client(venue_id, client_id)
    if (name or "").strip():
        return add_client(venue_id, name=name, email=email, phone=phone)
    raise ValidationFailed(
        _("Pick a client from your client book, or add a new one with their name."), field="client_id"
    )


# -- finding and listing ----------------------------------------------------------------------------


def search_clients(venue_id: int, q: str, *, limit: int = 8) -> list[VenueClient]:
    """Clients whose name, email or phone contains ``q`` (the desk's search as you type)."""
    ids = text(MATCHING_SQL).bindparams(venue_id=venue_id, like=_like(q), member_id=None).columns(id=Integer)
    return list(
        db.session.scalars(
            select(VenueClient)
            .where(VenueClient.id.in_(select(ids.subquery().c.id)))
            .order_by(func.lower(VenueClient.name), VenueClient.id)
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class ClientRow:
    id: int
    name: str
    email: str | None
    phone: str | None
    tags: list[str]
    blocked: bool
    visits: int
    spend_minor: int
    currency: str | None
    no_shows: int
    late_cancellations: int
    last_visit: datetime | None
    next_visit: datetime | None


@dataclass(frozen=True)
class ClientPage:
    rows: list[ClientRow]
    total: int
    page: int
    pages: int
    more: bool = False  # rows follow this page (the keyset's answer; the pager uses ``pages``)


# One statement for the page: the page's clients (filtered, in name order, counted with a
# window), then their bookings' figures. A visit is a booking completed, or confirmed and
# started; spend is what those visits cost less refunds and promo discounts; a late
# cancellation is the customer's, inside the booking's free-cancellation hours.
FIGURES_SQL = """
WITH page AS (
    SELECT c.id, c.name, c.email, c.phone, c.tags, c.blocked_at, count(*) OVER () AS total
      FROM venue_clients c
     WHERE c.id IN ({matching}){keyset}
     ORDER BY lower(c.name), c.id
     LIMIT :limit OFFSET :offset
)
SELECT p.id, p.name, p.email, p.phone, p.tags, p.blocked_at IS NOT NULL AS blocked, p.total,
       count(b.id) FILTER (WHERE b.status = 'completed' OR (b.status = 'confirmed' AND b.starts_at <= :now))
           AS visits,
       coalesce(sum(b.unit_price_minor * b.quantity - b.refund_minor - b.promo_discount_minor)
           FILTER (WHERE b.status = 'completed' OR (b.status = 'confirmed' AND b.starts_at <= :now)), 0)
           AS spend_minor,
       max(b.currency) AS currency,
       count(b.id) FILTER (WHERE b.status = 'no_show') AS no_shows,
       count(b.id) FILTER (
           WHERE b.status = 'cancelled_by_customer'
             AND b.cancelled_at > b.starts_at - make_interval(hours => b.cancel_free_hours)
       ) AS late_cancellations,
       max(b.starts_at) FILTER (WHERE b.status = 'completed' OR (b.status = 'confirmed' AND b.starts_at <= :now))
           AS last_visit,
       min(b.starts_at) FILTER (WHERE b.status = 'confirmed' AND b.starts_at > :now) AS next_visit
  FROM page p
  LEFT JOIN bookings b ON b.client_id = p.id AND b.moves_booking_id IS NULL
 GROUP BY p.id, p.name, p.email, p.phone, p.tags, p.blocked_at, p.total
 ORDER BY lower(p.name), p.id
"""


# A practitioner's client book holds only the clients they have a booking with (``member_id``);
# everyone else's (member_id NULL) holds every client of the venue.
MEMBER_SQL = (
    " AND (CAST(:member_id AS integer) IS NULL OR EXISTS (SELECT 1 FROM bookings mb"
    " WHERE mb.client_id = venue_clients.id AND mb.team_member_id = CAST(:member_id AS integer)))"
)
MATCHING_SQL = (
    "SELECT id FROM venue_clients WHERE venue_id = :venue_id"
    " AND (:like = '' OR name ILIKE :like OR email ILIKE :like OR phone ILIKE :like)" + MEMBER_SQL
)
ONE_SQL = "SELECT id FROM venue_clients WHERE venue_id = :venue_id AND id = :only_id" + MEMBER_SQL
# The keyset: the clients after one already shown, in the list's order (lower(name), id). A
# client added meanwhile can't shift a name between two pages, as an offset would.
AFTER_SQL = (
    " AND (lower(c.name), c.id) > (SELECT lower(a.name), a.id FROM venue_clients a"
    " WHERE a.venue_id = :venue_id AND a.id = :after_id)"
)


def _like(q: str) -> str:
    q = (q or "").strip()
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" if q else ""


def _row(r: Any) -> ClientRow:
    """A row of ``FIGURES_SQL``: its columns are named as ClientRow's fields."""
    values = {field.name: getattr(r, field.name) for field in fields(ClientRow)}
    return ClientRow(**{**values, "tags": list(r.tags or [])})


def list_clients(
    venue_id: int,
    *,
    q: str = "",
    page: int = 1,
    now: datetime,
    member_id: int | None = None,
    after_id: int | None = None,
) -> ClientPage:
    """One page of the venue's clients matching ``q``, each with its figures (one query); with
    ``member_id`` (a practitioner) only the clients they have a booking with. ``after_id``: the
    page after that client (a keyset on (lower(name), id); ``page`` is then ignored); a client
    not in the venue's book gives an empty page."""
    page = max(page, 1)
    params = {
        "venue_id": venue_id,
        "like": _like(q),
        "limit": PAGE_SIZE,
        "offset": 0 if after_id is not None else (page - 1) * PAGE_SIZE,
        "now": now,
        "member_id": member_id,
        "after_id": after_id,
    }
    keyset = AFTER_SQL if after_id is not None else ""
    rows = db.session.execute(text(FIGURES_SQL.format(matching=MATCHING_SQL, keyset=keyset)), params).all()
    counted = rows[0].total if rows else 0  # the window counts every row the keyset lets through
    total = counted if after_id is None else 0
    if after_id is not None or (not rows and page > 1):  # the pager (and the API) still need the count
        total = db.session.scalar(text(f"SELECT count(*) FROM ({MATCHING_SQL}) m"), params) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    more = counted > PAGE_SIZE if after_id is not None else page < pages
    return ClientPage(rows=[_row(r) for r in rows], total=total, page=page, pages=pages, more=more)


def client_figures(venue_id: int, client_id: int, *, now: datetime) -> ClientRow:
    """The figures of one client, as the list shows them."""
    params = {"venue_id": venue_id, "only_id": client_id, "limit": 1, "offset": 0, "now": now, "member_id": None}
    row = db.session.execute(text(FIGURES_SQL.format(matching=ONE_SQL, keyset="")), params).one_or_none()
    if row is None:
        raise NotFound(_("That client is not in your client book."))
    return _row(row)


def history(client: VenueClient, *, limit: int = 100) -> list[Booking]:
    """The client's bookings at the venue, newest first (a move's pending hold left out)."""
    return list(
        db.session.scalars(
            select(Booking)
            .where(Booking.client_id == client.id, Booking.moves_booking_id.is_(None))
            .order_by(Booking.starts_at.desc())
            .limit(limit)
        )
    )


# -- notes, tags, blocking ----------------------------------------------------------------------------


def parse_tags(raw: str) -> list[str]:
    """Tags as typed, comma separated: trimmed, deduplicated (case-insensitively), checked."""
    return clean_tags((raw or "").split(","))


def clean_tags(parts: Iterable[str]) -> list[str]:
    """Tags one by one (the API's list): trimmed, empty ones dropped, deduplicated
    (case-insensitively), each at most TAG_LENGTH, at most MAX_TAGS."""
    tags: list[str] = []
    for part in parts:
        tag = " ".join(part.split())
        if not tag:
            continue
        if len(tag) > TAG_LENGTH:
            raise ValidationFailed(_("A tag is at most %(num)d characters.", num=TAG_LENGTH), field="tags")
        if tag.lower() not in {t.lower() for t in tags}:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValidationFailed(_("A client has at most %(num)d tags.", num=MAX_TAGS), field="tags")
    return tags


def update_notes(client: VenueClient, *, notes: str, tags: str | list[str]) -> None:
    """The card's notes and tags: ``tags`` as typed (comma separated) or as a list."""
    notes = (notes or "").strip()
    if len(notes) > NOTES_LENGTH:
        raise ValidationFailed(_("Notes are at most %(num)d characters.", num=NOTES_LENGTH), field="notes")
    client.tags = parse_tags(tags) if isinstance(tags, str) else clean_tags(tags)
    client.notes = notes


def parse_birthday(raw: str, *, today: date) -> date | None:
    """A birthday as a date field sends it (YYYY-MM-DD), or None when left empty; refused when it
    isn't a date, is in the future or more than 120 years ago."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(
            _("Enter the birthday as a date, like 1990-03-14, or leave it empty."), field="birthday"
        ) from None
    if day > today or day.year < today.year - 120:
        raise ValidationFailed(_("Enter a birthday in the past, or leave it empty."), field="birthday")
    return day


def update_contact(
    client: VenueClient, *, name: str, email: str, phone: str, birthday: str, actor: User, today: date
) -> list[str]:
    """The desk corrects a client's details in the venue's book (a mistyped walk-in phone): the
    venue's record only, never the client's account. The audit log names who changed which
    fields (not their values: the book is personal data). Returns the fields changed."""
    if client.anonymised_at is not None:
        raise ValidationFailed(_("This client's account was deleted: their details can't be restored."))
    name, email_or_none, phone_or_none = clean_contact(name, email, phone)
    wanted = {
        "name": name,
        "email": email_or_none,
        "phone": phone_or_none,
        "birthday": parse_birthday(birthday, today=today),
    }
    changed = [field for field, value in wanted.items() if getattr(client, field) != value]
    for field in changed:
        setattr(client, field, wanted[field])
    if changed:
        audit.record(
            "client.contact",
            actor_id=actor.id,
            about=("venue_client", client.id),
            venue_id=client.venue_id,
            fields=changed,
        )
    return changed


def block(client: VenueClient, *, reason: str, now: datetime) -> None:
    if client.user_id is None:  # a walk-in without an account never books online
        raise InvalidTransition(_("This client has no account, so they can't book online: there is nothing to block."))
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed(_("Say why the client is blocked (only your venue sees it)."), field="reason")
    if len(reason) > 300:
        raise ValidationFailed(_("A reason is at most 300 characters."), field="reason")
    client.blocked_at = now
    client.block_reason = reason


def unblock(client: VenueClient) -> None:
    client.blocked_at = None
    client.block_reason = None


def blocked_message(user_id: int | None, venue_ids: set[int]) -> str | None:
    """Why this account can't book at one of these venues online (its client there is
    blocked), or None. The message names no reason: that is the venue's private note."""
    if user_id is None or not venue_ids:
        return None
    blocked = db.session.scalar(
        select(func.count())
        .select_from(VenueClient)
        .where(
            VenueClient.user_id == user_id,
            VenueClient.venue_id.in_(venue_ids),
            VenueClient.blocked_at.is_not(None),
        )
    )
    if blocked:
        return _("This venue doesn't take online bookings from your account. Please contact the venue.")
    return None


# -- the customer's own rows (privacy) ----------------------------------------------------------------


def export_for_user(user_id: int) -> list[dict[str, Any]]:
    """What the client books say of this account: the contact details each venue keeps and
    whether it blocked online bookings. The venue's private notes and tags are its own
    records and are left out (docs/privacy.md)."""
    rows = db.session.execute(
        text(
            "SELECT c.name, c.email, c.phone, c.blocked_at IS NOT NULL AS blocked, c.created_at, v.name AS venue"
            " FROM venue_clients c JOIN venues v ON v.id = c.venue_id WHERE c.user_id = :user_id ORDER BY c.id"
        ),
        {"user_id": user_id},
    ).all()
    return [
        {
            "venue": r.venue,
            "name": r.name,
            "email": r.email,
            "phone": r.phone,
            "online_bookings_blocked": r.blocked,
            "client_since": r.created_at.isoformat(),
        }
        for r in rows
    ]


def anonymise_for_user(user_id: int, *, now: datetime) -> int:
    """An account is being deleted: its client rows lose the name, email and phone (and the
    link to the account) but keep their bookings, so each venue's visit counts stay."""
    clients = list(db.session.scalars(select(VenueClient).where(VenueClient.user_id == user_id)))
    for client in clients:
        client.name = _("Deleted client")
        client.email = None
        client.phone = None
        client.user_id = None
        client.anonymised_at = now
    return len(clients)
