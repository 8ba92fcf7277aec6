"""The front desk: a client book per venue, bookings made at the desk, repeating time blocks

``venue_clients`` is each venue's book of the people who booked there (online or at the desk):
``user_id`` links a client who has an account (unique per venue), a walk-in has none. A
booking names its client (``client_id``, filled here for every existing booking from its
customer) and where it was made (``channel``: 'online' or 'desk'). A desk booking for a
walk-in has no customer account, so ``orders.customer_id`` and ``bookings.customer_id`` may
be empty; the check keeps a booking without a customer tied to a client.

A time block may repeat weekly (``repeat_weekdays``, a bit mask: Monday = 1, Tuesday = 2, ...
Sunday = 64) until ``repeat_until`` (a date in the venue's zone): one row holds the rule,
occurrences are expanded where they are read (app/booking/time_blocks.py).

Revision ID: 0054
Revises: 0051
Create Date: 2026-11-26
"""

from alembic import op

revision = "0054"
down_revision = "0053"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE venue_clients (
            id serial PRIMARY KEY,
            venue_id integer NOT NULL REFERENCES venues(id) ON DELETE CASCADE,
            user_id integer REFERENCES users(id) ON DELETE SET NULL,
            name varchar(120) NOT NULL,
            email varchar(254),
            phone varchar(32),
            notes text NOT NULL DEFAULT '',
            tags varchar(40)[] NOT NULL DEFAULT '{}',
            blocked_at timestamptz,
            block_reason varchar(300),
            anonymised_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT ck_venue_clients_block_has_reason CHECK (blocked_at IS NULL OR block_reason IS NOT NULL)
        )
        """
    )
    op.execute(
        "CREATE UNIQUE INDEX uq_venue_clients_venue_user ON venue_clients (venue_id, user_id) WHERE user_id IS NOT NULL"
    )
    op.execute("CREATE INDEX ix_venue_clients_venue_name ON venue_clients (venue_id, lower(name))")
    op.execute("CREATE INDEX ix_venue_clients_user ON venue_clients (user_id) WHERE user_id IS NOT NULL")

    op.execute("ALTER TABLE bookings ADD COLUMN client_id integer REFERENCES venue_clients(id) ON DELETE SET NULL")
    op.execute("ALTER TABLE bookings ADD COLUMN channel varchar(8) NOT NULL DEFAULT 'online'")
    op.execute("ALTER TABLE bookings ADD CONSTRAINT ck_bookings_channel_known CHECK (channel IN ('online', 'desk'))")
    op.execute("CREATE INDEX ix_bookings_client ON bookings (client_id, starts_at) WHERE client_id IS NOT NULL")
    op.execute("ALTER TABLE bookings ALTER COLUMN customer_id DROP NOT NULL")
    op.execute("ALTER TABLE orders ALTER COLUMN customer_id DROP NOT NULL")

    # Backfill: every customer who has a booking at a venue becomes that venue's client.
    op.execute(
        """
        INSERT INTO venue_clients (venue_id, user_id, name, email, created_at)
        SELECT DISTINCT ON (b.venue_id, b.customer_id)
               b.venue_id, b.customer_id, left(coalesce(nullif(u.name, ''), u.email), 120), u.email, b.created_at
          FROM bookings b JOIN users u ON u.id = b.customer_id
         ORDER BY b.venue_id, b.customer_id, b.created_at
        """
    )
    op.execute(
        """
        UPDATE bookings b SET client_id = c.id
          FROM venue_clients c
         WHERE c.venue_id = b.venue_id AND c.user_id = b.customer_id AND b.client_id IS NULL
        """
    )
    op.execute(
        "ALTER TABLE bookings ADD CONSTRAINT ck_bookings_has_someone "
        "CHECK (customer_id IS NOT NULL OR client_id IS NOT NULL) NOT VALID"
    )

    op.execute("ALTER TABLE time_blocks ADD COLUMN repeat_weekdays smallint")
    op.execute("ALTER TABLE time_blocks ADD COLUMN repeat_until date")
    op.execute(
        "ALTER TABLE time_blocks ADD CONSTRAINT ck_time_blocks_repeat_whole CHECK "
        "((repeat_weekdays IS NULL) = (repeat_until IS NULL) "
        "AND (repeat_weekdays IS NULL OR repeat_weekdays BETWEEN 1 AND 127))"
    )
    op.execute("CREATE INDEX ix_time_blocks_repeating ON time_blocks (venue_id) WHERE repeat_until IS NOT NULL")


def downgrade() -> None:
    op.execute("DROP INDEX ix_time_blocks_repeating")
    op.execute("ALTER TABLE time_blocks DROP CONSTRAINT ck_time_blocks_repeat_whole")
    op.execute("ALTER TABLE time_blocks DROP COLUMN repeat_until")
    op.execute("ALTER TABLE time_blocks DROP COLUMN repeat_weekdays")
    op.execute("DELETE FROM bookings WHERE customer_id IS NULL")
    op.execute("DELETE FROM orders WHERE customer_id IS NULL")
    op.execute("ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL")
    op.execute("ALTER TABLE bookings ALTER COLUMN customer_id SET NOT NULL")
    op.execute("ALTER TABLE bookings DROP CONSTRAINT ck_bookings_has_someone")
    op.execute("ALTER TABLE bookings DROP COLUMN channel")
    op.execute("ALTER TABLE bookings DROP COLUMN client_id")
    op.execute("DROP TABLE venue_clients")
