"""Team members' schedules: weekly working hours, exceptions by date, time off

Revision ID: 0020
Revises: 0015
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "working_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_member_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("starts_minute", sa.Integer(), nullable=False),
        sa.Column("ends_minute", sa.Integer(), nullable=False),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_working_hours_weekday_range")),
        sa.CheckConstraint(
            "starts_minute >= 0 AND ends_minute <= 1440 AND starts_minute < ends_minute",
            name=op.f("ck_working_hours_order"),
        ),
        sa.ForeignKeyConstraint(
            ["team_member_id"],
            ["team_members.id"],
            name=op.f("fk_working_hours_team_member_id_team_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_working_hours")),
    )
    op.create_index(op.f("ix_working_hours_team_member_id"), "working_hours", ["team_member_id"], unique=False)
    op.create_table(
        "schedule_exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_member_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("starts_minute", sa.Integer(), nullable=True),
        sa.Column("ends_minute", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "(starts_minute IS NULL) = (ends_minute IS NULL)", name=op.f("ck_schedule_exceptions_both_or_neither")
        ),
        sa.CheckConstraint(
            "starts_minute IS NULL OR (starts_minute >= 0 AND ends_minute <= 1440 AND starts_minute < ends_minute)",
            name=op.f("ck_schedule_exceptions_order"),
        ),
        sa.ForeignKeyConstraint(
            ["team_member_id"],
            ["team_members.id"],
            name=op.f("fk_schedule_exceptions_team_member_id_team_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_exceptions")),
    )
    op.create_index(
        op.f("ix_schedule_exceptions_team_member_id"), "schedule_exceptions", ["team_member_id"], unique=False
    )
    op.create_table(
        "time_off",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kind IN ('holiday', 'sickness', 'other')", name=op.f("ck_time_off_kind_known")),
        sa.CheckConstraint(
            "(starts_on IS NOT NULL AND ends_on IS NOT NULL AND starts_at IS NULL AND ends_at IS NULL "
            "AND ends_on >= starts_on) OR "
            "(starts_on IS NULL AND ends_on IS NULL AND starts_at IS NOT NULL AND ends_at IS NOT NULL "
            "AND ends_at > starts_at)",
            name=op.f("ck_time_off_days_or_times"),
        ),
        sa.ForeignKeyConstraint(
            ["team_member_id"],
            ["team_members.id"],
            name=op.f("fk_time_off_team_member_id_team_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_off")),
    )
    op.create_index(op.f("ix_time_off_team_member_id"), "time_off", ["team_member_id"], unique=False)

    # Ranges of one member and weekday never overlap (touching is fine: [) bounds).
    op.execute(
        "ALTER TABLE working_hours ADD CONSTRAINT ex_working_hours_no_overlap "
        "EXCLUDE USING gist (team_member_id WITH =, weekday WITH =, "
        "int4range(starts_minute, ends_minute, '[)') WITH &&)"
    )
    # Nor the ranges of one member's exception date; an "off" row counts as the whole day,
    # so it can't stand beside ranges (or another "off" row) of the same date.
    op.execute(
        "ALTER TABLE schedule_exceptions ADD CONSTRAINT ex_schedule_exceptions_no_overlap "
        "EXCLUDE USING gist (team_member_id WITH =, day WITH =, "
        "int4range(coalesce(starts_minute, 0), coalesce(ends_minute, 1440), '[)') WITH &&)"
    )


def downgrade():
    op.drop_index(op.f("ix_time_off_team_member_id"), table_name="time_off")
    op.drop_table("time_off")
    op.drop_index(op.f("ix_schedule_exceptions_team_member_id"), table_name="schedule_exceptions")
    op.drop_table("schedule_exceptions")
    op.drop_index(op.f("ix_working_hours_team_member_id"), table_name="working_hours")
    op.drop_table("working_hours")
