"""A change sent twice is made once: the client id (or ``Idempotency-Key``) of a request.

A device that sends a sale, a refund, a void, a payout or an expense and gets no answer
(the link dropped, the server restarted) sends it again with the same client id; the
second time nothing new is written and the answer is what the first time recorded. Each
such row keeps its client id in a unique column, the database's backstop.
"""

from __future__ import annotations

import re
from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from shop.database import adopt_inserted, insert_if_absent, read_core
from shop.services.errors import InvalidInput

#: 8 to 64 letters, digits or ``- _ . :`` (a UUID fits, and so does a counter's own scheme).
CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")


def checked_client_id(value: object, field: str = "client_id") -> str | None:
    """``value`` as a client id, ``None`` when it is empty; refused when it is malformed."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not CLIENT_ID.match(value):
        raise InvalidInput("client_id.missing", field)
    return value


def earlier(session: Session, model, client_id: str | None):
    """The ``model`` row recorded before under ``client_id``, or ``None``.

    Asked before every new row, which is nearly always not there: its id is looked for by
    a Core statement (no ORM work for the usual empty answer), and the row is loaded only
    when found. What is pending is flushed first, as the ORM's own query would."""
    if not client_id:
        return None
    found = read_core(session, _id_by_client_id(model), {"client_id": client_id}).scalar()
    return None if found is None else session.get(model, found)


def recorded_client_ids(session: Session, model, client_ids) -> set[str]:
    """Which of ``client_ids`` (``None`` among them is passed over) ``model`` has recorded
    (:func:`earlier` for many requests at once)."""
    wanted = [client_id for client_id in client_ids if client_id]
    if not wanted:
        return set()
    return set(session.scalars(select(model.client_id).where(model.client_id.in_(wanted))))


@cache
def _id_by_client_id(model):
    """:func:`earlier`'s query for ``model``, built once (a sale, a refund or a void asks it
    every time)."""
    table = model.__table__
    return select(table.c.id).where(table.c.client_id == bindparam("client_id"))


def insert_once(session: Session, model, row: dict, *, on=None):
    """Insert ``row`` (its columns, ``client_id`` among them) into ``model``'s table in one
    statement and return it as the session's own object (every column known but those the
    database fills); ``None`` when its client id is recorded already (``on``: another unique
    key, a column or a tuple of columns, as :func:`insert_if_absent` takes it).

    On PostgreSQL the insert waits for another transaction inserting the same client id (a
    retry racing its first try) and then, if that one committed, inserts nothing: the
    caller answers with the row recorded (:func:`earlier`). On SQLite writing transactions
    run one at a time, so the check before already saw it.
    """
    session.flush()  # what is pending goes first, as the ORM's flush would order it
    key = model.client_id if on is None else on
    row_id = insert_if_absent(session, model, row, on=key, returning=model.id)
    if row_id is None:
        return None
    new = model(id=row_id, **row)
    adopt_inserted(session, new)
    return new
