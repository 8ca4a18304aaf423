"""The corpus store: tables, migrations, the batch writer, queries, statistics and roll-ups
(SQLite by default, PostgreSQL by URL). Opened with `store.db.open_engine`."""
