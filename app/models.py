"""Imports every model module, so Alembic and the tests see the whole schema: importing a module
registers its tables on the metadata, so the modules are named here, not their classes."""

import app.accounts.api_tokens
import app.accounts.models
import app.accounts.oauth_models
import app.accounts.oidc_models
import app.accounts.passkey_models
import app.analytics.models
import app.audit.models
import app.booking.models
import app.clients.models
import app.invoicing.models
import app.memberships.models
import app.messages.models
import app.notifications.models
import app.ops.maintenance
import app.packages.models
import app.payments.models
import app.payouts.models
import app.platform.email
import app.privacy.models
import app.promos.models
import app.reviews.models
import app.saved.models
import app.team_schedules.models
import app.tips.models
import app.venues.models
import app.vouchers.models
import app.waitlist.models
import app.webhooks.models  # noqa: F401
import search.places
import search.synonyms  # noqa: F401
