"""The demo promo code: WELCOME10, 10% off anything, once per customer, paid by the platform."""

from __future__ import annotations

from app.accounts.models import User
from app.platform.extensions import db
from app.promos.models import FundedBy, PromoCode, PromoKind
from app.promos.redemption import find_code

DEMO_CODE = "WELCOME10"


def seed_demo_promo_codes(admin: User | None) -> None:
    """Idempotent: the code is made once."""
    if find_code(DEMO_CODE) is not None:
        return
    db.session.add(
        PromoCode(
            code=DEMO_CODE,
            kind=PromoKind.PERCENT,
            value=10,
            currency="GBP",
            funded_by=FundedBy.PLATFORM,
            max_uses_per_customer=1,
            uses_count=0,
            active=True,
            created_by_id=admin.id if admin else None,
        )
    )
    db.session.flush()
