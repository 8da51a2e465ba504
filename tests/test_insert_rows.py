"""Rows written together (``shop.database.insert_rows``, ``insert_in_order``): on
PostgreSQL one statement of one array a column, sent in the binary format; on SQLite one
``executemany``. Whatever a value holds comes back as it went in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from shop.database import insert_in_order, insert_rows
from shop.extensions import db
from shop.models import AuditEvent
from shop.services import members as member_service

AWKWARD = [
    'a "quoted" word',
    "back\\slash",
    "{braces}, and a comma",
    "",
    "NULL",
    " spaces around ",
    "Áo thun cổ tròn nâu · 70%",
    "new\nline",
]


def test_awkward_values_come_back_as_they_went_in(app, coordinator):
    at = datetime(2026, 11, 20, 3, 4, 5, 678_000, tzinfo=UTC)
    with app.app_context():
        by = member_service.get_member(db.session, coordinator).id
        rows = [
            {
                "at": at,
                "by_id": by if index % 2 else None,
                "action": "test",
                "subject": text,
                "detail": {"text": text, "n": index, "list": [1, None, "x"]},
            }
            for index, text in enumerate(AWKWARD)
        ]
        insert_rows(db.session, AuditEvent.__table__, rows)
        written = insert_in_order(
            db.session, AuditEvent.subject, [{**rows[0], "subject": "in order"}], AuditEvent.id
        )
        stored = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "test").order_by(AuditEvent.id)
        ).all()
        assert [(e.at, e.by_id, e.subject, e.detail) for e in stored[: len(rows)]] == [
            (r["at"], r["by_id"], r["subject"], r["detail"]) for r in rows
        ]
        assert written == [stored[-1].id] and stored[-1].subject == "in order"
        db.session.rollback()


def test_postgresql_gets_arrays_in_binary(app, db_kind):
    if db_kind != "postgresql":
        pytest.skip("SQLite takes the rows as an executemany: no arrays")
    from psycopg.adapt import PyFormat
    from psycopg.pq import Format

    with app.app_context():
        driver = db.session.connection().connection.driver_connection
        dumper = driver.adapters.get_dumper(list, PyFormat.AUTO)
        assert dumper.format == Format.BINARY
        db.session.rollback()
