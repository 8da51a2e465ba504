"""Named counters for codes and numbers that must never be handed out twice."""

from __future__ import annotations

from sqlalchemy import String, bindparam, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from shop.extensions import db


class Sequence(db.Model):
    __tablename__ = "sequence"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


def next_in_sequence(session: Session, name: str, count: int = 1) -> int:
    """Take the next number of sequence ``name`` (1, 2, …) for this transaction; with
    ``count``, that many numbers at once, the last of which is returned.

    One ``UPDATE … RETURNING`` takes the row's lock, so two counters can never get the same
    number, on SQLite and PostgreSQL alike; the row is created on first use.
    """
    if count < 1:
        raise ValueError(f"count must be at least 1, not {count!r}")
    from shop.database import insert_if_absent, run_core

    taken = {"sequence_name": name, "count": count}
    value = run_core(session, _TAKE, taken).scalar()
    if value is None:  # first use: create the row (another counter may be doing the same)
        insert_if_absent(session, Sequence, name=name, value=0)
        value = run_core(session, _TAKE, taken).scalar()
    return value


# Built once: a plain UPDATE of the table, which the ORM has no objects of to keep in step.
_TABLE = Sequence.__table__
_TAKE = (
    update(_TABLE)
    .where(_TABLE.c.name == bindparam("sequence_name"))
    .values(value=_TABLE.c.value + bindparam("count"))
    .returning(_TABLE.c.value)
)


def raise_sequence(session: Session, name: str, at_least: int) -> None:
    """Make sequence ``name`` stand at ``at_least`` or above, so its next number is higher.

    Never lowers it; the row is created if it is not there yet.
    """
    from shop.database import insert_if_absent

    insert_if_absent(session, Sequence, name=name, value=0)
    session.execute(
        update(Sequence)
        .where(Sequence.name == name, Sequence.value < at_least)
        .values(value=at_least)
    )
