"""Alembic environment: migrations run in-process on the connection `store.db.open_engine` hands over
(there is no alembic.ini; users never run alembic themselves)."""
from alembic import context

from nianbao.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=True,  # SQLite cannot ALTER most things: alembic copies the table
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
