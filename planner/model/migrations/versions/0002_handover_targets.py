"""Handovers, publication audit and per-territory target weights.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("territory", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("target_weight", sa.Float(), nullable=False, server_default="1.0")
        )
    op.create_table(
        "handover",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=True),
        sa.Column("from_rep_id", sa.Integer(), nullable=True),
        sa.Column("to_rep_id", sa.Integer(), nullable=True),
        sa.Column("effective_date", sa.Date(), nullable=True),
        sa.Column("transition_end", sa.Date(), nullable=True),
        sa.Column("support_until", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["from_rep_id"],
            ["rep.id"],
            name=op.f("fk_handover_from_rep_id_rep"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["scenario.id"],
            name=op.f("fk_handover_scenario_id_scenario"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["to_rep_id"], ["rep.id"], name=op.f("fk_handover_to_rep_id_rep"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handover")),
    )
    op.create_table(
        "publication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=True),
        sa.Column("snapshot_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user", sa.String(length=200), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["scenario.id"],
            name=op.f("fk_publication_scenario_id_scenario"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["scenario.id"],
            name=op.f("fk_publication_snapshot_id_scenario"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication")),
    )
    op.create_table(
        "handover_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handover_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("done_by", sa.String(length=200), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_handover_item_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["handover_id"],
            ["handover.id"],
            name=op.f("fk_handover_item_handover_id_handover"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handover_item")),
    )
    with op.batch_alter_table("handover_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_handover_item_handover_id"), ["handover_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("handover_item")
    op.drop_table("publication")
    op.drop_table("handover")
    with op.batch_alter_table("territory", schema=None) as batch_op:
        batch_op.drop_column("target_weight")
