"""Given unit adjacency (issue 15): the ``unit_edge`` table of ``planner import-adjacency``.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_edge",
        sa.Column("unit_a", sa.Integer(), nullable=False),
        sa.Column("unit_b", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_a"], ["unit.id"], name=op.f("fk_unit_edge_unit_a_unit"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["unit_b"], ["unit.id"], name=op.f("fk_unit_edge_unit_b_unit"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("unit_a", "unit_b", name=op.f("pk_unit_edge")),
    )
    op.create_index(op.f("ix_unit_edge_unit_b"), "unit_edge", ["unit_b"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_unit_edge_unit_b"), table_name="unit_edge")
    op.drop_table("unit_edge")
