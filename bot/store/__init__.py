"""Storage: SQLAlchemy tables, the unit of work behind the core's ports, and Alembic migrations."""
