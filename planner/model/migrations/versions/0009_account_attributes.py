"""Numeric columns of an account import kept per account (issue 15): ``account_attribute``.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_attribute",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_account_attribute_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "name", name=op.f("pk_account_attribute")),
    )
    op.create_index(op.f("ix_account_attribute_name"), "account_attribute", ["name"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_account_attribute_name"), table_name="account_attribute")
    op.drop_table("account_attribute")
