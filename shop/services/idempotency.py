"""A change sent twice is made once: the client id (or ``Idempotency-Key``) of a request.

A device that sends a sale, a refund, a void, a payout or an expense and gets no answer
(the link dropped, the server restarted) sends it again with the same client id; the
second time nothing new is written and the answer is what the first time recorded. Each
such row keeps its client id in a unique column, the database's backstop.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

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
    """The ``model`` row recorded before under ``client_id``, or ``None``."""
    if not client_id:
        return None
    return session.scalar(_by_client_id(model), {"client_id": client_id})


@cache
def _by_client_id(model):
    """:func:`earlier`'s query for ``model``, built once (a sale, a refund or a void asks it
    every time)."""
    return select(model).where(model.client_id == bindparam("client_id"))


def insert_once(session: Session, row) -> bool:
    """Add and flush ``row`` (which has a ``client_id``); False when another transaction
    recorded the same client id at this very moment (a retry racing its first try).

    On PostgreSQL the second insert waits for the first to commit, then meets the unique
    client id: it is undone in a savepoint and the caller answers with the row recorded
    (:func:`earlier`). On SQLite writing transactions run one at a time, so the check
    before the insert already saw it.
    """
    if not row.client_id:
        session.add(row)
        session.flush()
        return True
    model = type(row)
    same_id = select(model.id).where(model.client_id == row.client_id)
    return insert_unique(session, row, lambda: session.scalar(same_id)) is None


def insert_unique(session: Session, row, recorded: Callable[[], object | None]) -> object | None:
    """Add and flush ``row``; ``None`` when it is in, else what ``recorded()`` finds of the
    row another transaction recorded under the same unique key at this very moment.

    On PostgreSQL the insert is made in a savepoint, so that meeting the unique key undoes
    only it; an integrity error ``recorded()`` does not explain is raised. On SQLite
    writing transactions run one at a time, so the caller's check before already saw it.
    """
    if session.get_bind().dialect.name != "postgresql":
        session.add(row)
        session.flush()
        return None
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        if row in session:
            session.expunge(row)
        found = recorded()
        if found is None:
            raise
        return found
    return None
