"""Actuals (bookings), channel partner links and the written territory plan (issue 17).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "actual",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_key", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("product", sa.String(length=120), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_actual_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["account.id"],
            name=op.f("fk_actual_partner_id_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actual")),
        sa.UniqueConstraint("booking_key", name=op.f("uq_actual_booking_key")),
    )
    op.create_index(op.f("ix_actual_account_id"), "actual", ["account_id"])
    op.create_table(
        "partner_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["account.id"],
            name=op.f("fk_partner_link_partner_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_partner_link_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_partner_link_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_link")),
    )
    op.create_index(op.f("ix_partner_link_partner_id"), "partner_link", ["partner_id"])
    op.create_table(
        "plan_doc",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user", sa.String(length=200), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_plan_doc_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_doc")),
        sa.UniqueConstraint("territory_id", "revision", name="uq_plan_doc_revision"),
    )
    op.create_index(op.f("ix_plan_doc_territory_id"), "plan_doc", ["territory_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_plan_doc_territory_id"), table_name="plan_doc")
    op.drop_table("plan_doc")
    op.drop_index(op.f("ix_partner_link_partner_id"), table_name="partner_link")
    op.drop_table("partner_link")
    op.drop_index(op.f("ix_actual_account_id"), table_name="actual")
    op.drop_table("actual")
