""" "Download my data": a job builds a ZIP of JSON files and the person's uploads, stores it
privately, and emails a signed link that works only for them, signed in, for a few days."""

from __future__ import annotations

import io
import json
import secrets
import zipfile
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, inspect, or_, select

from app.accounts.models import User, UserSession
from app.audit.models import AuditEntry
from app.booking.models import Booking, CartItem, Order
from app.clients.service import export_for_user
from app.memberships.models import Membership, MembershipPeriod
from app.packages.models import PackageHolding, PackageSession
from app.payments.models import Payment, Refund
from app.platform.email import send_email
from app.platform.errors import LimitReached, NotFound, TooManyAttempts
from app.platform.extensions import db
from app.platform.jobs import enqueue, job
from app.platform.signed_links import read_signed
from app.platform.storage import delete_files_after_commit, get_storage
from app.platform.urls import absolute_url
from app.privacy import consent
from app.privacy.events import export_collecting
from app.privacy.models import DataExport, ExportStatus
from app.reviews.models import Review, ReviewReply, ReviewStatus
from app.tips.models import Tip
from app.venues.models import Venue

TOKEN_SALT = "cozywish.data-export"  # noqa: S105 (a signing salt, not a password)
# Never written to an export: secrets that would let a copy of the ZIP take over the account.
SECRET_COLUMNS = frozenset(
    {
        "password_hash",
        "session_token",
        "totp_secret",
        "totp_last_step",
        "key_hash",
        "code_hash",
        "calendar_token",
        "checkout_url",
    }
)


class ExportNotAvailable(NotFound):
    pass


def now_utc() -> datetime:
    return datetime.now(UTC)


# -- asking for one ---------------------------------------------------------------------------


def request_export(user: User, *, now: datetime | None = None) -> DataExport:
    """Queue an export; one at a time, and at most DATA_EXPORTS_PER_DAY in 24 hours."""
    now = now or now_utc()
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())  # two clicks at once: one export
    pending = db.session.scalar(
        select(func.count())
        .select_from(DataExport)
        .where(DataExport.user_id == user.id, DataExport.status == ExportStatus.PENDING)
    )
    if pending:
        raise LimitReached(_("Your data export is already being prepared. We'll email you when it's ready."))
    per_day = current_app.config["DATA_EXPORTS_PER_DAY"]
    recent = db.session.scalar(
        select(func.count())
        .select_from(DataExport)
        .where(DataExport.user_id == user.id, DataExport.requested_at > now - timedelta(days=1))
    )
    if recent >= per_day:
        raise TooManyAttempts(
            _("You can ask for %(per_day)s data exports a day. Please try again tomorrow.", per_day=per_day)
        )
    export = DataExport(user_id=user.id, status=ExportStatus.PENDING, requested_at=now)
    db.session.add(export)
    db.session.flush()
    enqueue(build_export_job, export_id=export.id)
    return export


def find_exports(user_id: int, *, limit: int = 5) -> list[DataExport]:
    return list(
        db.session.scalars(
            select(DataExport)
            .where(DataExport.user_id == user_id)
            .order_by(DataExport.requested_at.desc(), DataExport.id.desc())
            .limit(limit)
        )
    )


# -- the signed link --------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def make_download_token(export: DataExport) -> str:
    return _serializer().dumps({"uid": export.user_id, "export": export.id})


