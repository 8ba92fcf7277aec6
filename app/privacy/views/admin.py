"""The admin's page about one user: their personal data, shown only with an audit entry
saying which administrator looked, at whom, and when."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app.accounts.access import role_required
from app.accounts.forms import ConfirmForm
from app.accounts.models import User
from app.accounts.sessions import describe_browser, find_live_sessions
from app.audit.models import AuditEntry
from app.booking.models import Booking, Order
from app.platform.extensions import db
from app.privacy import consent, deletion
from app.privacy.service import record_personal_data_view
from app.reviews.models import Review
from app.web.blueprints import admin as bp
from app.web.loaders import admin_row
from app.web.rendering import render_page


@bp.get("/users/<int:user_id>")
@role_required("admin")
@admin_row(User)
def user_detail(user: User):
    record_personal_data_view(viewer_id=current_user.id, user_id=user.id, page="admin.user_detail")
    counts = {
        "orders": db.session.scalar(select(func.count()).select_from(Order).where(Order.customer_id == user.id)),
        "bookings": db.session.scalar(select(func.count()).select_from(Booking).where(Booking.customer_id == user.id)),
        "reviews": db.session.scalar(select(func.count()).select_from(Review).where(Review.customer_id == user.id)),
    }
    entries = list(
        db.session.scalars(
            select(AuditEntry)
            .where(
                or_(
                    AuditEntry.actor_id == user.id,
                    AuditEntry.subject_type.in_(("account", "user")) & (AuditEntry.subject_id == user.id),
                )
            )
            .options(selectinload(AuditEntry.actor))
            .order_by(AuditEntry.id.desc())
            .limit(50)
        )
    )
    sessions = [
        {"browser": describe_browser(s.user_agent), "ip": s.ip or "unknown", "last_seen_at": s.last_seen_at}
        for s in find_live_sessions(user)
    ]
    return render_page(
        "admin/user.html",
        user=user,
        counts=counts,
        sessions=sessions,
        entries=entries,
        marketing=consent.has_marketing_consent(user.id),
        deletion_request=deletion.get_live_request(user.id),
        form=ConfirmForm(),
    )
