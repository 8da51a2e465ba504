"""The shop's rules as plain Python: no Flask, no SQLAlchemy, so they test without a database."""