def get_export_for_download(token: str, user: User, *, now: datetime | None = None) -> DataExport:
    """The export a link names, if it is ``user``'s, ready and unexpired; else ExportNotAvailable."""
    now = now or now_utc()
    max_age = int(timedelta(days=current_app.config["DATA_EXPORT_DAYS"]).total_seconds())
    data = read_signed(
        _serializer(),
        token,
        max_age=max_age,
        expired=ExportNotAvailable(
            _("This download link has expired. Ask for a new export from your privacy settings.")
        ),
        invalid=ExportNotAvailable(_("This download link is not valid.")),
    )
    # Another person's link, even a genuine one, reveals nothing: the same answer as a bad link.
    if not isinstance(data, dict) or data.get("uid") != user.id or not isinstance(data.get("export"), int):
        raise ExportNotAvailable(_("This download link is not valid."))
    export = db.session.get(DataExport, data["export"])
    if export is None or export.user_id != user.id:
        raise ExportNotAvailable(_("This download link is not valid."))
    if export.status != ExportStatus.READY or export.expires_at is None or export.expires_at <= now:
        raise ExportNotAvailable(_("This export has expired. Ask for a new one from your privacy settings."))
    return export


def read_export(export: DataExport) -> bytes:
    return get_storage().open(export.storage_key)


# -- building it ------------------------------------------------------------------------------


@job(name="privacy.build_export")
def build_export_job(export_id: int) -> None:
    export = db.session.get(DataExport, export_id, with_for_update=True)
    if export is None or export.status != ExportStatus.PENDING:
        return
    user = db.session.get(User, export.user_id)
    try:
        archive = build_archive(user)
        key = f"private/exports/{user.id}/{secrets.token_hex(16)}.zip"
        get_storage().save(key, archive)
    except Exception:
        db.session.rollback()
        export = db.session.get(DataExport, export_id)
        export.status = ExportStatus.FAILED
        db.session.commit()
        raise
    now = now_utc()
    export.status = ExportStatus.READY
    export.storage_key = key
    export.size_bytes = len(archive)
    export.ready_at = now
    export.expires_at = now + timedelta(days=current_app.config["DATA_EXPORT_DAYS"])
    send_email(
        user.email,
        _l("Your CozyWish data is ready to download"),
        "data_export_ready",
        user=user,
        download_url=absolute_url("privacy.download_export", token=make_download_token(export)),
        expires_at=export.expires_at,
        days=current_app.config["DATA_EXPORT_DAYS"],
    )
    db.session.commit()


def build_archive(user: User) -> bytes:
    """The ZIP: one JSON file per kind of data, and the person's uploaded files under files/."""
    storage = get_storage()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        files: list[str] = []
        if user.avatar_key and storage.exists(user.avatar_key):
            name = f"files/avatar/{user.avatar_key.rsplit('/', 1)[-1]}"
            archive.writestr(name, storage.open(user.avatar_key))
            files.append(name)
        venue_data, venue_files = _venue(user)
        reviews, review_files = _reviews(user)
        for name, key in venue_files + review_files:
            if storage.exists(key):
                archive.writestr(name, storage.open(key))
                files.append(name)
        documents = {
            "profile.json": _profile(user),
            "sessions.json": table_rows(
                db.session.scalars(select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id))
            ),
            "orders.json": _orders(user),
            "bookings.json": table_rows(
                db.session.scalars(select(Booking).where(Booking.customer_id == user.id).order_by(Booking.id))
            ),
            "payments.json": _payments(user),
            "tips.json": table_rows(db.session.scalars(select(Tip).where(Tip.customer_id == user.id).order_by(Tip.id))),
            # Packages bought (what, the price, until when) and each session a booking used.
            "packages.json": table_rows(
                db.session.scalars(
                    select(PackageHolding).where(PackageHolding.customer_id == user.id).order_by(PackageHolding.id)
                )
            ),
            "package_sessions.json": table_rows(
                db.session.scalars(
                    select(PackageSession)
                    .join(PackageHolding, PackageHolding.id == PackageSession.holding_id)
                    .where(PackageHolding.customer_id == user.id)
                    .order_by(PackageSession.id)
                )
            ),
            # Memberships (the plan as joined, its state) and each month paid or failed.
            "memberships.json": table_rows(
                db.session.scalars(select(Membership).where(Membership.customer_id == user.id).order_by(Membership.id))
            ),
            "membership_months.json": table_rows(
                db.session.scalars(
                    select(MembershipPeriod)
                    .join(Membership, Membership.id == MembershipPeriod.membership_id)
                    .where(Membership.customer_id == user.id)
                    .order_by(MembershipPeriod.id)
                )
            ),
            "reviews.json": reviews,
            "review_replies_written.json": _replies_written(user),
            "cart.json": table_rows(
                db.session.scalars(select(CartItem).where(CartItem.user_id == user.id).order_by(CartItem.id))
            ),
            "consents.json": table_rows(consent.find_records(user.id)),
            # What each venue's client book keeps of the account (its contact details, whether
            # online bookings are blocked); the venue's private notes are its own records.
            "venue_client_records.json": export_for_user(user.id),
            "audit_log.json": _audit(user),
            "venue.json": venue_data,
        }
        # Data kept by domains above privacy (booking messages, notification choices and text
        # messages): each receiver adds its file.
        for _receiver, (name, content) in export_collecting.send("privacy", user=user):
            documents[name] = content
        for name, content in documents.items():
            archive.writestr(name, json.dumps(content, indent=2, ensure_ascii=False, default=_json_default))
        archive.writestr("README.txt", _readme(user, sorted(documents), files))
    return buffer.getvalue()


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _row(obj: Any) -> dict[str, Any]:
    return {
        column.key: getattr(obj, column.key)
        for column in inspect(obj).mapper.column_attrs
        if column.key not in SECRET_COLUMNS
    }


