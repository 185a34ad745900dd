"""The sales hierarchy per scenario and quota plans (issue 16).

``scenario_node``: the districts, regions (any level above the territories) as each scenario
has them; existing projects get a row per scenario for every non-territory row of the
territory table, so the hierarchy they had stays. ``quota_plan`` and ``quota``: a scenario's
quota plan per fiscal year, one row per node and fiscal month in whole cents.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scenario_node",
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=40), nullable=False),
        sa.Column("colour", sa.String(length=9), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["scenario.id"],
            name=op.f("fk_scenario_node_scenario_id_scenario"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["node_id"],
            ["territory.id"],
            name=op.f("fk_scenario_node_node_id_territory"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rep_id"], ["rep.id"], name=op.f("fk_scenario_node_rep_id_rep"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["territory.id"],
            name=op.f("fk_scenario_node_parent_id_territory"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("scenario_id", "node_id", name=op.f("pk_scenario_node")),
        sa.UniqueConstraint("scenario_id", "name", name="uq_scenario_node_name"),
    )
    op.execute(
        "INSERT INTO scenario_node (scenario_id, node_id, name, level, colour, rep_id, parent_id) "
        "SELECT s.id, t.id, t.name, t.level, t.colour, t.rep_id, t.parent_id "
        "FROM scenario s CROSS JOIN territory t WHERE t.level != 'territory'"
    )
    op.create_table(
        "quota_plan",
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["scenario.id"],
            name=op.f("fk_quota_plan_scenario_id_scenario"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("scenario_id", "fiscal_year", name=op.f("pk_quota_plan")),
    )
    op.create_table(
        "quota",
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("commitment", sa.BigInteger(), nullable=True),
        sa.Column("adjusted", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["scenario.id"],
            name=op.f("fk_quota_scenario_id_scenario"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "scenario_id", "fiscal_year", "node_id", "month", name=op.f("pk_quota")
        ),
    )


def downgrade() -> None:
    op.drop_table("quota")
    op.drop_table("quota_plan")
    op.drop_table("scenario_node")
