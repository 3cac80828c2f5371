"""Alembic's environment: always run from Store.upgrade/downgrade on a connection it hands over."""
from alembic import context

from authdoctor.feedback.schema import VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(connection=connection, version_table=VERSION_TABLE,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
