"""Persistence: SQLAlchemy 2 async models, repositories, session factory, Alembic migrations."""
