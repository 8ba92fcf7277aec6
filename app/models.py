"""Imports every model module, so Alembic and the tests see the whole schema."""

from app.accounts.api_tokens import ApiToken, IdempotencyRecord  # noqa: F401
from app.accounts.models import SignInThrottle, User  # noqa: F401
from app.accounts.oauth_models import OAuthApp, OAuthCode, OAuthToken  # noqa: F401
from app.accounts.oidc_models import ProviderLink  # noqa: F401
from app.accounts.passkey_models import Passkey, PasskeyChallenge  # noqa: F401
from app.analytics.models import (  # noqa: F401
    ClientVisits,
    DirtyDay,
    FunnelDay,
    MarketDay,
    VenueDay,
    VenueHour,
    VenueHourMonth,
    VenueLeadDay,
    VenueLeadMonth,
    VenueMonth,
    VenueServiceDay,
    VenueServiceMonth,
    ZeroSearch,
)
from app.audit.models import AuditEntry  # noqa: F401
from app.booking.models import (  # noqa: F401
    Booking,
    BookingMove,
    CartItem,
    Order,
    OrderTransition,
    ReschedulePolicy,
    TimeBlock,
)
from app.notifications.models import (  # noqa: F401
    BookingReminder,
    NotificationPreference,
    SmsMessage,
    SmsNumber,
    VenueReminderSettings,
)
from app.payments.models import Payment, PaymentEvent, Refund  # noqa: F401
from app.payouts.models import (  # noqa: F401
    CommissionRate,
    ConnectedAccount,
    Payout,
    TransferReversal,
    VenueTransfer,
)
from app.platform.email import EmailDelivery  # noqa: F401
from app.privacy.models import AccountDeletion, ConsentRecord, DataExport  # noqa: F401
from app.promos.models import CartPromo, PromoCode, PromoRedemption  # noqa: F401
from app.reviews.models import Review  # noqa: F401
from app.saved.models import SavedVenue  # noqa: F401
from app.team_schedules.models import ScheduleException, TimeOff, WorkingHours  # noqa: F401
from app.venues.models import (  # noqa: F401
    FAQ,
    Category,
    Closure,
    OpeningHours,
    Service,
    TeamMember,
    Venue,
    VenueImage,
    VenueSlug,
)
from app.vouchers.models import Voucher, VoucherEntry, VoucherPurchase  # noqa: F401
from app.waitlist.models import WaitlistEntry, WaitlistOffer  # noqa: F401
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint  # noqa: F401
from search.places import Place  # noqa: F401
from search.synonyms import SearchSynonym  # noqa: F401
