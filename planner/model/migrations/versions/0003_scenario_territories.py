"""Territories per scenario; the edit log keeps each step's effect and its redo state.

A scenario becomes a whole territory plan: which territories it has and their name, colour,
rep, parent, target weight and lock (``scenario_territory``). Existing projects get a row for
every territory in every scenario, copied from the territory table, so nothing changes for them.
Territory names are unique per scenario now (two scenarios may each draw a "New territory").

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scenario_territory",
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("colour", sa.String(length=9), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("target_weight", sa.Float(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["scenario.id"],
            name=op.f("fk_scenario_territory_scenario_id_scenario"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_scenario_territory_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rep_id"],
            ["rep.id"],
            name=op.f("fk_scenario_territory_rep_id_rep"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["territory.id"],
            name=op.f("fk_scenario_territory_parent_id_territory"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("scenario_id", "territory_id", name=op.f("pk_scenario_territory")),
        sa.UniqueConstraint("scenario_id", "name", name="uq_scenario_territory_name"),
    )
    op.execute(
        "INSERT INTO scenario_territory "
        "(scenario_id, territory_id, name, colour, rep_id, parent_id, target_weight, locked) "
        "SELECT s.id, t.id, t.name, t.colour, t.rep_id, t.parent_id, t.target_weight, t.locked "
        "FROM scenario s CROSS JOIN territory t WHERE t.level = 'territory'"
    )
    with op.batch_alter_table("territory", schema=None) as batch_op:
        batch_op.drop_constraint("uq_territory_name", type_="unique")
    with op.batch_alter_table("edit_log", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("discarded", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("effect", sa.JSON(), nullable=False, server_default="{}"))
    # Undone steps of older files cannot be redone (their redo stack died with the session).
    op.execute("UPDATE edit_log SET discarded = undone")


def downgrade() -> None:
    with op.batch_alter_table("edit_log", schema=None) as batch_op:
        batch_op.drop_column("effect")
        batch_op.drop_column("discarded")
    with op.batch_alter_table("territory", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_territory_name", ["name"])
    op.drop_table("scenario_territory")
