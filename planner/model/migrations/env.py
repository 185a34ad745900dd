"""Alembic environment: the engine comes from :func:`planner.model.store.alembic_config`."""

from alembic import context

from planner.model.schema import Base

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite needs batch mode to alter tables
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()