def table_rows(objects) -> list[dict[str, Any]]:
    """Rows as an export writes them: every column but the secrets (a receiver of
    ``export_collecting`` may use it too)."""
    return [_row(obj) for obj in objects]


def _profile(user: User) -> dict[str, Any]:
    profile = _row(user)
    profile["two_factor_enabled"] = user.has_two_factor
    profile["marketing_emails"] = consent.has_marketing_consent(user.id)
    return profile


def _orders(user: User) -> list[dict[str, Any]]:
    return table_rows(db.session.scalars(select(Order).where(Order.customer_id == user.id).order_by(Order.id)))


def _payments(user: User) -> dict[str, Any]:
    order_ids = select(Order.id).where(Order.customer_id == user.id).scalar_subquery()
    payments = list(db.session.scalars(select(Payment).where(Payment.order_id.in_(order_ids)).order_by(Payment.id)))
    refunds = db.session.scalars(
        select(Refund).where(Refund.payment_id.in_([p.id for p in payments] or [0])).order_by(Refund.id)
    )
    receipts = [
        {
            "order_id": o.id,
            "receipt_number": o.receipt_number,
            "paid_at": o.paid_at,
            "total_minor": o.total_minor,
            "promo_code": o.promo_code,
            "promo_discount_minor": o.promo_discount_minor,
            "currency": o.currency,
        }
        for o in db.session.scalars(
            select(Order).where(Order.customer_id == user.id, Order.receipt_number.is_not(None)).order_by(Order.id)
        )
    ]
    return {"payments": table_rows(payments), "refunds": table_rows(refunds), "receipts": receipts}


def _audit(user: User) -> list[dict[str, Any]]:
    query = (
        select(AuditEntry)
        .where(
            or_(
                AuditEntry.actor_id == user.id,
                (AuditEntry.subject_type.in_(("account", "user"))) & (AuditEntry.subject_id == user.id),
            )
        )
        .order_by(AuditEntry.id)
    )
    return table_rows(db.session.scalars(query))


def _venue(user: User) -> tuple[dict[str, Any] | None, list[tuple[str, str]]]:
    venue = db.session.scalar(select(Venue).where(Venue.owner_id == user.id))
    if venue is None:
        return None, []
    data = _row(venue)
    data["services"] = table_rows(venue.services)
    data["opening_hours"] = table_rows(venue.opening_hours)
    data["closures"] = table_rows(venue.closures)
    data["team"] = table_rows(venue.team)
    data["faqs"] = table_rows(venue.faqs)
    data["images"] = table_rows(venue.images)
    files = [
        (f"files/venue/{image.id}-{size}-{variant['key'].rsplit('/', 1)[-1]}", variant["key"])
        for image in venue.images
        for size, variant in sorted(image.variants.items())
        if isinstance(variant, dict) and variant.get("key")
    ]
    return data, files


