"""Staff logins: a venue's managers, receptionists and practitioners (app/venues/models.VenueStaff)

Users get the role 'staff'; ``venue_staff`` says which venue and what they may do there
(docs/staff-roles.md). A person is staff of one venue at a time: a partial unique index on the
live rows' user. An invitation not yet accepted has no user; one email is invited once per venue
at a time (another partial unique index).

Revision ID: 0055
Revises: 0051
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0055"
down_revision = "0054"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint(op.f("ck_users_role_known"), "users", type_="check")
    op.create_check_constraint(
        op.f("ck_users_role_known"), "users", "role IN ('customer', 'provider', 'admin', 'staff')"
    )
    op.create_table(
        "venue_staff",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("venue_id", sa.Integer(), sa.ForeignKey("venues.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("team_member_id", sa.Integer(), sa.ForeignKey("team_members.id", ondelete="CASCADE")),
        sa.Column("invited_by", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("invited_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True)),
        sa.Column("removed_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(
            "role IN ('manager', 'receptionist', 'practitioner')", name=op.f("ck_venue_staff_role_known")
        ),
        # A practitioner is one of the venue's team members; deleting that member deletes their
        # staff row too (their account then reaches no venue: the guard says 403).
        sa.CheckConstraint(
            "role <> 'practitioner' OR team_member_id IS NOT NULL", name=op.f("ck_venue_staff_practitioner_is_a_member")
        ),
    )
    op.create_index("ix_venue_staff_venue_id", "venue_staff", ["venue_id"])
    op.create_index(
        "uq_venue_staff_live_user",
        "venue_staff",
        ["user_id"],
        unique=True,
        postgresql_where=sa.text("removed_at IS NULL"),
    )
    op.create_index(
        "uq_venue_staff_live_email",
        "venue_staff",
        ["venue_id", sa.text("lower(email)")],
        unique=True,
        postgresql_where=sa.text("removed_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("venue_staff")
    op.execute("DELETE FROM users WHERE role = 'staff'")
    op.drop_constraint(op.f("ck_users_role_known"), "users", type_="check")
    op.create_check_constraint(op.f("ck_users_role_known"), "users", "role IN ('customer', 'provider', 'admin')")