def _photo_files(review: Review) -> list[tuple[str, str]]:
    """(name in the ZIP, storage key) of every size of the review's photos."""
    return [
        (f"files/reviews/{review.id}-{photo.id}-{size}-{variant['key'].rsplit('/', 1)[-1]}", variant["key"])
        for photo in review.photos
        for size, variant in sorted(photo.variants.items())
        if isinstance(variant, dict) and variant.get("key")
    ]


def _reviews(user: User) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """The person's reviews, each with its photos (rows and the files' names in the ZIP) and the
    venue's answer, as the person sees it on the review page: named by the venue, never by the
    staff member who wrote it; an answer an admin hid is listed without its text."""
    rows: list[dict[str, Any]] = []
    files: list[tuple[str, str]] = []
    for review in db.session.scalars(select(Review).where(Review.customer_id == user.id).order_by(Review.id)):
        data = _row(review)
        photo_files = _photo_files(review)
        files += photo_files
        data["photos"] = [
            {
                **_row(photo),
                "files": [
                    name for name, _key in photo_files if name.startswith(f"files/reviews/{review.id}-{photo.id}-")
                ],
            }
            for photo in review.photos
        ]
        reply = review.reply
        hidden = reply is not None and reply.status == ReviewStatus.HIDDEN
        data["venue_reply"] = (
            None
            if reply is None
            else {
                "venue": reply.venue.name,
                "body": None if hidden else reply.body,
                "hidden_by_admin": hidden,
                "written_at": reply.created_at,
                "edited_at": reply.updated_at,
            }
        )
        rows.append(data)
    return rows, files


def _replies_written(user: User) -> list[dict[str, Any]]:
    """The answers to reviews the person wrote for a venue (as its owner or manager): their own
    words, with the venue and the review they answer; the reviewer is not named."""
    replies = db.session.scalars(select(ReviewReply).where(ReviewReply.author_id == user.id).order_by(ReviewReply.id))
    return [
        {
            "venue": reply.venue.name,
            "review_id": reply.review_id,
            "body": reply.body,
            "status": reply.status,
            "hidden_reason": reply.hidden_reason,
            "written_at": reply.created_at,
            "edited_at": reply.updated_at,
        }
        for reply in replies
    ]


def _readme(user: User, documents: list[str], files: list[str]) -> str:
    lines = [
        "Your CozyWish data",
        "",
        f"Prepared {now_utc():%d %B %Y %H:%M} UTC for account {user.id}.",
        "Each .json file holds one kind of data; times are UTC (ISO 8601); money is in minor units",
        "(pence) with its currency beside it. Passwords, sign-in keys and two-factor secrets are",
        "never included.",
        "",
        "Files:",
        *(f"  {name}" for name in documents),
        *(f"  {name}" for name in files),
    ]
    return "\n".join(lines) + "\n"


# -- retention --------------------------------------------------------------------------------


def delete_expired_exports(*, now: datetime | None = None) -> int:
    """Delete the ZIP of every export past its expiry (after commit); returns how many."""
    now = now or now_utc()
    due = list(
        db.session.scalars(
            select(DataExport)
            .where(DataExport.status == ExportStatus.READY, DataExport.expires_at <= now)
            .with_for_update(skip_locked=True)
        )
    )
    delete_export_files(due)
    return len(due)


def delete_export_files(exports: list[DataExport]) -> None:
    """Mark ``exports`` expired and delete their files once the transaction commits."""
    keys = [e.storage_key for e in exports if e.storage_key]
    for export in exports:
        export.status = ExportStatus.EXPIRED
        export.storage_key = None
    delete_files_after_commit(keys)
